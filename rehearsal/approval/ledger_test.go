package approval_test

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/odoo-rehearse/rehearse/rehearsal/approval"
	"github.com/odoo-rehearse/rehearse/rehearsal/container/containertest"
	"github.com/odoo-rehearse/rehearse/rehearsal/report/reporttest"
)

// The team ledger against a real PostgreSQL: many writers at once (each
// racing to create the table on first use), nothing lost, nothing
// rewritable afterwards, and verify reads it like any store.
func TestLedgerAgainstPostgres(t *testing.T) {
	pg := containertest.Postgres(t)
	dsn := pg.ConnString("postgres")
	pub, priv := newKey(t)

	const writers, each = 8, 5
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			l, err := approval.OpenLedger(t.Context(), dsn)
			if err != nil {
				errs <- err
				return
			}
			defer l.Close()
			for i := range each {
				r := reporttest.Passing()
				r.RunID = fmt.Sprintf("run-%d-%d", w, i)
				a, err := approval.Issue(r, priv, now.Add(-time.Duration(w*each+i)*time.Minute))
				if err == nil {
					err = l.Put(t.Context(), a)
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	l, err := approval.OpenLedger(t.Context(), dsn)
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	all, err := l.All(t.Context())
	require.NoError(t, err)
	require.Len(t, all, writers*each, "every concurrent write was kept")
	runs := map[string]bool{}
	for _, st := range all {
		require.NoError(t, st.Err)
		p, err := st.Approval.Open([]ed25519.PublicKey{pub})
		require.NoError(t, err, st.Source)
		runs[p.RunID] = true
	}
	assert.Len(t, runs, writers*each)

	t.Run("append-only", func(t *testing.T) {
		conn, err := pg.Connect(t.Context(), "postgres")
		require.NoError(t, err)
		t.Cleanup(func() { conn.Close(t.Context()) })
		for _, stmt := range []string{
			`UPDATE rehearse_approvals SET target_image_id = 'sha256:x' WHERE seq = 1`,
			`UPDATE rehearse_approvals SET approval = replace(approval, 'approved', 'rejected')`,
			`DELETE FROM rehearse_approvals WHERE seq = 1`,
			`DELETE FROM rehearse_approvals`,
			`TRUNCATE rehearse_approvals`,
		} {
			_, err := conn.Exec(t.Context(), stmt)
			require.Error(t, err, stmt)
			assert.True(t, approval.IsAppendOnlyRefusal(err), "%s: %v", stmt, err)
			assert.Contains(t, err.Error(), "append-only")
		}
		var n int
		require.NoError(t, conn.QueryRow(t.Context(), `SELECT count(*) FROM rehearse_approvals`).Scan(&n))
		assert.Equal(t, writers*each, n)
	})

	t.Run("verify reads the ledger", func(t *testing.T) {
		pol := approval.Policy{TargetImageID: reporttest.TargetImageID, MaxAge: 7 * 24 * time.Hour, Now: now}
		d, err := approval.Verify(t.Context(), l, []ed25519.PublicKey{pub}, pol)
		require.NoError(t, err)
		require.True(t, d.Approved, d.Explain(pol))
		assert.Equal(t, "run-0-0", d.Match.RunID, "the newest approval")
		assert.Contains(t, d.Source, "rehearse_approvals seq")
		assert.NotContains(t, d.Source, pg.Password())
	})

	t.Run("a forged row appended is refused", func(t *testing.T) {
		other := newLedgerWithOnlyForgery(t, pg.ConnString("postgres"), priv)
		pol := approval.Policy{TargetImageID: "sha256:" + strings.Repeat("f", 64), MaxAge: 7 * 24 * time.Hour, Now: now}
		d, err := approval.Verify(t.Context(), other, []ed25519.PublicKey{pub}, pol)
		require.NoError(t, err)
		assert.False(t, d.Approved)
		assert.Contains(t, d.Explain(pol), "altered after signing")
	})

	t.Run("no password in errors", func(t *testing.T) {
		u, err := url.Parse(dsn)
		require.NoError(t, err)
		u.User = url.UserPassword(pg.User(), "wrong-Secret-4711")
		_, err = approval.OpenLedger(t.Context(), u.String())
		require.Error(t, err)
		assert.NotContains(t, err.Error(), "wrong-Secret-4711")
		assert.NotContains(t, err.Error(), pg.Password())
		assert.Contains(t, err.Error(), "xxxxx")
	})
}

// newLedgerWithOnlyForgery appends an approval whose target image was
// edited after signing; the ledger accepts rows, verify must not.
func newLedgerWithOnlyForgery(t *testing.T, dsn string, priv ed25519.PrivateKey) approval.Store {
	t.Helper()
	l, err := approval.OpenLedger(t.Context(), dsn)
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	a, err := approval.Issue(reporttest.Passing(), priv, now)
	require.NoError(t, err)
	var p map[string]any
	require.NoError(t, json.Unmarshal(a.Payload, &p))
	p["target_image"].(map[string]any)["id"] = "sha256:" + strings.Repeat("f", 64)
	a.Payload, err = json.Marshal(p)
	require.NoError(t, err)
	require.NoError(t, l.Put(t.Context(), a))
	return l
}
