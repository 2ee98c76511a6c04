package neutralize

import (
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/odoo-rehearse/rehearse/fixtures/standin/odoodb"
	"github.com/odoo-rehearse/rehearse/rehearsal/container"
)

// testStandinDatabases neutralizes the databases the Odoo stand-in creates
// for 16.0 and 17.0: the demo and the pipeline tests run on those, so the
// two must agree. It runs inside TestNeutralize to share its server.
func testStandinDatabases(t *testing.T, pg *container.Postgres) {
	for _, series := range []string{"16.0", "17.0"} {
		t.Run(series, func(t *testing.T) {
			ctx := t.Context()
			name := "standin_" + series[:2]
			admin, err := pg.Connect(ctx, "postgres")
			require.NoError(t, err)
			_, err = admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
			admin.Close(ctx)
			require.NoError(t, err)
			conn, err := pg.Connect(ctx, name)
			require.NoError(t, err)
			defer conn.Close(ctx)
			require.NoError(t, odoodb.Install(ctx, conn, odoodb.InstallOptions{
				Series: series, Modules: []string{"sale_management"}, WithoutDemo: true, PasswordRounds: 1,
			}))

			before, err := Verify(ctx, conn)
			require.NoError(t, err)
			require.False(t, before.OK(), "precondition: the stand-in database is production-like")

			res, err := Run(ctx, conn)
			require.NoError(t, err)
			assert.Equal(t, int(series[1]-'0')+10, res.Version)
			assert.Subset(t, res.Modules, []string{"base", "web", "mail", "payment"})

			after, err := Verify(ctx, conn)
			require.NoError(t, err)
			assert.True(t, after.OK(), "%v", after.Err())
		})
	}
}
