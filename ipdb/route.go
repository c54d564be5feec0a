package ipdb

import (
	"context"
	"net/netip"
	"reflect"
	"time"

	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

var routeDef = kindDef{
	kind:  netlink.KindRoute,
	table: routeTable,
	key: func(o netlink.Object) []byte {
		r := o.(*netlink.Route)
		if r.Family != unix.AF_INET && r.Family != unix.AF_INET6 {
			return nil
		}
		return routeKey(r)
	},
	keep: func(opts *options, o netlink.Object) bool {
		r := o.(*netlink.Route)
		// Cloned routes are the route cache, not the routing table.
		return r.Flags&unix.RTM_F_CLONED == 0 && opts.keepFamily(r.Family) && opts.keepTable(r.Table)
	},
	dump: func(ctx context.Context, c *netlink.Conn, s scope, fn func(netlink.Object) error) error {
		f := &netlink.RouteFilter{Family: s.family, Table: s.table, OIF: s.ifindex}
		return c.RouteDump(ctx, f, func(r *netlink.Route) error { return fn(r) })
	},
	inScope: func(o netlink.Object, s scope) bool {
		r := o.(*netlink.Route)
		// A route over a nexthop object is never in a device's scope:
		// which devices its hops use follows the nexthop (a group keeps
		// its route when one member's link goes down), and the nexthop
		// effects re-read it (nexthopChanged).
		return (s.family == 0 || r.Family == s.family) && (s.table == 0 || r.Table == s.table) &&
			(s.ifindex == 0 || routeNHID(r) == 0 && routeUsesLink(r, s.ifindex))
	},
	equal: func(a, b netlink.Object) bool { return routeEqual(a.(*netlink.Route), b.(*netlink.Route)) },
	// An expiring route's remaining time (netlink.RouteExtra.SetDeadline).
	stamp: func(o netlink.Object, now func() time.Time) {
		if x := o.(*netlink.Route).Extra; x != nil && x.CacheInfo.Expires != 0 {
			x.SetDeadline(now())
		}
	},
	groups: kindGroups{v4: netlink.GroupIPv4Route, v6: netlink.GroupIPv6Route},
	// Address removals drop routes silently, and so do nexthop
	// deletions.
	follows: []netlink.Kind{netlink.KindAddr, netlink.KindNexthop},
	removed: routeUnlisted,
	ordered: routesListed,
	listing: routeListingFor,
	effects: kindEffects{onChange: routeChanged, inTxn: routeInTxn, afterCommit: ipv6Siblings, checkAfterCommit: isIPv6Route},
}

// routeKeyPrefix appends the leading part of a route key: family, table,
// destination, TOS and priority (and for IPv6 the source prefix).
func routeKeyPrefix(b []byte, r *netlink.Route) []byte {
	b = append(b, r.Family)
	b = appendU32(b, r.Table)
	b = appendPrefix(b, r.Dst)
	b = append(b, r.TOS)
	b = appendU32(b, r.Priority)
	if r.Family == unix.AF_INET6 {
		var src netip.Prefix
		if r.Extra != nil {
			src = r.Extra.Src
		}
		b = appendPrefix(b, src)
	}
	return b
}

// routeIdentityFlags are the next-hop flags that tell routes apart
// (nh_comp compares the flags outside RTNH_COMPARE_MASK, which holds
// those the kernel sets by itself: dead, linkdown, offload, trap).
const routeIdentityFlags = unix.RTNH_F_ONLINK | unix.RTNH_F_PERVASIVE

// routeKey is the route's identity. Routes that share family, table,
// destination, TOS and priority (and IPv6 source) still differ by type and
// next hop: `ip route append` makes such IPv4 routes, and IPv6 keeps one
// route per device for fe80::/64. So the key ends with the type and the
// next hops. An IPv4 route is one alias of its prefix (fib_table_insert,
// fib_find_info in net/ipv4/fib_trie.c and fib_semantics.c): aliases may
// also differ in preferred source, protocol, scope, flags (onlink),
// metrics, realm, or the weights and flags of their next hops alone
// (fib_find_info, nh_comp; the kernel's own local routes differ in
// preferred source when two addresses share a local address), so those
// are in the key too. When the kernel merges IPv6 next hops into one
// multipath route, or splits them, the database re-reads every route with
// that identity prefix (see routeChanged, ipv6Siblings).
func routeKey(r *netlink.Route) []byte {
	var buf [128]byte
	b := routeKeyPrefix(buf[:0], r)
	b = append(b, uint8(r.Type))
	v4 := r.Family == unix.AF_INET
	nhid := routeNHID(r)
	if v4 {
		b = appendAddr(b, r.PrefSrc)
		b = append(b, uint8(r.Protocol), uint8(r.Scope))
		if nhid == 0 {
			b = appendU32(b, r.Flags&routeIdentityFlags)
		}
		if x := r.Extra; x != nil {
			// fib_find_info also compares the metrics (fib_metrics_match)
			// and the realm (nh_tclassid).
			b = appendU32(b, x.Flow)
			if m := x.Metrics; m != nil {
				m.Each(func(t uint16, v uint32) { b = appendU32(append(b, uint8(t)), v) })
				b = append(append(b, m.CCAlgo...), 0)
			}
		}
	}
	if nhid != 0 {
		// A route over a nexthop object is that object
		// (fib_find_info and nh_comp compare fi->nh; fib6_add_rt2
		// compares nexthop ids): its hops, their flags and weights
		// are the nexthop's current expansion, which `ip nexthop
		// replace` changes under the same route.
		b = append(b, 0xff)
		b = appendU32(b, nhid)
		return append(make([]byte, 0, len(b)), b...)
	}
	b = appendAddr(b, r.Gateway)
	b = appendU32(b, r.OIF)
	if len(r.Multipath) > 0 {
		b = append(b, uint8(len(r.Multipath)))
		for i := range r.Multipath {
			h := &r.Multipath[i]
			b = appendAddr(b, h.Gateway)
			b = appendU32(b, h.IfIndex)
			if v4 {
				// nh_comp: each hop's weight and flags too.
				b = append(b, h.Hops, h.Flags&routeIdentityFlags)
			}
		}
	}
	// Keys live as long as their route: allocate exactly once, exactly
	// sized.
	return append(make([]byte, 0, len(b)), b...)
}

// routeUsesLink reports whether r goes through the link ifindex.
func routeUsesLink(r *netlink.Route, ifindex uint32) bool {
	if r.OIF == ifindex {
		return true
	}
	for i := range r.Multipath {
		if r.Multipath[i].IfIndex == ifindex {
			return true
		}
	}
	return false
}

// sameExpiry reports whether two versions of a route both expire or
// neither does, at deadlines within deadlineSlack where both are known.
func sameExpiry(x, y *netlink.RouteExtra) bool {
	if (x.CacheInfo.Expires == 0) != (y.CacheInfo.Expires == 0) {
		return false
	}
	if x.ExpiresAt.IsZero() || y.ExpiresAt.IsZero() {
		return true
	}
	d := x.ExpiresAt.Sub(y.ExpiresAt)
	return d < deadlineSlack && d > -deadlineSlack
}

// routeEqual compares routes field by field; the hot path of resyncs.
func routeEqual(x, y *netlink.Route) bool {
	if x.Dst != y.Dst || x.Gateway != y.Gateway || x.PrefSrc != y.PrefSrc || x.OIF != y.OIF ||
		x.Table != y.Table || x.Priority != y.Priority || x.Flags != y.Flags || x.Family != y.Family ||
		x.Protocol != y.Protocol || x.Scope != y.Scope || x.Type != y.Type || x.TOS != y.TOS ||
		x.Pref != y.Pref || len(x.Multipath) != len(y.Multipath) || (x.Extra == nil) != (y.Extra == nil) {
		return false
	}
	if len(x.Multipath) > 0 && !reflect.DeepEqual(x.Multipath, y.Multipath) {
		return false
	}
	if x.Extra != nil {
		ex, ey := *x.Extra, *y.Extra
		// The cache info counts usage and ages, and the time left to an
		// expiring route; only its deadline is the route's.
		if !sameExpiry(&ex, &ey) {
			return false
		}
		ex.CacheInfo, ey.CacheInfo = netlink.RouteCacheInfo{}, netlink.RouteCacheInfo{}
		ex.ExpiresAt, ey.ExpiresAt = time.Time{}, time.Time{}
		return reflect.DeepEqual(ex, ey)
	}
	return true
}
