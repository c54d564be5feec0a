package main

import (
	"strconv"

	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// MPLS routes and lightweight tunnel encapsulations, as iproute2 prints
// them (print_route, print_rta_newdst, print_rta_via in ip/iproute.c;
// lwt_print_encap, print_encap_mpls in ip/iproute_lwtunnel.c).
//
// A single MPLS route (serve, watch, lookup) renders as `ip -j -f mpls
// route show` prints it. iproute2 6.1's `ip -j route show table all` (no
// family: an AF_UNSPEC dump) lists the MPLS routes too, after the IPv4
// and IPv6 ones (seen in the guest); show routes and serve's route table
// still list IPv4 and IPv6 only (showRoute): listing MPLS routes there is
// a change of show.go's dump and of the text table's rows.

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
	x := r.Extra
	if x == nil {
		x = &netlink.RouteExtra{}
	}
	j.openObject("")
	j.str("dst", strconv.FormatUint(uint64(x.Label), 10))
	if len(x.NewDst) > 0 {
		j.str("to", netlink.FormatMPLSLabels(x.NewDst))
	}
	if r.Gateway.IsValid() {
		writeVia(j, r.Gateway, func() { j.addr("host", r.Gateway) })
	}
	if r.OIF != 0 {
		j.str("dev", names.name(int(r.OIF)))
	}
	if r.Protocol != netlink.ProtoBoot {
		j.str("protocol", ipNames().protoName(uint8(r.Protocol)))
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
