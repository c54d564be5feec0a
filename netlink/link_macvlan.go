package netlink

import (
	"fmt"

	nl "github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

type MacvlanMode uint32

// Macvlan modes.
const (
	MacvlanPrivate  MacvlanMode = 1  // MACVLAN_MODE_PRIVATE
	MacvlanVEPA     MacvlanMode = 2  // MACVLAN_MODE_VEPA
	MacvlanBridge   MacvlanMode = 4  // MACVLAN_MODE_BRIDGE
	MacvlanPassthru MacvlanMode = 8  // MACVLAN_MODE_PASSTHRU
	MacvlanSource   MacvlanMode = 16 // MACVLAN_MODE_SOURCE
)

// macvlanModeNames are ip link's words for the macvlan modes
// (ip/iplink_macvlan.c).
var macvlanModeNames = []struct {
	mode MacvlanMode
	name string
}{
	{MacvlanPrivate, "private"}, {MacvlanVEPA, "vepa"}, {MacvlanBridge, "bridge"},
	{MacvlanPassthru, "passthru"}, {MacvlanSource, "source"},
}

// String returns the mode as ip(8) names it.
func (m MacvlanMode) String() string {
	for _, n := range macvlanModeNames {
		if n.mode == m {
			return n.name
		}
	}
	return fmt.Sprintf("mode(%d)", uint32(m))
}

// ParseMacvlanMode reads a macvlan mode as ip(8) names it: "private",
// "vepa", "bridge", "passthru" or "source". Anything else is an
// ErrInvalid error.
func ParseMacvlanMode(word string) (MacvlanMode, error) {
	for _, n := range macvlanModeNames {
		if n.name == word {
			return n.mode, nil
		}
	}
	return 0, invalidf("unknown macvlan mode %q", word)
}

// Macvlan is the kind data of a macvlan link; its lower device is the
// Link's ParentIndex (IFLA_LINK).
type Macvlan struct {
	// Mode is IFLA_MACVLAN_MODE; zero means the kernel's default (vepa).
	Mode MacvlanMode
	// Flags are IFLA_MACVLAN_FLAGS (MACVLAN_FLAG_NOPROMISC = 1,
	// MACVLAN_FLAG_NODST = 2).
	Flags uint16
	// Unknown holds the other IFLA_MACVLAN_* attributes (broadcast queue
	// length, source MAC list), as received; never sent in requests.
	Unknown []Attribute
}

// InfoKind implements LinkData.
func (*Macvlan) InfoKind() string { return "macvlan" }

// String returns "mode bridge".
func (d *Macvlan) String() string {
	if d.Mode == 0 {
		return ""
	}
	return "mode " + d.Mode.String()
}

func (d *Macvlan) decode(b []byte) error {
	return decodeKindData("macvlan", b, func(ad *nl.AttributeDecoder) {
		switch ad.Type() {
		case unix.IFLA_MACVLAN_MODE:
			d.Mode = MacvlanMode(ad.Uint32())
		case unix.IFLA_MACVLAN_FLAGS:
			d.Flags = ad.Uint16()
		default:
			d.Unknown = append(d.Unknown, unknownAttr(ad))
		}
	})
}

func (d *Macvlan) encode(mode linkEncodeMode) ([]byte, error) {
	ae := nl.NewAttributeEncoder()
	if d.Mode != 0 {
		ae.Uint32(unix.IFLA_MACVLAN_MODE, uint32(d.Mode))
	}
	if d.Flags != 0 {
		ae.Uint16(unix.IFLA_MACVLAN_FLAGS, d.Flags)
	}
	encodeUnknown(ae, mode, d.Unknown)
	return ae.Encode()
}

func (d *Macvlan) validate(Verb) error {
	switch d.Mode {
	case 0, MacvlanPrivate, MacvlanVEPA, MacvlanBridge, MacvlanPassthru, MacvlanSource:
		return nil
	}
	return invalidf("macvlan mode %d", uint32(d.Mode))
}
