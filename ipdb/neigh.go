package ipdb

import (
	"context"
	"reflect"

	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

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
			if s.family != 0 && f.Family != s.family || s.proxy && !f.Proxy {
				continue
			}
			f.Index = int(s.ifindex)
			if err := c.NeighDump(ctx, &f, each); err != nil {
				return err
			}
		}
		return nil
	},
	inScope: func(o netlink.Object, s scope) bool {
		n := o.(*netlink.Neigh)
		return (s.family == 0 || n.Family == s.family) && (s.ifindex == 0 || uint32(n.Index) == s.ifindex) &&
			(!s.proxy || n.Flags&unix.NTF_PROXY != 0)
	},
	equal: func(a, b netlink.Object) bool {
		// Ages, probes and reference counts are not a change of the entry.
		x, y := *a.(*netlink.Neigh), *b.(*netlink.Neigh)
		x.Confirmed, x.Used, x.Updated, x.RefCount, x.Probes = 0, 0, 0, 0, 0
		y.Confirmed, y.Used, y.Updated, y.RefCount, y.Probes = 0, 0, 0, 0, 0
		return reflect.DeepEqual(x, y)
	},
	// Neighbours and FDB entries share a group.
	groups: kindGroups{any: netlink.GroupNeigh},
	// The multicast entries the kernel makes for its own MLD and IGMP
	// reports are never announced.
	// The kernel makes multicast entries silently when it sends its own
	// IGMP and MLD reports: after a link comes up or an address is added
	// (it joins groups). Their expiry is announced, and is no sign of a
	// silent change to come.
	effects: kindEffects{refresh: true, refreshWakers: []netlink.Kind{netlink.KindLink, netlink.KindAddr}},
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
