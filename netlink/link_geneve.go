package netlink

import (
	"fmt"
	"net/netip"
	"strings"

	nl "github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Geneve is the kind data of a geneve device (drivers/net/geneve.c
// geneve_fill_info; attributes IFLA_GENEVE_*).
type Geneve struct {
	// ID is the 24-bit VNI (IFLA_GENEVE_ID).
	ID uint32
	// Remote is the remote endpoint, IPv4 (IFLA_GENEVE_REMOTE) or IPv6
	// (IFLA_GENEVE_REMOTE6); the zero address of either family is kept,
	// as the kernel reports it.
	Remote netip.Addr
	// TTL is the outer TTL; 0 with TTLInherit false means the route's.
	TTL uint8
	// TTLInherit copies the inner TTL (IFLA_GENEVE_TTL_INHERIT).
	TTLInherit bool
	// TOS is the outer TOS; 1 means inherit.
	TOS uint8
	// Port is the UDP destination port, host order (big endian on the
	// wire); 0 on add lets the kernel choose 6081.
	Port uint16
	// CollectMetadata is "external": a flow-based device.
	CollectMetadata bool
	// UDPCsum, UDPZeroCsum6Tx and UDPZeroCsum6Rx are the UDP checksum
	// settings; nil leaves the kernel's default.
	UDPCsum, UDPZeroCsum6Tx, UDPZeroCsum6Rx *bool
	// Label is the IPv6 flow label (20 bits), host order.
	Label uint32
	// DF is the outer DF bit: 0 unset, 1 set, 2 inherit (enum
	// ifla_geneve_df); nil where the kernel does not report it.
	DF *uint8
	// InnerProtoInherit carries any inner protocol, not only Ethernet.
	InnerProtoInherit bool
	// Unknown holds other IFLA_GENEVE_* attributes, as received.
	Unknown []Attribute
}

// InfoKind implements LinkData.
func (*Geneve) InfoKind() string { return "geneve" }

// String returns "id 100 remote 198.51.100.7 dstport 6081".
func (d *Geneve) String() string {
	s := []string{fmt.Sprintf("id %d", d.ID)}
	if d.Remote.IsValid() && !d.Remote.IsUnspecified() {
		s = append(s, "remote "+d.Remote.String())
	}
	if d.Port != 0 {
		s = append(s, fmt.Sprintf("dstport %d", d.Port))
	}
	if d.CollectMetadata {
		s = append(s, "external")
	}
	return strings.Join(s, " ")
}

func (d *Geneve) decode(b []byte) error {
	return decodeKindData("geneve", b, func(ad *nl.AttributeDecoder) {
		switch ad.Type() {
		case unix.IFLA_GENEVE_ID:
			d.ID = ad.Uint32()
		case unix.IFLA_GENEVE_REMOTE:
			d.Remote = addrAttr(ad, 4)
		case unix.IFLA_GENEVE_REMOTE6:
			d.Remote = addrAttr(ad, 16)
		case unix.IFLA_GENEVE_TTL:
			d.TTL = ad.Uint8()
		case unix.IFLA_GENEVE_TTL_INHERIT:
			d.TTLInherit = ad.Uint8() != 0
		case unix.IFLA_GENEVE_TOS:
			d.TOS = ad.Uint8()
		case unix.IFLA_GENEVE_PORT:
			d.Port = be16(ad)
		case unix.IFLA_GENEVE_COLLECT_METADATA:
			d.CollectMetadata = true
		case unix.IFLA_GENEVE_UDP_CSUM:
			d.UDPCsum = boolPtr(ad)
		case unix.IFLA_GENEVE_UDP_ZERO_CSUM6_TX:
			d.UDPZeroCsum6Tx = boolPtr(ad)
		case unix.IFLA_GENEVE_UDP_ZERO_CSUM6_RX:
			d.UDPZeroCsum6Rx = boolPtr(ad)
		case unix.IFLA_GENEVE_LABEL:
			d.Label = be32(ad)
		case unix.IFLA_GENEVE_DF:
			d.DF = u8Ptr(ad)
		case unix.IFLA_GENEVE_INNER_PROTO_INHERIT:
			d.InnerProtoInherit = true
		default:
			d.Unknown = append(d.Unknown, unknownAttr(ad))
		}
	})
}

// encode sends TTL_INHERIT only when set: geneve_nl2info ignores
// IFLA_GENEVE_TTL when a request holds IFLA_GENEVE_TTL_INHERIT at all, so
// a TTL with TTLInherit false must travel alone.
func (d *Geneve) encode(mode linkEncodeMode) ([]byte, error) {
	ae := nl.NewAttributeEncoder()
	ae.Uint32(unix.IFLA_GENEVE_ID, d.ID)
	putAddr(ae, unix.IFLA_GENEVE_REMOTE, unix.IFLA_GENEVE_REMOTE6, d.Remote)
	ae.Uint8(unix.IFLA_GENEVE_TTL, d.TTL)
	if d.TTLInherit {
		ae.Uint8(unix.IFLA_GENEVE_TTL_INHERIT, 1)
	}
	ae.Uint8(unix.IFLA_GENEVE_TOS, d.TOS)
	if d.Port != 0 {
		putBE16(ae, unix.IFLA_GENEVE_PORT, d.Port)
	}
	if d.CollectMetadata {
		ae.Flag(unix.IFLA_GENEVE_COLLECT_METADATA, true)
	}
	putBool(ae, unix.IFLA_GENEVE_UDP_CSUM, d.UDPCsum)
	putBool(ae, unix.IFLA_GENEVE_UDP_ZERO_CSUM6_TX, d.UDPZeroCsum6Tx)
	putBool(ae, unix.IFLA_GENEVE_UDP_ZERO_CSUM6_RX, d.UDPZeroCsum6Rx)
	if d.Label != 0 {
		putBE32(ae, unix.IFLA_GENEVE_LABEL, d.Label)
	}
	if d.DF != nil {
		ae.Uint8(unix.IFLA_GENEVE_DF, *d.DF)
	}
	if d.InnerProtoInherit {
		ae.Flag(unix.IFLA_GENEVE_INNER_PROTO_INHERIT, true)
	}
	encodeUnknown(ae, mode, d.Unknown)
	return ae.Encode()
}

// validate applies geneve_validate's ranges: a 24-bit VNI, a 20-bit flow
// label only with an IPv6 remote, a DF of 0-2.
func (d *Geneve) validate(Verb) error {
	if d.ID >= 1<<24 {
		return invalidf("geneve id %d: more than 24 bits", d.ID)
	}
	if d.Label >= 1<<20 {
		return invalidf("geneve flow label %#x: more than 20 bits", d.Label)
	}
	if d.Label != 0 && !d.Remote.Is6() {
		return invalidf("geneve flow label needs an IPv6 remote")
	}
	if d.DF != nil && *d.DF > 2 {
		return invalidf("geneve df %d: not 0 (unset), 1 (set) or 2 (inherit)", *d.DF)
	}
	return nil
}
