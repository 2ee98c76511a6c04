//go:build torture

package scenarios

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/odoo-rehearse/rehearse/fixtures/standin/odoodb"
	"github.com/odoo-rehearse/rehearse/rehearsal/container"
	"github.com/odoo-rehearse/rehearse/rehearsal/container/containertest"
	"github.com/odoo-rehearse/rehearse/rehearsal/odoo"
)

// TestAgainstStandin rehearses a 16.0 → 17.0 upgrade on the Odoo stand-in
// with real PostgreSQL, runs the built-in pack and the examples, and checks
// that they pass on a clean upgrade and fail on each injected fault.
// About 2 minutes per image on a loaded 2-core machine: behind -tags
// torture (make torture).
func TestAgainstStandin(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no containers")
	}
	set, err := Load(t.Context(), []string{"examples"}, WithBuiltin(true))
	require.NoError(t, err)
	for _, tc := range []struct {
		target   string
		mustFail []string // scenarios that must fail; every other one must pass or skip
	}{
		{"rehearse/odoo-standin:17.0", nil},
		{"rehearse/odoo-standin:17.0-broken-view", []string{"builtin/views"}},
		{"rehearse/odoo-standin:17.0-data-loss", []string{"builtin/records", "partners across the upgrade"}},
		{"rehearse/odoo-standin:17.0-stuck-module", []string{"builtin/modules"}},
	} {
		t.Run(tc.target, func(t *testing.T) {
			before, after := rehearse(t, set, tc.target)
			require.True(t, before.Passed(), "before the upgrade everything passes:\n%s", summary(&before.Results))
			for _, s := range after.Scenarios {
				want := Pass
				for _, f := range tc.mustFail {
					if f == s.Name {
						want = Fail
					}
				}
				if want == Pass && s.Status == Skip {
					continue
				}
				assert.Equal(t, want, s.Status, "%s:\n%s", s.Name, summary(after))
			}
		})
	}
}

func summary(r *Results) string {
	out := ""
	for _, s := range r.Scenarios {
		out += fmt.Sprintf("  %s: %s %s\n", s.Name, s.Status, s.Reason)
		for _, st := range s.Steps {
			if st.Status != Pass {
				out += fmt.Sprintf("    line %d %s: %s: %s (expected %s, got %s)\n", st.Line, st.Name, st.Status, st.Message, st.Expected, st.Got)
			}
		}
	}
	return out
}

const adminPassword = "rehearsal-admin-pw"

func rehearse(t *testing.T, set *Set, target string) (*Baseline, *Results) {
	ctx := t.Context()
	rt := containertest.Runtime(t)
	pg := containertest.PostgresOn(t, rt)
	conn, err := pg.Connect(ctx, "postgres")
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `CREATE DATABASE rh`)
	require.NoError(t, err)
	require.NoError(t, conn.Close(ctx))
	db, err := pg.Connect(ctx, "rh")
	require.NoError(t, err)
	require.NoError(t, odoodb.Install(ctx, db, odoodb.InstallOptions{Series: "16.0", Modules: []string{"sale", "product", "contacts"},
		AdminPassword: adminPassword, PasswordRounds: 1}))
	for _, m := range odoodb.Neutralization {
		for _, stmt := range m.Statements {
			_, err := db.Exec(ctx, stmt)
			require.NoError(t, err, stmt)
		}
	}
	require.NoError(t, db.Close(ctx))

	env := func(c *container.Container) Env {
		client, err := odoo.New("http://" + c.Endpoint())
		require.NoError(t, err)
		waitReady(t, client)
		return Env{Odoo: client, DB: "rh", AdminLogin: "admin", AdminPassword: adminPassword, TargetVersion: "17.0",
			SQL: func(ctx context.Context) (SQLConn, error) { return pg.Connect(ctx, "rh") }}
	}
	pgEnv := map[string]string{"HOST": pg.Host(), "PORT": "5432", "USER": pg.User(), "PASSWORD": pg.Password()}

	src, err := rt.Start(ctx, container.Spec{Kind: "odoo-baseline", Image: "rehearse/odoo-standin:16.0", Cmd: []string{"odoo", "-d", "rh"}, Env: pgEnv, Alias: "odoo", Port: 8069})
	require.NoError(t, err)
	before, err := set.RunBefore(ctx, env(src))
	require.NoError(t, err)
	require.NoError(t, src.Stop(ctx, 10*time.Second))

	up, err := rt.Start(ctx, container.Spec{Kind: "odoo-upgrade", Image: target, Cmd: []string{"odoo", "-d", "rh", "-u", "all", "--stop-after-init"}, Env: pgEnv})
	require.NoError(t, err)
	code, err := up.Wait(ctx)
	require.NoError(t, err)
	t.Logf("%s: upgrade exited %d", target, code)

	dst, err := rt.Start(ctx, container.Spec{Kind: "odoo-serve", Image: target, Cmd: []string{"odoo", "-d", "rh"}, Env: pgEnv, Alias: "odoo", Port: 8069})
	require.NoError(t, err)
	after, err := set.RunAfter(ctx, env(dst), before)
	require.NoError(t, err)
	return before, after
}

func waitReady(t *testing.T, c *odoo.Client) {
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, err := c.Version(t.Context())
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("odoo at %s never answered: %v", c.URL(), err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
