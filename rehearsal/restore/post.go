package restore

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/odoo-rehearse/rehearse/rehearsal/backup/plaindump"
)

// unit is a group of post-data statements run together on one worker.
type unit struct {
	items  []*plaindump.Item
	excl   []string // tables locked exclusively (ALTER TABLE, FOREIGN KEY)
	shared []string // tables locked in share mode (CREATE INDEX)
	global bool     // runs alone
	cost   int64
	after  []*unit // units that must finish first
	done   bool
}

// Units of tables under smallUnit bytes are batched, up to maxBatch
// statements per round trip.
const (
	smallUnit = 1 << 20
	maxBatch  = 200
)

// readyBeside reports whether u can join a batch holding the locks in
// mine: locks the batch holds itself do not count against it.
func readyBeside(u *unit, mine map[string]bool, ready func(*unit) bool, excl map[string]bool, shared map[string]int) bool {
	for _, a := range u.after {
		if !a.done {
			return false
		}
	}
	for _, t := range u.excl {
		if excl[t] && !mine[t] || shared[t] > 0 && !mine[t] {
			return false
		}
	}
	for _, t := range u.shared {
		if excl[t] && !mine[t] {
			return false
		}
	}
	return true
}

func acquireMore(u *unit, excl map[string]bool, shared map[string]int) {
	for _, t := range u.excl {
		excl[t] = true
	}
	for _, t := range u.shared {
		shared[t]++
	}
}

// splitForeignKeys turns each foreign key into ADD ... NOT VALID (a catalog
// change, no scan) and returns the VALIDATE CONSTRAINT units that check the
// rows. Adding a foreign key locks the referenced table in a self-conflicting
// mode, and nearly every Odoo table references res_users: added whole, the
// keys and their scans run one at a time. VALIDATE locks the referenced
// table only in ROW SHARE mode, so the scans of different tables run in
// parallel. The end state is the same: every constraint validated.
func (l *loader) splitForeignKeys(fks []*unit) []*unit {
	var validates []*unit
	for _, u := range fks {
		// On a small table the scan is nothing and the extra statement
		// costs more than it saves.
		if u.global || l.tableBytes[u.excl[0]] < smallUnit {
			continue
		}
		v := &unit{excl: []string{u.excl[0]}, cost: u.cost, after: []*unit{u}}
		var rewritten []*plaindump.Item
		for _, it := range u.items {
			name := constraintName(it.SQL)
			// PostgreSQL refuses NOT VALID foreign keys on partitioned tables.
			if name == "" || containsFold(it.SQL, "NOT VALID") || !strings.HasSuffix(it.SQL, ";") || l.partitioned[u.excl[0]] {
				rewritten = append(rewritten, it)
				continue
			}
			nv := *it
			nv.SQL = strings.TrimSuffix(it.SQL, ";") + " NOT VALID;"
			rewritten = append(rewritten, &nv)
			val := *it
			val.SQL = "ALTER TABLE " + u.excl[0] + " VALIDATE CONSTRAINT " + name + ";"
			v.items = append(v.items, &val)
		}
		u.items = rewritten
		if len(v.items) > 0 {
			validates = append(validates, v)
		}
	}
	return validates
}

// constraintName reads the name after ADD CONSTRAINT.
func constraintName(sql string) string {
	i := indexFold(sql, " ADD CONSTRAINT ")
	if i < 0 {
		return ""
	}
	name, _ := readName(sql[i+len(" ADD CONSTRAINT "):])
	return name
}

// postData builds indexes and constraints in a safe order: primary keys,
// unique and check constraints and indexes first (largest tables first,
// several indexes of one table at once since CREATE INDEX locks are
// compatible, but never beside an ALTER TABLE on it), then partition
// index attachments, then foreign keys (which need the keys they
// reference; two that touch the same table never run together, so they
// neither wait on nor deadlock each other), then triggers, rules, comments
// and the rest in dump order.
func (l *loader) postData(ctx context.Context) error {
	var phase1, attaches, fks, rest []*unit
	constraints := map[string]*unit{}
	fkByTable := map[string]*unit{}
	var indexes []*post
	for _, p := range l.post {
		switch p.kind {
		case constraint:
			u := constraints[p.table]
			if u == nil || p.table == "" {
				u = &unit{excl: []string{p.table}, global: p.table == ""}
				constraints[p.table] = u
				phase1 = append(phase1, u)
			}
			u.items = append(u.items, p.item)
			u.cost += l.tableBytes[p.table] + 1
		case index:
			indexes = append(indexes, p)
		case attach:
			attaches = append(attaches, &unit{items: []*plaindump.Item{p.item}, global: true})
		case foreignKey:
			u := fkByTable[p.table]
			if u == nil || p.table == "" {
				u = &unit{excl: []string{p.table}, global: p.table == ""}
				fkByTable[p.table] = u
				fks = append(fks, u)
			}
			u.items = append(u.items, p.item)
			for _, r := range p.refs {
				if !contains(u.excl, r) {
					u.excl = append(u.excl, r)
				}
			}
			u.cost += l.tableBytes[p.table] + 1
		default:
			if len(rest) == 0 {
				rest = append(rest, &unit{global: true})
			}
			rest[0].items = append(rest[0].items, p.item)
		}
	}
	for _, p := range indexes {
		if c := constraints[p.table]; c != nil && l.tableBytes[p.table] < smallUnit {
			// A small table's indexes go with its keys: one round trip.
			c.items = append(c.items, p.item)
			continue
		}
		u := &unit{items: []*plaindump.Item{p.item}, shared: []string{p.table}, global: p.table == "", cost: l.tableBytes[p.table] + 1}
		if c := constraints[p.table]; c != nil {
			u.after = []*unit{c}
		}
		phase1 = append(phase1, u)
	}
	validates := l.splitForeignKeys(fks)
	for _, phase := range []struct {
		name  string
		units []*unit
	}{{"keys and indexes", phase1}, {"index attachments", attaches}, {"foreign keys", fks}, {"foreign key validation", validates}, {"triggers, rules, comments", rest}} {
		if len(phase.units) == 0 {
			continue
		}
		start := time.Now()
		err := l.schedule(ctx, phase.units)
		l.res.Phases = append(l.res.Phases, Phase{"post-data: " + phase.name, time.Since(start)})
		if err != nil {
			return err
		}
	}
	return nil
}

// schedule runs units on the workers, each as soon as its predecessors
// are done and its locks are free, costliest first.
func (l *loader) schedule(ctx context.Context, units []*unit) error {
	if len(units) == 0 {
		return nil
	}
	sort.SliceStable(units, func(i, j int) bool { return units[i].cost > units[j].cost })
	var (
		mu      sync.Mutex
		cond    = sync.NewCond(&mu)
		excl    = map[string]bool{}
		shared  = map[string]int{}
		running int
		global  bool
		left    = len(units)
		failed  error
	)
	ready := func(u *unit) bool {
		for _, a := range u.after {
			if !a.done {
				return false
			}
		}
		if global || u.global && running > 0 {
			return false
		}
		for _, t := range u.excl {
			if excl[t] || shared[t] > 0 {
				return false
			}
		}
		for _, t := range u.shared {
			if excl[t] {
				return false
			}
		}
		return true
	}
	acquire := func(u *unit) {
		acquireMore(u, excl, shared)
		running++
		global = global || u.global
	}
	// take returns the next ready unit and, when it is small, more small
	// units that fit beside it: a batch of them costs one round trip
	// instead of one each. Units of one batch run in order in one
	// session, so they may share locks with each other.
	take := func() []*unit {
		var batch []*unit
		statements := 0
		mine := map[string]bool{}
		for i, u := range units {
			if u == nil {
				continue
			}
			if len(batch) == 0 {
				if !ready(u) {
					continue
				}
			} else {
				if u.global || u.cost > smallUnit || !readyBeside(u, mine, ready, excl, shared) {
					continue
				}
			}
			units[i] = nil
			batch = append(batch, u)
			statements += len(u.items)
			for _, t := range u.excl {
				if !mine[t] {
					mine[t] = true
				}
			}
			for _, t := range u.shared {
				mine[t] = true
			}
			if len(batch) == 1 {
				acquire(u)
				if u.global || u.cost > smallUnit {
					break
				}
			} else {
				acquireMore(u, excl, shared)
			}
			if statements >= maxBatch {
				break
			}
		}
		return batch
	}
	var wg sync.WaitGroup
	for _, w := range l.workers {
		wg.Go(func() {
			mu.Lock()
			defer mu.Unlock()
			for {
				var batch []*unit
				for left > 0 && failed == nil && ctx.Err() == nil {
					if batch = take(); batch != nil {
						break
					}
					cond.Wait()
				}
				if batch == nil {
					cond.Broadcast()
					return
				}
				mu.Unlock()
				var items []*plaindump.Item
				for _, u := range batch {
					items = append(items, u.items...)
				}
				err := l.catchUp(ctx, w)
				if err == nil {
					err = l.execBatch(ctx, w.conn, items)
				}
				mu.Lock()
				for _, u := range batch {
					for _, t := range u.excl {
						delete(excl, t)
					}
					for _, t := range u.shared {
						shared[t]--
					}
					u.done = true
					left--
				}
				running--
				if batch[0].global {
					global = false
				}
				if err != nil && failed == nil {
					failed = err
				}
				cond.Broadcast()
			}
		})
	}
	// A cancelled context must wake the waiting workers.
	stop := context.AfterFunc(ctx, func() { mu.Lock(); cond.Broadcast(); mu.Unlock() })
	wg.Wait()
	stop()
	if failed != nil {
		return failed
	}
	return ctx.Err()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
