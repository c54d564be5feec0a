package ipdb

import (
	"bytes"
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// This file is the one home of what the kernel does without telling: every
// change it makes as a side effect of another, without a notification of
// its own. Each effect is a function below, documented once with the
// kernel source it comes from, and hangs on the kind whose change causes
// it through that kind's row (kindDef.effects). The apply path reaches
// them only through the hooks at the end of this file. doc.go ("What the
// kernel does without telling") lists them.

// kindEffects are the unannounced effects of one kind's changes. Every
// field is optional.
type kindEffects struct {
	// onChange adds the re-reads a change calls for. It sees every
	// notification of the kind (kept by WithKinds, with a key) before it
	// is applied, whether the Open filters keep its object or not, and
	// every change of the kind a re-read or resync found (c.notified
	// false).
	onChange func(c cause, fx *rereads)
	// inTxn applies, inside the notification's write transaction, what
	// the kernel changed along with it: it runs right after a deletion is
	// applied, and right before an object the Open filters keep is
	// stored. It appends the changes it makes. d is the row of the kind
	// (a row's own functions cannot name it: an initialization cycle).
	inTxn func(w *writer, d *kindDef, c cause, changes []Change, fx *rereads) []Change
	// afterCommit checks, on the committed state after the batch, what
	// the notification u may have changed silently (what only the whole
	// batch shows), for the notifications checkAfterCommit selects: the
	// committed state is read only for a batch that has one.
	afterCommit      func(state *memdb.Txn, d *kindDef, u netlink.Update, fx *rereads)
	checkAfterCommit func(u netlink.Update) bool
	// refresh re-reads the whole kind every WithRefresh interval: the
	// kernel changes some of its objects with no notification at all.
	refresh bool
	// refreshWakers are the kinds whose notifications bring the refresh
	// back to the base interval: the activity that the kind's silent
	// changes come with (refresher).
	refreshWakers []netlink.Kind
}

// A cause is one change of one object as the effects see it: a
// notification about to be applied, or a change a re-read found (its
// notification, if any, is still queued or was never sent). It is passed
// by value: the apply path makes one per notification and must not
// allocate.
type cause struct {
	notified bool   // a notification, not a change a re-read found
	flags    uint16 // the notification's netlink header flags
	deleted  bool
	obj      netlink.Object // the new state, or the deleted object
	old      netlink.Object // the stored object obj replaces; nil if none
}

// causeOf is the cause of notification u, given the stored object it
// replaces.
func causeOf(u netlink.Update, old netlink.Object) cause {
	return cause{notified: true, flags: u.Flags, deleted: u.Deleted(), obj: u.Object, old: old}
}

// causeOfChange is the cause of a change a re-read found.
func causeOfChange(c *Change) cause {
	if c.New == nil {
		return cause{deleted: true, obj: c.Old, old: c.Old}
	}
	return cause{obj: c.New, old: c.Old}
}

// rereads are the reconciles a change calls for: now, right after its
// batch, or later, after settleDelay.
type rereads struct {
	now, later []reconcileJob
	// settled run after linkSettleDelay: a link's up, down and carrier
	// changes, whose kernel handlers may run well after the flags show.
	settled []reconcileJob
	// linkwatch is the database's set of links awaiting their linkwatch
	// notification; nil where no database keeps one.
	linkwatch linkwatchWait
}

// linkwatchWait holds the links whose carrier change a re-read found
// before the kernel had acted on it, with when it was found.
//
// A carrier change is visible at once in a link dump (netif_carrier_on
// and netif_carrier_off set the bit; rfc2863_policy sets the operstate
// that IFF_RUNNING shows), but the kernel acts on it later, in linkwatch
// work that runs up to a second after the change (linkwatch_event,
// rate-limited to one run per second for most devices): linkwatch_do_dev
// calls netdev_state_change, whose NETDEV_CHANGE handlers flag or unflag
// the link's routes linkdown (fib_sync_down_dev, fib_sync_up,
// rt6_sync_down_dev) and drop its neighbours (neigh_carrier_down), all
// silently, and only then announces the link (rtmsg_ifinfo). That
// announcement shows the flags the database already holds, so it is no
// change; for a link in this set it is the sign to re-read what the
// handlers touched. Only the applier goroutine uses it.
type linkwatchWait map[int]time.Time

// linkwatchMax bounds how long a link waits for its announcement: the
// kernel runs linkwatch work at most a second after a change, and a
// loaded machine a few seconds late.
const linkwatchMax = 10 * time.Second

// await records that link ifindex waits for its linkwatch announcement.
func (l linkwatchWait) await(ifindex int) {
	if l != nil {
		l[ifindex] = time.Now()
	}
}

// announced reports whether link ifindex was waiting for the
// announcement it now has, and stops its wait.
func (l linkwatchWait) announced(ifindex int) bool {
	since, ok := l[ifindex]
	if !ok {
		return false
	}
	delete(l, ifindex)
	return time.Since(since) < linkwatchMax
}

// settleDelay is how long after a link or address event the links and
// forwarding entries it touched are re-read. The kernel updates some of
// their attributes without a notification, moments after the one it sends:
// a veth's peer index, a bridge's offload limits when ports join, a
// tun/tap's persist flag (set by a second ioctl), the device address lists
// shown as "self permanent" FDB entries.
const settleDelay = 20 * time.Millisecond

// linkSettleDelay is when a link's up, down or carrier change is followed
// a third time. A link dump shows the new flags as soon as they are set,
// and the kernel announces them before it runs the handlers that act on
// them (__dev_notify_flags: rtmsg_ifinfo, then NETDEV_UP or NETDEV_DOWN,
// whose fib_sync_down_dev drops the link's IPv4 routes silently), in the
// same system call, but on a loaded machine that call may take longer than
// settleDelay (the soak under the race detector lost a link's routes so).
const linkSettleDelay = time.Second

func linkJob(ifindex int) reconcileJob {
	return reconcileJob{kind: netlink.KindLink, s: scope{ifindex: uint32(ifindex)}}
}

// fdbJob re-reads the FDB entries of link ifindex (as port or device).
func fdbJob(ifindex int) reconcileJob {
	return reconcileJob{kind: netlink.KindFDB, s: scope{ifindex: uint32(ifindex)}}
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

// linkChanged adds the re-reads a link change calls for.
//
//   - A link appearing, going or renamed flips the detached flags of
//     rules naming it (ruleJobs).
//   - A bridge port joining, changing or leaving (an AF_BRIDGE link
//     message, or a deletion) changes the bridge, its old and new master:
//     re-read later.
//   - Attributes settle just after a link event without a notification:
//     a veth's peer index, a bridge's offload limits, a tun/tap's persist
//     flag, the device address lists shown as "self permanent" FDB
//     entries. The link, its master (old and new), its peer or lower
//     device and its FDB entries are re-read after settleDelay.
//   - Up/down and carrier changes remove IPv4 routes (fib_sync_down_dev
//     from fib_netdev_event) and neighbours (neigh_ifdown), flush IPv6
//     addresses and routes (addrconf_ifdown) and set or clear the
//     linkdown flag of routes (fib_sync_down_dev, fib_sync_up,
//     rt6_sync_down_dev), all silently. The kernel filters these dumps by
//     link. It announces the link's new flags before it runs the
//     NETDEV_UP or NETDEV_DOWN handlers that do all this, so the re-read
//     is done now, again once that has settled (settleDelay), and a third
//     time after linkSettleDelay, for a loaded machine. The nexthop objects
//     are re-read too (nexthopsFollowLink). A carrier change found by a
//     re-read may come before the kernel's linkwatch work acts on it: the
//     link's next announcement calls for the same re-reads
//     (linkwatchWait).
func linkChanged(c cause, fx *rereads) {
	o := c.obj.(*netlink.Link)
	tcFollowsLink(c, fx)
	if o.Family != unix.AF_BRIDGE {
		switch ol, _ := c.old.(*netlink.Link); {
		case c.deleted || ol == nil:
			fx.now = append(fx.now, ruleJobs(o.Name)...)
		case ol.Name != o.Name:
			fx.now = append(fx.now, ruleJobs(ol.Name, o.Name)...)
		}
	}
	if c.deleted {
		delete(fx.linkwatch, o.Index)
	}
	if c.deleted && o.Family != unix.AF_BRIDGE && o.ParentIndex > 0 && o.LinkNetNSID == nil {
		// A veth end deleted or moved to another namespace (a deletion
		// with IFLA_NEW_NETNSID): its peer here now names a link of
		// another namespace (IFLA_LINK, IFLA_LINK_NETNSID, computed when
		// dumped: veth_get_link_net), or is gone with it, unannounced.
		fx.later = append(fx.later, linkJob(o.ParentIndex))
	}
	if o.Family == unix.AF_BRIDGE || c.deleted {
		// A bridge port joined, changed or left: the bridge changes.
		if o.Master > 0 {
			fx.later = append(fx.later, linkJob(o.Master))
		}
		if ol, ok := c.old.(*netlink.Link); ok && ol.Master > 0 {
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
	ol, _ := c.old.(*netlink.Link)
	if ol == nil {
		return
	}
	if ol.Master > 0 && ol.Master != o.Master {
		fx.later = append(fx.later, linkJob(ol.Master))
	}
	const watched = unix.IFF_UP | unix.IFF_LOWER_UP | unix.IFF_RUNNING
	const carrier = unix.IFF_LOWER_UP | unix.IFF_RUNNING
	flipped := ol.Flags&watched != o.Flags&watched
	switch {
	case !c.notified && (ol.Flags^o.Flags)&carrier != 0:
		// The kernel may not have acted on it yet (linkwatchWait).
		fx.linkwatch.await(o.Index)
	case c.notified && fx.linkwatch.announced(o.Index):
		// It has now: re-read what it touched.
		flipped = true
	}
	if flipped {
		s := scope{ifindex: uint32(o.Index)}
		jobs := []reconcileJob{
			{kind: netlink.KindRoute, s: s},
			{kind: netlink.KindAddr, s: s},
			{kind: netlink.KindNeigh, s: s},
			{kind: netlink.KindFDB, s: s},
		}
		fx.now = append(fx.now, jobs...)
		fx.later = append(fx.later, jobs...)
		fx.settled = append(fx.settled, jobs...)
		nexthopsFollowLink(fx)
	}
}

// linkDeleted removes, inside w, what a deleted link takes with it
// (unregister_netdevice: addrconf_ifdown, inetdev_destroy, neigh_ifdown,
// br_fdb_delete_by_port, fib_sync_down_dev), none of it announced: its
// addresses and neighbours, its forwarding entries (fdbDeletedWith), and
// its routes. IPv4 routes die with any next hop's link; an IPv6
// multipath route only loses that hop (rt6_sync_down_dev), so it is
// re-read instead. Routes over nexthop objects are left to the nexthops
// (nexthopsFollowLink): they are re-read.
func linkDeleted(w *writer, _ *kindDef, c cause, changes []Change, fx *rereads) []Change {
	if !c.deleted {
		return changes
	}
	ifindex := linkIndex(c.obj)
	prefix := appendU32(nil, ifindex)
	for _, sp := range []*kindDef{&addrDef, &neighDef} {
		changes, _ = removePrefix(w, sp, prefix, changes)
	}
	changes = fdbDeletedWith(w, ifindex, changes)
	changes = tcDeletedWith(w, ifindex, changes, fx)
	mirredFollowsLink(w, ifindex, fx)
	var gone []netlink.Object
	var trimmed []*netlink.Route
	if it, err := w.txn.Get(routeDef.table, "id"); err == nil {
		for raw := it.Next(); raw != nil; raw = it.Next() {
			r := raw.(*netlink.Route)
			if !routeUsesLink(r, ifindex) || routeNHID(r) != 0 {
				// A route over a nexthop object follows the
				// nexthop (nexthopsFollowLink).
				continue
			}
			if (r.Family == unix.AF_INET6 || r.Family == unix.AF_MPLS) && len(r.Multipath) > 1 {
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
		// The kernel keeps the other hops of an IPv6 multipath route,
		// and of an MPLS one (mpls_ifdown marks the hop dead and
		// linkdown and forgets its device, silently; it deletes, and
		// announces, only a route whose every hop went): re-read it
		// rather than guess.
		if r.Family == unix.AF_MPLS {
			fx.now = append(fx.now, reconcileJob{kind: netlink.KindRoute,
				s: scope{family: unix.AF_MPLS}, keyPrefix: string(mplsRouteKey(r))})
			continue
		}
		ipv6Reread(r, fx)
	}
	nexthopsFollowLink(fx)
	return changes
}

// fdbDeletedWith removes, inside w, the FDB entries a deleted link takes
// with it: those on it (as port or device) and those of its table if it
// was a bridge (br_fdb_delete_by_port, br_dev_delete).
func fdbDeletedWith(w *writer, ifindex uint32, changes []Change) []Change {
	it, err := w.txn.Get(fdbDef.table, "id")
	if err != nil {
		return changes
	}
	var gone []netlink.Object
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if f := raw.(*netlink.FDB); uint32(f.Index) == ifindex || uint32(f.Master) == ifindex {
			gone = append(gone, f)
		}
	}
	for _, o := range gone {
		_ = w.remove(&fdbDef, o)
		changes = append(changes, Change{Kind: netlink.KindFDB, Op: OpDelete, Old: o})
	}
	return changes
}

// addrChanged adds the re-reads an address change calls for.
//
//   - Removing an IPv4 address removes the routes that use it as
//     preferred source (fib_sync_down_addr), and removing a link's last
//     IPv4 address removes every IPv4 route through the link and its ARP
//     entries (fib_del_ifaddr -> fib_disable_ip: fib_sync_down_dev,
//     arp_ifdown), all silently. The kernel announces the removal before
//     it flushes them, so the re-read is done now and again once that
//     settled; the second two only if the link has no IPv4 address left
//     (reconcileJob.noIPv4).
//   - IPv6 addresses join and leave multicast groups (ipv6_dev_mc_inc for
//     the solicited-node address), which show as "self permanent" FDB
//     entries of the link: re-read later.
func addrChanged(c cause, fx *rereads) {
	o := c.obj.(*netlink.Addr)
	if c.deleted && o.Family == unix.AF_INET {
		s := scope{family: unix.AF_INET, ifindex: uint32(o.Index)}
		jobs := []reconcileJob{
			{kind: netlink.KindRoute, s: scope{family: unix.AF_INET}, prefsrc: o.Prefix.Addr()},
			{kind: netlink.KindRoute, s: s, noIPv4: true},
			{kind: netlink.KindNeigh, s: s, noIPv4: true},
		}
		fx.now = append(fx.now, jobs...)
		fx.later = append(fx.later, jobs...)
	}
	if o.Family == unix.AF_INET6 {
		fx.later = append(fx.later, fdbJob(o.Index))
	}
}

// routeChanged: the kernel announces the removal of one hop of an IPv6
// multipath route as the deletion of a route with that hop (fib6_del,
// inet6_rt_notify per sibling), which is not what is left: the route is
// re-read. Notifications only: a re-read found the route as it is.
func routeChanged(c cause, fx *rereads) {
	if !c.notified {
		return
	}
	if r, ok := c.old.(*netlink.Route); ok && c.deleted && r.Family == unix.AF_INET6 && len(r.Multipath) > 0 {
		ipv6Reread(r, fx)
	}
}

// routeInTxn follows a route replace (routeReplaced) and keeps the list
// order of alternates (routeListed).
func routeInTxn(w *writer, d *kindDef, c cause, changes []Change, fx *rereads) []Change {
	changes = routeReplaced(w, d, c, changes, fx)
	routeListed(w, d, c)
	return changes
}

// routeReplaced handles `ip route replace` (NLM_F_REPLACE): the kernel
// replaces the route with the same table, destination, TOS and priority
// (fib_table_insert, fib6_add_rt2), which may have had another type or
// next hop (and so another key here), and announces only the new route.
// With one such route it is removed here; with several, which one the
// kernel replaced is its list order, so they are re-read. It runs even
// when the new route is already stored (a re-read found it before its
// notification came): the kernel announces only replaces it made
// (fib_table_insert is silent when an identical route is already first in
// its slot).
func routeReplaced(w *writer, d *kindDef, c cause, changes []Change, fx *rereads) []Change {
	if c.deleted || c.flags&unix.NLM_F_REPLACE == 0 {
		return changes
	}
	r := c.obj.(*netlink.Route)
	if c.old != nil && routeNHID(r) != 0 {
		// A route over a nexthop object that is stored already: the
		// kernel announces every route over a replaced nexthop again,
		// with NLM_F_REPLACE (nexthop_replace_notify ->
		// fib_info_notify_update), replacing nothing beside it.
		return changes
	}
	prefix := routeKeyPrefix(nil, r)
	key := d.key(r)
	it, err := w.txn.Get(d.table, "id_prefix", prefix)
	if err != nil {
		return changes
	}
	var siblings []netlink.Object
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if o := raw.(netlink.Object); !bytes.Equal(d.key(o), key) {
			siblings = append(siblings, o)
		}
	}
	switch len(siblings) {
	case 0:
	case 1:
		_ = w.remove(d, siblings[0])
		changes = append(changes, Change{Kind: d.kind, Op: OpDelete, Old: siblings[0]})
	default:
		// Which one the kernel replaced is its list order: re-read them.
		fx.now = append(fx.now, reconcileJob{kind: netlink.KindRoute,
			s: scope{family: r.Family, table: r.Table}, keyPrefix: string(prefix)})
	}
	return changes
}

// ipv6Siblings re-reads an IPv6 route identity whose next hops may have
// been merged or split, checked on the committed state after a batch: the
// kernel announces IPv6 multipath routes hop by hop (an append,
// fib6_add_rt2 adding a sibling, or the delete of one hop, fib6_del), so
// an event alone does not say what the route now is.
func ipv6Siblings(state *memdb.Txn, d *kindDef, u netlink.Update, fx *rereads) {
	r := u.Object.(*netlink.Route)
	if len(r.Multipath) > 0 || u.Flags&unix.NLM_F_APPEND != 0 {
		ipv6Reread(r, fx)
		return
	}
	// Another route with the same identity and another next hop?
	key := routeKey(r)
	it, err := state.Get(d.table, "id_prefix", routeKeyPrefix(nil, r))
	if err != nil {
		return
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if !bytes.Equal(routeKey(raw.(*netlink.Route)), key) {
			ipv6Reread(r, fx)
			return
		}
	}
}

// isIPv6Route selects the notifications ipv6Siblings checks.
func isIPv6Route(u netlink.Update) bool { return u.Object.(*netlink.Route).Family == unix.AF_INET6 }

// ipv6Reread re-reads every route with r's identity.
func ipv6Reread(r *netlink.Route, fx *rereads) {
	fx.now = append(fx.now, reconcileJob{kind: netlink.KindRoute,
		s: scope{family: unix.AF_INET6, table: r.Table}, keyPrefix: string(routeKeyPrefix(nil, r))})
}

// ruleChanged: a goto rule is flagged unresolved while no rule has its
// target priority; the flag flips without a notification when such a rule
// comes or goes (fib_nl_newrule, fib_nl_delrule). The rules are re-read,
// only if some rule jumps to it (reconcileJob.gotoTarget). Notifications
// only: what a re-read of rules finds are such flags, not rules that came
// or went.
func ruleChanged(c cause, fx *rereads) {
	if !c.notified {
		return
	}
	if o := c.obj.(*netlink.Rule); o.Priority != 0 {
		fx.now = append(fx.now, reconcileJob{kind: netlink.KindRule, s: scope{family: o.Family}, gotoTarget: o.Priority})
	}
}

// fdbSiblings re-reads a vxlan entry whose remotes may have changed
// without a notification, checked on the committed state after a batch:
// `bridge fdb replace` of a vxlan entry replaces its first remote in place
// (vxlan_fdb_replace in drivers/net/vxlan/vxlan_core.c) and announces only
// the new remote, so when an entry has another remote than the one just
// announced, the whole entry is read again.
func fdbSiblings(state *memdb.Txn, d *kindDef, u netlink.Update, fx *rereads) {
	f := u.Object.(*netlink.FDB)
	prefix := fdbKeyPrefix(nil, f)
	it, err := state.Get(d.table, "id_prefix", prefix)
	if err != nil {
		return
	}
	n := 0
	for raw := it.Next(); raw != nil; raw = it.Next() {
		n++
	}
	if n > 1 {
		fx.now = append(fx.now, reconcileJob{kind: netlink.KindFDB,
			s: scope{ifindex: uint32(f.Index)}, keyPrefix: string(prefix)})
	}
}

// isRemoteAdded selects the notifications fdbSiblings checks: a vxlan
// entry's remote added or changed.
func isRemoteAdded(u netlink.Update) bool { return !u.Deleted() && fdbRemote(u.Object.(*netlink.FDB)) }

// nexthopsFollowLink re-reads the nexthop objects after a link went down,
// lost its carrier or went away, now and once that settled. The kernel
// deletes the nexthops on the link and shrinks the groups that contain
// them (a group left empty goes too), all silently (nh_netdev_event ->
// nexthop_flush_dev -> remove_nexthop without a notification, in
// net/ipv4/nexthop.c); the changes the re-read finds go through
// nexthopChanged like notifications, which re-reads the routes.
func nexthopsFollowLink(fx *rereads) {
	fx.now = append(fx.now, nexthopsJob)
	fx.later = append(fx.later, nexthopsJob)
}

// nexthopChanged adds the re-reads a nexthop object's deletion calls for.
// Deleting a nexthop (`ip nexthop del`, or nexthopsFollowLink) removes the
// routes that use it, IPv4 and IPv6, without RTM_DELROUTE, and removes it
// from the groups that contain it (remove_nexthop -> __remove_nexthop_fib,
// remove_nexthop_from_groups); the routes over such a group lose that hop,
// unannounced, while the group's own change is announced. The routes that
// use nexthop objects are re-read: one dump, whatever the number of
// nexthops deleted in a batch (the kernel filters route dumps by table and
// device only). A new nexthop changes no route, and a changed one (`ip
// nexthop replace`) has the kernel announce every route over it again
// (nexthop_replace_notify: fib_info_notify_update, fib6_rt_update), so
// neither calls for a re-read.
func nexthopChanged(c cause, fx *rereads) {
	if c.deleted {
		fx.now = append(fx.now, nexthopRoutesJob)
	}
}

// The hooks: the apply path reaches the effects only through these.

// changed runs the onChange effect of d for c.
func (d *kindDef) changed(c cause, fx *rereads) {
	if d.effects.onChange != nil {
		d.effects.onChange(c, fx)
	}
}

// inTxn runs the inTxn effect of d for c inside w.
func (d *kindDef) inTxn(w *writer, c cause, changes []Change, fx *rereads) []Change {
	if d.effects.inTxn == nil {
		return changes
	}
	return d.effects.inTxn(w, d, c, changes, fx)
}

// committed runs the afterCommit effects of a committed batch, kind by
// kind in table order, each in the batch's order.
func (db *DB) committed(batch []netlink.Update, fx *rereads) {
	var state *memdb.Txn
	for _, d := range kindDefs {
		if d == nil || d.effects.afterCommit == nil {
			continue
		}
		for _, u := range batch {
			if u.Object.Kind() != d.kind || !d.effects.checkAfterCommit(u) {
				continue
			}
			if state == nil {
				state = db.mem.Txn(false)
			}
			d.effects.afterCommit(state, d, u, fx)
		}
	}
}

// followChanges schedules the re-reads that changes found by a re-read or
// resync call for, through the same onChange effects as notifications: a
// link whose up or carrier flags a refresh found changed before its own
// notification arrived has dropped or flagged routes all the same.
func (db *DB) followChanges(changes []Change) {
	fx := rereads{linkwatch: db.linkwatch}
	for i := range changes {
		if d := defOf(changes[i].Kind); d != nil {
			d.changed(causeOfChange(&changes[i]), &fx)
		}
	}
	if len(fx.now) > 0 {
		db.queue.pushJobs(fx.now)
	}
	db.settleLater(&fx)
}

// refreshJobs re-read the kinds the kernel changes with no notification at
// all (kindEffects.refresh).
var refreshJobs = func() []reconcileJob {
	var jobs []reconcileJob
	for _, d := range kindDefs {
		if d != nil && d.effects.refresh {
			jobs = append(jobs, reconcileJob{kind: d.kind})
		}
	}
	return append(jobs, mplsRefreshJob)
}()

// mplsRefreshJob re-reads the MPLS routes: lowering
// net.mpls.platform_labels frees the routes of the labels above it with no
// notification (resize_platform_label_table in net/mpls/af_mpls.c). It
// runs only while the database holds an MPLS route (hasMPLSRoutes): a dump
// of family AF_MPLS on a kernel without mpls_router would be answered with
// every family's routes (rtnetlink_rcv_msg falls back to PF_UNSPEC).
var mplsRefreshJob = reconcileJob{kind: netlink.KindRoute, s: scope{family: unix.AF_MPLS}}

// hasMPLSRoutes reports whether the committed state holds an MPLS route.
func (db *DB) hasMPLSRoutes() bool {
	it, err := db.Snapshot().txn.Get(routeDef.table, "id_prefix", []byte{unix.AF_MPLS})
	return err == nil && it.Next() != nil
}

// tcChanged adds the re-reads a qdisc or class notification calls for.
// The kernel announces the object a request names and little else (found
// live, with `tc monitor` beside each change):
//
//   - adding or replacing a root qdisc announces the deletion of the old
//     one and the new one, but not the old one's classes, child qdiscs and
//     filters, which go with it (qdisc_graft -> notify_and_destroy ->
//     qdisc_put); deleting a qdisc likewise takes its tree silently;
//   - deleting the root qdisc of an up link attaches the default one
//     (noqueue on veth) silently (qdisc_graft -> dev_activate ->
//     attach_default_qdiscs);
//   - a new qdisc may come with classes and children of its own, never
//     announced: mq has a class and a default pfifo_fast child per
//     transmit queue (mq_init, mq_attach), tbf a class 1:1 (tbf_dump_class);
//   - a class added under a leaf class turns it into an inner class and
//     destroys its leaf qdisc (htb_change_class); a deleted class takes
//     its leaf qdisc and its filters (htb_delete, tcf_block_put), and a
//     parent left without children becomes a leaf again
//     (htb_parent_to_leaf).
//
// What of this can be derived is done in the notification's own write
// transaction (qdiscInTxn, classInTxn in tc_effects.go): a destroyed
// qdisc's or class's tree, tbf's class, an htb parent's leaf qdisc and
// level. The rest (the default qdisc, mq's classes and children, other
// kinds' kernel-made classes) is re-read, the re-read being the safety
// net for all of it: a qdisc notification re-reads the qdiscs and the
// link's classes, a class's deletion and a class added under another
// class the link's qdiscs, classes and filters (u32 shares its hash
// tables among a qdisc's blocks); one
// re-read each per batch, whatever its number of notifications. A class
// added under its qdisc, or changed, changes nothing else: no re-read
// (a link with 10,000 classes re-reads them in about a second).
// Notifications only: what a re-read finds is already what the kernel
// has.
func tcChanged(c cause, fx *rereads) {
	if !c.notified {
		return
	}
	switch o := c.obj.(type) {
	case *netlink.Qdisc:
		// Not the filters: a new qdisc has none, and a destroyed
		// qdisc's are removed in its transaction (qdiscInTxn), all its
		// blocks with them (u32's hash tables too: tc_u_common is the
		// qdisc's).
		fx.now = append(fx.now, qdiscsJob, reconcileJob{kind: netlink.KindClass, s: scope{ifindex: uint32(o.Index)}})
		old, _ := c.old.(*netlink.Qdisc)
		fx.now = append(fx.now, blockJobs(o, old)...)
	case *netlink.Class:
		if c.deleted || c.old == nil && o.Parent != netlink.HandleRoot && o.Parent.Minor() != 0 {
			fx.now = append(fx.now, tcJobs(o.Index)...)
		}
	}
}

// filterChanged adds the re-reads a filter notification calls for, seen
// from inside its write transaction (whether its priority is known). A
// new filter may bring its priority's entry (handle 0, tcf_fill_node
// without a filter) and u32 its hash table ("fh 800:", u32_init),
// unannounced; deleting a priority or a chain (`tc filter del` without a
// handle) is announced as one message per priority, not per filter
// (tfilter_notify_chain), and deleting the last filter of a priority
// removes the priority silently (tcf_chain_tp_delete_empty). So a
// deletion, or a filter of a priority not stored yet, re-reads the
// filter block (the whole link's filters for the ingress and clsact
// blocks, whose parent a notification may name otherwise than dumps:
// filterCanonical, and for a parent naming the root qdisc, root or 0).
// For kinds other than u32 whose parent is exact (filterParentKnown) all
// of this is derived in the notification's transaction too
// (filterPriorityInTxn), and the re-read stays as a safety net. A filter added to a known
// priority, or changed, needs nothing, except for u32 (below).
func filterChanged(w *writer, d *kindDef, c cause, changes []Change, fx *rereads) []Change {
	f := c.obj.(*netlink.Filter)
	if !c.notified {
		return changes
	}
	if f.TCKind == "u32" {
		// u32 shares its hash tables among the priorities of one qdisc
		// (tc_u_common, keyed by the qdisc for a block of its own), and a
		// priority's walk lists every table of its number: a filter added
		// to class 1:10's block at priority 1 shows in qdisc 1:'s block at
		// priority 1 too (found live). Every u32 change re-reads the
		// link's filters. The first u32 filter of a qdisc or shared
		// block brings what can be derived in this transaction
		// (u32FirstInTxn); the re-read stays as the safety net.
		fx.now = append(fx.now, reconcileJob{kind: netlink.KindFilter, s: filterScope(f)})
		switch {
		case !c.deleted && filterParentKnown(w, f):
			changes = u32FirstInTxn(w, d, f, changes)
		case c.deleted && f.Handle == 0 && filterParentKnown(w, f):
			// The priority itself is gone (tcf_chain_tp_remove destroys
			// the tcf_proto): nothing of it lists under this parent any
			// more, its hash tables and nodes included. Tables another
			// parent's walk shows are the re-read's.
			changes = filterPriorityInTxn(w, d, c, changes)
		}
		return changes
	}
	s := filterScope(f)
	if filterParentKnown(w, f) {
		// Derived in this transaction (filterPriorityInTxn), so that the
		// priority comes and goes in the filter's revision. The re-read
		// stays, as for u32: a new matchall filter is announced without
		// itself, as its priority's handle-0 entry with no options
		// (6.1's mall_change hands the previous root, none, back to
		// tc_new_tfilter as the new filter; seen in the guest), and
		// only a dump finds it (TestTCFilterActionsFollowed). It finds
		// nothing in the usual case.
		changes = filterPriorityInTxn(w, d, c, changes)
		fx.now = append(fx.now, reconcileJob{kind: netlink.KindFilter, s: s})
		return changes
	}
	if p := f.Parent; f.Block == 0 && p.Major() != 0 && p.Major() != 0xffff {
		s.parent = uint32(p)
	}
	fx.now = append(fx.now, reconcileJob{kind: netlink.KindFilter, s: s})
	return changes
}

// tcFollowsLink re-reads the qdiscs, and the link's classes, when a link
// comes up or appears up: it gets its default root qdisc without a
// notification (dev_activate -> attach_default_qdiscs; noqueue for a veth
// or bridge, mq with a class per queue on a multi-queue device), before
// the kernel announces the link's new flags (__dev_notify_flags). A link
// that never came up has none that tc lists (noop_qdisc, TCQ_F_BUILTIN,
// is not dumped), and one going down keeps its qdiscs (found live), so
// nothing else is re-read. One qdisc dump serves every link of a batch
// (qdiscsJob).
func tcFollowsLink(c cause, fx *rereads) {
	o := c.obj.(*netlink.Link)
	if c.deleted || o.Family == unix.AF_BRIDGE || o.Flags&unix.IFF_UP == 0 {
		return
	}
	if ol, _ := c.old.(*netlink.Link); ol == nil || ol.Flags&unix.IFF_UP == 0 {
		fx.now = append(fx.now, qdiscsJob, reconcileJob{kind: netlink.KindClass, s: scope{ifindex: uint32(o.Index)}})
	}
}

// tcDeletedWith removes, inside w, the qdiscs, classes and filters of a
// deleted link: the kernel destroys them without a notification
// (unregister_netdevice -> dev_shutdown -> qdisc_put), announcing only
// the deletion of its filter chains (RTM_DELCHAIN). The last binding of
// a shared block takes the block's filters with it (tcBlockDeaths),
// another's leaves them; the blocks are re-read too (blockJobs).
func tcDeletedWith(w *writer, ifindex uint32, changes []Change, fx *rereads) []Change {
	prefix := appendU32(nil, ifindex)
	var qdiscs []*netlink.Qdisc
	for _, d := range []*kindDef{&qdiscDef, &classDef, &filterDef} {
		var gone []netlink.Object
		changes, gone = removePrefix(w, d, prefix, changes)
		for _, o := range gone {
			if q, ok := o.(*netlink.Qdisc); ok {
				qdiscs = append(qdiscs, q)
				fx.now = append(fx.now, blockJobs(q)...)
			}
		}
	}
	return tcBlockDeaths(w, changes, qdiscs...)
}

// removePrefix removes, inside w, the objects of table d whose key starts
// with prefix, and returns changes with their deletions appended, and the
// objects.
func removePrefix(w *writer, d *kindDef, prefix []byte, changes []Change) ([]Change, []netlink.Object) {
	it, err := w.txn.Get(d.table, "id_prefix", prefix)
	if err != nil {
		return changes, nil
	}
	var gone []netlink.Object
	for raw := it.Next(); raw != nil; raw = it.Next() {
		gone = append(gone, raw.(netlink.Object))
	}
	for _, o := range gone {
		_ = w.remove(d, o)
		changes = append(changes, Change{Kind: d.kind, Op: OpDelete, Old: o})
	}
	return changes, gone
}
