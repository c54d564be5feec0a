package netlink

import (
	"fmt"

	nl "github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Vrf is the kind data of a VRF device.
type Vrf struct {
	// Table is the routing table IFLA_VRF_TABLE; required on add.
	Table uint32
	// Unknown holds other IFLA_VRF_* attributes, as received.
	Unknown []Attribute
}

// InfoKind implements LinkData.
func (*Vrf) InfoKind() string { return "vrf" }

// String returns "table 10".
func (d *Vrf) String() string { return fmt.Sprintf("table %d", d.Table) }

func (d *Vrf) decode(b []byte) error {
	return decodeKindData("vrf", b, func(ad *nl.AttributeDecoder) {
		switch ad.Type() {
		case unix.IFLA_VRF_TABLE:
			d.Table = ad.Uint32()
		default:
			d.Unknown = append(d.Unknown, unknownAttr(ad))
		}
	})
}

func (d *Vrf) encode(mode linkEncodeMode) ([]byte, error) {
	ae := nl.NewAttributeEncoder()
	if d.Table != 0 {
		ae.Uint32(unix.IFLA_VRF_TABLE, d.Table)
	}
	encodeUnknown(ae, mode, d.Unknown)
	return ae.Encode()
}

func (d *Vrf) validate(v Verb) error {
	if d.Table == 0 && (v == Add || v == Replace) {
		return invalidf("vrf without a table")
	}
	return nil
}

// TuntapType says whether a tun/tap device is layer 3 or layer 2.
