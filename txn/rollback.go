package txn

import (
	"context"
	"fmt"

	"github.com/ipdb-go/ipdb/netlink"
)

// rollback restores the pre-image of everything the transaction's specs
// touch, plus what the kernel may have dropped as a side effect, and
// verifies it. It returns what is left undone and the first error.
func (t *Txn) rollback(ctx context.Context, pre State) ([]string, error) {
	return t.rollbackOf(ctx, pre, &t.specs)
}

// rollbackOf is rollback for the specs ss (a Multi's namespace plans its
// own spec set, with the links its moves bring).
func (t *Txn) rollbackOf(ctx context.Context, pre State, ss *specSet) ([]string, error) {
	// The database must show every change the failed commit made before
	// the rollback is planned on it: requests acknowledged just before the
	// failure may not have been announced yet.
	if err := t.db.Resync(ctx); err != nil {
		return nil, fmt.Errorf("resynchronizing before the rollback: %w", err)
	}
	cur := t.db.Snapshot()
	rb, lost := restoreSpecsLost(pre, cur, ss)
	p, err := newPlanner(cur, rb, false)
	if err != nil {
		return nil, fmt.Errorf("planning the rollback: %w", err)
	}
	plan, err := p.plan()
	if err != nil {
		return nil, fmt.Errorf("planning the rollback: %w", err)
	}
	if debugRollback != nil {
		debugRollback(rb, plan)
	}
	failed, aerr := t.apply(ctx, plan, true)
	if aerr != nil && failed != nil {
		aerr = fmt.Errorf("%s: %w", failed, aerr)
	}
	steps := plan.Steps
	if removesAddr(plan) {
		// The rollback's own operations can take what it found in place:
		// removing a link's last IPv4 address (to add it back with
		// another label, scope or peer) flushes the link's routes and
		// ARP entries, permanent ones too (fib_disable_ip, arp_ifdown).
		// Plan once more on the state they left, and apply what is
		// missing.
		if more, err := t.replanRollback(ctx, rb); err == nil && len(more.Steps) > 0 {
			failed, err := t.apply(ctx, more, true)
			if err != nil && failed != nil {
				err = fmt.Errorf("%s: %w", failed, err)
			}
			if aerr == nil {
				aerr = err
			}
			steps = append(steps[:len(steps):len(steps)], more.Steps...)
		}
	}
	verr := t.verify(ctx, rb, steps)
	if verr == nil {
		t.awaitDAD(ctx, rb)
		// Whatever failed on the way, the pre-image is back, but for what
		// no rollback can bring back.
		return lost, nil
	}
	// What is left: the operations a fresh plan still wants.
	var left []string
	if p, err := newPlanner(t.db.Snapshot(), rb, false); err == nil {
		if plan, err := p.plan(); err == nil {
			for _, o := range plan.Steps {
				left = append(left, o.String())
			}
		}
	}
	left = append(left, lost...)
	if aerr != nil {
		return left, aerr
	}
	return left, verr
}

// removesAddr reports whether plan removes an address.
func removesAddr(plan *Plan) bool {
	for _, o := range plan.Steps {
		if o.Kind == netlink.KindAddr && o.Action == Remove {
			return true
		}
	}
	return false
}

// replanRollback plans the rollback's specs rb again, on the database
// resynchronized with the kernel.
func (t *Txn) replanRollback(ctx context.Context, rb *specSet) (*Plan, error) {
	if err := t.db.Resync(ctx); err != nil {
		return nil, err
	}
	p, err := newPlanner(t.db.Snapshot(), rb, false)
	if err != nil {
		return nil, err
	}
	return p.plan()
}

// debugRollback, in tests, sees each rollback's specs and plan.
var debugRollback func(*specSet, *Plan)

func ptr[T any](v T) *T { return &v }

// restorer derives the specs of a rollback: those that bring back the
// pre-image of what a transaction's specs touch (see restoreSpecs). Each
// kind's restore adds its specs to rb. They run in kindTable's order
// (dependency order), and a kind may use what the kinds before it
// recorded here.
type restorer struct {
	pre, cur State
	ss       *specSet // the transaction's specs
	rb       *specSet // the rollback's specs, being built

	// preLinks are the links in scope, by pre-image index: those the link
	// specs name (as Name, RenameFrom or veth peer) and their veth peers.
	// Set by the links' restore.
	preLinks map[int]*netlink.Link
	// specNames are the links the rollback has a link spec for. Set by
	// the links' restore.
	specNames map[string]bool
	// masters are the pre-image masters of the links in scope, by index:
	// a bridge whose port leaves, goes down or is deleted can lose its
	// carrier and change its address, and the kernel then flushes its
	// neighbours (neigh_carrier_down, neigh_changeaddr) and nexthop
	// objects (nexthop_flush_dev). Set by the links' restore.
	masters map[int]*netlink.Link
	// addrLinks are the links, by pre-image index, whose full address set
	// and routes are restored. Set by the addresses' restore.
	addrLinks map[int]bool
	// nexthops are the ids of the nexthop objects whose pre-image is
	// restored; the routes that use them are restored too. Set by the
	// nexthops' restore.
	nexthops map[uint32]bool
	// kept are the ids of nexthop objects the routes' restore added
	// (keepNexthop).
	kept map[uint32]bool
	// lost are the objects of the pre-image the rollback cannot bring
	// back, as plan operations.
	lost []string
}

// preName returns the name in the pre-image of the link of index idx, or
// "" if there is none.
func (rs *restorer) preName(idx int) string {
	if idx == 0 {
		return ""
	}
	if l, err := rs.pre.LinkByIndex(idx); err == nil {
		return l.Name
	}
	return ""
}

// restoreSpecs derives the specs that bring back the pre-image of what ss
// touches, from the pre-image pre and the current state cur.
func restoreSpecs(pre, cur State, ss *specSet) *specSet {
	rb, _ := restoreSpecsLost(pre, cur, ss)
	return rb
}

// restoreSpecsLost is restoreSpecs, also returning what cannot be
// restored (as plan operations).
func restoreSpecsLost(pre, cur State, ss *specSet) (*specSet, []string) {
	rs := &restorer{pre: pre, cur: cur, ss: ss, rb: &specSet{}}
	for i := range kindTable {
		if ops := kindTable[i].ops; ops != nil {
			ops.restore(rs)
		}
	}
	return rs.rb, rs.lost
}
