package watch

import (
	"github.com/ipdb-go/ipdb/netlink"
)

// kindRow is what package watch knows about one object kind: its typed
// event, and where the filters find the object's link, family and table.
// Replay (WithInitial, Resync) needs no row: it delivers every object of
// ipdb.Snapshot.All, which covers every kind the database keeps.
// TestKindTableComplete fails when a kind netlink knows has no row.
type kindRow struct {
	// typed is the event as the kind's typed event (LinkEvent...), the
	// value the kind's On method (OnLink...) delivers.
	typed func(e *Event) any
	// link returns the ifindex of the link the object belongs to, whose
	// name Event.LinkName carries (0: none).
	link func(o netlink.Object) int
	// alsoOn, if set, reports whether the object is on link index in
	// another way (a route's next hops, an FDB entry's bridge table), for
	// LinkIndex.
	alsoOn func(o netlink.Object, index int) bool
	// family returns the object's address family, for Family; nil for a
	// kind without one (its events pass).
	family func(o netlink.Object) uint8
	// table returns the routing table the object is in or points to, for
	// Table; nil for a kind without one (its events pass).
	table func(o netlink.Object) uint32
	// nexthop returns the nexthop object id the object is or uses, for
	// NexthopID; nil for a kind that has none (its events do not pass).
	nexthop func(o netlink.Object) uint32
}

// kindRows is the watch kind table, indexed by kind.
var kindRows = [...]*kindRow{
	netlink.KindLink: {
		typed: func(e *Event) any { return linkEvent(e) },
		link:  func(o netlink.Object) int { return o.(*netlink.Link).Index },
	},
	netlink.KindAddr: {
		typed:  func(e *Event) any { return addrEvent(e) },
		link:   func(o netlink.Object) int { return o.(*netlink.Addr).Index },
		family: func(o netlink.Object) uint8 { return o.(*netlink.Addr).Family },
	},
	netlink.KindRoute: {
		typed: func(e *Event) any { return routeEvent(e) },
		link:  func(o netlink.Object) int { return int(o.(*netlink.Route).OIF) },
		alsoOn: func(o netlink.Object, index int) bool {
			for _, h := range o.(*netlink.Route).Multipath {
				if int(h.IfIndex) == index {
					return true
				}
			}
			return false
		},
		family: func(o netlink.Object) uint8 { return o.(*netlink.Route).Family },
		table:  func(o netlink.Object) uint32 { return o.(*netlink.Route).Table },
		nexthop: func(o netlink.Object) uint32 {
			if x := o.(*netlink.Route).Extra; x != nil {
				return x.NHID
			}
			return 0
		},
	},
	netlink.KindNeigh: {
		typed:  func(e *Event) any { return neighEvent(e) },
		link:   func(o netlink.Object) int { return o.(*netlink.Neigh).Index },
		family: func(o netlink.Object) uint8 { return o.(*netlink.Neigh).Family },
	},
	netlink.KindRule: {
		typed: func(e *Event) any { return ruleEvent(e) },
		// A rule names links (iif, oif) but belongs to none.
		link:   func(netlink.Object) int { return 0 },
		family: func(o netlink.Object) uint8 { return o.(*netlink.Rule).Family },
		table:  func(o netlink.Object) uint32 { return o.(*netlink.Rule).Table },
	},
	netlink.KindFDB: {
		typed:  func(e *Event) any { return fdbEvent(e) },
		link:   func(o netlink.Object) int { return o.(*netlink.FDB).Index },
		alsoOn: func(o netlink.Object, index int) bool { return o.(*netlink.FDB).Master == index },
		family: func(o netlink.Object) uint8 { return o.(*netlink.FDB).Family },
	},
	netlink.KindNexthop: {
		typed: func(e *Event) any { return nexthopEvent(e) },
		link:  func(o netlink.Object) int { return int(o.(*netlink.Nexthop).OIF) },
		// A group has no family: it passes Family filters.
		family: func(o netlink.Object) uint8 {
			if n := o.(*netlink.Nexthop); !n.IsGroup() {
				return n.Family
			}
			return 0
		},
		nexthop: func(o netlink.Object) uint32 { return o.(*netlink.Nexthop).ID },
	},
	// tc objects have neither family nor table: they pass Family and
	// Table filters.
	netlink.KindQdisc: {
		typed: func(e *Event) any { return qdiscEvent(e) },
		link:  func(o netlink.Object) int { return o.(*netlink.Qdisc).Index },
	},
	netlink.KindClass: {
		typed: func(e *Event) any { return classEvent(e) },
		link:  func(o netlink.Object) int { return o.(*netlink.Class).Index },
	},
	netlink.KindFilter: {
		typed: func(e *Event) any { return filterEvent(e) },
		link:  func(o netlink.Object) int { return o.(*netlink.Filter).Index },
	},
}

// rowOf returns the row of o's kind, or nil (for a nil object, as in a
// Resync event, or a kind without a row).
func rowOf(o netlink.Object) *kindRow {
	if o == nil {
		return nil
	}
	k := o.Kind()
	if int(k) >= len(kindRows) {
		return nil
	}
	return kindRows[k]
}

// ifindexOf returns the ifindex of the link o belongs to, or 0.
func ifindexOf(o netlink.Object) int {
	if r := rowOf(o); r != nil {
		return r.link(o)
	}
	return 0
}
