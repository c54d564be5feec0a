package main

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// MPLS routes and lightweight tunnel encapsulations, as iproute2 prints
// them (print_route, print_rta_newdst, print_rta_via in ip/iproute.c;
// lwt_print_encap, print_encap_mpls in ip/iproute_lwtunnel.c).
//
// An MPLS route renders as `ip -j -f mpls route show` prints it.
// iproute2 6.1's `ip -j route show table all` (no family: an AF_UNSPEC
// dump) lists the MPLS routes too, after the IPv4 and IPv6 ones, in the
// same form (seen in the guest), and so do show routes and serve's route
// table (showRoute); `ip route show` with a table or a prefix and no
// family asks for IPv4 only (iproute_list), and -f mpls (-M) for MPLS
// only. With -d ip adds the type, table, protocol and scope, as for IP
// routes.

// encapTypeNames are ip's names of LWTUNNEL_ENCAP_* (format_encap_type).
var encapTypeNames = map[uint16]string{
	unix.LWTUNNEL_ENCAP_MPLS: "mpls", unix.LWTUNNEL_ENCAP_IP: "ip", unix.LWTUNNEL_ENCAP_ILA: "ila",
	unix.LWTUNNEL_ENCAP_IP6: "ip6", unix.LWTUNNEL_ENCAP_BPF: "bpf", unix.LWTUNNEL_ENCAP_SEG6: "seg6",
	unix.LWTUNNEL_ENCAP_SEG6_LOCAL: "seg6local", unix.LWTUNNEL_ENCAP_RPL: "rpl",
}

// writeLWTEncap writes an encapsulation as lwt_print_encap does: "encap" and
// its type, then for MPLS the labels as a second "dst" key (sic: ip's
// JSON repeats the key) and "ttl". Other types print their type only here.
func writeLWTEncap(j *jsonOut, typ uint16, raw []byte, m *netlink.MPLSEncap) {
	if m == nil && typ == 0 {
		return
	}
	if m != nil {
		typ = unix.LWTUNNEL_ENCAP_MPLS
	}
	name, ok := encapTypeNames[typ]
	if !ok {
		name = "unknown"
	}
	j.str("encap", name)
	if m != nil {
		j.str("dst", netlink.FormatMPLSLabels(m.Labels))
		if m.TTL != 0 {
			j.uint("ttl", uint64(m.TTL))
		}
	}
}

// writeVia writes RTA_VIA as print_rta_via does.
func writeVia(j *jsonOut, gw interface{ Is4() bool }, host func()) {
	j.openObject("via")
	if gw.Is4() {
		j.str("family", "inet")
	} else {
		j.str("family", "inet6")
	}
	host()
	j.closeObject()
}

// writeMPLSRoute writes an MPLS route as `ip -j -f mpls route show` does.
func writeMPLSRoute(j *jsonOut, r *netlink.Route, names *linkNames) {
	writeMPLSRouteFields(j, r, names, false, routeOmit{})
}

// writeMPLSRouteFields writes an MPLS route as print_route does: with
// details (ip -d) its type, table, protocol and scope always; without the
// dev or table a selector fixed (omit).
func writeMPLSRouteFields(j *jsonOut, r *netlink.Route, names *linkNames, details bool, omit routeOmit) {
	x := r.Extra
	if x == nil {
		x = &netlink.RouteExtra{}
	}
	j.openObject("")
	if details || (r.Type != netlink.RouteUnicast && r.Type != 0) {
		j.str("type", r.Type.String())
	}
	j.str("dst", strconv.FormatUint(uint64(x.Label), 10))
	if len(x.NewDst) > 0 {
		j.str("to", netlink.FormatMPLSLabels(x.NewDst))
	}
	if r.Gateway.IsValid() {
		writeVia(j, r.Gateway, func() { j.addr("host", r.Gateway) })
	}
	if r.OIF != 0 && !omit.dev {
		j.str("dev", names.name(int(r.OIF)))
	}
	if r.Table != 0 && (r.Table != unix.RT_TABLE_MAIN || details) && !omit.table {
		j.str("table", tableName(r.Table))
	}
	if r.Protocol != netlink.ProtoBoot || details {
		j.str("protocol", ipNames().protoName(uint8(r.Protocol)))
	}
	if r.Scope != netlink.ScopeUniverse || details {
		j.str("scope", r.Scope.String())
	}
	writeRouteFlags(j, r.Flags)
	switch x.TTLPropagate {
	case netlink.MPLSTTLPropEnabled:
		j.boolean("ttl-propogate", true) // sic, as iproute2 spells it
	case netlink.MPLSTTLPropDisabled:
		j.boolean("ttl-propogate", false)
	}
	if len(r.Multipath) > 0 {
		j.openArray("nexthops")
		for i := range r.Multipath {
			nh := &r.Multipath[i]
			j.openObject("")
			if len(nh.NewDst) > 0 {
				j.str("to", netlink.FormatMPLSLabels(nh.NewDst))
			}
			if nh.Gateway.IsValid() {
				writeVia(j, nh.Gateway, func() { j.addr("host", nh.Gateway) })
			}
			if nh.IfIndex != 0 {
				j.str("dev", names.name(int(nh.IfIndex)))
			}
			writeRouteFlags(j, uint32(nh.Flags))
			j.closeObject()
		}
		j.closeArray()
	}
	j.closeObject()
}

// mplsRouteRow writes an MPLS route's row of the routes table, and one
// row per next hop: DST is the incoming label, GATEWAY what ip prints
// between it and dev ("as to 200/300 via inet 192.0.2.2"), TYPE, SCOPE and
// TABLE what the kernel reports (unicast, global, main).
func mplsRouteRow(t *tableOut, r *netlink.Route, names *linkNames) {
	x := r.Extra
	if x == nil {
		x = &netlink.RouteExtra{}
	}
	t.cell(tableName(r.Table))
	t.cell(r.Type.String())
	t.cell(strconv.FormatUint(uint64(x.Label), 10))
	if len(r.Multipath) > 0 {
		t.cell(strconv.Itoa(len(r.Multipath)) + " nexthops:")
	} else {
		t.cell(mplsHopText(x.NewDst, r.Gateway))
	}
	if r.OIF != 0 {
		t.cell(names.name(int(r.OIF)))
	} else {
		t.cell("")
	}
	t.cell(ipNames().protoName(uint8(r.Protocol)))
	t.cell(r.Scope.String())
	for range 4 { // METRIC, PREFSRC, TOS, NHID: MPLS routes have none
		t.cell("")
	}
	t.endRow()
	for _, nh := range r.Multipath {
		dev := ""
		if nh.IfIndex != 0 {
			dev = names.name(int(nh.IfIndex))
		}
		t.cell("")
		t.cell("")
		t.cell("  nexthop")
		t.cell(mplsHopText(nh.NewDst, nh.Gateway))
		t.cell(dev)
		for range 6 {
			t.cell("")
		}
		t.endRow()
	}
}

// mplsHopText is an MPLS next hop's outgoing labels and via as ip prints
// them: "as to 200/300 via inet 192.0.2.2".
func mplsHopText(newDst []uint32, via netip.Addr) string {
	var parts []string
	if len(newDst) > 0 {
		parts = append(parts, "as to "+netlink.FormatMPLSLabels(newDst))
	}
	if via.IsValid() {
		fam := "inet6"
		if via.Is4() {
			fam = "inet"
		}
		parts = append(parts, "via "+fam+" "+via.String())
	}
	return strings.Join(parts, " ")
}

// mplsEncapWords is an MPLS encapsulation in ip's text after "encap":
// "mpls 100/200 ttl 10".
func mplsEncapWords(m *netlink.MPLSEncap) string {
	s := "mpls " + netlink.FormatMPLSLabels(m.Labels)
	if m.TTL != 0 {
		s += " ttl " + strconv.Itoa(int(m.TTL))
	}
	return s
}

// mplsRouteWords are an MPLS route's words as `ip -f mpls monitor route`
// prints them: "100 as to 200/300 via inet 192.0.2.2 dev v0 proto static
// ttl-propogate disabled", the label its identity.
func mplsRouteWords(r *netlink.Route, names *linkNames) words {
	var w words
	x := r.Extra
	if x == nil {
		x = &netlink.RouteExtra{}
	}
	w.id("dst", strconv.FormatUint(uint64(x.Label), 10))
	if len(x.NewDst) > 0 {
		w.add("as to", netlink.FormatMPLSLabels(x.NewDst))
	}
	if r.Gateway.IsValid() {
		w.add("via", strings.TrimPrefix(mplsHopText(nil, r.Gateway), "via "))
	}
	if r.OIF != 0 {
		w.add("dev", names.name(int(r.OIF)))
	}
	if r.Protocol != netlink.ProtoBoot {
		w.add("proto", ipNames().protoName(uint8(r.Protocol)))
	}
	for _, name := range netlink.RouteFlagNames(r.Flags) {
		w.flag(name)
	}
	switch x.TTLPropagate {
	case netlink.MPLSTTLPropEnabled:
		w.add("ttl-propogate", "enabled") // sic, as iproute2 spells it
	case netlink.MPLSTTLPropDisabled:
		w.add("ttl-propogate", "disabled")
	}
	for i := range r.Multipath {
		nh := &r.Multipath[i]
		v := "nexthop"
		if t := mplsHopText(nh.NewDst, nh.Gateway); t != "" {
			v += " " + t
		}
		if nh.IfIndex != 0 {
			v += " dev " + names.name(int(nh.IfIndex))
		}
		for _, name := range netlink.RouteFlagNames(uint32(nh.Flags)) {
			v += " " + name
		}
		w.add("nexthop#"+strconv.Itoa(i), v)
		w[len(w)-1].bare = true
	}
	return w
}
