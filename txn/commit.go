package txn

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"github.com/ipdb-go/ipdb/watch"
	"golang.org/x/sys/unix"
)

// Plan validates the specs and diffs them against the database's current
// snapshot. Commit later checks that nothing the plan looked at changed
// since (ErrConflict).
func (t *Txn) Plan() (*Plan, error) {
	snap := t.db.Snapshot()
	if !snap.Synced() {
		return nil, ipdb.ErrNotSynced
	}
	p, err := t.PlanAgainst(snap)
	if err != nil {
		return nil, err
	}
	p.Revision = snap.Revision()
	t.plan = p
	return p, nil
}

// PlanAgainst validates the specs and diffs them against st. It sends
// nothing and does not arm conflict detection.
func (t *Txn) PlanAgainst(st State) (*Plan, error) {
	if err := t.specs.validate(); err != nil {
		return nil, err
	}
	pl, err := newPlanner(st, &t.specs, true)
	if err != nil {
		return nil, err
	}
	return pl.plan()
}

func (t *Txn) verifyTimeout(steps int) time.Duration {
	if t.cfg.VerifyTimeout > 0 {
		return t.cfg.VerifyTimeout
	}
	return 10*time.Second + time.Duration(steps)*50*time.Microsecond
}

// Commit validates the specs, plans them against the current snapshot
// (reporting ErrConflict if Plan was called and something it looked at
// changed since), applies the plan, and waits until the database shows the
// result. On any failure it rolls back and returns a *CommitError. An
// empty plan sends nothing.
func (t *Txn) Commit(ctx context.Context) error {
	_, err := t.commit(ctx)
	return err
}

// commit returns the pre-image it started from.
func (t *Txn) commit(ctx context.Context) (*ipdb.Snapshot, error) {
	if err := t.specs.validate(); err != nil {
		return nil, err
	}
	if err := t.db.WaitSynced(ctx); err != nil {
		return nil, err
	}
	pre := t.db.Snapshot()
	plan, err := t.PlanAgainst(pre)
	if err != nil {
		return nil, err
	}
	plan.Revision = pre.Revision()
	if old := t.plan; old != nil {
		t.plan = nil
		if err := conflict(old, plan); err != nil {
			return nil, err
		}
	}
	if plan.Empty() {
		return pre, nil
	}
	failed, err := t.apply(ctx, plan, false)
	if err == nil {
		vctx, cancel := context.WithTimeout(ctx, t.verifyTimeout(len(plan.Steps)))
		err = t.verify(vctx, &t.specs, plan.Steps)
		cancel()
	}
	if err == nil {
		return pre, nil
	}
	ce := &CommitError{Err: err}
	if failed != nil {
		ce.Step = failed.String()
	}
	t.rollbackInto(ctx, pre, ce)
	return pre, ce
}

func (t *Txn) rollbackInto(ctx context.Context, pre State, ce *CommitError) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*t.verifyTimeout(t.specs.count()))
	defer cancel()
	ce.Left, ce.RollbackErr = t.rollback(rctx, pre)
	ce.RolledBack = ce.RollbackErr == nil && len(ce.Left) == 0
}

// apply sends the plan's operations stage by stage. With bestEffort it
// goes on after failures (for rollbacks) and returns the first.
func (t *Txn) apply(ctx context.Context, plan *Plan, bestEffort bool) (*Step, error) {
	r := newResolver(plan.state, t.cfg.NetNS)
	defer r.close()
	var firstStep *Step
	var firstErr error
	fail := func(o *Step, err error) bool {
		if firstErr == nil {
			firstStep, firstErr = o, err
		}
		return !bestEffort
	}
	seq := 0
	steps := plan.Steps
	linksChanged := slices.ContainsFunc(steps, func(o *Step) bool { return o.Kind == netlink.KindLink })
	for start := 0; start < len(steps); {
		end := start + 1
		for end < len(steps) && steps[end].stage == steps[start].stage && steps[end].level == steps[start].level {
			end++
		}
		group := steps[start:end]
		start = end
		if err := ctx.Err(); err != nil {
			fail(nil, err)
			return firstStep, firstErr
		}
		if group[0].stage == stageNexthopAdd && linksChanged {
			t.awaitCarrier(ctx, group)
		}
		var local []*Step
		var reqs []netlink.Request
		var created []string
		for _, o := range group {
			req, err := o.build(r)
			if err == nil && t.cfg.inject != nil && !bestEffort {
				req = t.cfg.inject(seq, o, req)
			}
			seq++
			if err == nil {
				err = req.Err()
			}
			if err != nil {
				if fail(o, err) {
					return firstStep, firstErr
				}
				continue
			}
			if o.stage == stageLinkCreate && o.netns != "" { // back from another namespace
				c, err := r.conn(o.netns)
				if err == nil {
					t.writes.Add(1)
					err = c.Do(ctx, req)
				}
				if err != nil {
					if fail(o, err) {
						return firstStep, firstErr
					}
					continue
				}
				created = append(created, o.created)
				continue
			}
			local = append(local, o)
			reqs = append(reqs, req)
		}
		if len(reqs) > 0 {
			t.writes.Add(uint64(len(reqs)))
			errs := t.conn.Pipeline(ctx, reqs)
			for i, err := range errs {
				if err != nil {
					if fail(local[i], err) {
						return firstStep, firstErr
					}
				} else if local[i].created != "" {
					created = append(created, local[i].created)
				}
			}
			if errs == nil {
				for _, o := range local {
					if o.created != "" {
						created = append(created, o.created)
					}
				}
			}
			for i, o := range local {
				if o.reread == nil || errs != nil && errs[i] != nil {
					continue
				}
				if idx, err := o.reread(r); err == nil {
					// Best effort: without it, verification waits for
					// the periodic refresh.
					_ = t.db.RereadLink(ctx, idx)
				}
			}
		}
		if len(created) > 0 {
			if err := t.awaitLinks(ctx, r, created, group); err != nil {
				if fail(nil, err) {
					return firstStep, firstErr
				}
			}
		}
	}
	return firstStep, firstErr
}

// carrierWait bounds awaitCarrier: a veth's carrier follows its peer's
// up at once, a bridge's follows its first forwarding port through the
// kernel's linkwatch work, which runs at most once a second.
const carrierWait = 3 * time.Second

// awaitCarrier waits, at most carrierWait, until every link the nexthop
// objects of group go out of is up with a carrier, if it is up: the kernel
// refuses a nexthop object on a link without a carrier (rtm_to_nh_config
// in net/ipv4/nexthop.c: "Carrier for nexthop device is down", ENETDOWN),
// and a link the transaction created, brought up or gave a port gets its
// carrier asynchronously, after the acknowledgement. A link that stays
// without one is left to the kernel's refusal.
func (t *Txn) awaitCarrier(ctx context.Context, group []*Step) {
	var devs []string
	for _, o := range group {
		if o.Kind != netlink.KindNexthop || o.spec.kind != netlink.KindNexthop || o.Action == Remove {
			continue
		}
		ss := t.specsFor(o)
		if s := &ss.nexthops[o.spec.i]; s.Dev != "" && !s.Blackhole && !slices.Contains(devs, s.Dev) {
			devs = append(devs, s.Dev)
		}
	}
	if len(devs) == 0 {
		return
	}
	wctx, cancel := context.WithTimeout(ctx, carrierWait)
	defer cancel()
	_ = watch.WaitFor(wctx, t.db, func(s *ipdb.Snapshot) bool {
		for _, d := range devs {
			l, err := s.LinkByName(d)
			if err == nil && l.Flags&unix.IFF_UP != 0 && l.Flags&unix.IFF_LOWER_UP == 0 {
				return false
			}
		}
		return true
	})
}

// awaitLinks waits until the database shows the links created by a stage
// (and the peers of created veths), and records their indexes.
func (t *Txn) awaitLinks(ctx context.Context, r *resolver, names []string, group []*Step) error {
	for _, o := range group {
		if peer := createdPeer(t.specsFor(o), o); peer != "" {
			names = append(names, peer)
		}
	}
	wctx, cancel := context.WithTimeout(ctx, t.verifyTimeout(len(names)))
	defer cancel()
	var found map[string]int
	err := watch.WaitFor(wctx, t.db, func(s *ipdb.Snapshot) bool {
		found = map[string]int{}
		for _, n := range names {
			l, err := s.LinkByName(n)
			if err != nil {
				return false
			}
			found[n] = l.Index
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("%w: created links %s did not appear in the database: %w", ErrVerify, strings.Join(names, ", "), err)
	}
	for n, idx := range found {
		r.names[n] = idx
		delete(r.gone, n)
	}
	return nil
}

// specsFor returns the spec set a step was planned from.
func (t *Txn) specsFor(o *Step) *specSet {
	if o.specs != nil {
		return o.specs
	}
	return &t.specs
}

// verify waits until every spec that had an operation is satisfied on the
// database, re-checking only specs whose objects changed.
func (t *Txn) verify(ctx context.Context, ss *specSet, steps []*Step) error {
	pending := map[specRef]bool{}
	// Specs of kinds with an index are rechecked when an object they
	// concern changes; the others when any object of their kind does.
	var index [1 << 8]verifyIndex
	for i := range kindTable {
		if ops := kindTable[i].ops; ops != nil {
			index[kindTable[i].kind] = ops.verifyIndex()
		}
	}
	for _, o := range steps {
		if pending[o.spec] {
			continue
		}
		pending[o.spec] = true
		if ix := index[o.spec.kind]; ix != nil {
			ix.add(ss, o.spec)
		}
	}
	check := func(snap *ipdb.Snapshot, refs func(yield func(specRef) bool)) {
		p, err := newPlanner(snap, ss, false)
		if err != nil {
			return
		}
		for ref := range refs {
			if !pending[ref] {
				continue
			}
			n := len(p.steps)
			if err := p.planOne(ref); err == nil && len(p.steps) == n {
				delete(pending, ref)
			}
		}
	}
	all := func(yield func(specRef) bool) {
		for ref := range pending {
			if !yield(ref) {
				return
			}
		}
	}
	snap := t.db.Snapshot()
	rev := snap.Revision()
	check(snap, all)
	for len(pending) > 0 {
		changes, next, wake, err := t.db.ChangesSince(rev, 0)
		if errors.Is(err, ipdb.ErrTruncated) {
			snap = t.db.Snapshot()
			rev = snap.Revision()
			check(snap, all)
			continue
		}
		if err != nil {
			return fmt.Errorf("%w: %w", ErrVerify, err)
		}
		if len(changes) == 0 {
			select {
			case <-wake:
				continue
			case <-ctx.Done():
				return t.unverified(ctx.Err(), ss, pending)
			}
		}
		var dirty []specRef
		var kinds [1 << 8]bool
		recheckAll := false
		for i := range changes {
			c := &changes[i]
			if r := kindRows[c.Kind]; r != nil && r.rechecksAll {
				recheckAll = true
			}
			if ix := index[c.Kind]; ix != nil {
				for _, o := range []netlink.Object{c.Old, c.New} {
					dirty = ix.touched(o, dirty)
				}
				continue
			}
			kinds[c.Kind] = true
		}
		snap = t.db.Snapshot()
		rev = next
		if recheckAll {
			check(snap, all)
			continue
		}
		check(snap, func(yield func(specRef) bool) {
			for _, ref := range dirty {
				if !yield(ref) {
					return
				}
			}
			for ref := range pending {
				if index[ref.kind] == nil && kinds[ref.kind] && !yield(ref) {
					return
				}
			}
		})
	}
	return nil
}

// unverified describes the specs still not in effect.
func (t *Txn) unverified(cause error, ss *specSet, pending map[specRef]bool) error {
	var left []string
	if p, err := newPlanner(t.db.Snapshot(), ss, false); err == nil {
		for ref := range pending {
			if err := p.planOne(ref); err != nil {
				left = append(left, err.Error())
			}
			if len(p.steps) >= 5 {
				break
			}
		}
		for _, o := range p.steps {
			left = append(left, o.String())
		}
	}
	return fmt.Errorf("%w: %d specs not in effect (%s): %w", ErrVerify, len(pending), strings.Join(left, "; "), cause)
}
