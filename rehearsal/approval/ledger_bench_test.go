package approval_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/odoo-rehearse/rehearse/rehearsal/approval"
	"github.com/odoo-rehearse/rehearse/rehearsal/container/containertest"
	"github.com/odoo-rehearse/rehearse/rehearsal/report/reporttest"
)

// scanOnly hides the ledger's index: the obvious way, reading every row.
type scanOnly struct{ approval.Store }

// The production gate against a ledger of a few years of rehearsals
// (20 000 approvals of 2 000 images): verify through the target-image index
// against reading and checking every row. Prints the ratio.
//
//	go test -run '^$' -bench LedgerVerify ./rehearsal/approval/
func BenchmarkLedgerVerify(b *testing.B) {
	const rows, images = 20000, 2000
	pg := containertest.Postgres(b)
	dsn := pg.ConnString("postgres")
	pub, priv, err := ed25519.GenerateKey(nil)
	require.NoError(b, err)

	l, err := approval.OpenLedger(b.Context(), dsn)
	require.NoError(b, err)
	b.Cleanup(func() { l.Close() })
	conn, err := pg.Connect(b.Context(), "postgres")
	require.NoError(b, err)
	b.Cleanup(func() { conn.Close(context.Background()) })

	issued := time.Now().Add(-time.Hour)
	var copyRows [][]any
	for i := range rows {
		r := reporttest.Passing()
		r.RunID = fmt.Sprintf("run-%05d", i)
		r.TargetImage.ID = fmt.Sprintf("sha256:%064x", i%images)
		a, err := approval.Issue(r, priv, issued)
		require.NoError(b, err)
		data, err := a.Marshal()
		require.NoError(b, err)
		copyRows = append(copyRows, []any{a.KeyID, r.RunID, r.TargetImage.ID, r.Backup.SHA256, issued, string(data)})
	}
	_, err = conn.CopyFrom(b.Context(), pgx.Identifier{approval.LedgerTable},
		[]string{"key_id", "run_id", "target_image_id", "backup_sha256", "issued_at", "approval"}, pgx.CopyFromRows(copyRows))
	require.NoError(b, err)
	_, err = conn.Exec(b.Context(), "ANALYZE "+approval.LedgerTable)
	require.NoError(b, err)

	pol := approval.Policy{TargetImageID: fmt.Sprintf("sha256:%064x", 7), MaxAge: 7 * 24 * time.Hour, Now: time.Now()}
	require.True(b, strings.HasPrefix(pol.TargetImageID, "sha256:"))
	perOp := map[string]time.Duration{}
	for _, tc := range []struct {
		name  string
		store approval.Store
	}{
		{"indexed", l},
		{"scan-all", scanOnly{l}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				d, err := approval.Verify(b.Context(), tc.store, []ed25519.PublicKey{pub}, pol)
				if err != nil || !d.Approved {
					b.Fatalf("verify: %v %s", err, d.Explain(pol))
				}
			}
			perOp[tc.name] = b.Elapsed() / time.Duration(b.N)
		})
	}
	if perOp["indexed"] > 0 && perOp["scan-all"] > 0 {
		fmt.Printf("BenchmarkLedgerVerify: %d rows, indexed %s/op, scan-all %s/op: indexed is %.0fx faster\n",
			rows, perOp["indexed"], perOp["scan-all"], float64(perOp["scan-all"])/float64(perOp["indexed"]))
	}
}
