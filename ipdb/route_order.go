package ipdb

import (
	"bytes"
	"iter"
	"net/netip"
	"slices"

	"github.com/hashicorp/go-memdb"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// The kernel keeps the routes that share family, table, destination, TOS
// and priority (and an IPv6 source prefix), a route's alternates, in a
// list, and its order matters: an IPv4 lookup takes the first usable one
// (fib_table_lookup walks the leaf's aliases in order), and `ip route
// show` lists them in that order. IPv4 alternates come from `ip route
// append` (NLM_F_APPEND: after the others) and `ip route prepend` (neither
// NLM_F_APPEND nor NLM_F_EXCL: before them), and `ip route replace`
// replaces the first one in place (fib_table_insert, fib_insert_alias in
// net/ipv4/fib_trie.c). IPv6 adds a route after those of its metric
// (fib6_add_rt2 in net/ipv6/ip6_fib.c): fe80::/64 on each link is such a
// list. The database's keys order alternates by next hop, not by list
// position, so it keeps the list order of each group of two or more in a
// small table of its own, routeOrderTable: from each dump that holds the
// whole group, in dump order, and from notifications (the kernel sets
// NLM_F_EXCL on a route that has no alternate, and NLM_F_APPEND on an
// appended one). Routes iterates a group in that order. A member the
// order does not know (found by a re-read of one link's routes) comes
// after those it knows, in key order.
const routeOrderTable = "route_order"

// routeTable is the routes row's table.
const routeTable = "routes"

// routeOrder is the list order of one group of alternates.
type routeOrder struct {
	// Prefix is the group's routeKeyPrefix.
	Prefix string
	// Keys are the route keys of the group, in the kernel's list order.
	Keys []string
}

func routeOrderSchema() *memdb.TableSchema {
	return &memdb.TableSchema{Name: routeOrderTable, Indexes: map[string]*memdb.IndexSchema{
		"id": {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Prefix"}},
	}}
}

// routeSameGroup reports whether a and b are alternates: the same
// routeKeyPrefix.
func routeSameGroup(a, b *netlink.Route) bool {
	if a.Family != b.Family || a.Table != b.Table || a.Dst != b.Dst || a.TOS != b.TOS || a.Priority != b.Priority {
		return false
	}
	if a.Family != unix.AF_INET6 {
		return true
	}
	var sa, sb netip.Prefix
	if a.Extra != nil {
		sa = a.Extra.Src
	}
	if b.Extra != nil {
		sb = b.Extra.Src
	}
	return sa == sb
}

func orderOf(t *memdb.Txn, prefix []byte) *routeOrder {
	raw, err := t.First(routeOrderTable, "id", string(prefix))
	if raw == nil || err != nil {
		return nil
	}
	return raw.(*routeOrder)
}

// setOrder stores keys as the order of the group prefix, or removes the
// group's order when fewer than two routes are left.
func setOrder(w *writer, prefix []byte, keys []string) {
	if len(keys) < 2 {
		if o := orderOf(w.txn, prefix); o != nil {
			_ = w.txn.Delete(routeOrderTable, o)
			w.reordered = true
		}
		return
	}
	_ = w.txn.Insert(routeOrderTable, &routeOrder{Prefix: string(prefix), Keys: keys})
	w.reordered = true
}

// routeUnlisted drops a removed route from its group's order.
func routeUnlisted(w *writer, o netlink.Object) {
	prefix := routeKeyPrefix(nil, o.(*netlink.Route))
	ord := orderOf(w.txn, prefix)
	if ord == nil {
		return
	}
	key := string(routeKey(o.(*netlink.Route)))
	if i := slices.Index(ord.Keys, key); i >= 0 {
		setOrder(w, prefix, slices.Delete(slices.Clone(ord.Keys), i, i+1))
	}
}

// routeListed places a route a notification adds in its group's order:
// last when appended (NLM_F_APPEND, and every IPv6 route), first when
// prepended or when it replaced the first of several (routeReplaced then
// re-reads the group, whose dump has the last word). A route announced
// with NLM_F_EXCL has no alternate. The route may be stored already,
// found by a re-read of its link's routes before its notification came
// (a link coming up adds routes): it is placed unless the order has it.
func routeListed(w *writer, d *kindDef, c cause) {
	if !c.notified || c.deleted {
		return
	}
	r := c.obj.(*netlink.Route)
	prefix := routeKeyPrefix(nil, r)
	if c.flags&unix.NLM_F_EXCL != 0 {
		setOrder(w, prefix, nil)
		return
	}
	key := string(routeKey(r))
	var keys []string
	if ord := orderOf(w.txn, prefix); ord != nil {
		if c.old != nil && slices.Contains(ord.Keys, key) {
			return // a new version of a route in its place
		}
		keys = slices.Clone(ord.Keys)
	}
	it, err := w.txn.Get(d.table, "id_prefix", prefix)
	if err != nil {
		return
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if k := string(routeKey(raw.(*netlink.Route))); k != key && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return
	}
	if r.Family == unix.AF_INET6 || c.flags&unix.NLM_F_APPEND != 0 {
		keys = append(keys, key)
	} else {
		keys = slices.Insert(keys, 0, key)
	}
	setOrder(w, prefix, keys)
}

// A listing is told the objects of a dump that holds whole groups, in the
// kernel's order, as stored; end records what it saw.
type listing interface {
	add(o netlink.Object)
	end()
}

// routeListing records the order of the groups of alternates a dump
// holds, and forgets the orders it covers that the dump no longer shows
// as groups.
type routeListing struct {
	w      *writer
	covers func(prefix []byte) bool
	run    []*netlink.Route
	seen   map[string]bool
}

// newRouteListing starts a listing of a dump that holds every member of
// each group whose prefix covers accepts.
func newRouteListing(w *writer, covers func(prefix []byte) bool) listing {
	return &routeListing{w: w, covers: covers, seen: map[string]bool{}}
}

func (l *routeListing) add(o netlink.Object) {
	r := o.(*netlink.Route)
	if len(l.run) > 0 && !routeSameGroup(l.run[0], r) {
		l.flush()
	}
	l.run = append(l.run, r)
}

func (l *routeListing) flush() {
	if len(l.run) >= 2 {
		prefix := routeKeyPrefix(nil, l.run[0])
		keys := make([]string, len(l.run))
		for i, r := range l.run {
			keys[i] = string(routeKey(r))
		}
		if ord := orderOf(l.w.txn, prefix); ord == nil || !slices.Equal(ord.Keys, keys) {
			setOrder(l.w, prefix, keys)
		}
		l.seen[string(prefix)] = true
	}
	l.run = l.run[:0]
}

func (l *routeListing) end() {
	l.flush()
	it, err := l.w.txn.Get(routeOrderTable, "id")
	if err != nil {
		return
	}
	var stale []any
	for raw := it.Next(); raw != nil; raw = it.Next() {
		o := raw.(*routeOrder)
		if !l.seen[o.Prefix] && l.covers([]byte(o.Prefix)) {
			stale = append(stale, o)
		}
	}
	for _, o := range stale {
		_ = l.w.txn.Delete(routeOrderTable, o)
		l.w.reordered = true
	}
}

// routeListingFor returns a listing for a route dump limited to s and
// matching job, or nil when such a dump may hold only part of a group (a
// link's routes, those with a preferred source or over nexthop objects).
func routeListingFor(w *writer, s scope, job *reconcileJob) listing {
	if s.ifindex != 0 || job != nil && (job.prefsrc.IsValid() || job.nexthops) {
		return nil
	}
	var keyPrefix []byte
	if job != nil {
		keyPrefix = []byte(job.keyPrefix)
	}
	return newRouteListing(w, func(prefix []byte) bool {
		return (s.family == 0 || prefix[0] == s.family) &&
			(s.table == 0 || bytes.Equal(prefix[1:5], appendU32(nil, s.table))) &&
			bytes.HasPrefix(prefix, keyPrefix)
	})
}

// routesListed is Routes as objects: the routes row's ordered. (A row
// cannot name Routes, which names the row: an initialization cycle.)
func routesListed(s *Snapshot) iter.Seq[netlink.Object] {
	return func(yield func(netlink.Object) bool) {
		for r := range listedRoutes(s.txn, objects[*netlink.Route](s, routeTable, "id")) {
			if !yield(r) {
				return
			}
		}
	}
}

// listedRoutes yields routes from seq, a key-ordered iteration, with each
// group of alternates in the kernel's list order.
func listedRoutes(t *memdb.Txn, seq func(yield func(*netlink.Route) bool)) func(yield func(*netlink.Route) bool) {
	return func(yield func(*netlink.Route) bool) {
		var run []*netlink.Route
		emit := func() bool {
			if len(run) >= 2 {
				if ord := orderOf(t, routeKeyPrefix(nil, run[0])); ord != nil {
					pos := func(r *netlink.Route) int {
						if i := slices.Index(ord.Keys, string(routeKey(r))); i >= 0 {
							return i
						}
						return len(ord.Keys)
					}
					slices.SortStableFunc(run, func(a, b *netlink.Route) int { return pos(a) - pos(b) })
				}
			}
			for _, r := range run {
				if !yield(r) {
					return false
				}
			}
			run = run[:0]
			return true
		}
		for r := range seq {
			if len(run) > 0 && !routeSameGroup(run[0], r) && !emit() {
				return
			}
			run = append(run, r)
		}
		emit()
	}
}
