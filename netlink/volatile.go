package netlink

import (
	"slices"

	"golang.org/x/sys/unix"
)

// What the kernel changes continuously, without anything having changed:
// counters and statistics, and timers that count down (or up) in every
// message. Two messages about the same object that differ only here
// describe the same state. This is the one list of them; ipdb's equality
// and txn's conflict check use it through Link.Stable.
//
//   - ifi_change (Link.Change) and IFLA_EVENT: what a message changed or
//     why it was sent (rtnl_get_event), not state.
//   - IFLA_STATS, IFLA_STATS64 (Link.Stats), IFLA_INFO_XSTATS: counters.
//   - IFLA_AF_SPEC: its IPv6 part (IFLA_INET6_STATS, IFLA_INET6_ICMP6STATS,
//     IFLA_INET6_CACHEINFO) carries counters and timestamps.
//   - IFLA_BR_HELLO_TIMER, IFLA_BR_TCN_TIMER, IFLA_BR_TOPOLOGY_CHANGE_TIMER,
//     IFLA_BR_GC_TIMER: a bridge's STP and garbage-collection timers
//     (br_fill_info in net/bridge/br_netlink.c reads them from running
//     timers).
//   - IFLA_BR_FDB_N_LEARNED: how many entries the bridge has learned, which
//     changes with traffic and ageing; IFLA_BR_MCAST_QUERIER_STATE: the
//     multicast querier seen and its timer (br_fill_info).
//   - IFLA_BRPORT_MESSAGE_AGE_TIMER, IFLA_BRPORT_FORWARD_DELAY_TIMER,
//     IFLA_BRPORT_HOLD_TIMER: a bridge port's STP timers (br_port_fill_attrs).
//
//   - the reachable or stale state of a learned bridge FDB entry, and the
//     ages of every FDB entry and neighbour (NDA_CACHEINFO): fdb_to_nud
//     in net/bridge/br_fdb.c derives the state from the entry's age at
//     each read (stale once older than the bridge's hold time), and the
//     kernel announces neither (FDB.Stable).
//
//   - tc objects (Qdisc.Stable, Class.Stable, Filter.Stable): a qdisc's
//     tcm_info (its reference count, Qdisc.Refcnt), the statistics
//     TCA_STATS, TCA_STATS2 and TCA_XSTATS of qdiscs and classes (TCStats),
//     the extended warning TCA_EXT_WARN_MSG a notification may carry, and a
//     class's tcm_info (Class.Leaf, the qdisc under a leaf class: grafting
//     one there sends no class notification, sch_api.c qdisc_graft).
//     Counters inside a kind's options (u32's hit counts) are dropped by
//     the options' stableOptions.
//
// Addresses' remaining lifetimes and routes' expiry count down too; they
// are compared as deadlines (Addr.ValidUntil, RouteExtra.ExpiresAt), not
// here.

// brFDBNLearned is IFLA_BR_FDB_N_LEARNED (linux 6.7), which
// golang.org/x/sys/unix lacks.
const brFDBNLearned = 48

// linkVolatile reports whether a top-level link attribute is volatile.
func linkVolatile(typ uint16) bool {
	switch typ & attrTypeMask {
	case unix.IFLA_STATS, unix.IFLA_STATS64, unix.IFLA_AF_SPEC, unix.IFLA_EVENT:
		return true
	}
	return false
}

func linkInfoVolatile(typ uint16) bool { return typ&attrTypeMask == unix.IFLA_INFO_XSTATS }

func bridgeVolatile(typ uint16) bool {
	switch typ & attrTypeMask {
	case unix.IFLA_BR_HELLO_TIMER, unix.IFLA_BR_TCN_TIMER, unix.IFLA_BR_TOPOLOGY_CHANGE_TIMER, unix.IFLA_BR_GC_TIMER,
		brFDBNLearned, unix.IFLA_BR_MCAST_QUERIER_STATE:
		return true
	}
	return false
}

func bridgePortVolatile(typ uint16) bool {
	switch typ & attrTypeMask {
	case unix.IFLA_BRPORT_MESSAGE_AGE_TIMER, unix.IFLA_BRPORT_FORWARD_DELAY_TIMER, unix.IFLA_BRPORT_HOLD_TIMER:
		return true
	}
	return false
}

// Stable returns a copy of l without its volatile attributes (the list
// above): Stats is nil, and the counters and timers kept raw in Unknown,
// Info.Unknown, Info.SlaveData and a bridge's Unknown are left out. Two
// versions of a link describe the same state exactly when their Stable
// copies are deeply equal. The copy shares the rest with l: treat it as
// read-only.
func (l *Link) Stable() Link {
	s := *l
	s.Stats = nil
	s.Change = 0 // ifi_change: what the message changed, not state
	s.Unknown = withoutAttrs(l.Unknown, linkVolatile)
	if l.Info == nil {
		return s
	}
	info := *l.Info
	info.Unknown = withoutAttrs(info.Unknown, linkInfoVolatile)
	if info.InfoSlaveKind == "bridge" {
		info.SlaveData = withoutRawAttrs(info.SlaveData, bridgePortVolatile)
	}
	if br, ok := info.Data.(*Bridge); ok {
		b := *br
		b.Unknown = withoutAttrs(b.Unknown, bridgeVolatile)
		info.Data = &b
	}
	s.Info = &info
	return s
}

// withoutAttrs returns attrs without those drop selects; attrs itself when
// it has none of them.
func withoutAttrs(attrs []Attribute, drop func(uint16) bool) []Attribute {
	i := slices.IndexFunc(attrs, func(a Attribute) bool { return drop(a.Type) })
	if i < 0 {
		return attrs
	}
	out := slices.Clone(attrs[:i])
	for _, a := range attrs[i+1:] {
		if !drop(a.Type) {
			out = append(out, a)
		}
	}
	return out
}

// withoutRawAttrs is withoutAttrs for attributes still in their wire
// form. A malformed tail is kept as it is.
func withoutRawAttrs(b []byte, drop func(uint16) bool) []byte {
	var out []byte
	dropped := false
	d := newAttrDecoder(b)
	rest := b
	for d.Next() {
		n := len(rest) - len(d.b)
		if d.b == nil {
			n = len(rest)
		}
		if drop(d.typ) {
			dropped = true
		} else {
			out = append(out, rest[:n]...)
		}
		rest = rest[n:]
	}
	if !dropped {
		return b
	}
	return append(out, rest...)
}

// Stable returns a copy of f without what the kernel derives from the
// entry's age whenever it reads it (the list above): the cache-info ages
// are zero, and a learned entry's state is NUD_REACHABLE whether it was
// read as reachable or stale, and a permanent entry's state is
// NUD_PERMANENT alone. Two versions of an entry describe the same
// state exactly when their Stable copies are deeply equal.
func (f *FDB) Stable() FDB {
	s := *f
	s.Confirmed, s.Used, s.Updated, s.RefCount, s.Probes = 0, 0, 0, 0, 0
	switch {
	case s.State == unix.NUD_STALE:
		s.State = unix.NUD_REACHABLE
	case s.State&unix.NUD_PERMANENT != 0:
		// A device's own entry is announced with the state of the request
		// that added it (`bridge fdb add ... permanent` sends NOARP and
		// PERMANENT: rtnl_fdb_add, ndo_dflt_fdb_add) and dumped as
		// PERMANENT alone (ndo_dflt_fdb_dump).
		s.State = unix.NUD_PERMANENT
	}
	return s
}
