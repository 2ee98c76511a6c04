package container_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/odoo-rehearse/rehearse/rehearsal/container"
	"github.com/odoo-rehearse/rehearse/rehearsal/container/containertest"
	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
)

func TestPostgresRunsSQLThroughTheRelay(t *testing.T) {
	rt := containertest.Runtime(t)
	pg := containertest.PostgresOn(t, rt)
	ctx := t.Context()

	conn, err := pg.Connect(ctx, "postgres")
	require.NoError(t, err)
	defer conn.Close(ctx)
	var serverVersion string
	require.NoError(t, conn.QueryRow(ctx, "SHOW server_version").Scan(&serverVersion))
	assert.True(t, strings.HasPrefix(serverVersion, "15"), "server_version %q", serverVersion)

	// The throwaway settings arrive on the command line.
	var fsync string
	require.NoError(t, conn.QueryRow(ctx, "SHOW fsync").Scan(&fsync))
	assert.Equal(t, "off", fsync)

	// Real SQL, real data, through pgx.
	_, err = conn.Exec(ctx, `CREATE TABLE res_partner (id serial PRIMARY KEY, name varchar NOT NULL)`)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `INSERT INTO res_partner (name) SELECT 'partner ' || g FROM generate_series(1, 1000) g`)
	require.NoError(t, err)
	var n int
	require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM res_partner").Scan(&n))
	assert.Equal(t, 1000, n)
	t.Logf("PostgreSQL %s from %s answered through %s: %d rows", serverVersion, containertest.PostgresImage(), pg.Endpoint(), n)

	// Tools inside the container work with the run's credentials.
	res, err := pg.Exec(ctx, []string{"psql", "-d", "postgres", "-tAc", "SELECT count(*) FROM res_partner"})
	require.NoError(t, err)
	require.Equal(t, 0, res.ExitCode, string(res.Output))
	assert.Equal(t, "1000", strings.TrimSpace(string(res.Output)))
}

func TestPasswordNeverInDockerInspect(t *testing.T) {
	pg := containertest.Postgres(t)
	in, err := pg.Inspect(t.Context())
	require.NoError(t, err)
	dump := fmt.Sprintf("%+v %+v", in.Config, in.HostConfig)
	assert.NotContains(t, dump, pg.Password())
	assert.Contains(t, dump, "POSTGRES_PASSWORD_FILE")
}

func TestPublishedPortsBindLoopbackOnly(t *testing.T) {
	rt := containertest.Runtime(t)
	pg := containertest.PostgresOn(t, rt)
	ctx := t.Context()

	// PostgreSQL itself publishes nothing: it sits on the internal network.
	ports, err := pg.PublishedPorts(ctx)
	require.NoError(t, err)
	assert.Empty(t, ports, "postgres must not publish ports")

	// The relay publishes, on 127.0.0.1 only.
	relays := resourcesOf(t, rt.RunID(), "container", "relay")
	require.Len(t, relays, 1)
	res, err := rt.Docker().ContainerInspect(ctx, relays[0].ID, clientInspect())
	require.NoError(t, err)
	var bound int
	for _, bs := range res.Container.NetworkSettings.Ports {
		for _, b := range bs {
			bound++
			assert.Equal(t, netip.MustParseAddr("127.0.0.1"), b.HostIP, "relay port bound to %v", b.HostIP)
		}
	}
	assert.Positive(t, bound)
}

// From inside the rehearsal network nothing outside it can be reached.
// The target is a listener of our own on another Docker network (the
// relay of a second run, on its edge network): never an outside address.
func TestInternalNetworkHasNoRouteOut(t *testing.T) {
	inside := containertest.Runtime(t)
	pg := containertest.PostgresOn(t, inside)
	outside := containertest.Runtime(t)
	other := containertest.PostgresOn(t, outside)
	ctx := t.Context()

	otherRelay := resourcesOf(t, outside.RunID(), "container", "relay")[0]
	res, err := outside.Docker().ContainerInspect(ctx, otherRelay.ID, clientInspect())
	require.NoError(t, err)
	edge := res.Container.NetworkSettings.Networks["rehearse-"+outside.RunID()+"-edge"]
	require.NotNil(t, edge, "the other run's relay is on its edge network")
	target := edge.IPAddress.String()
	require.NotEmpty(t, target)

	// Reachable from the machine: the listener is real.
	conn, err := other.Connect(ctx, "postgres")
	require.NoError(t, err)
	conn.Close(ctx)

	probe := func(host string, port int) int {
		r, err := pg.Exec(ctx, []string{"bash", "-c", fmt.Sprintf("timeout 3 bash -c 'exec 3<>/dev/tcp/%s/%d' 2>/dev/null", host, port)})
		require.NoError(t, err)
		return r.ExitCode
	}
	assert.Zero(t, probe("127.0.0.1", 5432), "the probe itself works")
	assert.NotZero(t, probe(target, 15000), "a listener outside the rehearsal network must be unreachable")
}

func TestMissingImageIsAClearErrorNotAPull(t *testing.T) {
	rt := containertest.Runtime(t)
	start := time.Now()
	_, err := rt.Start(t.Context(), container.Spec{Kind: "odoo", Image: "rehearse/no-such-image:0.0"})
	require.Error(t, err)
	assert.ErrorIs(t, err, container.ErrImageMissing)
	assert.Contains(t, err.Error(), "image rehearse/no-such-image:0.0 not found locally; run `make images` or `docker pull rehearse/no-such-image:0.0`")
	assert.Equal(t, exit.CannotRun, exit.Code(err))
	assert.Less(t, time.Since(start), 10*time.Second, "no pull was attempted")
}

func TestTeardownRemovesEveryLabelledResource(t *testing.T) {
	rt := containertest.Runtime(t)
	pg := containertest.PostgresOn(t, rt)
	vol, err := rt.Volume(t.Context(), "filestore")
	require.NoError(t, err)
	require.NotEmpty(t, pg.ID())
	require.NotEmpty(t, resourcesOf(t, rt.RunID(), "volume", ""), "volume %s is labelled", vol)
	require.Len(t, resourcesOf(t, rt.RunID(), "network", ""), 2, "internal and edge networks")
	require.Len(t, resourcesOf(t, rt.RunID(), "container", ""), 2, "postgres and relay")

	require.NoError(t, rt.Teardown(t.Context()))
	assert.Empty(t, resourcesOf(t, rt.RunID(), "", ""))
}

func TestCopyToVolume(t *testing.T) {
	rt := containertest.Runtime(t)
	pg := containertest.PostgresOn(t, rt)
	_ = pg
	ctx := t.Context()
	vol, err := rt.Volume(ctx, "filestore")
	require.NoError(t, err)

	err = rt.CopyToVolume(ctx, vol, "filestore/prod", tarOf(t, map[string]string{"ab/ab12": "attachment bytes"}))
	require.NoError(t, err)

	// Read it back from a container that mounts the volume.
	reader, err := rt.Start(ctx, container.Spec{
		Kind: "reader", Image: containertest.PostgresImage(),
		Entrypoint: []string{"cat"}, Cmd: []string{"/var/lib/odoo/filestore/prod/ab/ab12"},
		Volumes: map[string]string{vol: "/var/lib/odoo"},
	})
	require.NoError(t, err)
	code, err := reader.Wait(ctx)
	require.NoError(t, err)
	require.Equal(t, 0, code)
	var out strings.Builder
	require.NoError(t, reader.Logs(ctx, &out))
	assert.Equal(t, "attachment bytes", out.String())

	t.Run("entries leaving the folder are refused", func(t *testing.T) {
		err := rt.CopyToVolume(ctx, vol, "filestore/prod", tarOf(t, map[string]string{"../../escape": "x"}))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "leaves its folder")
	})
}

func TestRunIDValidation(t *testing.T) {
	_, err := container.New(context.Background(), container.WithRunID("Bad ID!"))
	require.Error(t, err)
	assert.Equal(t, exit.CannotRun, exit.Code(err))
	var e *exit.Error
	assert.True(t, errors.As(err, &e))
}
