package ipdb

import (
	"context"
	"iter"
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// kindDef is everything the database knows about one object kind: its
// table, identity, filters, dump, comparison, subscriptions and
// unannounced effects. One is defined per kind, in that kind's file
// (link.go, addr.go, route.go, neigh.go, rule.go, fdb.go), and kindDefs
// lists them; TestKindTableComplete fails when a kind netlink knows has
// no row, or a row lacks a field every kind needs.
//
// Everything generic iterates kindDefs: the schema (newSchema), the
// subscriptions (options.groups), the first sync and every resync
// (fullSync), the periodic refresh (refreshJobs), Snapshot.All and
// Stats. A row is therefore all a kind needs to be subscribed, loaded,
// resynced, replayed and counted.
type kindDef struct {
	kind  netlink.Kind
	table string
	// key is the kernel's identity of the object, as a binary key that
	// starts with the fields prefix queries need; nil for a message that
	// names no object (it is ignored).
	key func(o netlink.Object) []byte
	// keep applies the Open filters (WithFamilies, WithTables).
	keep func(opts *options, o netlink.Object) bool
	// always keeps the kind whatever WithKinds says.
	always bool
	// notObject, if set, reports whether a message of this kind
	// describes something other than an object of it: its effects run,
	// but it is neither stored nor deletes anything.
	notObject func(o netlink.Object) bool
	// dump streams the kernel's objects of this kind (all of them, or
	// those matching the kernel-side filter in scope).
	dump func(ctx context.Context, c *netlink.Conn, s scope, fn func(netlink.Object) error) error
	// inScope reports whether o is among the objects a dump limited to s
	// returns: the kernel-side filter of dump, as a predicate.
	inScope func(o netlink.Object, s scope) bool
	// equal reports whether two objects with the same key are the same
	// (volatile attributes and announced-as-remaining deadlines aside).
	// It is the one definition of equality: Equal, the applier and the
	// sweep all use it.
	equal func(a, b netlink.Object) bool
	// stamp, for a kind whose objects count time down, turns the
	// remaining times the kernel sent into deadlines at now(), the time
	// the message was read, calling now only for an object that counts
	// something down (a dump of a full routing table reads the clock only
	// for expiring routes). nil: nothing counts down.
	stamp func(o netlink.Object, now func() time.Time)
	// stored, if set, is told that o is about to be stored over old
	// (nil if none), for what the database keeps beside the table (an
	// FDB entry's birth, fdbStored).
	stored func(o, old netlink.Object)
	// removed, if set, is told that o is being removed, for what the
	// database keeps beside the table (a route's place among its
	// alternates, routeUnlisted).
	removed func(w *writer, o netlink.Object)
	// listing, if set, returns what records the kernel's list order from
	// a dump limited to s (and to job's predicate, if not nil), or nil
	// when such a dump cannot show it (route_order.go).
	listing func(w *writer, s scope, job *reconcileJob) listing
	// ordered, if set, iterates the kind's objects in the order its own
	// iterator promises, when that is not key order (routes: alternates
	// in the kernel's list order).
	ordered func(s *Snapshot) iter.Seq[netlink.Object]
	// indexes are secondary indexes besides "id".
	indexes map[string]*memdb.IndexSchema
	// groups are the multicast groups that announce this kind.
	groups kindGroups
	// follows are the other kinds whose notifications this kind's
	// unannounced effects hang on: their groups are joined too when this
	// kind is kept (routes follow addresses: removing an address removes
	// routes silently).
	follows []netlink.Kind
	// effects are what the kernel does without telling when an object of
	// this kind changes (effects.go).
	effects kindEffects
}

// kindGroups are the multicast groups of one kind: those of its IPv4 and
// IPv6 objects, joined when WithFamilies keeps the family, and those
// joined regardless of family.
type kindGroups struct {
	v4, v6, mpls, any netlink.Groups
}

// scope narrows a dump for a targeted reconcile. The zero scope is all.
type scope struct {
	family  uint8
	ifindex uint32
	table   uint32
	// proxy limits a neighbour re-read to the proxy entries (`ip neigh
	// show proxy`), which the kernel adds and removes without a
	// notification and outside the tables' counters (pneigh_create,
	// pneigh_delete in net/core/neighbour.c).
	proxy bool
	// parent limits a filter re-read to one filter block of the link
	// ifindex (tcm_parent of the dump request; tc_dump_tfilter).
	parent uint32
	// block limits a filter re-read to the shared filter block of this
	// index (ifindex 0; tc's `filter show block N`).
	block uint32
}

// kindDefs is the database's kind table, indexed by kind.
var kindDefs = [...]*kindDef{
	netlink.KindLink:    &linkDef,
	netlink.KindAddr:    &addrDef,
	netlink.KindRoute:   &routeDef,
	netlink.KindNeigh:   &neighDef,
	netlink.KindRule:    &ruleDef,
	netlink.KindFDB:     &fdbDef,
	netlink.KindNexthop: &nexthopDef,
	netlink.KindQdisc:   &qdiscDef,
	netlink.KindClass:   &classDef,
	netlink.KindFilter:  &filterDef,
}

func defOf(k netlink.Kind) *kindDef {
	if int(k) >= len(kindDefs) || kindDefs[k] == nil {
		return nil
	}
	return kindDefs[k]
}

// inScope reports whether o is one of the objects a dump limited to s
// returns.
func inScope(o netlink.Object, s scope) bool {
	d := defOf(o.Kind())
	return d != nil && d.inScope(o, s)
}
