package netlink

import (
	"fmt"
	"net/netip"
	"strings"

	nl "github.com/mdlayher/netlink"
)

// IFLA_GRE_* attribute types (include/uapi/linux/if_tunnel.h); x/sys/unix
// does not define them.
const (
	iflaGreLink            = 1
	iflaGreIFlags          = 2
	iflaGreOFlags          = 3
	iflaGreIKey            = 4
	iflaGreOKey            = 5
	iflaGreLocal           = 6
	iflaGreRemote          = 7
	iflaGreTTL             = 8
	iflaGreTOS             = 9
	iflaGrePMTUDisc        = 10
	iflaGreEncapLimit      = 11
	iflaGreFlowInfo        = 12
	iflaGreFlags           = 13
	iflaGreEncapType       = 14
	iflaGreEncapFlags      = 15
	iflaGreEncapSport      = 16
	iflaGreEncapDport      = 17
	iflaGreCollectMetadata = 18
	iflaGreIgnoreDF        = 19
	iflaGreFwMark          = 20
	iflaGreErspanIndex     = 21
	iflaGreErspanVer       = 22
	iflaGreErspanDir       = 23
	iflaGreErspanHwid      = 24
)

// GRE header flags as IFLA_GRE_IFLAGS and IFLA_GRE_OFLAGS carry them
// (include/uapi/linux/if_tunnel.h GRE_CSUM, GRE_KEY, GRE_SEQ; big endian on
// the wire, host order in Gre).
const (
	GreCsum uint16 = 0x8000
	GreKey  uint16 = 0x2000
	GreSeq  uint16 = 0x1000
)

// IPv6 tunnel flags (IFLA_GRE_FLAGS of ip6gre kinds, IFLA_IPTUN_FLAGS of
// ip6tnl; include/uapi/linux/ip6_tunnel.h IP6_TNL_F_*).
const (
	IP6TnlIgnEncapLimit    uint32 = 0x1
	IP6TnlUseOrigTclass    uint32 = 0x2
	IP6TnlUseOrigFlowlabel uint32 = 0x4
	IP6TnlMIP6Dev          uint32 = 0x8
	IP6TnlRcvDSCPCopy      uint32 = 0x10
	IP6TnlUseOrigFwMark    uint32 = 0x20
	IP6TnlAllowLocalRemote uint32 = 0x40
)

// TunnelEncap is a tunnel's FOU/GUE encapsulation (IFLA_*_ENCAP_TYPE,
// _FLAGS, _SPORT, _DPORT; include/uapi/linux/if_tunnel.h).
type TunnelEncap struct {
	// Type is TUNNEL_ENCAP_NONE (0), _FOU (1) or _GUE (2).
	Type uint16
	// Flags holds TUNNEL_ENCAP_FLAG_CSUM (1), _CSUM6 (2), _REMCSUM (4).
	Flags uint16
	// SPort and DPort are the UDP ports, host order (big endian on the
	// wire); SPort 0 lets the kernel choose.
	SPort, DPort uint16
}

func (e TunnelEncap) encode(ae *nl.AttributeEncoder, typ, flags, sport, dport uint16) {
	ae.Uint16(typ, e.Type)
	ae.Uint16(flags, e.Flags)
	putBE16(ae, sport, e.SPort)
	putBE16(ae, dport, e.DPort)
}

func putBE32(ae *nl.AttributeEncoder, typ uint16, v uint32) {
	ae.Bytes(typ, []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func be32(ad *nl.AttributeDecoder) uint32 {
	var v uint32
	ad.Do(func(b []byte) error {
		if len(b) != 4 {
			return fmt.Errorf("attribute %d is not a be32; length %d", ad.Type(), len(b))
		}
		v = uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		return nil
	})
	return v
}

// greKinds says which GRE kinds are IPv6 tunnels and which carry ERSPAN.
var greKinds = map[string]struct{ v6, erspan bool }{
	"gre": {}, "gretap": {}, "erspan": {erspan: true},
	"ip6gre": {v6: true}, "ip6gretap": {v6: true}, "ip6erspan": {v6: true, erspan: true},
}

// Gre is the kind data of the GRE family: gre, gretap and erspan over IPv4
// (net/ipv4/ip_gre.c ipgre_fill_info), ip6gre, ip6gretap and ip6erspan
// over IPv6 (net/ipv6/ip6_gre.c ip6gre_fill_info); attributes IFLA_GRE_*.
//
// On add and set every field is sent: the kernel rebuilds a tunnel's
// parameters from the request, with its defaults for what is missing.
type Gre struct {
	// Kind is the IFLA_INFO_KIND, one of gre, gretap, erspan, ip6gre,
	// ip6gretap, ip6erspan; empty means gre.
	Kind string
	// Link is the ifindex of the underlying device (IFLA_GRE_LINK), 0 for
	// none.
	Link uint32
	// IFlags and OFlags are the GRE header flags expected on input and set
	// on output (GreCsum, GreKey, GreSeq).
	IFlags, OFlags uint16
	// IKey and OKey are the input and output keys (big endian on the
	// wire), meaningful with GreKey in IFlags/OFlags.
	IKey, OKey uint32
	// Local and Remote are the tunnel endpoints, IPv4 for gre, gretap,
	// erspan and IPv6 for the ip6 kinds; invalid (zero) means any.
	Local, Remote netip.Addr
	// TTL is the outer TTL or hop limit; 0 means inherit.
	TTL uint8
	// TOS is the outer TOS of the IPv4 kinds; 1 means inherit.
	TOS uint8
	// PMTUDisc is path MTU discovery (IPv4 kinds; the kernel's default is
	// on); nil leaves it out.
	PMTUDisc *bool
	// IgnoreDF (IPv4 kinds) lets the tunnel fragment packets with DF set.
	IgnoreDF *bool
	// EncapLimit is the IPv6 tunnel encapsulation limit (ip6 kinds; the
	// kernel's default is 4).
	EncapLimit *uint8
	// FlowInfo is the IPv6 traffic class (bits 20-27) and flow label (bits
	// 0-19), host order; ip6 kinds.
	FlowInfo *uint32
	// Flags are the IP6Tnl* flags of the ip6 kinds.
	Flags uint32
	// FwMark is the fwmark of the tunnel's route lookups.
	FwMark uint32
	// Encap is the FOU/GUE encapsulation.
	Encap TunnelEncap
	// CollectMetadata is "external": a flow-based tunnel.
	CollectMetadata bool
	// ErspanVer (1 or 2), ErspanIndex (version 1, 20 bits), ErspanDir
	// (version 2; 0 ingress, 1 egress) and ErspanHwid (version 2, 6 bits)
	// belong to erspan and ip6erspan.
	ErspanVer   *uint8
	ErspanIndex *uint32
	ErspanDir   *uint8
	ErspanHwid  *uint16
	// Unknown holds other IFLA_GRE_* attributes, as received.
	Unknown []Attribute
}

// InfoKind implements LinkData.
func (d *Gre) InfoKind() string {
	if d.Kind == "" {
		return "gre"
	}
	return d.Kind
}

// String returns "remote 198.51.100.1 local 192.0.2.1 ttl 64 key 5" style
// text.
func (d *Gre) String() string {
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
	if d.IFlags&GreKey != 0 {
		s = append(s, fmt.Sprintf("ikey %d", d.IKey))
	}
	if d.OFlags&GreKey != 0 {
		s = append(s, fmt.Sprintf("okey %d", d.OKey))
	}
	if d.CollectMetadata {
		s = append(s, "external")
	}
	return strings.Join(s, " ")
}

func (d *Gre) decode(b []byte) error {
	size := addrSize(greKinds[d.InfoKind()].v6)
	return decodeKindData(d.InfoKind(), b, func(ad *nl.AttributeDecoder) {
		switch ad.Type() {
		case iflaGreLink:
			d.Link = ad.Uint32()
		case iflaGreIFlags:
			d.IFlags = be16(ad)
		case iflaGreOFlags:
			d.OFlags = be16(ad)
		case iflaGreIKey:
			d.IKey = be32(ad)
		case iflaGreOKey:
			d.OKey = be32(ad)
		case iflaGreLocal:
			d.Local = tunnelAddr(ad, size)
		case iflaGreRemote:
			d.Remote = tunnelAddr(ad, size)
		case iflaGreTTL:
			d.TTL = ad.Uint8()
		case iflaGreTOS:
			d.TOS = ad.Uint8()
		case iflaGrePMTUDisc:
			d.PMTUDisc = boolPtr(ad)
		case iflaGreIgnoreDF:
			d.IgnoreDF = boolPtr(ad)
		case iflaGreEncapLimit:
			d.EncapLimit = u8Ptr(ad)
		case iflaGreFlowInfo:
			v := be32(ad)
			d.FlowInfo = &v
		case iflaGreFlags:
			d.Flags = ad.Uint32()
		case iflaGreFwMark:
			d.FwMark = ad.Uint32()
		case iflaGreEncapType:
			d.Encap.Type = ad.Uint16()
		case iflaGreEncapFlags:
			d.Encap.Flags = ad.Uint16()
		case iflaGreEncapSport:
			d.Encap.SPort = be16(ad)
		case iflaGreEncapDport:
			d.Encap.DPort = be16(ad)
		case iflaGreCollectMetadata:
			d.CollectMetadata = true
		case iflaGreErspanVer:
			d.ErspanVer = u8Ptr(ad)
		case iflaGreErspanIndex:
			d.ErspanIndex = u32Ptr(ad)
		case iflaGreErspanDir:
			d.ErspanDir = u8Ptr(ad)
		case iflaGreErspanHwid:
			d.ErspanHwid = u16Ptr(ad)
		default:
			d.Unknown = append(d.Unknown, unknownAttr(ad))
		}
	})
}

// tunnelAddr decodes an endpoint of size bytes (4 for the IPv4 kinds, 16
// for the IPv6 ones, as their fill_info functions put them); the all-zero
// address ("any") decodes as the invalid Addr.
func tunnelAddr(ad *nl.AttributeDecoder, size int) netip.Addr {
	var a netip.Addr
	ad.Do(func(b []byte) error {
		if len(b) != size {
			return fmt.Errorf("attribute %d is not a %d-byte address; length %d", ad.Type(), size, len(b))
		}
		a, _ = netip.AddrFromSlice(b)
		if a.IsUnspecified() {
			a = netip.Addr{}
		}
		return nil
	})
	return a
}

// addrSize is the size of an endpoint of an IPv6 (16) or IPv4 (4) tunnel.
func addrSize(v6 bool) int {
	if v6 {
		return 16
	}
	return 4
}

func putTunnelAddr(ae *nl.AttributeEncoder, typ uint16, a netip.Addr) {
	if a.IsValid() {
		ae.Bytes(typ, a.AsSlice())
	}
}

func (d *Gre) encode(mode linkEncodeMode) ([]byte, error) {
	ae := nl.NewAttributeEncoder()
	if d.Link != 0 {
		ae.Uint32(iflaGreLink, d.Link)
	}
	putBE16(ae, iflaGreIFlags, d.IFlags)
	putBE16(ae, iflaGreOFlags, d.OFlags)
	putBE32(ae, iflaGreIKey, d.IKey)
	putBE32(ae, iflaGreOKey, d.OKey)
	putTunnelAddr(ae, iflaGreLocal, d.Local)
	putTunnelAddr(ae, iflaGreRemote, d.Remote)
	ae.Uint8(iflaGreTTL, d.TTL)
	if !greKinds[d.InfoKind()].v6 || d.TOS != 0 {
		ae.Uint8(iflaGreTOS, d.TOS)
	}
	putBool(ae, iflaGrePMTUDisc, d.PMTUDisc)
	putBool(ae, iflaGreIgnoreDF, d.IgnoreDF)
	if d.EncapLimit != nil {
		ae.Uint8(iflaGreEncapLimit, *d.EncapLimit)
	}
	if d.FlowInfo != nil {
		putBE32(ae, iflaGreFlowInfo, *d.FlowInfo)
	}
	if greKinds[d.InfoKind()].v6 || d.Flags != 0 {
		ae.Uint32(iflaGreFlags, d.Flags)
	}
	ae.Uint32(iflaGreFwMark, d.FwMark)
	d.Encap.encode(ae, iflaGreEncapType, iflaGreEncapFlags, iflaGreEncapSport, iflaGreEncapDport)
	if d.CollectMetadata {
		ae.Flag(iflaGreCollectMetadata, true)
	}
	if d.ErspanVer != nil {
		ae.Uint8(iflaGreErspanVer, *d.ErspanVer)
	}
	if d.ErspanIndex != nil {
		ae.Uint32(iflaGreErspanIndex, *d.ErspanIndex)
	}
	if d.ErspanDir != nil {
		ae.Uint8(iflaGreErspanDir, *d.ErspanDir)
	}
	if d.ErspanHwid != nil {
		ae.Uint16(iflaGreErspanHwid, *d.ErspanHwid)
	}
	encodeUnknown(ae, mode, d.Unknown)
	return ae.Encode()
}

// validate applies ip_gre.c's and ip6_gre.c's rules (ipgre_tunnel_validate,
// erspan_validate, ip6gre_tunnel_validate): endpoints of the kind's family,
// ERSPAN fields only on the erspan kinds and in their ranges.
func (d *Gre) validate(Verb) error {
	k, ok := greKinds[d.InfoKind()]
	if !ok {
		return invalidf("%q is not a GRE kind", d.Kind)
	}
	for _, a := range []netip.Addr{d.Local, d.Remote} {
		if a.IsValid() && a.Is4() == k.v6 {
			return invalidf("%s endpoint %s is of the wrong family", d.InfoKind(), a)
		}
	}
	if !k.v6 && (d.EncapLimit != nil || d.FlowInfo != nil || d.Flags != 0) {
		return invalidf("%s: encap limit, flow info and ip6 tunnel flags belong to the ip6 kinds", d.InfoKind())
	}
	if k.v6 && (d.PMTUDisc != nil || d.IgnoreDF != nil || d.TOS != 0) {
		return invalidf("%s: pmtudisc, ignore-df and tos belong to the IPv4 kinds", d.InfoKind())
	}
	// ipgre_fill_info reports IFLA_GRE_ERSPAN_VER 0 for gre and gretap.
	if !k.erspan && ((d.ErspanVer != nil && *d.ErspanVer != 0) || d.ErspanIndex != nil || d.ErspanDir != nil || d.ErspanHwid != nil) {
		return invalidf("%s: erspan fields belong to erspan and ip6erspan", d.InfoKind())
	}
	if d.ErspanVer != nil && *d.ErspanVer > 2 {
		return invalidf("erspan version %d: not 0, 1 or 2", *d.ErspanVer)
	}
	if d.ErspanIndex != nil && *d.ErspanIndex >= 1<<20 {
		return invalidf("erspan index %d: more than 20 bits", *d.ErspanIndex)
	}
	if d.ErspanDir != nil && *d.ErspanDir > 1 {
		return invalidf("erspan direction %d: not 0 (ingress) or 1 (egress)", *d.ErspanDir)
	}
	if d.ErspanHwid != nil && *d.ErspanHwid >= 1<<6 {
		return invalidf("erspan hwid %d: more than 6 bits", *d.ErspanHwid)
	}
	return nil
}
