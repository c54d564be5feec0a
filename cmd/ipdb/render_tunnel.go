package main

import (
	"fmt"
	"net/netip"

	"github.com/ipdb-go/ipdb/netlink"
)

// The tunnels' info_data, as iproute2 6.1 prints it with -j -d: ip/link_gre.c
// and link_gre6.c gre_print_opt, link_iptnl.c iptunnel_print_opt,
// link_ip6tnl.c ip6tunnel_print_opt, link_vti.c and link_vti6.c
// vti*_print_opt, iplink_geneve.c geneve_print_opt, and tunnel.c's
// tnl_print_endpoint and tnl_print_encap.

// tunnelKinds are the kinds whose data this file prints; ip opens
// info_data for them even when the kernel sent none.
var tunnelKinds = map[string]bool{
	"gre": true, "gretap": true, "erspan": true, "ip6gre": true, "ip6gretap": true, "ip6erspan": true,
	"ipip": true, "sit": true, "ip6tnl": true, "vti": true, "vti6": true, "geneve": true,
}

// writeTunnelData prints d if it is tunnel data and says whether it was.
func writeTunnelData(j *jsonOut, d netlink.LinkData, names *linkNames) bool {
	switch d := d.(type) {
	case *netlink.Gre:
		writeGre(j, d, names)
	case *netlink.IPTun:
		if d.InfoKind() == "ip6tnl" {
			writeIP6Tnl(j, d, names)
		} else {
			writeIPTun(j, d, names)
		}
	case *netlink.Vti:
		writeVti(j, d, names)
	case *netlink.Geneve:
		writeGeneve(j, d)
	default:
		return false
	}
	return true
}

// writeEndpoint is tnl_print_endpoint: "any" for a missing or zero
// address.
func writeEndpoint(j *jsonOut, key string, a netip.Addr) {
	if !a.IsValid() || a.IsUnspecified() {
		j.str(key, "any")
		return
	}
	j.str(key, a.String())
}

// keyString is inet_ntop(AF_INET) of a big-endian key, as ip prints GRE
// and vti keys.
func keyString(k uint32) string {
	return netip.AddrFrom4([4]byte{byte(k >> 24), byte(k >> 16), byte(k >> 8), byte(k)}).String()
}

func writeTunnelLink(j *jsonOut, link uint32, names *linkNames) {
	if link != 0 {
		j.str("link", names.name(int(link)))
	}
}

// writeEncap is tnl_print_encap.
func writeEncap(j *jsonOut, e netlink.TunnelEncap) {
	if e.Type == 0 {
		return
	}
	j.openObject("encap")
	switch e.Type {
	case 1:
		j.str("type", "fou")
	case 2:
		j.str("type", "gue")
	default:
		j.null("type")
	}
	j.uint("sport", uint64(e.SPort))
	j.uint("dport", uint64(e.DPort))
	j.boolean("csum", e.Flags&1 != 0)
	j.boolean("csum6", e.Flags&2 != 0)
	j.boolean("remcsum", e.Flags&4 != 0)
	j.closeObject()
}

// writeIP6Flags prints the encaplimit, tclass, flowlabel and dscp part
// shared by ip6gre and ip6tnl.
func writeIP6Flags(j *jsonOut, flags uint32, encapLimit *uint8, flowInfo *uint32) {
	if flags&netlink.IP6TnlIgnEncapLimit != 0 {
		j.boolean("ip6_tnl_f_ign_encap_limit", true)
	} else if encapLimit != nil {
		j.uint("encap_limit", uint64(*encapLimit))
	}
	if flags&netlink.IP6TnlUseOrigTclass != 0 {
		j.boolean("ip6_tnl_f_use_orig_tclass", true)
	} else if flowInfo != nil {
		j.str("tclass", fmt.Sprintf("0x%02x", *flowInfo&0x0ff00000>>20))
	}
	if flags&netlink.IP6TnlUseOrigFlowlabel != 0 {
		j.boolean("ip6_tnl_f_use_orig_flowlabel", true)
	} else if flowInfo != nil {
		j.str("flowlabel", fmt.Sprintf("0x%05x", *flowInfo&0x000fffff))
	}
	if flags&netlink.IP6TnlRcvDSCPCopy != 0 {
		j.boolean("ip6_tnl_f_rcv_dscp_copy", true)
	}
}

// writeFwMark is the fwmark part of the ip6 kinds (inherit or the mark)
// and, with flags 0, of the others.
func writeFwMark(j *jsonOut, flags, mark uint32) {
	if flags&netlink.IP6TnlUseOrigFwMark != 0 {
		j.boolean("ip6_tnl_f_use_orig_fwmark", true)
	} else if mark != 0 {
		j.hex("fwmark", uint64(mark))
	}
}

// writeGre is gre_print_opt of link_gre.c (IPv4 kinds) and link_gre6.c
// (ip6 kinds).
func writeGre(j *jsonOut, d *netlink.Gre, names *linkNames) {
	v6 := d.InfoKind() == "ip6gre" || d.InfoKind() == "ip6gretap" || d.InfoKind() == "ip6erspan"
	if d.CollectMetadata {
		j.boolean("external", true)
	}
	writeEndpoint(j, "remote", d.Remote)
	writeEndpoint(j, "local", d.Local)
	writeTunnelLink(j, d.Link, names)
	j.uint("ttl", uint64(d.TTL))
	if v6 {
		writeIP6Flags(j, d.Flags, d.EncapLimit, d.FlowInfo)
	} else {
		if d.TOS != 0 {
			j.hex("tos", uint64(d.TOS))
		}
		if d.PMTUDisc != nil {
			j.boolean("pmtudisc", *d.PMTUDisc)
		}
		if d.IgnoreDF != nil && *d.IgnoreDF {
			j.boolean("ignore_df", true)
		}
	}
	if d.IFlags&netlink.GreKey != 0 {
		j.str("ikey", keyString(d.IKey))
	}
	if d.OFlags&netlink.GreKey != 0 {
		j.str("okey", keyString(d.OKey))
	}
	if d.IFlags&netlink.GreSeq != 0 {
		j.boolean("iseq", true)
	}
	if d.OFlags&netlink.GreSeq != 0 {
		j.boolean("oseq", true)
	}
	if d.IFlags&netlink.GreCsum != 0 {
		j.boolean("icsum", true)
	}
	if d.OFlags&netlink.GreCsum != 0 {
		j.boolean("ocsum", true)
	}
	if v6 {
		if d.Flags&netlink.IP6TnlAllowLocalRemote != 0 {
			j.boolean("ip6_tnl_f_allow_local_remote", true)
		}
		writeFwMark(j, d.Flags, d.FwMark)
	} else {
		writeFwMark(j, 0, d.FwMark)
	}
	if d.ErspanIndex != nil {
		j.uint("erspan_index", uint64(*d.ErspanIndex))
	}
	if d.ErspanVer != nil {
		j.uint("erspan_ver", uint64(*d.ErspanVer))
	}
	if d.ErspanDir != nil {
		if *d.ErspanDir == 0 {
			j.str("erspan_dir", "ingress")
		} else {
			j.str("erspan_dir", "egress")
		}
	}
	if d.ErspanHwid != nil {
		j.hex("erspan_hwid", uint64(*d.ErspanHwid))
	}
	writeEncap(j, d.Encap)
}

// writeIPTun is iptunnel_print_opt (ipip and sit).
func writeIPTun(j *jsonOut, d *netlink.IPTun, names *linkNames) {
	if d.CollectMetadata {
		j.boolean("external", true)
	}
	if d.Proto != nil {
		switch *d.Proto {
		case 4:
			j.str("proto", "ipip")
		case 41:
			j.str("proto", "ip6ip")
		case 137:
			j.str("proto", "mplsip")
		case 0:
			j.str("proto", "any")
		}
	}
	writeEndpoint(j, "remote", d.Remote)
	writeEndpoint(j, "local", d.Local)
	writeTunnelLink(j, d.Link, names)
	j.uint("ttl", uint64(d.TTL))
	if d.TOS != 0 {
		j.hex("tos", uint64(d.TOS))
	}
	j.boolean("pmtudisc", d.PMTUDisc != nil && *d.PMTUDisc)
	if d.Flags&netlink.SitISATAP != 0 {
		j.boolean("isatap", true)
	}
	if r := d.SixRD; r != nil && r.PrefixLen != 0 {
		p := r.Prefix
		if !p.IsValid() {
			p = netip.IPv6Unspecified()
		}
		j.str("prefix", p.String())
		j.int("prefixlen", int64(r.PrefixLen))
		if r.RelayPrefix.IsValid() && !r.RelayPrefix.IsUnspecified() {
			j.str("relay_prefix", r.RelayPrefix.String())
			j.int("relay_prefixlen", int64(r.RelayPrefixLen))
		}
	}
	writeFwMark(j, 0, d.FwMark)
	writeEncap(j, d.Encap)
}

// writeIP6Tnl is ip6tunnel_print_opt.
func writeIP6Tnl(j *jsonOut, d *netlink.IPTun, names *linkNames) {
	if d.CollectMetadata {
		j.boolean("external", true)
	}
	if d.Proto != nil {
		switch *d.Proto {
		case 4:
			j.str("proto", "ipip6")
		case 41:
			j.str("proto", "ip6ip6")
		case 0:
			j.str("proto", "any")
		}
	}
	writeEndpoint(j, "remote", d.Remote)
	writeEndpoint(j, "local", d.Local)
	writeTunnelLink(j, d.Link, names)
	j.uint("ttl", uint64(d.TTL))
	writeIP6Flags(j, d.Flags, d.EncapLimit, d.FlowInfo)
	if d.Flags&netlink.IP6TnlMIP6Dev != 0 {
		j.boolean("ip6_tnl_f_mip6_dev", true)
	}
	if d.Flags&netlink.IP6TnlAllowLocalRemote != 0 {
		j.boolean("ip6_tnl_f_allow_local_remote", true)
	}
	writeFwMark(j, d.Flags, d.FwMark)
	writeEncap(j, d.Encap)
}

// writeVti is vti_print_opt and vti6_print_opt.
func writeVti(j *jsonOut, d *netlink.Vti, names *linkNames) {
	writeEndpoint(j, "remote", d.Remote)
	writeEndpoint(j, "local", d.Local)
	writeTunnelLink(j, d.Link, names)
	if d.IKey != 0 {
		j.str("ikey", keyString(d.IKey))
	}
	if d.OKey != 0 {
		j.str("okey", keyString(d.OKey))
	}
	if d.FwMark != 0 {
		j.hex("fwmark", uint64(d.FwMark))
	}
}

// writeGeneve is geneve_print_opt.
func writeGeneve(j *jsonOut, d *netlink.Geneve) {
	if d.CollectMetadata {
		j.boolean("external", true)
	}
	j.uint("id", uint64(d.ID))
	if r := d.Remote; r.Is4() && !r.IsUnspecified() {
		j.str("remote", r.String())
	} else if r.Is6() && !r.IsUnspecified() && !r.IsMulticast() {
		j.str("remote6", r.String())
	}
	if !d.TTLInherit {
		j.uint("ttl", uint64(d.TTL))
	}
	if d.TOS != 0 {
		j.hex("tos", uint64(d.TOS))
	}
	if d.DF != nil {
		switch *d.DF {
		case 0:
			j.str("df", "unset")
		case 1:
			j.str("df", "set")
		case 2:
			j.str("df", "inherit")
		}
	}
	if d.Label != 0 {
		j.hex("label", uint64(d.Label))
	}
	j.uint("port", uint64(d.Port))
	if d.UDPCsum != nil {
		j.boolean("udp_csum", *d.UDPCsum)
	}
	if d.UDPZeroCsum6Tx != nil {
		j.boolean("udp_zero_csum6_tx", *d.UDPZeroCsum6Tx)
	}
	if d.UDPZeroCsum6Rx != nil {
		j.boolean("udp_zero_csum6_rx", *d.UDPZeroCsum6Rx)
	}
	if d.InnerProtoInherit {
		j.boolean("inner_proto_inherit", true)
	}
}
