package main

import (
	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/netlink"
)

// writeInet6LinkHeader writes the link header ip -j -6 addr show prints
// from an AF_INET6 link dump: the kernel's inet6_fill_ifinfo
// (net/ipv6/addrconf.c) puts only IFLA_IFNAME, IFLA_ADDRESS, IFLA_MTU,
// IFLA_LINK (when the link's iflink is not itself) and IFLA_OPERSTATE
// beside the flags, so ip prints no qdisc, master, group, altnames nor
// link_netnsid, and names IFLA_LINK as a link of this namespace even for a
// veth whose peer is elsewhere (ll_index_to_name: "if%d" when unknown).
// txqlen ip reads with SIOCGIFTXQLEN when the message has none.
func writeInet6LinkHeader(j *jsonOut, l *netlink.Link, names *linkNames) {
	j.int("ifindex", int64(l.Index))
	mdown := false
	switch {
	case l.ParentIndex != 0:
		j.str("link", names.name(l.ParentIndex))
		if r, ok := names.ref(l.ParentIndex); ok {
			mdown = r.flags&unix.IFF_UP == 0
		}
	case l.ParentPresent:
		j.null("link")
	}
	j.str("ifname", l.Name)
	writeLinkFlags(j, l.Flags, mdown)
	if l.MTU != 0 {
		j.int("mtu", int64(l.MTU))
	}
	if int(l.OperState) < len(linkOperStates) {
		j.str("operstate", l.OperState.String())
	} else {
		j.uint("operstate_index", uint64(l.OperState))
	}
	if l.TxQueueLen != 0 {
		j.int("txqlen", int64(l.TxQueueLen))
	}
}
