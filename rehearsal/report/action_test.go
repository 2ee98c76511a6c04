package report_test

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/odoo-rehearse/rehearse/rehearsal/approval"
	"github.com/odoo-rehearse/rehearse/rehearsal/report"
	"github.com/odoo-rehearse/rehearse/rehearsal/report/reporttest"
)

// TestMain lets this test binary stand in for `rehearse` inside the
// action's shell steps (see TestActionSteps).
func TestMain(m *testing.M) {
	if os.Getenv("REHEARSE_ACTION_SHIM") != "" {
		os.Exit(actionShim(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// actionShim plays `rehearse` for the action's glue: `run` writes the run
// directory of a fixture rehearsal (the pipeline is tested elsewhere; here
// the action's handling of its outputs is), `report` renders like the CLI.
func actionShim(args []string) int {
	switch args[0] {
	case "version":
		fmt.Println("rehearse test-shim")
		return 0
	case "report":
		r, err := report.Load(args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		f, _ := report.ParseFormat(args[3])
		if err := report.Render(os.Stdout, r, f); err != nil {
			return 2
		}
		return 0
	case "run":
		var out string
		for i, a := range args {
			if a == "--output" && i+1 < len(args) {
				out = args[i+1]
			}
		}
		var r *report.Report
		switch os.Getenv("REHEARSE_ACTION_SCENARIO") {
		case "passing":
			r = reporttest.Passing()
		case "failing":
			r = reporttest.Failing()
		default:
			fmt.Fprintln(os.Stderr, "rehearsal.yaml: line 3: backup: no such file")
			return 2
		}
		dir := filepath.Join(out, r.RunID)
		if err := report.WriteRunDir(dir, r); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		if r.Verdict != report.Approved {
			return 1
		}
		if key, err := approval.LoadSigningKey(""); err == nil {
			if _, err := approval.Grant(context.Background(), r, key, dir, nil, time.Now()); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 2
			}
		}
		return 0
	}
	return 2
}

type actionStep struct {
	Name string            `yaml:"name"`
	ID   string            `yaml:"id"`
	If   string            `yaml:"if"`
	Uses string            `yaml:"uses"`
	With map[string]string `yaml:"with"`
	Env  map[string]string `yaml:"env"`
	Run  string            `yaml:"run"`
}

type actionFile struct {
	Inputs map[string]struct {
		Default string `yaml:"default"`
	} `yaml:"inputs"`
	Runs struct {
		Using string       `yaml:"using"`
		Steps []actionStep `yaml:"steps"`
	} `yaml:"runs"`
}

// The GitHub Action's shell steps, run as a runner would run them (the
// artifact upload aside): the run directory is found, the outputs are
// set, the step summary starts with the verdict, the signing key does not
// outlive the job, and the job's result follows rehearse's exit code.
func TestActionSteps(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true and bash is not installed: the action's steps cannot run")
		}
		t.Skip("bash is not installed")
	}
	data, err := os.ReadFile(filepath.Join("..", "..", "action.yml"))
	require.NoError(t, err)
	var act actionFile
	require.NoError(t, yaml.Unmarshal(data, &act))
	require.Equal(t, "composite", act.Runs.Using)

	self, err := os.Executable()
	require.NoError(t, err)
	bin := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(bin, "rehearse"),
		[]byte("#!/bin/sh\nREHEARSE_ACTION_SHIM=1 exec "+shellQuote(self)+" \"$@\"\n"), 0o755))

	keyDir := t.TempDir()
	_, err = approval.GenerateKeyPair(keyDir)
	require.NoError(t, err)
	signingKey, err := os.ReadFile(filepath.Join(keyDir, approval.PrivateKeyFile))
	require.NoError(t, err)
	pubs, err := approval.LoadPublicKeys(filepath.Join(keyDir, approval.PublicKeyFile))
	require.NoError(t, err)

	for _, tc := range []struct {
		scenario, verdict, summary string
		signingKey                 string
		failOnReject               string
		jobExit                    int
		approval                   bool
	}{
		{"passing", "approved", "## ✅ Upgrade approved", string(signingKey), "true", 0, true},
		{"passing", "approved", "## ✅ Upgrade approved", "", "true", 0, false},
		{"failing", "rejected", "## ❌ Upgrade rejected", string(signingKey), "true", 1, false},
		{"failing", "rejected", "## ❌ Upgrade rejected", "", "false", 0, false},
		{"bad-input", "error", "", "", "true", 2, false},
	} {
		t.Run(fmt.Sprintf("%s key=%t fail-on-reject=%s", tc.scenario, tc.signingKey != "", tc.failOnReject), func(t *testing.T) {
			home := t.TempDir()
			files := map[string]string{}
			for _, f := range []string{"GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ENV", "GITHUB_PATH"} {
				files[f] = filepath.Join(home, strings.ToLower(f))
				require.NoError(t, os.WriteFile(files[f], nil, 0o644))
			}
			inputs := map[string]string{}
			for k, v := range act.Inputs {
				inputs[k] = v.Default
			}
			inputs["spec"] = "rehearsal.yaml"
			inputs["signing-key"] = tc.signingKey
			inputs["fail-on-reject"] = tc.failOnReject

			lastExit := -1
			for _, step := range act.Runs.Steps {
				outputs := readKV(t, files["GITHUB_OUTPUT"])
				if !actionCondition(step.If, inputs, outputs) {
					continue
				}
				if step.Uses != "" {
					require.Equal(t, "actions/upload-artifact@v4", step.Uses)
					assert.DirExists(t, expand(step.With["path"], inputs, outputs))
					continue
				}
				env := []string{
					"PATH=" + bin + ":" + os.Getenv("PATH"), "HOME=" + home, "RUNNER_TEMP=" + home,
					"GITHUB_RUN_ID=7", "GITHUB_RUN_ATTEMPT=1", "REHEARSE_ACTION_SCENARIO=" + tc.scenario,
				}
				for k, v := range files {
					env = append(env, k+"="+v)
				}
				for k, v := range readKV(t, files["GITHUB_ENV"]) {
					env = append(env, k+"="+v)
				}
				for k, v := range step.Env {
					env = append(env, k+"="+expand(v, inputs, outputs))
				}
				cmd := exec.CommandContext(t.Context(), "bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step.Run)
				cmd.Env, cmd.Dir = env, home
				out, err := cmd.CombinedOutput()
				lastExit = cmd.ProcessState.ExitCode()
				if step.Name != "Verdict" {
					require.NoError(t, err, "step %q: %s", step.Name, out)
				}
				assert.NotContains(t, string(out), "PRIVATE KEY", "step %q printed the key", step.Name)
			}
			assert.Equal(t, tc.jobExit, lastExit, "the Verdict step decides the job")

			outputs := readKV(t, files["GITHUB_OUTPUT"])
			assert.Equal(t, tc.verdict, outputs["verdict"])
			summary, err := os.ReadFile(files["GITHUB_STEP_SUMMARY"])
			require.NoError(t, err)
			if tc.summary != "" {
				assert.True(t, strings.HasPrefix(string(summary), tc.summary), "summary starts %.40q", summary)
				assert.FileExists(t, filepath.Join(outputs["run-dir"], report.HTMLFile))
			} else {
				assert.Empty(t, outputs["run-dir"])
			}
			if tc.approval {
				require.NotEmpty(t, outputs["approval"])
				d, err := approval.Verify(t.Context(), approval.FileStore{Path: outputs["approval"]}, []ed25519.PublicKey(pubs),
					approval.Policy{TargetImageID: reporttest.TargetImageID, MaxAge: time.Hour, Now: time.Now()})
				require.NoError(t, err)
				assert.True(t, d.Approved)
			} else {
				assert.Empty(t, outputs["approval"])
			}
			if tc.signingKey != "" {
				keyFile := filepath.Join(readKV(t, files["GITHUB_ENV"])["REHEARSE_KEY_DIR"], approval.PrivateKeyFile)
				assert.NoFileExists(t, keyFile, "the signing key is removed at the end of the job")
			}
		})
	}
}

var actionExpr = regexp.MustCompile(`\$\{\{\s*(inputs|steps\.run\.outputs)\.([\w-]+)\s*\}\}`)

func expand(s string, inputs, outputs map[string]string) string {
	return actionExpr.ReplaceAllStringFunc(s, func(m string) string {
		sub := actionExpr.FindStringSubmatch(m)
		if sub[1] == "inputs" {
			return inputs[sub[2]]
		}
		return outputs[sub[2]]
	})
}

// actionCondition evaluates the few `if:` forms action.yml uses; any other
// form fails the test, so a new condition cannot go untested.
func actionCondition(cond string, inputs, outputs map[string]string) bool {
	switch cond {
	case "":
		return true
	case "always()":
		return true
	case "inputs.signing-key != ''":
		return inputs["signing-key"] != ""
	case "always() && inputs.signing-key != ''":
		return inputs["signing-key"] != ""
	case "always() && steps.run.outputs.run-dir != ''":
		return outputs["run-dir"] != ""
	}
	panic("action.yml has a condition this test does not know: " + cond)
}

func readKV(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	kv := map[string]string{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		if k, v, ok := strings.Cut(s.Text(), "="); ok {
			kv[k] = v
		}
	}
	return kv
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
