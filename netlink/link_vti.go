package netlink

import (
	"fmt"
	"net/netip"
	"strings"

	nl "github.com/mdlayher/netlink"
)

// IFLA_VTI_* attribute types (include/uapi/linux/if_tunnel.h); x/sys/unix
// does not define them.
const (
	iflaVtiLink   = 1
	iflaVtiIKey   = 2
	iflaVtiOKey   = 3
	iflaVtiLocal  = 4
	iflaVtiRemote = 5
	iflaVtiFwMark = 6
)

// Vti is the kind data of the IPsec virtual tunnel interfaces: vti
// (net/ipv4/ip_vti.c vti_fill_info) and vti6 (net/ipv6/ip6_vti.c
// vti6_fill_info); attributes IFLA_VTI_*.
type Vti struct {
	// Kind is the IFLA_INFO_KIND: vti or vti6; empty means vti.
	Kind string
	// Link is the ifindex of the underlying device, 0 for none.
	Link uint32
	// IKey and OKey are the input and output keys that select the xfrm
	// policy (fwmark); big endian on the wire.
	IKey, OKey uint32
	// Local and Remote are the endpoints, IPv4 for vti, IPv6 for vti6;
	// invalid (zero) means any.
	Local, Remote netip.Addr
	// FwMark is the fwmark of the tunnel's route lookups.
	FwMark uint32
	// Unknown holds other IFLA_VTI_* attributes, as received.
	Unknown []Attribute
}

// InfoKind implements LinkData.
func (d *Vti) InfoKind() string {
	if d.Kind == "" {
		return "vti"
	}
	return d.Kind
}

// String returns "remote 198.51.100.6 local 192.0.2.1 ikey 7 okey 8".
func (d *Vti) String() string {
	var s []string
	if d.Remote.IsValid() {
		s = append(s, "remote "+d.Remote.String())
	}
	if d.Local.IsValid() {
		s = append(s, "local "+d.Local.String())
	}
	if d.IKey != 0 {
		s = append(s, fmt.Sprintf("ikey %d", d.IKey))
	}
	if d.OKey != 0 {
		s = append(s, fmt.Sprintf("okey %d", d.OKey))
	}
	return strings.Join(s, " ")
}

func (d *Vti) decode(b []byte) error {
	size := addrSize(d.InfoKind() == "vti6")
	return decodeKindData(d.InfoKind(), b, func(ad *nl.AttributeDecoder) {
		switch ad.Type() {
		case iflaVtiLink:
			d.Link = ad.Uint32()
		case iflaVtiIKey:
			d.IKey = be32(ad)
		case iflaVtiOKey:
			d.OKey = be32(ad)
		case iflaVtiLocal:
			d.Local = tunnelAddr(ad, size)
		case iflaVtiRemote:
			d.Remote = tunnelAddr(ad, size)
		case iflaVtiFwMark:
			d.FwMark = ad.Uint32()
		default:
			d.Unknown = append(d.Unknown, unknownAttr(ad))
		}
	})
}

func (d *Vti) encode(mode linkEncodeMode) ([]byte, error) {
	ae := nl.NewAttributeEncoder()
	if d.Link != 0 {
		ae.Uint32(iflaVtiLink, d.Link)
	}
	putBE32(ae, iflaVtiIKey, d.IKey)
	putBE32(ae, iflaVtiOKey, d.OKey)
	putTunnelAddr(ae, iflaVtiLocal, d.Local)
	putTunnelAddr(ae, iflaVtiRemote, d.Remote)
	ae.Uint32(iflaVtiFwMark, d.FwMark)
	encodeUnknown(ae, mode, d.Unknown)
	return ae.Encode()
}

// validate checks the kind and that the endpoints are of its family
// (vti_netlink_parms reads 4-byte, vti6_netlink_parms 16-byte addresses).
func (d *Vti) validate(Verb) error {
	kind := d.InfoKind()
	if kind != "vti" && kind != "vti6" {
		return invalidf("%q is not a vti kind", d.Kind)
	}
	for _, a := range []netip.Addr{d.Local, d.Remote} {
		if a.IsValid() && a.Is4() == (kind == "vti6") {
			return invalidf("%s endpoint %s is of the wrong family", kind, a)
		}
	}
	return nil
}
