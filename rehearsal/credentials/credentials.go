// Package credentials gives the runner its own way into the rehearsal copy
// without any production credential: it writes a fresh random password for
// the admin user straight into res_users, hashed the way Odoo (passlib)
// stores it, before Odoo first starts.
package credentials

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// DefaultRounds is the PBKDF2 round count of the rehearsal password.
// Rounds slow down guessing a weak password from its hash; this password
// is 192 random bits that no one can guess, and the copy is destroyed after
// the run, so rounds buy nothing. They do cost: Odoo verifies the password
// on every XML-RPC call it has not cached, and the 600000 rounds of Odoo 16
// took 0.84 s per authenticate on the sample (FACTS.md). 1000 rounds keep
// that near a millisecond while staying a normal passlib hash.
const DefaultRounds = 1000

// ErrNoAdmin means no res.users record has the XML id base.user_admin.
var ErrNoAdmin = errors.New("no user has XML id base.user_admin")

// DB is what Reset needs of a connection; *pgx.Conn and pgx.Tx have it.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Password is a secret that does not print: every fmt verb, slog and JSON
// show "[redacted]". Reveal is the one way to the text, for the XML-RPC
// client.
type Password struct{ secret string }

const redacted = "[redacted]"

// NewPassword wraps a secret.
func NewPassword(secret string) Password { return Password{secret} }

// Reveal returns the secret, for the code that must send it.
func (p Password) Reveal() string { return p.secret }

// String redacts.
func (p Password) String() string { return redacted }

// GoString redacts (%#v).
func (p Password) GoString() string { return "credentials.Password{" + redacted + "}" }

// Format redacts under every verb, %x and %q included.
func (p Password) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, p.GoString())
		return
	}
	_, _ = io.WriteString(f, redacted)
}

// LogValue redacts in slog.
func (p Password) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText redacts in JSON, YAML and reports.
func (p Password) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// Admin is how the runner logs into the copy.
type Admin struct {
	UserID   int64
	Login    string // as in the copy: production may have renamed "admin"
	Password Password
}

type config struct {
	rounds int
	random io.Reader
}

// Option configures Reset.
type Option func(*config)

// WithRounds sets the PBKDF2 round count (at least 1).
func WithRounds(n int) Option { return func(c *config) { c.rounds = n } }

// WithRandom sets the source of the password and salt (crypto/rand by
// default).
func WithRandom(r io.Reader) Option { return func(c *config) { c.random = r } }

// Reset gives the admin user of the copy a new random password and makes
// sure it can log in over XML-RPC: active, and without the TOTP second
// factor (with 2FA on, Odoo refuses password logins over RPC). It returns
// the login and the password. The admin is the user with XML id
// base.user_admin, whatever its login is now.
func Reset(ctx context.Context, db DB, opts ...Option) (Admin, error) {
	cfg := config{rounds: DefaultRounds, random: rand.Reader}
	for _, o := range opts {
		o(&cfg)
	}
	buf := make([]byte, 24+saltSize)
	if _, err := io.ReadFull(cfg.random, buf); err != nil {
		return Admin{}, fmt.Errorf("rehearsal password: %w", err)
	}
	secret := base64.RawURLEncoding.EncodeToString(buf[:24])
	hash, err := Hash(secret, cfg.rounds, buf[24:])
	if err != nil {
		return Admin{}, err
	}

	var hasPassword, hasTOTP bool
	err = db.QueryRow(ctx, `
		SELECT coalesce(bool_or(column_name = 'password'), false),
		       coalesce(bool_or(column_name = 'totp_secret'), false)
		  FROM information_schema.columns
		 WHERE table_schema = current_schema() AND table_name = 'res_users'`).Scan(&hasPassword, &hasTOTP)
	if err != nil {
		return Admin{}, fmt.Errorf("read the columns of res_users: %w", err)
	}
	if !hasPassword {
		return Admin{}, errors.New("res_users has no password column: the copy is not an Odoo 12+ database (older ones keep password_crypt)")
	}

	// One statement: the admin is found and changed atomically, and a
	// database without the XML id changes nothing.
	set := "password = $1, active = true"
	if hasTOTP {
		set += ", totp_secret = NULL"
	}
	admin := Admin{Password: NewPassword(secret)}
	err = db.QueryRow(ctx, `
		UPDATE res_users u SET `+set+`
		  FROM ir_model_data d
		 WHERE d.module = 'base' AND d.name = 'user_admin' AND d.model = 'res.users'
		   AND u.id = d.res_id
		RETURNING u.id, u.login`, hash).Scan(&admin.UserID, &admin.Login)
	if errors.Is(err, pgx.ErrNoRows) {
		return Admin{}, fmt.Errorf("%w (ir_model_data module 'base', name 'user_admin'): the copy is not an Odoo database, or its admin user was deleted", ErrNoAdmin)
	}
	if err != nil {
		// The error text is PostgreSQL's: it never holds the parameters.
		return Admin{}, fmt.Errorf("set the admin password: %w", err)
	}
	return admin, nil
}
