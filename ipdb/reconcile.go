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
	// noIPv4 runs the job only if the link s.ifindex has no IPv4 address
	// left when it runs.
	noIPv4 bool
	// gotoTarget runs the job only if a goto rule jumps to this priority;
	// ifname only if a rule names this link as iif or oif.
	gotoTarget uint32
	ifname     string
	// nexthops selects the routes that use a nexthop object.
	nexthops bool
	// done, if not nil, is closed once the job ran (DB.RereadLink).
	done chan struct{}
	// resync asks for a full resync with no gap in the stream
	// (DB.Resync): what the kernel sent before it is applied first, as
	// for any re-read, so that none of it comes after the dump.
	resync bool
}

func (j reconcileJob) match(o netlink.Object) bool {
	if j.nexthops {
		if r, ok := o.(*netlink.Route); !ok || routeNHID(r) == 0 {
			return false
		}
	}
	if j.prefsrc.IsValid() {
		if r, ok := o.(*netlink.Route); !ok || r.PrefSrc != j.prefsrc {
			return false
		}
	}
	if j.keyPrefix != "" {
		if sp := defOf(o.Kind()); sp == nil || !bytes.HasPrefix(sp.key(o), []byte(j.keyPrefix)) {
			return false
		}
	}
	return true
}

// anyMatch reports whether any stored object of sp matches job.
func anyMatch(state *memdb.Txn, sp *kindDef, job reconcileJob) bool {
	it, err := state.Get(sp.table, "id")
	if err != nil {
		return true
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if o := raw.(netlink.Object); inScope(o, job.s) && job.match(o) {
			return true
		}
	}
	return false
}

// hasIPv4 reports whether the link ifindex has an IPv4 address.
func hasIPv4(state *memdb.Txn, ifindex uint32) bool {
	it, err := state.Get(addrDef.table, "id_prefix", append(appendU32(nil, ifindex), unix.AF_INET))
	return err != nil || it.Next() != nil
}

// ruleRefers reports whether a stored rule is a goto to job.gotoTarget or
// names the link job.ifname.
func ruleRefers(state *memdb.Txn, job reconcileJob) bool {
	it, err := state.Get(ruleDef.table, "id")
	if err != nil {
		return true
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		r := raw.(*netlink.Rule)
		if job.gotoTarget != 0 && r.Action == netlink.RuleGoto && r.Goto == job.gotoTarget ||
			job.ifname != "" && (r.IIFName == job.ifname || r.OIFName == job.ifname) {
			return true
		}
	}
	return false
}

func dedupJobs(jobs []reconcileJob) []reconcileJob {
	out := make([]reconcileJob, 0, len(jobs))
	for _, j := range jobs {
		if !slices.Contains(out, j) {
			out = append(out, j)
		}
	}
	return out
}

// reconcile runs one job in its own write transaction (one revision if
// anything differed) and reports whether anything did.
func (db *DB) reconcile(ctx context.Context, job reconcileJob) (changed bool, err error) {
	sp := defOf(job.kind)
	if sp == nil || !db.opts.keeps(sp) {
		return false, nil
	}
	w := db.newWriter()
	if job.prefsrc.IsValid() && !anyMatch(w.base, sp, job) ||
		job.noIPv4 && hasIPv4(w.base, job.s.ifindex) ||
		(job.gotoTarget != 0 || job.ifname != "") && !ruleRefers(w.base, job) {
		// Nothing here uses the address, or the link still has IPv4:
		// nothing can have gone, and the re-dump is not needed.
		w.abort()
		return false, nil
	}
	if db.opts.beforeDump != nil {
		db.opts.beforeDump()
	}
	changes, err := db.sweep(ctx, w, sp, job.s, job.match, listingOf(w, sp, job.s, &job), nil)
	if err == nil && len(changes) > 0 && sp.listing == nil {
		changes = db.yieldToAnnounced(ctx, w, sp, changes)
	}
	if err != nil {
		w.abort()
		if job.s.ifindex != 0 && errors.Is(err, unix.ENODEV) {
			// The link is gone by now; its RTM_DELLINK, queued behind,
			// removes what was on it.
			return false, nil
		}
		return false, err
	}
	db.reconciles.Add(1)
	db.commit(w, changes)
	db.followChanges(changes)
	return len(changes) > 0, nil
}

// yieldToAnnounced drops from a re-read's differences those of the
// objects the kernel announced while the dump ran, and keeps the cache's
// version of them in w: their notifications, applied after the re-read in
// order, end at a state at least as new as the dump's, and every state
// they pass through is one the object really had. Written over, the
// dump's newer state would be followed by an older notification: the
// cache would go back in time for one revision (a link's MTU 1402 from
// the dump, then 1401 from the notification queued behind it, then 1402
// again: TestRereadYieldsToAnnounced).
//
// It waits until the reader has queued everything sent before the dump
// ended (catchUp), then looks at the queued notifications of sp's kind
// that describe whole objects (not sp.notObject, kept by Open's filters).
// Routes (the kind with a listing) keep the dump's result as it is: an
// IPv6 multipath route may be announced hop by hop, so a queued
// notification does not stand for the whole route.
func (db *DB) yieldToAnnounced(ctx context.Context, w *writer, sp *kindDef, changes []Change) []Change {
	db.catchUp(ctx)
	announced := db.queue.keysOf(func(u netlink.Update) []byte {
		o := u.Object
		if o.Kind() != sp.kind || (sp.notObject != nil && sp.notObject(o)) || !sp.keep(&db.opts, o) {
			return nil
		}
		return sp.key(o)
	})
	if len(announced) == 0 {
		return changes
	}
	kept := changes[:0]
	for _, c := range changes {
		o := c.New
		if o == nil {
			o = c.Old
		}
		key := sp.key(o)
		if _, ok := announced[string(key)]; !ok {
			kept = append(kept, c)
			continue
		}
		var err error
		if c.Old != nil {
			err = w.put(sp, c.Old, key)
		} else {
			err = w.remove(sp, c.New)
		}
		if err != nil {
			// The write cannot fail for an object the transaction holds;
			// should it, the dump's version stays, as before.
			kept = append(kept, c)
		}
	}
	return kept
}
