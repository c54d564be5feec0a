package netlink

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Kind names an object kind.
type Kind uint8

// Object kinds.
const (
	KindLink Kind = iota + 1
	KindAddr
	KindRoute
	KindNeigh
	KindRule
	// KindFDB is a bridge forwarding database entry (*FDB): an
	// RTM_NEWNEIGH/RTM_DELNEIGH of family AF_BRIDGE.
	KindFDB
	// KindNexthop is a nexthop object (*Nexthop): RTM_NEWNEXTHOP and
	// RTM_DELNEXTHOP (include/uapi/linux/nexthop.h).
	KindNexthop
	// KindQdisc is a traffic control qdisc (*Qdisc): RTM_NEWQDISC and
	// RTM_DELQDISC (net/sched/sch_api.c).
	KindQdisc
	// KindClass is a traffic control class (*Class): RTM_NEWTCLASS and
	// RTM_DELTCLASS.
	KindClass
	// KindFilter is a traffic control filter (*Filter): RTM_NEWTFILTER and
	// RTM_DELTFILTER (net/sched/cls_api.c).
	KindFilter

	// kindEnd is one past the last kind. Kinds counts up to it, not over
	// the kind table, so that a kind without a row shows up as one.
	kindEnd
)

// kindRow is what the netlink layer knows of one object kind: its name,
// its rtnetlink message types, the address family that tells it apart
// from another kind sharing those types, its multicast groups and its
// decoder.
type kindRow struct {
	// name is the kind's word in ip(8)'s and this module's vocabulary.
	name string
	// newType, delType and getType are its RTM_NEW*, RTM_DEL* and RTM_GET*
	// message types (include/uapi/linux/rtnetlink.h).
	newType, delType, getType uint16
	// family, when not zero, is the ndm_family/ifa_family (first byte of
	// the payload) that selects this row among rows sharing message types:
	// FDB entries are neighbour messages of family AF_BRIDGE
	// (net/core/rtnetlink.c rtnl_fdb_notify). Zero is the row for every
	// other family.
	family uint8
	// groups are the multicast groups its notifications are sent to.
	groups Groups
	// decode decodes a message payload (after the netlink header). On
	// error it still returns an object of the row's kind (for the error's
	// text).
	decode func(payload []byte) (Object, error)
}

// kindTable has one row per Kind; TestKindTableComplete fails when a kind
// in Kinds lacks one.
var kindTable = [kindEnd]kindRow{
	KindLink: {
		name: "link", newType: unix.RTM_NEWLINK, delType: unix.RTM_DELLINK, getType: unix.RTM_GETLINK,
		groups: GroupLink,
		decode: func(p []byte) (Object, error) { l := new(Link); return l, l.decode(p) },
	},
	KindAddr: {
		name: "addr", newType: unix.RTM_NEWADDR, delType: unix.RTM_DELADDR, getType: unix.RTM_GETADDR,
		groups: GroupIPv4Addr | GroupIPv6Addr,
		decode: func(p []byte) (Object, error) { a := new(Addr); return a, a.decode(p) },
	},
	KindRoute: {
		name: "route", newType: unix.RTM_NEWROUTE, delType: unix.RTM_DELROUTE, getType: unix.RTM_GETROUTE,
		groups: GroupIPv4Route | GroupIPv6Route | GroupMPLSRoute,
		decode: func(p []byte) (Object, error) { r := new(Route); return r, r.decode(p) },
	},
	KindNeigh: {
		name: "neigh", newType: unix.RTM_NEWNEIGH, delType: unix.RTM_DELNEIGH, getType: unix.RTM_GETNEIGH,
		groups: GroupNeigh,
		decode: func(p []byte) (Object, error) { n := new(Neigh); return n, n.decode(p) },
	},
	KindRule: {
		name: "rule", newType: unix.RTM_NEWRULE, delType: unix.RTM_DELRULE, getType: unix.RTM_GETRULE,
		groups: GroupIPv4Rule | GroupIPv6Rule,
		decode: func(p []byte) (Object, error) { r := new(Rule); return r, r.decode(p) },
	},
	KindFDB: {
		name: "fdb", newType: unix.RTM_NEWNEIGH, delType: unix.RTM_DELNEIGH, getType: unix.RTM_GETNEIGH,
		family: unix.AF_BRIDGE,
		groups: GroupNeigh,
		decode: func(p []byte) (Object, error) { n := new(Neigh); return (*FDB)(n), n.decode(p) },
	},
	KindNexthop: {
		name: "nexthop", newType: unix.RTM_NEWNEXTHOP, delType: unix.RTM_DELNEXTHOP, getType: unix.RTM_GETNEXTHOP,
		groups: GroupNexthop,
		decode: func(p []byte) (Object, error) { n := new(Nexthop); return n, n.decode(p) },
	},
	KindQdisc: {
		name: "qdisc", newType: unix.RTM_NEWQDISC, delType: unix.RTM_DELQDISC, getType: unix.RTM_GETQDISC,
		groups: GroupTC,
		decode: func(p []byte) (Object, error) { q := new(Qdisc); return q, q.decode(p) },
	},
	KindClass: {
		name: "class", newType: unix.RTM_NEWTCLASS, delType: unix.RTM_DELTCLASS, getType: unix.RTM_GETTCLASS,
		groups: GroupTC,
		decode: func(p []byte) (Object, error) { c := new(Class); return c, c.decode(p) },
	},
	KindFilter: {
		name: "filter", newType: unix.RTM_NEWTFILTER, delType: unix.RTM_DELTFILTER, getType: unix.RTM_GETTFILTER,
		groups: GroupTC,
		decode: func(p []byte) (Object, error) { f := new(Filter); return f, f.decode(p) },
	},
}

// Kinds returns every object kind, in order.
func Kinds() []Kind {
	out := make([]Kind, 0, kindEnd-1)
	for k := Kind(1); k < kindEnd; k++ {
		out = append(out, k)
	}
	return out
}

// row returns k's row, or nil for a value that is no kind.
func (k Kind) row() *kindRow {
	if k == 0 || k >= kindEnd || kindTable[k].name == "" {
		return nil
	}
	return &kindTable[k]
}

// String returns "link", "addr", "route", "neigh", "rule", "fdb",
// "nexthop", "qdisc", "class" or "filter".
func (k Kind) String() string {
	if r := k.row(); r != nil {
		return r.name
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// MessageTypes returns k's RTM_NEW* and RTM_DEL* message types (both 0
// for a value that is no kind). FDB entries share the neighbour types.
func (k Kind) MessageTypes() (newType, delType uint16) {
	if r := k.row(); r != nil {
		return r.newType, r.delType
	}
	return 0, 0
}

// ParseKind reads an object kind's name as String writes it: "link",
// "addr", "route", "neigh", "rule", "fdb", "nexthop", "qdisc", "class" or
// "filter". Anything else is an ErrInvalid error.
func ParseKind(word string) (Kind, error) {
	for k := Kind(1); k < kindEnd; k++ {
		if r := k.row(); r != nil && r.name == word {
			return k, nil
		}
	}
	return 0, invalidf("unknown object kind %q", word)
}

// Groups returns the rtnetlink multicast groups (RTNLGRP_* numbers of
// include/uapi/linux/rtnetlink.h) the kernel sends k's notifications to:
// RTNLGRP_LINK for links; RTNLGRP_IPV4_IFADDR and _IPV6_IFADDR for
// addresses; RTNLGRP_IPV4_ROUTE, _IPV6_ROUTE and _MPLS_ROUTE for routes; RTNLGRP_NEIGH
// for neighbours and FDB entries (they share it); RTNLGRP_IPV4_RULE and
// _IPV6_RULE for rules; RTNLGRP_NEXTHOP for nexthop objects; RTNLGRP_TC for
// qdiscs, classes and filters (they share it). Nil for a value that is no
// kind.
func (k Kind) Groups() []uint32 {
	r := k.row()
	if r == nil {
		return nil
	}
	var out []uint32
	for i, g := range groupRows {
		if r.groups&(1<<i) != 0 {
			out = append(out, g.rtnlgrp)
		}
	}
	return out
}

// GroupsFor returns the Groups (for Config.Groups) that carry k's
// notifications of address family family (unix.AF_INET, AF_INET6, or
// AF_MPLS for MPLS routes):
// the family's groups of kinds split by family (addresses, routes, rules)
// and the shared group of the others (links, neighbours, FDB entries).
// Zero for a value that is no kind.
func (k Kind) GroupsFor(family uint8) Groups {
	r := k.row()
	if r == nil {
		return 0
	}
	var out Groups
	for i, g := range groupRows {
		if r.groups&(1<<i) != 0 && (g.family == 0 || g.family == family) {
			out |= 1 << i
		}
	}
	return out
}

// Groups is a set of rtnetlink multicast groups to subscribe to.
type Groups uint32

// Multicast groups.
const (
	GroupLink Groups = 1 << iota
	GroupIPv4Addr
	GroupIPv6Addr
	GroupIPv4Route
	GroupIPv6Route
	GroupNeigh
	GroupIPv4Rule
	GroupIPv6Rule
	// GroupNexthop is RTNLGRP_NEXTHOP: nexthop objects.
	GroupNexthop
	// GroupMPLSRoute is RTNLGRP_MPLS_ROUTE: MPLS routes (net/mpls/af_mpls.c
	// rtmsg_lfib), which need the mpls_router module.
	GroupMPLSRoute
	// GroupTC is RTNLGRP_TC: qdiscs, classes and filters.
	GroupTC
	groupEnd // one past the last group

	// GroupAll is every group above.
	GroupAll = groupEnd - 1
)

// groupRows gives each Groups bit, in bit order, the kernel's RTNLGRP_*
// number (include/uapi/linux/rtnetlink.h) and the address family of its
// notifications (zero for every family). TestGroupRows checks that every
// bit has a row.
var groupRows = [...]struct {
	rtnlgrp uint32
	family  uint8
}{
	{unix.RTNLGRP_LINK, 0},
	{unix.RTNLGRP_IPV4_IFADDR, unix.AF_INET},
	{unix.RTNLGRP_IPV6_IFADDR, unix.AF_INET6},
	{unix.RTNLGRP_IPV4_ROUTE, unix.AF_INET},
	{unix.RTNLGRP_IPV6_ROUTE, unix.AF_INET6},
	{unix.RTNLGRP_NEIGH, 0},
	{unix.RTNLGRP_IPV4_RULE, unix.AF_INET},
	{unix.RTNLGRP_IPV6_RULE, unix.AF_INET6},
	{unix.RTNLGRP_NEXTHOP, 0},
	{unix.RTNLGRP_MPLS_ROUTE, unix.AF_MPLS},
	{unix.RTNLGRP_TC, 0},
}

// rowOfMessage returns the row of the kind a message of type typ with
// payload p belongs to, and whether the message deletes it.
func rowOfMessage(typ uint16, p []byte) (row *kindRow, deleted bool) {
	for i := range kindTable {
		r := &kindTable[i]
		if r.name == "" || (typ != r.newType && typ != r.delType) {
			continue
		}
		if r.family != 0 {
			// A row for one family wins over the row for the others.
			if len(p) > 0 && p[0] == r.family {
				return r, typ == r.delType
			}
			continue
		}
		if row == nil {
			row = r
		}
	}
	return row, row != nil && typ == row.delType
}

// Deleted reports whether the update removes its object: its Type is the
// RTM_DEL* type of its kind.
func (u Update) Deleted() bool {
	_, deleted := rowOfMessage(u.Type, nil)
	return deleted
}

// DecodeUpdate decodes the payload of an rtnetlink notification of type typ
// (the bytes after the netlink header). Types it does not know return an
// error wrapping ErrNotSupported; malformed payloads return ErrMalformed.
func DecodeUpdate(typ, flags uint16, payload []byte) (Update, error) {
	r, _ := rowOfMessage(typ, payload)
	if r == nil {
		return Update{}, &OpError{Op: "decode", Err: fmt.Errorf("%w: message type %d", ErrNotSupported, typ)}
	}
	o, err := r.decode(payload)
	if err != nil {
		return Update{}, &OpError{Op: "decode", Object: r.name, Err: err}
	}
	return Update{Type: typ, Flags: flags, Object: o}, nil
}
