package ipdb

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"slices"

	"github.com/hashicorp/go-memdb"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// A reconcileJob asks for the objects of one kind within a kernel-side
// scope, and matching a predicate, to be made equal to a fresh dump. It is
// how the database catches what the kernel changes without telling.
type reconcileJob struct {
	kind netlink.Kind
	s    scope
	// Predicate fields (zero: not used).
	prefsrc   netip.Addr // routes with this preferred source
	keyPrefix string     // objects whose key starts with this
}

func (j reconcileJob) match(o netlink.Object) bool {
	if j.prefsrc.IsValid() {
		if r, ok := o.(*netlink.Route); !ok || r.PrefSrc != j.prefsrc {
			return false
		}
	}
	if j.keyPrefix != "" {
		if sp := specOf(o.Kind()); sp == nil || !bytes.HasPrefix(sp.key(o), []byte(j.keyPrefix)) {
			return false
		}
	}
	return true
}

func dedupJobs(jobs []reconcileJob) []reconcileJob {
	out := jobs[:0]
	for _, j := range jobs {
		if !slices.Contains(out, j) {
			out = append(out, j)
		}
	}
	return out
}

// reconcile runs one job in its own write transaction (one revision if
// anything differed).
func (db *DB) reconcile(ctx context.Context, job reconcileJob) error {
	sp := specOf(job.kind)
	if sp == nil || !db.opts.keepKind(job.kind) {
		return nil
	}
	txn := db.mem.Txn(true)
	changes, err := db.sweep(ctx, txn, sp, job.s, job.match, nil)
	if err != nil {
		txn.Abort()
		if job.s.ifindex != 0 && errors.Is(err, unix.ENODEV) {
			// The link is gone by now; its RTM_DELLINK, queued behind,
			// removes what was on it.
			return nil
		}
		return err
	}
	db.reconciles.Add(1)
	db.commit(txn, changes)
	return nil
}

// silentEffects returns the reconciles a notification calls for, given the
// object it replaces (old, nil if none): what the kernel changes as a side
// effect without a notification of its own.
func silentEffects(u netlink.Update, old netlink.Object, jobs []reconcileJob) []reconcileJob {
	switch o := u.Object.(type) {
	case *netlink.Link:
		if o.Family == unix.AF_BRIDGE || u.Deleted() || old == nil {
			return jobs
		}
		// Up/down and carrier changes remove IPv4 routes and neighbours,
		// flush IPv6 addresses and set or clear the linkdown flag of
		// routes, all silently. The kernel filters these dumps by link.
		const watched = unix.IFF_UP | unix.IFF_LOWER_UP | unix.IFF_RUNNING
		if old.(*netlink.Link).Flags&watched == o.Flags&watched {
			return jobs
		}
		s := scope{ifindex: uint32(o.Index)}
		return append(jobs,
			reconcileJob{kind: netlink.KindRoute, s: s},
			reconcileJob{kind: netlink.KindAddr, s: s},
			reconcileJob{kind: netlink.KindNeigh, s: s})
	case *netlink.Addr:
		// Removing an IPv4 address removes the routes that use it as
		// preferred source, silently.
		if u.Deleted() && o.Family == unix.AF_INET {
			return append(jobs, reconcileJob{kind: netlink.KindRoute, s: scope{family: unix.AF_INET}, prefsrc: o.Prefix.Addr()})
		}
	case *netlink.Route:
		// IPv6 next hops are added and removed one at a time on a route
		// that keeps its identity: re-read that route.
		if o.Family == unix.AF_INET6 {
			multi := len(o.Multipath) > 0 || u.Flags&unix.NLM_F_APPEND != 0
			if oldR, ok := old.(*netlink.Route); ok && len(oldR.Multipath) > 0 {
				multi = true
			}
			if multi {
				return append(jobs, reconcileJob{kind: netlink.KindRoute,
					s: scope{family: unix.AF_INET6, table: o.Table}, keyPrefix: string(routeKeyPrefix(nil, o))})
			}
		}
	}
	return jobs
}

// replaceSiblings handles an IPv4 `ip route replace`: the kernel replaces
// the route with the same table, destination, TOS and priority, which may
// have had another next hop (and so another key here).
func replaceSiblings(txn *memdb.Txn, sp *kindSpec, u netlink.Update, changes []Change, jobs []reconcileJob) ([]Change, []reconcileJob) {
	r, ok := u.Object.(*netlink.Route)
	if !ok || r.Family != unix.AF_INET || u.Flags&unix.NLM_F_REPLACE == 0 {
		return changes, jobs
	}
	prefix := routeKeyPrefix(nil, r)
	key := sp.key(r)
	it, err := txn.Get(sp.table, "id_prefix", prefix)
	if err != nil {
		return changes, jobs
	}
	var siblings []netlink.Object
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if o := raw.(netlink.Object); !bytes.Equal(sp.key(o), key) {
			siblings = append(siblings, o)
		}
	}
	switch len(siblings) {
	case 0:
	case 1:
		_ = txn.Delete(sp.table, siblings[0])
		changes = append(changes, Change{Kind: sp.kind, Op: OpDelete, Old: siblings[0]})
	default:
		// Which one the kernel replaced is its list order: re-read them.
		jobs = append(jobs, reconcileJob{kind: netlink.KindRoute,
			s: scope{family: unix.AF_INET, table: r.Table}, keyPrefix: string(prefix)})
	}
	return changes, jobs
}

// deleteByIfindex removes, inside txn, what a deleted link takes with it:
// its addresses and neighbours, forwarding entries that name it as master,
// and its routes. IPv4 routes die with any next hop's link; an IPv6
// multipath route only loses that hop, so it is re-read instead.
func deleteByIfindex(txn *memdb.Txn, ifindex uint32, changes []Change, jobs []reconcileJob) ([]Change, []reconcileJob) {
	prefix := appendU32(nil, ifindex)
	for _, sp := range []*kindSpec{&addrSpec, &neighSpec} {
		it, err := txn.Get(sp.table, "id_prefix", prefix)
		if err != nil {
			continue
		}
		var gone []netlink.Object
		for raw := it.Next(); raw != nil; raw = it.Next() {
			gone = append(gone, raw.(netlink.Object))
		}
		for _, o := range gone {
			_ = txn.Delete(sp.table, o)
			changes = append(changes, Change{Kind: sp.kind, Op: OpDelete, Old: o})
		}
	}
	var gone []netlink.Object
	if it, err := txn.Get(neighSpec.table, "id"); err == nil {
		for raw := it.Next(); raw != nil; raw = it.Next() {
			if n := raw.(*netlink.Neigh); n.Master == int(ifindex) {
				gone = append(gone, n)
			}
		}
	}
	for _, o := range gone {
		_ = txn.Delete(neighSpec.table, o)
		changes = append(changes, Change{Kind: netlink.KindNeigh, Op: OpDelete, Old: o})
	}
	gone = gone[:0]
	var trimmed []*netlink.Route
	if it, err := txn.Get(routeSpec.table, "id"); err == nil {
		for raw := it.Next(); raw != nil; raw = it.Next() {
			r := raw.(*netlink.Route)
			if !routeUsesLink(r, ifindex) {
				continue
			}
			if r.Family == unix.AF_INET6 && len(r.Multipath) > 1 {
				trimmed = append(trimmed, r)
			} else {
				gone = append(gone, r)
			}
		}
	}
	for _, o := range gone {
		_ = txn.Delete(routeSpec.table, o)
		changes = append(changes, Change{Kind: netlink.KindRoute, Op: OpDelete, Old: o})
	}
	for _, r := range trimmed {
		// The kernel keeps the other hops of an IPv6 multipath route:
		// re-read it rather than guess.
		jobs = append(jobs, reconcileJob{kind: netlink.KindRoute,
			s: scope{family: unix.AF_INET6, table: r.Table}, keyPrefix: string(routeKeyPrefix(nil, r))})
	}
	return changes, jobs
}
