package netlink

import (
	"encoding/binary"
	"fmt"

	nl "github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Vlan is the kind data of an 802.1Q/802.1ad VLAN link; its lower device is
// the Link's ParentIndex (IFLA_LINK).
type Vlan struct {
	// ID is the VLAN id IFLA_VLAN_ID (1-4094), always sent.
	ID uint16
	// Protocol is IFLA_VLAN_PROTOCOL, unix.ETH_P_8021Q or ETH_P_8021AD;
	// zero means the kernel's default (802.1Q).
	Protocol uint16
	// Flags and FlagsMask are IFLA_VLAN_FLAGS (VLAN_FLAG_REORDER_HDR = 1,
	// GVRP = 2, LOOSE_BINDING = 4, MVRP = 8, BRIDGE_BINDING = 16): only the
	// bits in FlagsMask are changed. Sent when FlagsMask is not zero.
	Flags, FlagsMask uint32
	// Unknown holds the other IFLA_VLAN_* attributes (QoS maps), as
	// received; never sent in requests.
	Unknown []Attribute
}

// InfoKind implements LinkData.
func (*Vlan) InfoKind() string { return "vlan" }

// String returns "protocol 802.1Q id 100".
func (d *Vlan) String() string {
	proto := "802.1Q"
	if d.Protocol == unix.ETH_P_8021AD {
		proto = "802.1ad"
	}
	return fmt.Sprintf("protocol %s id %d", proto, d.ID)
}

// vlanFlagsKnown are the IFLA_VLAN_FLAGS bits the kernel accepts:
// VLAN_FLAG_REORDER_HDR, GVRP, LOOSE_BINDING, MVRP and BRIDGE_BINDING.
const vlanFlagsKnown = 0x1f

func (d *Vlan) decode(b []byte) error {
	return decodeKindData("vlan", b, func(ad *nl.AttributeDecoder) {
		switch ad.Type() {
		case unix.IFLA_VLAN_ID:
			d.ID = ad.Uint16()
		case unix.IFLA_VLAN_PROTOCOL:
			d.Protocol = be16(ad)
		case unix.IFLA_VLAN_FLAGS:
			ad.Do(func(b []byte) error {
				if len(b) != 8 {
					return fmt.Errorf("IFLA_VLAN_FLAGS of %d bytes", len(b))
				}
				// The kernel reports the mask as all ones
				// (vlan_fill_info) but refuses bits it does not know
				// in requests (vlan_validate: EINVAL); keep the known
				// ones, so that a decoded vlan can be sent back.
				d.Flags = binary.NativeEndian.Uint32(b)
				d.FlagsMask = binary.NativeEndian.Uint32(b[4:]) & vlanFlagsKnown
				return nil
			})
		default:
			d.Unknown = append(d.Unknown, unknownAttr(ad))
		}
	})
}

func (d *Vlan) encode(mode linkEncodeMode) ([]byte, error) {
	ae := nl.NewAttributeEncoder()
	ae.Uint16(unix.IFLA_VLAN_ID, d.ID)
	if d.Protocol != 0 {
		putBE16(ae, unix.IFLA_VLAN_PROTOCOL, d.Protocol)
	}
	if d.FlagsMask != 0 {
		b := make([]byte, 8)
		binary.NativeEndian.PutUint32(b, d.Flags)
		binary.NativeEndian.PutUint32(b[4:], d.FlagsMask)
		ae.Bytes(unix.IFLA_VLAN_FLAGS, b)
	}
	encodeUnknown(ae, mode, d.Unknown)
	return ae.Encode()
}

func (d *Vlan) validate(v Verb) error {
	if d.ID >= 4095 || (d.ID == 0 && (v == Add || v == Replace)) {
		return invalidf("vlan id %d", d.ID)
	}
	if d.Protocol != 0 && d.Protocol != unix.ETH_P_8021Q && d.Protocol != unix.ETH_P_8021AD {
		return invalidf("vlan protocol %#x", d.Protocol)
	}
	return nil
}

// BondMode is a bonding mode (BOND_MODE_*).
