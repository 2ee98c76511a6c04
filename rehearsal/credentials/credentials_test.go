package credentials

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/odoo-rehearse/rehearse/rehearsal/container"
	"github.com/odoo-rehearse/rehearse/rehearsal/container/containertest"
)

// freshDB creates an empty database on pg and connects to it.
func freshDB(t *testing.T, pg *container.Postgres, name string) *pgx.Conn {
	t.Helper()
	admin, err := pg.Connect(t.Context(), "postgres")
	require.NoError(t, err)
	defer admin.Close(t.Context())
	_, err = admin.Exec(t.Context(), "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	require.NoError(t, err)
	conn, err := pg.Connect(t.Context(), name)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(t.Context()) })
	return conn
}

func loadSchema(t *testing.T, conn *pgx.Conn) {
	t.Helper()
	ddl, err := os.ReadFile("testdata/schema.sql")
	require.NoError(t, err)
	_, err = conn.Exec(t.Context(), string(ddl))
	require.NoError(t, err)
}

type user struct {
	login    string
	active   bool
	password *string
	totp     *string
}

func users(t *testing.T, conn *pgx.Conn) map[int]user {
	t.Helper()
	rows, err := conn.Query(t.Context(), "SELECT id, login, active, password, totp_secret FROM res_users")
	require.NoError(t, err)
	out := map[int]user{}
	for rows.Next() {
		var id int
		var u user
		require.NoError(t, rows.Scan(&id, &u.login, &u.active, &u.password, &u.totp))
		out[id] = u
	}
	require.NoError(t, rows.Err())
	return out
}

func TestReset(t *testing.T) {
	pg := containertest.Postgres(t)

	t.Run("renamed, inactive admin with 2FA gets a working password", func(t *testing.T) {
		conn := freshDB(t, pg, "renamed_admin")
		loadSchema(t, conn)
		before := users(t, conn)

		admin, err := Reset(t.Context(), conn)
		require.NoError(t, err)
		assert.Equal(t, int64(2), admin.UserID)
		assert.Equal(t, "it-ops@example.com", admin.Login, "the login as it is in the copy")
		assert.Len(t, admin.Password.Reveal(), 32)

		after := users(t, conn)
		got := after[2]
		assert.True(t, got.active)
		assert.Nil(t, got.totp, "2FA would refuse password logins over XML-RPC")
		require.NotNil(t, got.password)
		assert.True(t, strings.HasPrefix(*got.password, "$pbkdf2-sha512$1000$"), *got.password)
		ok, err := Verify(*got.password, admin.Password.Reveal())
		require.NoError(t, err)
		assert.True(t, ok)

		for id, u := range before {
			if id != 2 {
				assert.Equal(t, u, after[id], "user %d must not change", id)
			}
		}
	})

	t.Run("each reset draws a new password and salt", func(t *testing.T) {
		conn := freshDB(t, pg, "twice")
		loadSchema(t, conn)
		first, err := Reset(t.Context(), conn, WithRounds(1))
		require.NoError(t, err)
		h1 := *users(t, conn)[2].password
		second, err := Reset(t.Context(), conn, WithRounds(1))
		require.NoError(t, err)
		h2 := *users(t, conn)[2].password
		assert.NotEqual(t, first.Password.Reveal(), second.Password.Reveal())
		assert.NotEqual(t, strings.Split(h1, "$")[3], strings.Split(h2, "$")[3])
		ok, err := Verify(h2, first.Password.Reveal())
		require.NoError(t, err)
		assert.False(t, ok, "the first password no longer works")
	})

	t.Run("no base.user_admin", func(t *testing.T) {
		conn := freshDB(t, pg, "no_admin_xmlid")
		loadSchema(t, conn)
		_, err := conn.Exec(t.Context(), "DELETE FROM ir_model_data WHERE module = 'base' AND name = 'user_admin'")
		require.NoError(t, err)
		before := users(t, conn)
		_, err = Reset(t.Context(), conn)
		assert.ErrorIs(t, err, ErrNoAdmin)
		assert.ErrorContains(t, err, "user_admin")
		assert.Equal(t, before, users(t, conn), "nothing changed")
	})

	t.Run("without 2FA column (auth_totp never installed)", func(t *testing.T) {
		conn := freshDB(t, pg, "no_totp")
		loadSchema(t, conn)
		_, err := conn.Exec(t.Context(), "ALTER TABLE res_users DROP COLUMN totp_secret")
		require.NoError(t, err)
		admin, err := Reset(t.Context(), conn)
		require.NoError(t, err)
		assert.Equal(t, "it-ops@example.com", admin.Login)
	})

	t.Run("not an Odoo database", func(t *testing.T) {
		conn := freshDB(t, pg, "not_odoo")
		_, err := Reset(t.Context(), conn)
		assert.ErrorContains(t, err, "no password column")
	})
}

func TestPasswordNeverPrints(t *testing.T) {
	const secret = "s3cr3t-Value_that-must-not-leak"
	admin := Admin{UserID: 2, Login: "admin", Password: NewPassword(secret)}

	var outputs []string
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s"} {
		outputs = append(outputs, fmt.Sprintf(format, admin), fmt.Sprintf(format, admin.Password))
	}
	outputs = append(outputs, fmt.Sprint(admin), fmt.Sprintln(admin.Password), admin.Password.String())

	js, err := json.Marshal(admin)
	require.NoError(t, err)
	outputs = append(outputs, string(js))

	var logged bytes.Buffer
	for _, h := range []slog.Handler{slog.NewJSONHandler(&logged, nil), slog.NewTextHandler(&logged, nil)} {
		slog.New(h).Info("admin reset", "admin", admin, "password", admin.Password)
	}
	outputs = append(outputs, logged.String())

	for _, out := range outputs {
		assert.NotContains(t, out, secret)
		assert.NotContains(t, out, fmt.Sprintf("%x", secret))
	}
	assert.Contains(t, string(js), `"Password":"[redacted]"`)
	assert.Contains(t, logged.String(), "[redacted]")
	assert.Equal(t, secret, admin.Password.Reveal())
}
