package netlink

import (
	"fmt"
	"strings"

	nl "github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

type BondMode uint8

// Bonding modes.
const (
	BondBalanceRR    BondMode = 0
	BondActiveBackup BondMode = 1
	BondBalanceXOR   BondMode = 2
	BondBroadcast    BondMode = 3
	Bond8023AD       BondMode = 4
	BondBalanceTLB   BondMode = 5
	BondBalanceALB   BondMode = 6
)

var bondModeNames = [...]string{"balance-rr", "active-backup", "balance-xor", "broadcast", "802.3ad", "balance-tlb", "balance-alb"}

// String returns the mode as ip(8) names it.
func (m BondMode) String() string {
	if int(m) < len(bondModeNames) {
		return bondModeNames[m]
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// Bond is the kind data of a bonding master (IFLA_BOND_*). Nil fields are
// not sent.
type Bond struct {
	// Mode is IFLA_BOND_MODE.
	Mode *BondMode
	// MIIMon is the MII link monitoring interval in ms (IFLA_BOND_MIIMON).
	MIIMon *uint32
	// UpDelay and DownDelay are in ms (IFLA_BOND_UPDELAY, _DOWNDELAY).
	UpDelay, DownDelay *uint32
	// MinLinks is IFLA_BOND_MIN_LINKS.
	MinLinks *uint32
	// XmitHashPolicy is IFLA_BOND_XMIT_HASH_POLICY (0 layer2, 1 layer3+4,
	// 2 layer2+3, 3 encap2+3, 4 encap3+4, 5 vlan+srcmac).
	XmitHashPolicy *uint8
	// LACPRate is IFLA_BOND_AD_LACP_RATE (0 slow, 1 fast).
	LACPRate *uint8
	// Unknown holds the other IFLA_BOND_* attributes, as received; never
	// sent in requests.
	Unknown []Attribute
}

// InfoKind implements LinkData.
func (*Bond) InfoKind() string { return "bond" }

// String returns "mode 802.3ad miimon 100".
func (d *Bond) String() string {
	var parts []string
	if d.Mode != nil {
		parts = append(parts, "mode "+d.Mode.String())
	}
	if d.MIIMon != nil {
		parts = append(parts, fmt.Sprintf("miimon %d", *d.MIIMon))
	}
	return strings.Join(parts, " ")
}

func (d *Bond) decode(b []byte) error {
	return decodeKindData("bond", b, func(ad *nl.AttributeDecoder) {
		switch ad.Type() {
		case unix.IFLA_BOND_MODE:
			m := BondMode(ad.Uint8())
			d.Mode = &m
		case unix.IFLA_BOND_MIIMON:
			d.MIIMon = u32Ptr(ad)
		case unix.IFLA_BOND_UPDELAY:
			d.UpDelay = u32Ptr(ad)
		case unix.IFLA_BOND_DOWNDELAY:
			d.DownDelay = u32Ptr(ad)
		case unix.IFLA_BOND_MIN_LINKS:
			d.MinLinks = u32Ptr(ad)
		case unix.IFLA_BOND_XMIT_HASH_POLICY:
			d.XmitHashPolicy = u8Ptr(ad)
		case unix.IFLA_BOND_AD_LACP_RATE:
			d.LACPRate = u8Ptr(ad)
		default:
			d.Unknown = append(d.Unknown, unknownAttr(ad))
		}
	})
}

func (d *Bond) encode(mode linkEncodeMode) ([]byte, error) {
	ae := nl.NewAttributeEncoder()
	if d.Mode != nil {
		ae.Uint8(unix.IFLA_BOND_MODE, uint8(*d.Mode))
	}
	putU32(ae, unix.IFLA_BOND_MIIMON, d.MIIMon)
	putU32(ae, unix.IFLA_BOND_UPDELAY, d.UpDelay)
	putU32(ae, unix.IFLA_BOND_DOWNDELAY, d.DownDelay)
	putU32(ae, unix.IFLA_BOND_MIN_LINKS, d.MinLinks)
	putU8(ae, unix.IFLA_BOND_XMIT_HASH_POLICY, d.XmitHashPolicy)
	putU8(ae, unix.IFLA_BOND_AD_LACP_RATE, d.LACPRate)
	encodeUnknown(ae, mode, d.Unknown)
	return ae.Encode()
}

func (d *Bond) validate(Verb) error {
	if d.Mode != nil && int(*d.Mode) >= len(bondModeNames) {
		return invalidf("bond mode %d", *d.Mode)
	}
	if d.XmitHashPolicy != nil && *d.XmitHashPolicy > 5 {
		return invalidf("bond xmit_hash_policy %d", *d.XmitHashPolicy)
	}
	if d.LACPRate != nil && *d.LACPRate > 1 {
		return invalidf("bond lacp_rate %d", *d.LACPRate)
	}
	return nil
}
