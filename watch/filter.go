package watch

import (
	"slices"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// A Filter selects events. Build them with the functions below and combine
// them with All and Any; nil selects everything. The *Event is the
// subscription's own and valid only during the call: a Filter that keeps
// an event keeps a copy (*e).
type Filter func(e *Event) bool

// Kinds selects events of these object kinds.
func Kinds(kinds ...netlink.Kind) Filter {
	return func(e *Event) bool { return e.Resync || slices.Contains(kinds, e.Kind) }
}

// Ops selects adds, changes or deletes.
func Ops(ops ...ipdb.Op) Filter {
	return func(e *Event) bool { return e.Resync || slices.Contains(ops, e.Op) }
}

// LinkName selects events of the link with this name, or of objects on
// it (as LinkIndex, shared tc blocks' filters included). A rename matches
// both the old and the new name.
func LinkName(name string) Filter {
	return func(e *Event) bool {
		if e.Resync || e.LinkName == name {
			return true
		}
		if f, ok := e.Object().(*netlink.Filter); ok && f.Block != 0 {
			return e.blocks.passes(f.Block, e.Op, 0, name)
		}
		if l, ok := e.Old.(*netlink.Link); ok && l.Name == name {
			return true
		}
		return false
	}
}

// LinkIndex selects events of the link with this ifindex, or of objects on
// it (routes through it as output interface or next hop, FDB entries on it
// as port or device, or in its table as bridge; a shared tc block's
// filters while one of the link's qdiscs is bound to the block, and their
// deletions when the block goes with the link or its qdisc, as `tc filter
// show dev X ingress` lists them).
func LinkIndex(index int) Filter {
	return func(e *Event) bool {
		if e.Resync {
			return true
		}
		o := e.Object()
		if f, ok := o.(*netlink.Filter); ok && f.Block != 0 {
			return e.blocks.passes(f.Block, e.Op, index, "")
		}
		if r := rowOf(o); r != nil && r.alsoOn != nil && r.alsoOn(o, index) {
			return true
		}
		return ifindexOf(o) == index
	}
}

// Family selects addresses, routes, neighbours, rules and FDB entries of
// this family (unix.AF_INET, AF_INET6; FDB entries are AF_BRIDGE). Link
// events pass.
func Family(family uint8) Filter {
	return func(e *Event) bool {
		o := e.Object()
		if r := rowOf(o); r != nil && r.family != nil {
			return r.family(o) == family
		}
		return true
	}
}

// Table selects routes of this table and rules that point to it. Other
// kinds pass.
func Table(table uint32) Filter {
	return func(e *Event) bool {
		o := e.Object()
		if r := rowOf(o); r != nil && r.table != nil {
			return r.table(o) == table
		}
		return true
	}
}

// NexthopID selects the events of the nexthop object id and of the routes
// that use it directly (their nhid). Other kinds' events do not pass; a
// group's members are not followed (combine with Any for those).
func NexthopID(id uint32) Filter {
	return func(e *Event) bool {
		o := e.Object()
		if r := rowOf(o); r != nil && r.nexthop != nil {
			return r.nexthop(o) == id
		}
		return false
	}
}

// All selects events that every filter selects.
func All(filters ...Filter) Filter {
	return func(e *Event) bool {
		for _, f := range filters {
			if f != nil && !f(e) {
				return false
			}
		}
		return true
	}
}

// Any selects events that at least one filter selects.
func Any(filters ...Filter) Filter {
	return func(e *Event) bool {
		for _, f := range filters {
			if f == nil || f(e) {
				return true
			}
		}
		return false
	}
}
