package ipdb

import (
	"context"
	"reflect"
	"time"

	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

var addrDef = kindDef{
	kind:  netlink.KindAddr,
	table: "addrs",
	key:   func(o netlink.Object) []byte { return addrKey(o.(*netlink.Addr)) },
	keep:  func(opts *options, o netlink.Object) bool { return opts.keepFamily(o.(*netlink.Addr).Family) },
	dump: func(ctx context.Context, c *netlink.Conn, s scope, fn func(netlink.Object) error) error {
		return c.AddrDump(ctx, &netlink.AddrFilter{Family: s.family, Index: int(s.ifindex)}, func(a *netlink.Addr) error { return fn(a) })
	},
	inScope: func(o netlink.Object, s scope) bool {
		a := o.(*netlink.Addr)
		return (s.family == 0 || a.Family == s.family) && (s.ifindex == 0 || uint32(a.Index) == s.ifindex)
	},
	equal: func(a, b netlink.Object) bool { return addrEqual(a.(*netlink.Addr), b.(*netlink.Addr)) },
	// An address's valid and preferred lifetimes (netlink.Addr.SetDeadlines).
	stamp:   func(o netlink.Object, now func() time.Time) { o.(*netlink.Addr).SetDeadlines(now()) },
	groups:  kindGroups{v4: netlink.GroupIPv4Addr, v6: netlink.GroupIPv6Addr},
	effects: kindEffects{onChange: addrChanged},
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
