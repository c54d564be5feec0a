package netlink

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"

	nl "github.com/mdlayher/netlink"
)

// IFLA_IPTUN_* attribute types (include/uapi/linux/if_tunnel.h); x/sys/unix
// does not define them.
const (
	iflaIPTunLink              = 1
	iflaIPTunLocal             = 2
	iflaIPTunRemote            = 3
	iflaIPTunTTL               = 4
	iflaIPTunTOS               = 5
	iflaIPTunEncapLimit        = 6
	iflaIPTunFlowInfo          = 7
	iflaIPTunFlags             = 8
	iflaIPTunProto             = 9
	iflaIPTunPMTUDisc          = 10
	iflaIPTun6RDPrefix         = 11
	iflaIPTun6RDRelayPrefix    = 12
	iflaIPTun6RDPrefixLen      = 13
	iflaIPTun6RDRelayPrefixLen = 14
	iflaIPTunEncapType         = 15
	iflaIPTunEncapFlags        = 16
	iflaIPTunEncapSport        = 17
	iflaIPTunEncapDport        = 18
	iflaIPTunCollectMetadata   = 19
	iflaIPTunFwMark            = 20
)

// SitISATAP is the ISATAP flag of a sit tunnel's IFLA_IPTUN_FLAGS
// (include/uapi/linux/if_tunnel.h SIT_ISATAP).
const SitISATAP uint32 = 0x1

// iptunKinds says which IP-in-IP kinds run over IPv6.
var iptunKinds = map[string]bool{"ipip": false, "sit": false, "ip6tnl": true}

// IPTun6RD is a sit tunnel's IPv6 rapid deployment prefix
// (IFLA_IPTUN_6RD_*; net/ipv6/sit.c).
type IPTun6RD struct {
	// Prefix and PrefixLen are the 6rd IPv6 prefix (the kernel's default
	// is 2002::/16, copied from sit0).
	Prefix    netip.Addr
	PrefixLen uint16
	// RelayPrefix and RelayPrefixLen are the IPv4 relay prefix.
	RelayPrefix    netip.Addr
	RelayPrefixLen uint16
}

// IPTun is the kind data of the IP-in-IP tunnels: ipip
// (net/ipv4/ipip.c ipip_fill_info), sit (net/ipv6/sit.c ipip6_fill_info)
// and ip6tnl (net/ipv6/ip6_tunnel.c ip6_tnl_fill_info); attributes
// IFLA_IPTUN_*.
//
// On add and set every field is sent: the kernel rebuilds a tunnel's
// parameters from the request, with its defaults for what is missing.
type IPTun struct {
	// Kind is the IFLA_INFO_KIND: ipip, sit or ip6tnl; empty means ipip.
	Kind string
	// Link is the ifindex of the underlying device, 0 for none.
	Link uint32
	// Local and Remote are the endpoints, IPv4 for ipip and sit, IPv6 for
	// ip6tnl; invalid (zero) means any.
	Local, Remote netip.Addr
	// TTL is the outer TTL or hop limit; 0 means inherit.
	TTL uint8
	// TOS is the outer TOS of ipip and sit; 1 means inherit.
	TOS uint8
	// Proto is the inner protocol (IPPROTO_IPIP 4, IPPROTO_IPV6 41,
	// IPPROTO_MPLS 137, 0 any); nil leaves the kind's default.
	Proto *uint8
	// PMTUDisc is path MTU discovery of ipip and sit (default on).
	PMTUDisc *bool
	// Flags are SitISATAP for sit (16 bits on the wire) or the IP6Tnl*
	// flags for ip6tnl (32 bits).
	Flags uint32
	// EncapLimit is ip6tnl's encapsulation limit (the kernel's default is
	// 4).
	EncapLimit *uint8
	// FlowInfo is ip6tnl's traffic class (bits 20-27) and flow label
	// (bits 0-19), host order.
	FlowInfo *uint32
	// SixRD is sit's 6rd prefix; nil for the other kinds.
	SixRD *IPTun6RD
	// FwMark is the fwmark of the tunnel's route lookups.
	FwMark uint32
	// Encap is the FOU/GUE encapsulation.
	Encap TunnelEncap
	// CollectMetadata is "external": a flow-based tunnel.
	CollectMetadata bool
	// Unknown holds other IFLA_IPTUN_* attributes, as received.
	Unknown []Attribute
}

// InfoKind implements LinkData.
func (d *IPTun) InfoKind() string {
	if d.Kind == "" {
		return "ipip"
	}
	return d.Kind
}

// String returns "remote 198.51.100.4 local 192.0.2.1 ttl 32" style text.
func (d *IPTun) String() string {
	var s []string
	if d.Remote.IsValid() {
		s = append(s, "remote "+d.Remote.String())
	}
	if d.Local.IsValid() {
		s = append(s, "local "+d.Local.String())
	}
	if d.TTL != 0 {
		s = append(s, fmt.Sprintf("ttl %d", d.TTL))
	}
	if d.Proto != nil {
		s = append(s, fmt.Sprintf("proto %d", *d.Proto))
	}
	if d.CollectMetadata {
		s = append(s, "external")
	}
	return strings.Join(s, " ")
}

func (d *IPTun) decode(b []byte) error {
	sixrd := func() *IPTun6RD {
		if d.SixRD == nil {
			d.SixRD = new(IPTun6RD)
		}
		return d.SixRD
	}
	size := addrSize(iptunKinds[d.InfoKind()])
	return decodeKindData(d.InfoKind(), b, func(ad *nl.AttributeDecoder) {
		switch ad.Type() {
		case iflaIPTunLink:
			d.Link = ad.Uint32()
		case iflaIPTunLocal:
			d.Local = tunnelAddr(ad, size)
		case iflaIPTunRemote:
			d.Remote = tunnelAddr(ad, size)
		case iflaIPTunTTL:
			d.TTL = ad.Uint8()
		case iflaIPTunTOS:
			d.TOS = ad.Uint8()
		case iflaIPTunProto:
			d.Proto = u8Ptr(ad)
		case iflaIPTunPMTUDisc:
			d.PMTUDisc = boolPtr(ad)
		case iflaIPTunFlags:
			// u16 from sit, u32 from ip6tnl.
			ad.Do(func(b []byte) error {
				switch len(b) {
				case 2:
					d.Flags = uint32(binary.NativeEndian.Uint16(b))
				case 4:
					d.Flags = binary.NativeEndian.Uint32(b)
				default:
					return fmt.Errorf("IFLA_IPTUN_FLAGS of length %d", len(b))
				}
				return nil
			})
		case iflaIPTunEncapLimit:
			d.EncapLimit = u8Ptr(ad)
		case iflaIPTunFlowInfo:
			v := be32(ad)
			d.FlowInfo = &v
		case iflaIPTun6RDPrefix:
			sixrd().Prefix = addrAttr(ad, 16)
		case iflaIPTun6RDRelayPrefix:
			sixrd().RelayPrefix = addrAttr(ad, 4)
		case iflaIPTun6RDPrefixLen:
			sixrd().PrefixLen = ad.Uint16()
		case iflaIPTun6RDRelayPrefixLen:
			sixrd().RelayPrefixLen = ad.Uint16()
		case iflaIPTunFwMark:
			d.FwMark = ad.Uint32()
		case iflaIPTunEncapType:
			d.Encap.Type = ad.Uint16()
		case iflaIPTunEncapFlags:
			d.Encap.Flags = ad.Uint16()
		case iflaIPTunEncapSport:
			d.Encap.SPort = be16(ad)
		case iflaIPTunEncapDport:
			d.Encap.DPort = be16(ad)
		case iflaIPTunCollectMetadata:
			d.CollectMetadata = true
		default:
			d.Unknown = append(d.Unknown, unknownAttr(ad))
		}
	})
}

func (d *IPTun) encode(mode linkEncodeMode) ([]byte, error) {
	ae := nl.NewAttributeEncoder()
	kind := d.InfoKind()
	if d.Link != 0 {
		ae.Uint32(iflaIPTunLink, d.Link)
	}
	putTunnelAddr(ae, iflaIPTunLocal, d.Local)
	putTunnelAddr(ae, iflaIPTunRemote, d.Remote)
	ae.Uint8(iflaIPTunTTL, d.TTL)
	if kind != "ip6tnl" || d.TOS != 0 {
		ae.Uint8(iflaIPTunTOS, d.TOS)
	}
	if d.Proto != nil {
		ae.Uint8(iflaIPTunProto, *d.Proto)
	}
	putBool(ae, iflaIPTunPMTUDisc, d.PMTUDisc)
	switch {
	case kind == "ip6tnl" || d.Flags > 0xffff:
		ae.Uint32(iflaIPTunFlags, d.Flags)
	case kind == "sit" || d.Flags != 0:
		ae.Uint16(iflaIPTunFlags, uint16(d.Flags))
	}
	if d.EncapLimit != nil {
		ae.Uint8(iflaIPTunEncapLimit, *d.EncapLimit)
	}
	if d.FlowInfo != nil {
		putBE32(ae, iflaIPTunFlowInfo, *d.FlowInfo)
	}
	if r := d.SixRD; r != nil {
		if r.Prefix.IsValid() {
			b := r.Prefix.As16()
			ae.Bytes(iflaIPTun6RDPrefix, b[:])
		}
		if r.RelayPrefix.IsValid() {
			b := r.RelayPrefix.As4()
			ae.Bytes(iflaIPTun6RDRelayPrefix, b[:])
		}
		ae.Uint16(iflaIPTun6RDPrefixLen, r.PrefixLen)
		ae.Uint16(iflaIPTun6RDRelayPrefixLen, r.RelayPrefixLen)
	}
	ae.Uint32(iflaIPTunFwMark, d.FwMark)
	d.Encap.encode(ae, iflaIPTunEncapType, iflaIPTunEncapFlags, iflaIPTunEncapSport, iflaIPTunEncapDport)
	if d.CollectMetadata {
		ae.Flag(iflaIPTunCollectMetadata, true)
	}
	encodeUnknown(ae, mode, d.Unknown)
	return ae.Encode()
}

// validate applies ipip.c's, sit.c's and ip6_tunnel.c's rules
// (ipip_tunnel_validate, ipip6_validate, ip6_tnl_validate): endpoints of
// the kind's family, an inner protocol the kind carries, ISATAP only for
// sit with IPv6 inside, 6rd only on sit.
func (d *IPTun) validate(Verb) error {
	kind := d.InfoKind()
	v6, ok := iptunKinds[kind]
	if !ok {
		return invalidf("%q is not an IP-in-IP tunnel kind", d.Kind)
	}
	for _, a := range []netip.Addr{d.Local, d.Remote} {
		if a.IsValid() && a.Is4() == v6 {
			return invalidf("%s endpoint %s is of the wrong family", kind, a)
		}
	}
	if d.Proto != nil {
		p := *d.Proto
		okp := p == 0 || p == 4
		switch kind {
		case "ipip":
			okp = okp || p == 137
		case "sit":
			okp = okp || p == 41 || p == 137
		case "ip6tnl":
			okp = okp || p == 41
		}
		if !okp {
			return invalidf("%s cannot carry IP protocol %d", kind, p)
		}
	}
	if kind == "ipip" && d.Flags != 0 {
		return invalidf("ipip has no tunnel flags")
	}
	if kind == "sit" && d.Flags&^SitISATAP != 0 {
		return invalidf("sit flags %#x: only ISATAP (1)", d.Flags)
	}
	if kind == "sit" && d.Flags&SitISATAP != 0 && d.Proto != nil && *d.Proto != 41 {
		return invalidf("sit isatap needs IPv6 inside (proto 41)")
	}
	if !v6 && (d.EncapLimit != nil || d.FlowInfo != nil) {
		return invalidf("%s: encap limit and flow info belong to ip6tnl", kind)
	}
	if v6 && (d.PMTUDisc != nil || d.TOS != 0) {
		return invalidf("ip6tnl: pmtudisc and tos belong to ipip and sit")
	}
	if r := d.SixRD; r != nil {
		if kind != "sit" {
			return invalidf("%s: 6rd belongs to sit", kind)
		}
		if (r.Prefix.IsValid() && !r.Prefix.Is6()) || (r.RelayPrefix.IsValid() && !r.RelayPrefix.Is4()) {
			return invalidf("6rd prefix must be IPv6 and relay prefix IPv4")
		}
		// ipip6_tunnel_update_6rd.
		if r.RelayPrefixLen > 32 || int(r.PrefixLen)+32-int(r.RelayPrefixLen) > 64 {
			return invalidf("6rd prefix /%d with relay prefix /%d: more than 64 bits", r.PrefixLen, r.RelayPrefixLen)
		}
	}
	return nil
}
