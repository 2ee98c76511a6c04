package approval

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Ledger is a team's approval store in PostgreSQL: one append-only table,
// created on first use. Rows can be added and read; a trigger refuses
// UPDATE, DELETE and TRUNCATE for every role, so a recorded approval
// cannot be rewritten through rehearse or by a slip at the psql prompt.
// (A team that wants more grants its rehearse role INSERT and SELECT only;
// triggers are the floor, not the ceiling.)
type Ledger struct {
	conn  *pgx.Conn
	where string // the URL without its password, for messages
}

// LedgerTable is the table the ledger lives in.
const LedgerTable = "rehearse_approvals"

// ledgerLock serialises the first-use DDL between concurrent writers:
// CREATE TABLE IF NOT EXISTS alone can still fail with a unique violation
// in pg_type when two sessions race.
const ledgerLock = 0x72656865 // "rehe"

const ledgerDDL = `
CREATE TABLE ` + LedgerTable + ` (
	seq             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	recorded_at     timestamptz NOT NULL DEFAULT now(),
	key_id          text NOT NULL,
	run_id          text NOT NULL,
	target_image_id text NOT NULL,
	backup_sha256   text NOT NULL,
	issued_at       timestamptz NOT NULL,
	approval        text NOT NULL
);
CREATE INDEX ` + LedgerTable + `_target ON ` + LedgerTable + ` (target_image_id, issued_at DESC);
CREATE FUNCTION ` + LedgerTable + `_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION '` + LedgerTable + ` is append-only: % refused', TG_OP
		USING ERRCODE = 'insufficient_privilege',
		      HINT = 'approvals are evidence; record a new one instead of changing an old one';
END
$$;
CREATE TRIGGER ` + LedgerTable + `_no_update_delete BEFORE UPDATE OR DELETE ON ` + LedgerTable + `
	FOR EACH ROW EXECUTE FUNCTION ` + LedgerTable + `_append_only();
CREATE TRIGGER ` + LedgerTable + `_no_truncate BEFORE TRUNCATE ON ` + LedgerTable + `
	FOR EACH STATEMENT EXECUTE FUNCTION ` + LedgerTable + `_append_only();
`

// OpenLedger connects to the ledger and creates its table on first use.
func OpenLedger(ctx context.Context, connString string) (*Ledger, error) {
	where := redact(connString)
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		return nil, fmt.Errorf("approval ledger %s: %v", where, scrub(err, connString))
	}
	l := &Ledger{conn: conn, where: where}
	if err := l.ensureTable(ctx); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	return l, nil
}

func (l *Ledger) ensureTable(ctx context.Context) error {
	var exists bool
	if err := l.conn.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, LedgerTable).Scan(&exists); err != nil {
		return fmt.Errorf("approval ledger %s: %v", l.where, err)
	}
	if exists {
		return nil
	}
	return pgx.BeginFunc(ctx, l.conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(ledgerLock)); err != nil {
			return fmt.Errorf("approval ledger %s: %v", l.where, err)
		}
		// Another writer may have created it while we waited for the lock.
		// Ask pg_class with a fresh snapshot: to_regclass goes through the
		// session's catalog cache, which an advisory lock does not refresh,
		// so it can still say "missing" here (the concurrency test caught
		// exactly that).
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class
			WHERE relname = $1 AND relnamespace = current_schema()::regnamespace)`, LedgerTable).Scan(&exists); err != nil || exists {
			return err
		}
		if _, err := tx.Exec(ctx, ledgerDDL); err != nil {
			return fmt.Errorf("approval ledger %s: creating table %s: %v", l.where, LedgerTable, err)
		}
		return nil
	})
}

// Put appends the approval. The identity columns are copied from the
// payload for lookups by people with psql; verify trusts only the signed
// approval text.
func (l *Ledger) Put(ctx context.Context, a *Approval) error {
	p, err := unverifiedPayload(a)
	if err != nil {
		return err
	}
	data, err := a.Marshal()
	if err != nil {
		return err
	}
	_, err = l.conn.Exec(ctx, `INSERT INTO `+LedgerTable+`
		(key_id, run_id, target_image_id, backup_sha256, issued_at, approval)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		a.KeyID, p.RunID, p.TargetImage.ID, p.Backup.SHA256, p.IssuedAt, string(data))
	if err != nil {
		return fmt.Errorf("approval ledger %s: recording approval of run %s: %v", l.where, p.RunID, err)
	}
	return nil
}

// All reads every row, oldest first.
func (l *Ledger) All(ctx context.Context) ([]Stored, error) {
	return l.query(ctx, `SELECT seq, approval FROM `+LedgerTable+` ORDER BY seq`)
}

// ForImage reads the rows recorded for one target image, through the
// index: the ledger only grows, and the gate must stay quick after years of
// rehearsals. Skipping rows whose copied column names another image loses
// nothing: Put copies it from the payload, so only a row forged by hand
// could disagree with its own payload, and such a row cannot approve
// this image anyway (its signature is checked on what it says).
func (l *Ledger) ForImage(ctx context.Context, imageID string) ([]Stored, error) {
	return l.query(ctx, `SELECT seq, approval FROM `+LedgerTable+` WHERE target_image_id = $1 ORDER BY seq`, imageID)
}

func (l *Ledger) query(ctx context.Context, sql string, args ...any) ([]Stored, error) {
	rows, err := l.conn.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("approval ledger %s: %v", l.where, err)
	}
	var out []Stored
	for rows.Next() {
		var seq int64
		var text string
		if err := rows.Scan(&seq, &text); err != nil {
			return nil, fmt.Errorf("approval ledger %s: %v", l.where, err)
		}
		st := Stored{Source: l.where + " " + LedgerTable + " seq " + strconv.FormatInt(seq, 10)}
		st.Approval, st.Err = Parse([]byte(text))
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("approval ledger %s: %v", l.where, err)
	}
	return out, nil
}

// Close ends the connection.
func (l *Ledger) Close() error { return l.conn.Close(context.Background()) }

// IsAppendOnlyRefusal reports whether err is the ledger refusing to change
// a recorded approval.
func IsAppendOnlyRefusal(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "42501"
}

// unverifiedPayload reads the payload without checking the signature, for
// indexing only.
func unverifiedPayload(a *Approval) (*Payload, error) {
	canon, err := canonical(a.Payload)
	if err != nil {
		return nil, fmt.Errorf("approval payload: %v", err)
	}
	var p Payload
	if err := decodeStrict(canon, &p); err != nil {
		return nil, fmt.Errorf("approval payload: %v", err)
	}
	return &p, nil
}

// redact removes the password from a connection URL: it must never reach
// a log, a report or an error message.
func redact(connString string) string {
	u, err := url.Parse(connString)
	if err != nil {
		return "postgres://(unparseable URL)"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// scrub removes a password that a driver error might quote.
func scrub(err error, connString string) string {
	msg := err.Error()
	if u, perr := url.Parse(connString); perr == nil && u.User != nil {
		if pw, has := u.User.Password(); has && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
	}
	return msg
}
