package ipdb

import (
	"context"
	"encoding/binary"
	"net/netip"
	"reflect"
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// Keys are built by appending fixed-width big-endian fields, so that byte
// order is field order and a key's leading fields are a usable prefix.

func appendU32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }

// appendAddr appends a length byte (0, 4 or 16) and the address bytes.
func appendAddr(b []byte, a netip.Addr) []byte {
	switch {
	case !a.IsValid():
		return append(b, 0)
	case a.Is4():
		a4 := a.As4()
		return append(append(b, 4), a4[:]...)
	default:
		a16 := a.As16()
		return append(append(b, 16), a16[:]...)
	}
}

// appendPrefix appends the masked address, then the prefix length. The
// address goes in as nibbles, one key byte per four bits: a routing table
// is dense, and in a radix tree keyed by whole bytes its inner nodes have up
// to 256 edges, each copied (4 KB) by every write transaction that inserts
// below it. With nibbles no node has more than 16 edges, and a small write
// copies a quarter as much.
func appendPrefix(b []byte, p netip.Prefix) []byte {
	if !p.IsValid() {
		return append(b, 0, 0xff)
	}
	a := p.Masked().Addr()
	if a.Is4() {
		b = append(b, 4)
		for _, x := range a.As4() {
			b = append(b, x>>4, x&0xf)
		}
	} else {
		b = append(b, 16)
		for _, x := range a.As16() {
			b = append(b, x>>4, x&0xf)
		}
	}
	return append(b, uint8(p.Bits()))
}

// linkKey is the ifindex.
func linkKey(index int) []byte { return appendU32(make([]byte, 0, 4), uint32(index)) }

var linkDef = kindDef{
	kind:  netlink.KindLink,
	table: "links",
	key: func(o netlink.Object) []byte {
		l := o.(*netlink.Link)
		if l.Index <= 0 {
			return nil
		}
		return linkKey(l.Index)
	},
	keep: func(_ *options, o netlink.Object) bool {
		// AF_BRIDGE link messages describe bridge port state, not links.
		return o.(*netlink.Link).Family != unix.AF_BRIDGE
	},
	dump: func(ctx context.Context, c *netlink.Conn, s scope, fn func(netlink.Object) error) error {
		return c.LinkDump(ctx, &netlink.LinkFilter{Index: int(s.ifindex)}, func(l *netlink.Link) error { return fn(l) })
	},
	equal: func(a, b netlink.Object) bool {
		// Counters and timers change all the time; they are not a change
		// of the link (netlink's list of volatile attributes).
		x, y := a.(*netlink.Link).Stable(), b.(*netlink.Link).Stable()
		return reflect.DeepEqual(x, y)
	},
	indexes: map[string]*memdb.IndexSchema{
		"name": {Name: "name", Unique: false, Indexer: keyIndexer{key: func(o netlink.Object) []byte {
			return linkNameKey(o.(*netlink.Link).Name)
		}}},
	},
}

func linkNameKey(name string) []byte {
	if name == "" {
		return nil
	}
	return append([]byte(name), 0)
}

// linkIndex returns the ifindex of a link object.
func linkIndex(o netlink.Object) uint32 {
	if l, ok := o.(*netlink.Link); ok {
		return uint32(l.Index)
	}
	return 0
}

// addrKey is an address's identity as the kernel compares addresses. IPv4
// (__inet_insert_ifa, find_matching_ifa in net/ipv4/devinet.c): ifindex,
// local address, prefix length and peer; 192.0.2.1/24 and 192.0.2.1/25 are
// two addresses. IPv6 (ipv6_add_addr_hash, ipv6_get_ifaddr in
// net/ipv6/addrconf.c): ifindex and local address only; a replace may
// change the prefix length of the one address.
func addrKey(a *netlink.Addr) []byte {
	b := make([]byte, 0, 4+1+17+1+17)
	b = appendU32(b, uint32(a.Index))
	b = append(b, a.Family)
	b = appendAddr(b, a.Prefix.Addr())
	if a.Family == unix.AF_INET6 {
		return b
	}
	b = append(b, uint8(a.Prefix.Bits()))
	return appendAddr(b, a.Peer)
}

var addrDef = kindDef{
	kind:  netlink.KindAddr,
	table: "addrs",
	key:   func(o netlink.Object) []byte { return addrKey(o.(*netlink.Addr)) },
	keep:  func(opts *options, o netlink.Object) bool { return opts.keepFamily(o.(*netlink.Addr).Family) },
	dump: func(ctx context.Context, c *netlink.Conn, s scope, fn func(netlink.Object) error) error {
		return c.AddrDump(ctx, &netlink.AddrFilter{Family: s.family, Index: int(s.ifindex)}, func(a *netlink.Addr) error { return fn(a) })
	},
	equal: func(a, b netlink.Object) bool { return addrEqual(a.(*netlink.Addr), b.(*netlink.Addr)) },
}

// deadlineSlack is how far apart two deadlines computed from the
// remaining lifetimes of two messages may be and still be the same: the
// kernel rounds what remains down to whole seconds, and a message is read
// a little after it is sent.
const deadlineSlack = 2 * time.Second

// addrEqual compares two versions of an address: the lifetimes as
// deadlines (within deadlineSlack), not as the seconds that remained when
// each message was sent; the cache-info timestamps not at all (the kernel
// moves them whenever it re-sets the lifetimes, which the deadlines show).
func addrEqual(a, b *netlink.Addr) bool {
	if !sameLifetime(a.ValidLifetime, b.ValidLifetime, a.ValidUntil, b.ValidUntil) ||
		!sameLifetime(a.PreferredLifetime, b.PreferredLifetime, a.PreferredUntil, b.PreferredUntil) {
		return false
	}
	x, y := *a, *b
	x.ValidLifetime, x.PreferredLifetime, y.ValidLifetime, y.PreferredLifetime = 0, 0, 0, 0
	x.ValidUntil, x.PreferredUntil, y.ValidUntil, y.PreferredUntil = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	x.Created, x.Updated, y.Created, y.Updated = 0, 0, 0, 0
	return reflect.DeepEqual(x, y)
}

// sameLifetime compares one lifetime of two versions of an address: by
// deadline where both have one, otherwise as received (permanent, or read
// without a time).
func sameLifetime(la, lb uint32, ua, ub time.Time) bool {
	if ua.IsZero() || ub.IsZero() {
		return ua.IsZero() && ub.IsZero() && la == lb
	}
	d := ua.Sub(ub)
	return d < deadlineSlack && d > -deadlineSlack
}

// neighKey: ifindex, family, destination and whether it is a proxy entry.
// (FDB entries, family AF_BRIDGE, are a kind of their own: fdb.go.)
func neighKey(n *netlink.Neigh) []byte {
	b := make([]byte, 0, 48)
	b = appendU32(b, uint32(n.Index))
	b = append(b, n.Family)
	b = appendAddr(b, n.Dst)
	return append(b, n.Flags&unix.NTF_PROXY)
}

var neighDef = kindDef{
	kind:  netlink.KindNeigh,
	table: "neighs",
	key:   func(o netlink.Object) []byte { return neighKey(o.(*netlink.Neigh)) },
	keep: func(opts *options, o netlink.Object) bool {
		f := o.(*netlink.Neigh).Family
		return f != unix.AF_BRIDGE && opts.keepFamily(f)
	},
	dump: func(ctx context.Context, c *netlink.Conn, s scope, fn func(netlink.Object) error) error {
		each := func(n *netlink.Neigh) error { return fn(n) }
		for _, f := range []netlink.NeighFilter{
			{Family: unix.AF_INET}, {Family: unix.AF_INET6},
			{Family: unix.AF_INET, Proxy: true}, {Family: unix.AF_INET6, Proxy: true},
		} {
			if s.family != 0 && f.Family != s.family {
				continue
			}
			f.Index = int(s.ifindex)
			if err := c.NeighDump(ctx, &f, each); err != nil {
				return err
			}
		}
		return nil
	},
	equal: func(a, b netlink.Object) bool {
		// Ages, probes and reference counts are not a change of the entry.
		x, y := *a.(*netlink.Neigh), *b.(*netlink.Neigh)
		x.Confirmed, x.Used, x.Updated, x.RefCount, x.Probes = 0, 0, 0, 0, 0
		y.Confirmed, y.Used, y.Updated, y.RefCount, y.Probes = 0, 0, 0, 0, 0
		return reflect.DeepEqual(x, y)
	},
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
// that identity prefix (see silentEffects).
func routeKey(r *netlink.Route) []byte {
	var buf [128]byte
	b := routeKeyPrefix(buf[:0], r)
	b = append(b, uint8(r.Type))
	v4 := r.Family == unix.AF_INET
	if v4 {
		b = appendAddr(b, r.PrefSrc)
		b = append(b, uint8(r.Protocol), uint8(r.Scope))
		b = appendU32(b, r.Flags&routeIdentityFlags)
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

var routeDef = kindDef{
	kind:  netlink.KindRoute,
	table: "routes",
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
	equal: func(a, b netlink.Object) bool { return routeEqual(a.(*netlink.Route), b.(*netlink.Route)) },
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

// ruleStateFlags are the rule flags the kernel sets by itself: a goto
// rule whose target is missing (FIB_RULE_UNRESOLVED), a rule whose iif or
// oif does not exist (FIB_RULE_IIF_DETACHED, _OIF_DETACHED). They are
// state, not identity, and they flip without a notification.
const ruleStateFlags = unix.FIB_RULE_UNRESOLVED | unix.FIB_RULE_IIF_DETACHED | unix.FIB_RULE_OIF_DETACHED

// ruleKey is the rule's identity as the kernel compares rules (rule_exists
// in net/core/fib_rules.c, with the family's compare: fib4_rule_compare,
// fib6_rule_compare): family and priority first, then the action and
// table, every selector and the protocol (two rules that differ only in
// FRA_PROTOCOL are two rules), and the flags the user sets (not).
func ruleKey(r *netlink.Rule) []byte {
	b := make([]byte, 0, 96)
	b = append(b, r.Family)
	b = appendU32(b, r.Priority)
	b = append(b, uint8(r.Action), r.TOS, r.IPProto, r.L3MDev, uint8(r.Protocol))
	b = appendU32(b, r.Flags&^ruleStateFlags)
	b = appendU32(b, r.Table)
	b = appendU32(b, r.Mark)
	b = appendU32(b, r.Mask)
	b = appendU32(b, r.Goto)
	b = appendU32(b, r.Flow)
	b = binary.BigEndian.AppendUint64(b, r.TunID)
	b = appendPrefix(b, r.Src)
	b = appendPrefix(b, r.Dst)
	b = append(append(b, r.IIFName...), 0)
	b = append(append(b, r.OIFName...), 0)
	for _, p := range []*uint32{r.SuppressPrefixLen, r.SuppressIfGroup} {
		if p == nil {
			b = append(b, 0)
		} else {
			b = appendU32(append(b, 1), *p)
		}
	}
	if r.UIDRange == nil {
		b = append(b, 0)
	} else {
		b = appendU32(appendU32(append(b, 1), r.UIDRange.Start), r.UIDRange.End)
	}
	for _, p := range []netlink.RulePortRange{r.SPort, r.DPort} {
		b = binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(b, p.Start), p.End)
	}
	return b
}

var ruleDef = kindDef{
	kind:  netlink.KindRule,
	table: "rules",
	key:   func(o netlink.Object) []byte { return ruleKey(o.(*netlink.Rule)) },
	keep: func(opts *options, o netlink.Object) bool {
		// The rules of the multicast routing tables (families
		// RTNL_FAMILY_IPMR and IP6MR, `ip mrule`) go with multicast
		// routes, which are not kept either: the table is `ip rule`'s.
		f := o.(*netlink.Rule).Family
		return (f == unix.AF_INET || f == unix.AF_INET6) && opts.keepFamily(f)
	},
	dump: func(ctx context.Context, c *netlink.Conn, s scope, fn func(netlink.Object) error) error {
		return c.RuleDump(ctx, &netlink.RuleFilter{Family: s.family}, func(r *netlink.Rule) error { return fn(r) })
	},
	equal: func(a, b netlink.Object) bool { return reflect.DeepEqual(a, b) },
}

// inScope reports whether o is one of the objects a dump limited to s
// returns.
func inScope(o netlink.Object, s scope) bool {
	switch o := o.(type) {
	case *netlink.Link:
		return s.ifindex == 0 || uint32(o.Index) == s.ifindex
	case *netlink.Addr:
		return (s.family == 0 || o.Family == s.family) && (s.ifindex == 0 || uint32(o.Index) == s.ifindex)
	case *netlink.Neigh:
		return (s.family == 0 || o.Family == s.family) && (s.ifindex == 0 || uint32(o.Index) == s.ifindex)
	case *netlink.FDB:
		return fdbInScope(o, s)
	case *netlink.Route:
		return (s.family == 0 || o.Family == s.family) && (s.table == 0 || o.Table == s.table) &&
			(s.ifindex == 0 || routeUsesLink(o, s.ifindex))
	case *netlink.Rule:
		return s.family == 0 || o.Family == s.family
	}
	return false
}
