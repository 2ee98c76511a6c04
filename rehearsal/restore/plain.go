package restore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/odoo-rehearse/rehearse/rehearsal/backup"
	"github.com/odoo-rehearse/rehearse/rehearsal/backup/plaindump"
	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
)

// loader is one plain-dump restore.
type loader struct {
	o     *options
	res   *Result
	where string // "prod.zip: dump.sql", for messages

	control *pgx.Conn
	workers []*worker

	serverMajor int

	mu      sync.Mutex
	session []string // SET statements so far, replayed on every worker
	failed  error    // the first fatal error
	loaded  map[string]int64
	copyErr map[string]bool // tables whose COPY failed under an allow pattern

	tableBytes  map[string]int64
	partitioned map[string]bool // tables created with PARTITION BY
	post        []*post
}

type worker struct {
	conn    *pgx.Conn
	applied int // how many session statements it ran
}

type post struct {
	item  *plaindump.Item
	kind  postKind
	table string
	refs  []string
}

type chunk struct {
	table, copySQL string
	data           []byte
	firstLine      int
}

func loadPlain(ctx context.Context, pg Postgres, b *backup.Backup, db string, o *options, res *Result, timed func(string, func() error) error) error {
	l := &loader{o: o, res: res, where: b.Path, loaded: map[string]int64{}, copyErr: map[string]bool{}, tableBytes: map[string]int64{}, partitioned: map[string]bool{}}
	if b.Format == backup.FormatZip {
		l.where += ": " + b.DumpPath
	}
	var err error
	if l.control, err = pg.Connect(ctx, db); err != nil {
		return exit.Infra("restore: %v", err)
	}
	defer l.control.Close(context.WithoutCancel(ctx))
	l.serverMajor, _ = strconv.Atoi(strings.SplitN(l.control.PgConn().ParameterStatus("server_version"), ".", 2)[0])
	for range o.jobs {
		c, err := pg.Connect(ctx, db)
		if err != nil {
			return exit.Infra("restore: %v", err)
		}
		defer c.Close(context.WithoutCancel(ctx))
		l.workers = append(l.workers, &worker{conn: c})
	}
	dump, err := b.OpenDump()
	if err != nil {
		return err
	}
	defer dump.Close()

	if err := timed("schema and data", func() error { return l.load(ctx, dump) }); err != nil {
		return err
	}
	res.unverified = l.copyErr
	return timed("indexes and constraints", func() error { return l.postData(ctx) })
}

// load reads the dump once: schema statements run in order on the control
// connection (batched), COPY rows are cut into chunks that the workers
// load concurrently, post-data statements are kept for postData.
func (l *loader) load(ctx context.Context, dump io.Reader) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	s := plaindump.NewScanner(dump)
	chunks := make(chan chunk)
	free := make(chan []byte, 2*len(l.workers)+1)
	for range cap(free) {
		free <- make([]byte, 0, l.o.chunkBytes+64<<10)
	}
	var inflight, running sync.WaitGroup
	for _, w := range l.workers {
		running.Go(func() {
			for c := range chunks {
				if context.Cause(ctx) == nil {
					if err := l.copyChunk(ctx, w, c); err != nil {
						cancel(err)
					}
				}
				free <- c.data[:0]
				inflight.Done()
			}
		})
	}
	err := l.read(ctx, s, chunks, free, &inflight)
	close(chunks)
	running.Wait()
	if ferr := l.fatal(); ferr != nil {
		return ferr // the cause of a cancelled read
	}
	return err
}

func (l *loader) read(ctx context.Context, s *plaindump.Scanner, chunks chan<- chunk, free chan []byte, inflight *sync.WaitGroup) error {
	var pending []*plaindump.Item // schema statements not yet sent
	pendingBytes := 0
	flush := func() error {
		err := l.execBatch(ctx, l.control, pending)
		pending, pendingBytes = pending[:0], 0
		return err
	}
	dataStarted := false
	for {
		if err := context.Cause(ctx); err != nil {
			return err
		}
		it, err := s.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return exit.Input("restore: %s: %v", l.where, err)
		}
		switch it.Kind {
		case plaindump.Meta:
			if err := l.meta(it); err != nil {
				return err
			}
			continue
		case plaindump.Copy:
			if err := flush(); err != nil {
				return err
			}
			dataStarted = true
			if err := l.readCopy(ctx, s, it, chunks, free, inflight); err != nil {
				return err
			}
			continue
		}
		sql := it.SQL
		if hasPrefixFold(sql, "CREATE TABLE ") && containsFold(sql, " PARTITION BY ") {
			name, _ := readName(skipWords(sql, "CREATE", "TABLE"))
			l.partitioned[name] = true
		}
		switch {
		case hasPrefixFold(sql, "SET transaction_timeout") && l.serverMajor > 0 && l.serverMajor < 17:
			l.note("line %d: skipped %s (PostgreSQL %d does not know it; pg_dump 17+ writes it)", it.Line, sql, l.serverMajor)
			continue
		case hasPrefixFold(sql, "CREATE DATABASE "), hasPrefixFold(sql, "ALTER DATABASE "):
			l.note("line %d: skipped %q: rehearse creates the database itself", it.Line, shorten(sql, 80))
			continue
		case hasPrefixFold(sql, "SET "), hasPrefixFold(sql, "SELECT pg_catalog.set_config("):
			l.mu.Lock()
			l.session = append(l.session, sql)
			l.mu.Unlock()
		case dataStarted && hasPrefixFold(sql, "SELECT pg_catalog.setval("):
			// Sequences are independent of the data being loaded.
		case dataStarted:
			if kind, table, refs := classify(sql, it.Entry.Type); kind != notPost {
				l.post = append(l.post, &post{item: it, kind: kind, table: table, refs: refs})
				continue
			}
			// A statement between COPY blocks may create the next table
			// or change loaded rows: it waits for the data so far.
			if err := flush(); err != nil {
				return err
			}
			inflight.Wait()
			if err := l.fatal(); err != nil {
				return err
			}
		}
		pending = append(pending, it)
		pendingBytes += len(sql)
		if len(pending) >= 500 || pendingBytes >= 1<<20 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if !s.Complete && s.Started {
		return exit.Input("restore: %s: the dump was cut short (pg_dump's closing line is missing)", l.where)
	}
	return nil
}

// readCopy cuts a COPY block into chunks of about chunkBytes: several
// workers load the same big table at once, which pg_restore's
// table-per-job scheme cannot do.
func (l *loader) readCopy(ctx context.Context, s *plaindump.Scanner, it *plaindump.Item, chunks chan<- chunk, free chan []byte, inflight *sync.WaitGroup) error {
	copySQL := strings.TrimSuffix(it.SQL, ";")
	if name, rest := readName(it.Table); name != it.Table || rest != "" {
		return exit.Input("restore: %s line %d: %q is not a table name", l.where, it.Line, it.Table)
	}
	l.res.Rows[it.Table] += 0
	var buf []byte
	first := 0
	send := func() error {
		if len(buf) == 0 {
			return nil
		}
		inflight.Add(1)
		select {
		case chunks <- chunk{table: it.Table, copySQL: copySQL, data: buf, firstLine: first}:
			buf = nil
			return nil
		case <-ctx.Done():
			inflight.Done()
			return context.Cause(ctx)
		}
	}
	for {
		row, err := s.Row()
		if err == io.EOF {
			return send()
		}
		if err != nil {
			return exit.Input("restore: %s: %v", l.where, err)
		}
		if buf == nil {
			select {
			case buf = <-free:
			case <-ctx.Done():
				return context.Cause(ctx)
			}
			first = s.Line()
		}
		buf = append(buf, row...)
		l.res.Rows[it.Table]++
		l.tableBytes[it.Table] += int64(len(row))
		if len(buf) >= l.o.chunkBytes {
			if err := send(); err != nil {
				return err
			}
		}
	}
}

func (l *loader) copyChunk(ctx context.Context, w *worker, c chunk) error {
	if err := l.catchUp(ctx, w); err != nil {
		return err
	}
	tag, err := w.conn.PgConn().CopyFrom(ctx, bytes.NewReader(c.data), c.copySQL)
	if err != nil {
		e := sqlError(err, c.firstLine, c.copySQL)
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			// "COPY res_partner, line 3, column x: ..." counts from the chunk.
			if n, ok := copyLine(pe.Where); ok {
				e.Line = c.firstLine + n - 1
			}
		}
		if l.o.allowed(e) {
			l.allow(e)
			l.mu.Lock()
			l.copyErr[c.table] = true
			l.mu.Unlock()
			return nil
		}
		return l.fail(e)
	}
	l.mu.Lock()
	l.loaded[c.table] += tag.RowsAffected()
	l.mu.Unlock()
	return nil
}

// catchUp runs on w the session settings (search_path, encoding, ...) the
// dump set so far.
func (l *loader) catchUp(ctx context.Context, w *worker) error {
	l.mu.Lock()
	todo := l.session[w.applied:]
	l.mu.Unlock()
	if len(todo) == 0 {
		return nil
	}
	if _, err := w.conn.PgConn().Exec(ctx, strings.Join(todo, "\n")).ReadAll(); err != nil {
		return l.fail(sqlError(err, 0, strings.Join(todo, " ")))
	}
	w.applied += len(todo)
	return nil
}

// execBatch runs statements in one round trip. A batch is one implicit
// transaction, so when it fails nothing of it stayed: the statements are
// run again one by one to name the failing one and to let allowed
// errors pass.
func (l *loader) execBatch(ctx context.Context, conn *pgx.Conn, items []*plaindump.Item) error {
	if len(items) == 0 {
		return nil
	}
	if len(items) > 1 {
		var b strings.Builder
		for _, it := range items {
			b.WriteString(it.SQL)
			b.WriteByte('\n')
		}
		if _, err := conn.PgConn().Exec(ctx, b.String()).ReadAll(); err == nil {
			return nil
		} else if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	for _, it := range items {
		if _, err := conn.PgConn().Exec(ctx, it.SQL).ReadAll(); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			e := sqlError(err, it.Line, it.SQL)
			if !l.o.allowed(e) {
				return l.fail(e)
			}
			l.allow(e)
		}
	}
	return nil
}

func (l *loader) meta(it *plaindump.Item) error {
	cmd, _, _ := strings.Cut(it.SQL, " ")
	switch cmd {
	case `\restrict`, `\unrestrict`:
		// psql's guard against a malicious server injecting meta-commands
		// into the dump; our loader runs no meta-commands at all.
		return nil
	case `\connect`, `\c`:
		l.note("line %d: %s ignored: everything loads into the rehearsal's database", it.Line, cmd)
		return nil
	}
	e := SQLError{Line: it.Line, Statement: it.SQL, Message: "psql meta-command " + cmd + " is not supported by rehearse's loader"}
	if l.o.allowed(e) {
		l.allow(e)
		return nil
	}
	return l.fail(e)
}

func (l *loader) fail(e SQLError) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failed == nil {
		l.failed = exit.Input("restore: %s: %v\n(Odoo's own restore would have ignored this error silently; if it is expected, allow it with a pattern)", l.where, e)
	}
	return l.failed
}

func (l *loader) fatal() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failed
}

func (l *loader) allow(e SQLError) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.res.Allowed = append(l.res.Allowed, e)
}

func (l *loader) note(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.res.Notes = append(l.res.Notes, fmt.Sprintf(format, args...))
}

// sqlError describes a failed statement for the user.
func sqlError(err error, line int, stmt string) SQLError {
	e := SQLError{Line: line, Statement: shorten(stmt, 300), Message: err.Error()}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		msg := fmt.Sprintf("%s: %s (SQLSTATE %s)", pe.Severity, pe.Message, pe.Code)
		if pe.Detail != "" {
			msg += "; " + pe.Detail
		}
		if pe.Hint != "" {
			msg += "; hint: " + pe.Hint
		}
		e.Message = msg
	}
	return e
}

func copyLine(where string) (int, bool) {
	i := strings.Index(where, ", line ")
	if i < 0 {
		return 0, false
	}
	rest := where[i+len(", line "):]
	end := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(rest)
	}
	n, err := strconv.Atoi(rest[:end])
	return n, err == nil
}

func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// sortedTables lists tables by descending size, the order that keeps
// parallel workers busy to the end.
func sortedTables(bytes map[string]int64) []string {
	t := make([]string, 0, len(bytes))
	for k := range bytes {
		t = append(t, k)
	}
	sort.Slice(t, func(i, j int) bool {
		if bytes[t[i]] != bytes[t[j]] {
			return bytes[t[i]] > bytes[t[j]]
		}
		return t[i] < t[j]
	})
	return t
}
