package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/odoo-rehearse/rehearse/rehearsal/container"
	"github.com/odoo-rehearse/rehearse/rehearsal/container/containertest"
	"github.com/odoo-rehearse/rehearse/rehearsal/workdir"
)

// holdRunEnv makes the test binary act as a run that gets killed: it
// starts PostgreSQL, a volume and a work dir, says so, and waits.
const holdRunEnv = "REHEARSE_TEST_HOLD_RUN"

func TestMain(m *testing.M) {
	if runID := os.Getenv(holdRunEnv); runID != "" {
		os.Exit(holdRun(runID))
	}
	os.Exit(m.Run())
}

func holdRun(runID string) int {
	ctx := context.Background()
	rt, err := container.New(ctx, container.WithRunID(runID))
	if err != nil {
		fmt.Println("error:", err)
		return 2
	}
	if _, err := rt.StartPostgres(ctx, container.PostgresOptions{Image: containertest.PostgresImage()}); err != nil {
		fmt.Println("error:", err)
		return 2
	}
	if _, err := rt.Volume(ctx, "filestore"); err != nil {
		fmt.Println("error:", err)
		return 2
	}
	if _, err := workdir.New(runID); err != nil {
		fmt.Println("error:", err)
		return 2
	}
	fmt.Println("ready")
	time.Sleep(10 * time.Minute)
	return 0
}

func TestGCAfterSIGKILLLeavesNothing(t *testing.T) {
	containertest.Runtime(t) // Docker and images present, or skip/fail as CI requires
	runID := container.NewRunID()
	t.Setenv("REHEARSE_WORKDIR", t.TempDir())

	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), holdRunEnv+"="+runID)
	out, err := child.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, child.Start())
	line, _ := bufio.NewReader(out).ReadString('\n')
	require.Equal(t, "ready", strings.TrimSpace(line), "the child run started its resources")

	before := countLeft(t, runID)
	require.Equal(t, 6, before, "postgres, relay, 2 networks, 1 volume, 1 work dir")

	// gc leaves a live run alone.
	code, stdout, stderr := runCLI(t, "gc", "--run", runID, "--dry-run")
	require.Equal(t, 0, code, stderr)
	require.NoError(t, child.Process.Signal(syscall.SIGKILL))
	_, _ = child.Process.Wait()
	t.Logf("dry run while alive: %s", strings.TrimSpace(stdout))

	code, stdout, stderr = runCLI(t, "gc")
	require.Equal(t, 0, code, stderr)
	t.Logf("rehearse gc: %s", strings.TrimSpace(stdout))
	assert.Contains(t, stdout, "run "+runID)
	assert.Equal(t, 0, countLeft(t, runID), "nothing of the killed run is left")
}

func TestGCKeepsLiveRuns(t *testing.T) {
	rt := containertest.Runtime(t)
	containertest.PostgresOn(t, rt)
	code, stdout, stderr := runCLI(t, "gc")
	require.Equal(t, 0, code, stderr)
	assert.NotContains(t, stdout, rt.RunID(), "a run of a live process is not collected")
	rs, err := container.GC(t.Context(), container.GCOptions{DryRun: true, RunID: rt.RunID()})
	require.NoError(t, err)
	assert.Len(t, rs, 4, "postgres, relay and both networks are still there")
}

func countLeft(t *testing.T, runID string) int {
	t.Helper()
	rs, err := container.GC(t.Context(), container.GCOptions{DryRun: true, RunID: runID, Cache: true})
	require.NoError(t, err)
	entries, err := os.ReadDir(workdir.Base())
	require.NoError(t, err)
	n := len(rs)
	for _, e := range entries {
		if e.Name() == "rehearse-"+runID {
			n++
		}
	}
	return n
}
