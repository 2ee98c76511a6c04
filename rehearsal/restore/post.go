package restore

import (
	"context"
	"sort"
	"sync"

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
		u := &unit{items: []*plaindump.Item{p.item}, shared: []string{p.table}, global: p.table == "", cost: l.tableBytes[p.table] + 1}
		if c := constraints[p.table]; c != nil {
			u.after = []*unit{c}
		}
		phase1 = append(phase1, u)
	}
	for _, phase := range [][]*unit{phase1, attaches, fks, rest} {
		if err := l.schedule(ctx, phase); err != nil {
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
	take := func() *unit {
		for i, u := range units {
			if u != nil && ready(u) {
				units[i] = nil
				for _, t := range u.excl {
					excl[t] = true
				}
				for _, t := range u.shared {
					shared[t]++
				}
				running++
				global = global || u.global
				return u
			}
		}
		return nil
	}
	var wg sync.WaitGroup
	for _, w := range l.workers {
		wg.Go(func() {
			mu.Lock()
			defer mu.Unlock()
			for {
				var u *unit
				for left > 0 && failed == nil && ctx.Err() == nil {
					if u = take(); u != nil {
						break
					}
					cond.Wait()
				}
				if u == nil {
					cond.Broadcast()
					return
				}
				mu.Unlock()
				err := l.catchUp(ctx, w)
				if err == nil {
					err = l.execBatch(ctx, w.conn, u.items)
				}
				mu.Lock()
				for _, t := range u.excl {
					delete(excl, t)
				}
				for _, t := range u.shared {
					shared[t]--
				}
				running--
				if u.global {
					global = false
				}
				u.done = true
				left--
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
