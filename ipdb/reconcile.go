package ipdb

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"slices"
	"time"

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
}

func (j reconcileJob) match(o netlink.Object) bool {
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

// ruleJobs are the re-reads of rules that a link appearing, going or
// being renamed calls for: a rule whose iif or oif names a link that does
// not exist is flagged detached, and the flag flips without a
// notification (fib_rules_event: attach_rules, detach_rules).
func ruleJobs(names ...string) []reconcileJob {
	var jobs []reconcileJob
	for _, n := range names {
		if n != "" {
			jobs = append(jobs, reconcileJob{kind: netlink.KindRule, ifname: n})
		}
	}
	return jobs
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
// anything differed).
func (db *DB) reconcile(ctx context.Context, job reconcileJob) error {
	sp := defOf(job.kind)
	if sp == nil || !db.opts.keepKind(job.kind) {
		return nil
	}
	w := db.newWriter()
	if job.prefsrc.IsValid() && !anyMatch(w.base, sp, job) ||
		job.noIPv4 && hasIPv4(w.base, job.s.ifindex) ||
		(job.gotoTarget != 0 || job.ifname != "") && !ruleRefers(w.base, job) {
		// Nothing here uses the address, or the link still has IPv4:
		// nothing can have gone, and the re-dump is not needed.
		w.abort()
		return nil
	}
	changes, err := db.sweep(ctx, w, sp, job.s, job.match, nil)
	if err != nil {
		w.abort()
		if job.s.ifindex != 0 && errors.Is(err, unix.ENODEV) {
			// The link is gone by now; its RTM_DELLINK, queued behind,
			// removes what was on it.
			return nil
		}
		return err
	}
	db.reconciles.Add(1)
	db.commit(w, changes)
	db.followChanges(changes)
	return nil
}

// followChanges schedules the re-reads that changes found by a re-read
// call for, as a notification with the same change would have: a link
// whose up or carrier flags a refresh found changed before its own
// notification arrived has dropped or flagged routes all the same.
func (db *DB) followChanges(changes []Change) {
	var fx effects
	for _, c := range changes {
		if c.Kind != netlink.KindLink && c.Kind != netlink.KindAddr {
			continue
		}
		u := netlink.Update{Type: unix.RTM_NEWLINK, Object: c.New}
		switch {
		case c.Kind == netlink.KindLink && c.New == nil:
			u = netlink.Update{Type: unix.RTM_DELLINK, Object: c.Old}
		case c.Kind == netlink.KindAddr && c.New == nil:
			u = netlink.Update{Type: unix.RTM_DELADDR, Object: c.Old}
		case c.Kind == netlink.KindAddr:
			u.Type = unix.RTM_NEWADDR
		}
		silentEffects(u, c.Old, &fx)
	}
	if len(fx.now) > 0 {
		db.queue.pushJobs(fx.now)
	}
	db.settleLater(fx.later)
}

// settleDelay is how long after a link or address event the links and
// forwarding entries it touched are re-read. The kernel updates some of
// their attributes without a notification, moments after the one it sends:
// a veth's peer index, a bridge's offload limits when ports join, a
// tun/tap's persist flag (set by a second ioctl), the device address lists
// shown as "self permanent" FDB entries.
const settleDelay = 20 * time.Millisecond

// effects are the reconciles a notification calls for: now, right after
// its batch, or later, after settleDelay.
type effects struct {
	now, later []reconcileJob
}

func linkJob(ifindex int) reconcileJob {
	return reconcileJob{kind: netlink.KindLink, s: scope{ifindex: uint32(ifindex)}}
}

// silentEffects adds the reconciles a notification calls for, given the
// object it replaces (old, nil if none): what the kernel changes as a side
// effect without a notification of its own.
func silentEffects(u netlink.Update, old netlink.Object, fx *effects) {
	switch o := u.Object.(type) {
	case *netlink.Link:
		// Re-read the link, its master (old and new) and its peer or lower
		// device, and the link's device address lists, once they settle.
		if o.Family != unix.AF_BRIDGE {
			switch ol, _ := old.(*netlink.Link); {
			case u.Deleted() || ol == nil:
				fx.now = append(fx.now, ruleJobs(o.Name)...)
			case ol.Name != o.Name:
				fx.now = append(fx.now, ruleJobs(ol.Name, o.Name)...)
			}
		}
		if o.Family == unix.AF_BRIDGE || u.Deleted() {
			// A bridge port joined, changed or left: the bridge changes.
			if o.Master > 0 {
				fx.later = append(fx.later, linkJob(o.Master))
			}
			if ol, ok := old.(*netlink.Link); ok && ol.Master > 0 {
				fx.later = append(fx.later, linkJob(ol.Master))
			}
			return
		}
		fx.later = append(fx.later, linkJob(o.Index), fdbJob(o.Index))
		if o.Master > 0 {
			fx.later = append(fx.later, linkJob(o.Master))
		}
		if o.ParentIndex > 0 && o.LinkNetNSID == nil {
			fx.later = append(fx.later, linkJob(o.ParentIndex))
		}
		ol, _ := old.(*netlink.Link)
		if ol == nil {
			return
		}
		if ol.Master > 0 && ol.Master != o.Master {
			fx.later = append(fx.later, linkJob(ol.Master))
		}
		// Up/down and carrier changes remove IPv4 routes and neighbours,
		// flush IPv6 addresses and set or clear the linkdown flag of
		// routes, all silently. The kernel filters these dumps by link.
		// It announces the link's new flags before it runs the NETDEV_UP
		// or NETDEV_DOWN handlers that do all this, so the re-read is done
		// now and again once that has settled.
		const watched = unix.IFF_UP | unix.IFF_LOWER_UP | unix.IFF_RUNNING
		if ol.Flags&watched != o.Flags&watched {
			s := scope{ifindex: uint32(o.Index)}
			jobs := []reconcileJob{
				{kind: netlink.KindRoute, s: s},
				{kind: netlink.KindAddr, s: s},
				{kind: netlink.KindNeigh, s: s},
				{kind: netlink.KindFDB, s: s},
			}
			fx.now = append(fx.now, jobs...)
			fx.later = append(fx.later, jobs...)
		}
	case *netlink.Rule:
		// A goto rule is flagged unresolved while no rule has its target
		// priority; the flag flips without a notification when such a
		// rule comes or goes (fib_nl_newrule, fib_nl_delrule).
		if o.Priority != 0 {
			fx.now = append(fx.now, reconcileJob{kind: netlink.KindRule, s: scope{family: o.Family}, gotoTarget: o.Priority})
		}
	case *netlink.Addr:
		// Removing an IPv4 address removes the routes that use it as
		// preferred source (fib_sync_down_addr), and removing a link's
		// last IPv4 address removes every IPv4 route through the link and
		// its ARP entries (fib_disable_ip: fib_sync_down_dev, arp_ifdown),
		// all silently. The kernel announces the removal before it flushes
		// them, so the re-read is done now and again once that settled.
		if u.Deleted() && o.Family == unix.AF_INET {
			s := scope{family: unix.AF_INET, ifindex: uint32(o.Index)}
			jobs := []reconcileJob{
				{kind: netlink.KindRoute, s: scope{family: unix.AF_INET}, prefsrc: o.Prefix.Addr()},
				{kind: netlink.KindRoute, s: s, noIPv4: true},
				{kind: netlink.KindNeigh, s: s, noIPv4: true},
			}
			fx.now = append(fx.now, jobs...)
			fx.later = append(fx.later, jobs...)
		}
		// IPv6 addresses join and leave multicast groups.
		if o.Family == unix.AF_INET6 {
			fx.later = append(fx.later, fdbJob(o.Index))
		}
	}
}

// ipv6Siblings adds re-reads of IPv6 route identities whose next hops may
// have been merged or split, checked on the committed state after a batch:
// the kernel announces IPv6 multipath routes hop by hop (an append, or the
// delete of one hop), so an event alone does not say what the route now
// is.
func ipv6Siblings(state *memdb.Txn, updates []netlink.Update, fx *effects) {
	for _, u := range updates {
		r := u.Object.(*netlink.Route)
		if len(r.Multipath) > 0 || u.Flags&unix.NLM_F_APPEND != 0 {
			ipv6Reread(r, fx)
			continue
		}
		// Another route with the same identity and another next hop?
		key := routeKey(r)
		it, err := state.Get(routeDef.table, "id_prefix", routeKeyPrefix(nil, r))
		if err != nil {
			continue
		}
		for raw := it.Next(); raw != nil; raw = it.Next() {
			if !bytes.Equal(routeKey(raw.(*netlink.Route)), key) {
				ipv6Reread(r, fx)
				break
			}
		}
	}
}

// ipv6Reread re-reads every route with r's identity.
func ipv6Reread(r *netlink.Route, fx *effects) {
	fx.now = append(fx.now, reconcileJob{kind: netlink.KindRoute,
		s: scope{family: unix.AF_INET6, table: r.Table}, keyPrefix: string(routeKeyPrefix(nil, r))})
}

// replaceSiblings handles `ip route replace`: the kernel replaces the route
// with the same table, destination, TOS and priority, which may have had
// another type or next hop (and so another key here).
func replaceSiblings(w *writer, sp *kindDef, u netlink.Update, changes []Change, fx *effects) []Change {
	r, ok := u.Object.(*netlink.Route)
	if !ok || u.Flags&unix.NLM_F_REPLACE == 0 {
		return changes
	}
	prefix := routeKeyPrefix(nil, r)
	key := sp.key(r)
	it, err := w.txn.Get(sp.table, "id_prefix", prefix)
	if err != nil {
		return changes
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
		_ = w.remove(sp, siblings[0])
		changes = append(changes, Change{Kind: sp.kind, Op: OpDelete, Old: siblings[0]})
	default:
		// Which one the kernel replaced is its list order: re-read them.
		fx.now = append(fx.now, reconcileJob{kind: netlink.KindRoute,
			s: scope{family: r.Family, table: r.Table}, keyPrefix: string(prefix)})
	}
	return changes
}

// deleteByIfindex removes, inside txn, what a deleted link takes with it:
// its addresses and neighbours, its forwarding entries (deleteFDBOf), and
// its routes. IPv4 routes die with any next hop's link; an IPv6
// multipath route only loses that hop, so it is re-read instead.
func deleteByIfindex(w *writer, ifindex uint32, changes []Change, fx *effects) []Change {
	txn := w.txn
	prefix := appendU32(nil, ifindex)
	for _, sp := range []*kindDef{&addrDef, &neighDef} {
		it, err := txn.Get(sp.table, "id_prefix", prefix)
		if err != nil {
			continue
		}
		var gone []netlink.Object
		for raw := it.Next(); raw != nil; raw = it.Next() {
			gone = append(gone, raw.(netlink.Object))
		}
		for _, o := range gone {
			_ = w.remove(sp, o)
			changes = append(changes, Change{Kind: sp.kind, Op: OpDelete, Old: o})
		}
	}
	changes = deleteFDBOf(w, ifindex, changes)
	var gone []netlink.Object
	var trimmed []*netlink.Route
	if it, err := txn.Get(routeDef.table, "id"); err == nil {
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
		_ = w.remove(&routeDef, o)
		changes = append(changes, Change{Kind: netlink.KindRoute, Op: OpDelete, Old: o})
	}
	for _, r := range trimmed {
		// The kernel keeps the other hops of an IPv6 multipath route:
		// re-read it rather than guess.
		fx.now = append(fx.now, reconcileJob{kind: netlink.KindRoute,
			s: scope{family: unix.AF_INET6, table: r.Table}, keyPrefix: string(routeKeyPrefix(nil, r))})
	}
	return changes
}
