package netlink

import (
	"fmt"
	"net/netip"

	nl "github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Vxlan is the kind data of a VXLAN tunnel (IFLA_VXLAN_*). Zero fields are
// the kernel's defaults and not sent; pointers are for settings whose zero
// is not the default.
type Vxlan struct {
	// ID is the VXLAN network identifier (IFLA_VXLAN_ID), always sent.
	ID uint32
	// Group is the remote address or multicast group (IFLA_VXLAN_GROUP or
	// IFLA_VXLAN_GROUP6); ip(8) calls a unicast one "remote".
	Group netip.Addr
	// Local is the source address (IFLA_VXLAN_LOCAL or _LOCAL6).
	Local netip.Addr
	// Link is the index of the underlying device (IFLA_VXLAN_LINK).
	Link int
	// Port is the UDP destination port (IFLA_VXLAN_PORT), host order.
	Port uint16
	// TTL and TOS of the outer header (IFLA_VXLAN_TTL, _TOS).
	TTL, TOS uint8
	// Learning is IFLA_VXLAN_LEARNING (the kernel's default is on).
	Learning *bool
	// Ageing is the FDB entry lifetime in seconds (IFLA_VXLAN_AGEING).
	Ageing *uint32
	// Limit is the maximum number of FDB entries (IFLA_VXLAN_LIMIT).
	Limit uint32
	// Proxy, RSC, L2Miss and L3Miss are IFLA_VXLAN_PROXY, _RSC, _L2MISS
	// and _L3MISS.
	Proxy, RSC, L2Miss, L3Miss bool
	// UDPCsum is IFLA_VXLAN_UDP_CSUM.
	UDPCsum *bool
	// UDPZeroCsum6Tx and UDPZeroCsum6Rx are IFLA_VXLAN_UDP_ZERO_CSUM6_TX
	// and _RX.
	UDPZeroCsum6Tx, UDPZeroCsum6Rx bool
	// Unknown holds the other IFLA_VXLAN_* attributes (port range, df,
	// label...), as received; never sent in requests.
	Unknown []Attribute
}

// InfoKind implements LinkData.
func (*Vxlan) InfoKind() string { return "vxlan" }

// String returns "id 42 remote 198.51.100.1 local 192.0.2.1 dstport 4789".
func (d *Vxlan) String() string {
	s := fmt.Sprintf("id %d", d.ID)
	if d.Group.IsValid() {
		if d.Group.IsMulticast() {
			s += " group " + d.Group.String()
		} else {
			s += " remote " + d.Group.String()
		}
	}
	if d.Local.IsValid() {
		s += " local " + d.Local.String()
	}
	if d.Link != 0 {
		s += fmt.Sprintf(" dev %d", d.Link)
	}
	if d.Port != 0 {
		s += fmt.Sprintf(" dstport %d", d.Port)
	}
	if d.TTL != 0 {
		s += fmt.Sprintf(" ttl %d", d.TTL)
	}
	if d.Learning != nil && !*d.Learning {
		s += " nolearning"
	}
	return s
}

func (d *Vxlan) decode(b []byte) error {
	return decodeKindData("vxlan", b, func(ad *nl.AttributeDecoder) {
		switch ad.Type() {
		case unix.IFLA_VXLAN_ID:
			d.ID = ad.Uint32()
		case unix.IFLA_VXLAN_GROUP:
			d.Group = addrAttr(ad, 4)
		case unix.IFLA_VXLAN_GROUP6:
			d.Group = addrAttr(ad, 16)
		case unix.IFLA_VXLAN_LOCAL:
			d.Local = addrAttr(ad, 4)
		case unix.IFLA_VXLAN_LOCAL6:
			d.Local = addrAttr(ad, 16)
		case unix.IFLA_VXLAN_LINK:
			d.Link = int(ad.Uint32())
		case unix.IFLA_VXLAN_PORT:
			d.Port = be16(ad)
		case unix.IFLA_VXLAN_TTL:
			d.TTL = ad.Uint8()
		case unix.IFLA_VXLAN_TOS:
			d.TOS = ad.Uint8()
		case unix.IFLA_VXLAN_LEARNING:
			d.Learning = boolPtr(ad)
		case unix.IFLA_VXLAN_AGEING:
			d.Ageing = u32Ptr(ad)
		case unix.IFLA_VXLAN_LIMIT:
			d.Limit = ad.Uint32()
		case unix.IFLA_VXLAN_PROXY:
			d.Proxy = ad.Uint8() != 0
		case unix.IFLA_VXLAN_RSC:
			d.RSC = ad.Uint8() != 0
		case unix.IFLA_VXLAN_L2MISS:
			d.L2Miss = ad.Uint8() != 0
		case unix.IFLA_VXLAN_L3MISS:
			d.L3Miss = ad.Uint8() != 0
		case unix.IFLA_VXLAN_UDP_CSUM:
			d.UDPCsum = boolPtr(ad)
		case unix.IFLA_VXLAN_UDP_ZERO_CSUM6_TX:
			d.UDPZeroCsum6Tx = ad.Uint8() != 0
		case unix.IFLA_VXLAN_UDP_ZERO_CSUM6_RX:
			d.UDPZeroCsum6Rx = ad.Uint8() != 0
		default:
			d.Unknown = append(d.Unknown, unknownAttr(ad))
		}
	})
}

func (d *Vxlan) encode(mode linkEncodeMode) ([]byte, error) {
	ae := nl.NewAttributeEncoder()
	ae.Uint32(unix.IFLA_VXLAN_ID, d.ID)
	putAddr(ae, unix.IFLA_VXLAN_GROUP, unix.IFLA_VXLAN_GROUP6, d.Group)
	putAddr(ae, unix.IFLA_VXLAN_LOCAL, unix.IFLA_VXLAN_LOCAL6, d.Local)
	if d.Link != 0 {
		ae.Uint32(unix.IFLA_VXLAN_LINK, uint32(d.Link))
	}
	if d.Port != 0 {
		putBE16(ae, unix.IFLA_VXLAN_PORT, d.Port)
	}
	if d.TTL != 0 {
		ae.Uint8(unix.IFLA_VXLAN_TTL, d.TTL)
	}
	if d.TOS != 0 {
		ae.Uint8(unix.IFLA_VXLAN_TOS, d.TOS)
	}
	putBool(ae, unix.IFLA_VXLAN_LEARNING, d.Learning)
	putU32(ae, unix.IFLA_VXLAN_AGEING, d.Ageing)
	if d.Limit != 0 {
		ae.Uint32(unix.IFLA_VXLAN_LIMIT, d.Limit)
	}
	for _, f := range []struct {
		typ uint16
		v   bool
	}{
		{unix.IFLA_VXLAN_PROXY, d.Proxy}, {unix.IFLA_VXLAN_RSC, d.RSC},
		{unix.IFLA_VXLAN_L2MISS, d.L2Miss}, {unix.IFLA_VXLAN_L3MISS, d.L3Miss},
	} {
		if f.v {
			ae.Uint8(f.typ, 1)
		}
	}
	putBool(ae, unix.IFLA_VXLAN_UDP_CSUM, d.UDPCsum)
	if d.UDPZeroCsum6Tx {
		ae.Uint8(unix.IFLA_VXLAN_UDP_ZERO_CSUM6_TX, 1)
	}
	if d.UDPZeroCsum6Rx {
		ae.Uint8(unix.IFLA_VXLAN_UDP_ZERO_CSUM6_RX, 1)
	}
	encodeUnknown(ae, mode, d.Unknown)
	return ae.Encode()
}

func (d *Vxlan) validate(Verb) error {
	if d.ID >= 1<<24 {
		return invalidf("vxlan id %d over 24 bits", d.ID)
	}
	if d.Group.IsValid() && d.Local.IsValid() && d.Group.Is4() != d.Local.Is4() {
		return invalidf("vxlan group %s and local %s of different families", d.Group, d.Local)
	}
	if d.Group.Is4In6() || d.Local.Is4In6() {
		return invalidf("vxlan address in IPv4-mapped form")
	}
	if d.Link < 0 {
		return invalidf("vxlan link %d", d.Link)
	}
	return nil
}

// MacvlanMode is a macvlan mode (MACVLAN_MODE_*).
