package watch

import (
	"context"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// LinkEvent is a change of a link. Old is nil for adds, New for deletes.
// On Resync, both are nil.
type LinkEvent struct {
	Rev      uint64
	Op       ipdb.Op
	Old, New *netlink.Link
	Initial  bool
	Resync   bool
}

// Renamed reports a rename and the old and new names.
func (e LinkEvent) Renamed() (oldName, newName string, ok bool) {
	if e.Old == nil || e.New == nil || e.Old.Name == e.New.Name {
		return "", "", false
	}
	return e.Old.Name, e.New.Name, true
}

// WentUp reports that the link became administratively up (IFF_UP).
func (e LinkEvent) WentUp() bool {
	return e.New != nil && e.New.Flags&iffUp != 0 && (e.Old == nil || e.Old.Flags&iffUp == 0)
}

// WentDown reports that the link stopped being administratively up.
func (e LinkEvent) WentDown() bool {
	return e.Old != nil && e.New != nil && e.Old.Flags&iffUp != 0 && e.New.Flags&iffUp == 0
}

// CarrierChanged reports a carrier transition, and the new carrier.
func (e LinkEvent) CarrierChanged() (carrier, ok bool) {
	if e.Old == nil || e.New == nil || e.Old.Carrier == e.New.Carrier {
		return false, false
	}
	return e.New.Carrier, true
}

// OperStateChanged reports an operational state transition.
func (e LinkEvent) OperStateChanged() (from, to netlink.OperState, ok bool) {
	if e.Old == nil || e.New == nil || e.Old.OperState == e.New.OperState {
		return 0, 0, false
	}
	return e.Old.OperState, e.New.OperState, true
}

// MTUChanged reports an MTU change.
func (e LinkEvent) MTUChanged() (from, to uint32, ok bool) {
	if e.Old == nil || e.New == nil || e.Old.MTU == e.New.MTU {
		return 0, 0, false
	}
	return e.Old.MTU, e.New.MTU, true
}

// AddressChanged reports a change of the link-layer address.
func (e LinkEvent) AddressChanged() bool {
	return e.Old != nil && e.New != nil && e.Old.Address.String() != e.New.Address.String()
}

// MasterChanged reports that the link was enslaved, released or moved to
// another master, with the old and new master ifindex (0 for none).
func (e LinkEvent) MasterChanged() (from, to int, ok bool) {
	if e.Old == nil || e.New == nil || e.Old.Master == e.New.Master {
		return 0, 0, false
	}
	return e.Old.Master, e.New.Master, true
}

const iffUp = 0x1 // IFF_UP

// AddrEvent is a change of an address.
type AddrEvent struct {
	Rev      uint64
	Op       ipdb.Op
	Old, New *netlink.Addr
	Initial  bool
	Resync   bool
}

// RouteEvent is a change of a route.
type RouteEvent struct {
	Rev      uint64
	Op       ipdb.Op
	Old, New *netlink.Route
	Initial  bool
	Resync   bool
}

// NeighEvent is a change of an ARP or NDP entry.
type NeighEvent struct {
	Rev      uint64
	Op       ipdb.Op
	Old, New *netlink.Neigh
	Initial  bool
	Resync   bool
}

// FDBEvent is a change of a forwarding database entry.
type FDBEvent struct {
	Rev      uint64
	Op       ipdb.Op
	Old, New *netlink.FDB
	Initial  bool
	Resync   bool
}

// Moved reports that a bridge's entry moved to another port (learned on
// it, or `bridge fdb replace`), with the old and new port ifindex.
func (e FDBEvent) Moved() (from, to int, ok bool) {
	if e.Old == nil || e.New == nil || e.Old.Index == e.New.Index {
		return 0, 0, false
	}
	return e.Old.Index, e.New.Index, true
}

// NexthopEvent is a change of a nexthop object.
type NexthopEvent struct {
	Rev      uint64
	Op       ipdb.Op
	Old, New *netlink.Nexthop
	Initial  bool
	Resync   bool
}

// RuleEvent is a change of a rule.
type RuleEvent struct {
	Rev      uint64
	Op       ipdb.Op
	Old, New *netlink.Rule
	Initial  bool
	Resync   bool
}

// as converts a possibly nil object to its concrete type.
func as[T netlink.Object](o netlink.Object) T {
	t, _ := o.(T)
	return t
}

// linkEvent is e as a LinkEvent.
func linkEvent(e *Event) LinkEvent {
	return LinkEvent{e.Rev, e.Op, as[*netlink.Link](e.Old), as[*netlink.Link](e.New), e.Initial, e.Resync}
}

// addrEvent is e as a AddrEvent.
func addrEvent(e *Event) AddrEvent {
	return AddrEvent{e.Rev, e.Op, as[*netlink.Addr](e.Old), as[*netlink.Addr](e.New), e.Initial, e.Resync}
}

// routeEvent is e as a RouteEvent.
func routeEvent(e *Event) RouteEvent {
	return RouteEvent{e.Rev, e.Op, as[*netlink.Route](e.Old), as[*netlink.Route](e.New), e.Initial, e.Resync}
}

// neighEvent is e as a NeighEvent.
func neighEvent(e *Event) NeighEvent {
	return NeighEvent{e.Rev, e.Op, as[*netlink.Neigh](e.Old), as[*netlink.Neigh](e.New), e.Initial, e.Resync}
}

// fdbEvent is e as a FDBEvent.
func fdbEvent(e *Event) FDBEvent {
	return FDBEvent{e.Rev, e.Op, as[*netlink.FDB](e.Old), as[*netlink.FDB](e.New), e.Initial, e.Resync}
}

// nexthopEvent is e as a NexthopEvent.
func nexthopEvent(e *Event) NexthopEvent {
	return NexthopEvent{e.Rev, e.Op, as[*netlink.Nexthop](e.Old), as[*netlink.Nexthop](e.New), e.Initial, e.Resync}
}

// ruleEvent is e as a RuleEvent.
func ruleEvent(e *Event) RuleEvent {
	return RuleEvent{e.Rev, e.Op, as[*netlink.Rule](e.Old), as[*netlink.Rule](e.New), e.Initial, e.Resync}
}

// on subscribes fn to one kind's events (and Resync events).
func on[T any](w *Watcher, k netlink.Kind, f Filter, fn func(T), conv func(*Event) T, opts []Option) (stop func()) {
	return w.subscribe(context.Background(), All(Kinds(k), f), func(_ context.Context, e *Event) bool {
		fn(conv(e))
		return true
	}, nil, opts)
}

// OnLink calls fn for each link change matching f (nil for all) until the
// returned function is called or the Watcher closes.
func (w *Watcher) OnLink(f Filter, fn func(LinkEvent), opts ...Option) (stop func()) {
	return on(w, netlink.KindLink, f, fn, linkEvent, opts)
}

// OnAddr calls fn for each address change matching f (nil for all).
func (w *Watcher) OnAddr(f Filter, fn func(AddrEvent), opts ...Option) (stop func()) {
	return on(w, netlink.KindAddr, f, fn, addrEvent, opts)
}

// OnRoute calls fn for each route change matching f (nil for all).
func (w *Watcher) OnRoute(f Filter, fn func(RouteEvent), opts ...Option) (stop func()) {
	return on(w, netlink.KindRoute, f, fn, routeEvent, opts)
}

// OnNeigh calls fn for each neighbour change matching f (nil for all).
func (w *Watcher) OnNeigh(f Filter, fn func(NeighEvent), opts ...Option) (stop func()) {
	return on(w, netlink.KindNeigh, f, fn, neighEvent, opts)
}

// OnFDB calls fn for each FDB entry change matching f (nil for all); e.g.
// LinkIndex(bridge) selects the entries of a bridge's table, LinkName(port)
// those on a port.
func (w *Watcher) OnFDB(f Filter, fn func(FDBEvent), opts ...Option) (stop func()) {
	return on(w, netlink.KindFDB, f, fn, fdbEvent, opts)
}

// OnRule calls fn for each rule change matching f (nil for all).
func (w *Watcher) OnRule(f Filter, fn func(RuleEvent), opts ...Option) (stop func()) {
	return on(w, netlink.KindRule, f, fn, ruleEvent, opts)
}

// OnNexthop calls fn for each nexthop object change matching f (nil for
// all); e.g. LinkName(dev) selects the nexthops on a device. The routes a
// deleted nexthop takes with it come as route events.
func (w *Watcher) OnNexthop(f Filter, fn func(NexthopEvent), opts ...Option) (stop func()) {
	return on(w, netlink.KindNexthop, f, fn, nexthopEvent, opts)
}
