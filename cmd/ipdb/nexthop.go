package main

import (
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// This file renders nexthop objects as ip(8) does: the JSON of `ip -j -d
// nexthop show`, the words of `ip nexthop show` and `ip monitor nexthop`
// for monitor's text and the table, and the hops of a route over a
// nexthop object as `ip route get` prints them (lookup).

// writeNexthop writes a nexthop object as `ip -j nexthop show` does
// (print_nexthop in iproute2's ip/ipnexthop.c, ip 6.1), key for key, in
// its order: id, group (a member's weight only when above 1), type and
// resilient_args of a resilient group (timers in seconds, clock_t /
// USER_HZ, as %g), gateway, dev, scope, blackhole, protocol, flags, fdb.
// With details (ip -d) scope and protocol are always there; without, scope
// only when not global and protocol only when not unspec.
//
// A lightweight tunnel encapsulation (NHA_ENCAP) is not written: this
// kernel has no encapsulation ip can put on a nexthop (no MPLS), so there
// is nothing to check such a rendering against.
func writeNexthop(j *jsonOut, n *netlink.Nexthop, names *linkNames, details bool) {
	j.openObject("")
	if n.ID != 0 {
		j.uint("id", uint64(n.ID))
	}
	if len(n.Group) > 0 {
		j.openArray("group")
		for _, m := range n.Group {
			j.openObject("")
			j.uint("id", uint64(m.ID))
			if m.Weight > 1 {
				j.uint("weight", uint64(m.Weight))
			}
			j.closeObject()
		}
		j.closeArray()
		if n.GroupType != netlink.GroupMpath {
			j.str("type", n.GroupType.String())
		}
		if r := n.Resilient; r != nil && n.GroupType == netlink.GroupResilient {
			j.openObject("resilient_args")
			j.uint("buckets", uint64(r.Buckets))
			j.raw("idle_timer", appendSeconds(nil, r.IdleTimer.Seconds()))
			j.raw("unbalanced_timer", appendSeconds(nil, r.UnbalancedTimer.Seconds()))
			j.raw("unbalanced_time", appendSeconds(nil, r.UnbalancedTime.Seconds()))
			j.closeObject()
		}
	}
	if n.Gateway.IsValid() {
		j.addr("gateway", n.Gateway)
	}
	if n.OIF != 0 {
		j.str("dev", names.name(int(n.OIF)))
	}
	if details || n.Scope != netlink.ScopeUniverse {
		j.str("scope", n.Scope.String())
	}
	if n.Blackhole {
		j.null("blackhole")
	}
	if details || n.Protocol != 0 {
		j.str("protocol", ipNames().protoName(uint8(n.Protocol)))
	}
	writeRouteFlags(j, n.Flags)
	if n.FDB {
		j.null("fdb")
	}
	j.closeObject()
}

// appendSeconds appends a number of seconds as C's %g prints it (six
// significant digits), which is how ip prints its timers.
func appendSeconds(b []byte, s float64) []byte {
	return strconv.AppendFloat(b, s, 'g', 6, 64)
}

// nexthopGroupText is a group's members as ip writes them: "100,3/101".
func nexthopGroupText(g []netlink.NexthopGroupMember) string {
	var b strings.Builder
	for i, m := range g {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(strconv.FormatUint(uint64(m.ID), 10))
		if m.Weight > 1 {
			b.WriteByte(',')
			b.WriteString(strconv.FormatUint(uint64(m.Weight), 10))
		}
	}
	return b.String()
}

// nexthopWords are a nexthop's words as `ip nexthop show` and `ip monitor
// nexthop` print them (without -d), with link names; its id is its
// identity: "id 100 via 192.0.2.2 dev v0 scope link proto static".
func nexthopWords(n *netlink.Nexthop, names *linkNames) words {
	var w words
	w.id("id", "id "+strconv.FormatUint(uint64(n.ID), 10))
	if len(n.Group) > 0 {
		w.add("group", nexthopGroupText(n.Group))
		if n.GroupType != netlink.GroupMpath {
			w.add("type", n.GroupType.String())
		}
		if r := n.Resilient; r != nil && n.GroupType == netlink.GroupResilient {
			w.add("buckets", strconv.FormatUint(uint64(r.Buckets), 10))
			w.add("idle_timer", string(appendSeconds(nil, r.IdleTimer.Seconds())))
			w.add("unbalanced_timer", string(appendSeconds(nil, r.UnbalancedTimer.Seconds())))
			w.add("unbalanced_time", string(appendSeconds(nil, r.UnbalancedTime.Seconds())))
		}
	}
	if n.Gateway.IsValid() {
		w.add("via", n.Gateway.String())
	}
	if n.OIF != 0 {
		w.add("dev", names.name(int(n.OIF)))
	}
	if n.Scope != netlink.ScopeUniverse {
		w.add("scope", n.Scope.String())
	}
	if n.Blackhole {
		w.flag("blackhole")
	}
	if n.Protocol != 0 {
		w.add("proto", ipNames().protoName(uint8(n.Protocol)))
	}
	for _, f := range netlink.RouteFlagNames(n.Flags) {
		w.flag(f)
	}
	if n.FDB {
		w.flag("fdb")
	}
	return w
}

func nexthopRowsHeader(t *tableOut) {
	t.header("ID", "NEXTHOP")
}

// nexthopRow is one nexthop of the table for people: its id, then the
// rest of ip's words.
func nexthopRow(t *tableOut, n *netlink.Nexthop, names *linkNames) {
	t.cellUint(uint64(n.ID))
	w := nexthopWords(n, names)
	t.cell(w[1:].text())
	t.endRow()
}

// Rows of the command's kind table (kinds.go).

func (d *dumpShow) nexthops() ([]*netlink.Nexthop, error) {
	return retryDump(func() ([]*netlink.Nexthop, error) { return d.c.Nexthops(d.ctx, nil) })
}

func (d *dumpShow) nexthopsJSON(j *jsonOut) error {
	ns, err := d.nexthops()
	if err != nil {
		return err
	}
	for _, n := range ns {
		writeNexthop(j, n, d.names, true)
	}
	return nil
}

func (d *dumpShow) nexthopsRows(tw *tableOut) error {
	ns, err := d.nexthops()
	if err != nil {
		return err
	}
	nexthopRowsHeader(tw)
	for _, n := range ns {
		nexthopRow(tw, n, d.names)
	}
	return nil
}

func snapshotNexthopsJSON(j *jsonOut, s *ipdb.Snapshot, names *linkNames) {
	for n := range s.Nexthops() {
		writeNexthop(j, n, names, true)
		j.maybeFlush()
	}
}

func snapshotNexthopRows(t *tableOut, s *ipdb.Snapshot, names *linkNames) {
	nexthopRowsHeader(t)
	for n := range s.Nexthops() {
		nexthopRow(t, n, names)
	}
}

func nexthopObjectJSON(j *jsonOut, key string, o netlink.Object, names *linkNames) {
	j.key(key)
	j.comma = false
	writeNexthop(j, o.(*netlink.Nexthop), names, true)
}

// routeHopsFlags are the RTNH_F_* flags a route over a single nexthop
// object shows as its own (rtm_flags), as the kernel copies them from the
// nexthop when it dumps the route (fib_nexthop_info in
// net/ipv4/fib_semantics.c): dead, onlink, offload, linkdown, trap.
const routeHopsFlags = unix.RTNH_F_DEAD | unix.RTNH_F_ONLINK | unix.RTNH_F_OFFLOAD | unix.RTNH_F_LINKDOWN | unix.RTNH_F_TRAP

// resolveNexthop returns r with its hops taken from a nexthop table (get,
// the snapshot's Snapshot.Nexthop) when r uses a nexthop object (Route.Extra.NHID), as the kernel
// expands them for `ip route get` and `ip route show`: a single nexthop's
// gateway, device and flags; a group's members as multipath hops with
// their weights (weight - 1 in rtnh_hops, truncated to 8 bits as the
// kernel does), a one-member group as that member's single hop. r itself
// is returned when it uses no nexthop object, when the nexthop or one of
// its members is not in the table (a cache without nexthops), and for a
// blackhole or fdb nexthop, which has no hop to print. r is not modified.
func resolveNexthop(get func(id uint32) (*netlink.Nexthop, error), r *netlink.Route) *netlink.Route {
	if r.Extra == nil || r.Extra.NHID == 0 {
		return r
	}
	nh, err := get(r.Extra.NHID)
	if err != nil || nh.Blackhole || nh.FDB {
		return r
	}
	members := []netlink.NexthopGroupMember{{ID: nh.ID, Weight: 1}}
	hops := []*netlink.Nexthop{nh}
	if nh.IsGroup() {
		members, hops = nh.Group, hops[:0]
		for _, m := range members {
			mn, err := get(m.ID)
			if err != nil || mn.IsGroup() || mn.Blackhole {
				return r
			}
			hops = append(hops, mn)
		}
	}
	c := *r
	c.Gateway, c.OIF, c.Multipath = netip.Addr{}, 0, nil
	c.Flags &^= routeHopsFlags
	if len(hops) == 1 {
		c.Gateway, c.OIF = hops[0].Gateway, hops[0].OIF
		c.Flags |= hops[0].Flags & routeHopsFlags
		return &c
	}
	c.Multipath = make([]netlink.RouteHop, len(hops))
	for i, h := range hops {
		w := members[i].Weight
		if w == 0 {
			w = 1
		}
		c.Multipath[i] = netlink.RouteHop{Gateway: h.Gateway, IfIndex: h.OIF, Hops: uint8(w - 1), Flags: uint8(h.Flags)}
	}
	return &c
}
