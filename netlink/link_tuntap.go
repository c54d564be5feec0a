package netlink

import (
	"fmt"

	nl "github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

type TuntapType uint8

// Tun/tap device types (IFF_TUN and IFF_TAP, as IFLA_TUN_TYPE reports).
const (
	TunType TuntapType = 1 // IFF_TUN: IP packets
	TapType TuntapType = 2 // IFF_TAP: Ethernet frames
)

// String returns "tun" or "tap".
func (t TuntapType) String() string {
	switch t {
	case TunType:
		return "tun"
	case TapType:
		return "tap"
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// Tuntap is the kind data the kernel reports for tun and tap devices (kind
// "tun", IFLA_TUN_*). The kernel cannot create them through rtnetlink:
// CreateTuntap does it through /dev/net/tun.
type Tuntap struct {
	// Type is tun or tap (IFLA_TUN_TYPE).
	Type TuntapType
	// Owner and Group are the user and group allowed to attach
	// (IFLA_TUN_OWNER, IFLA_TUN_GROUP); nil if anyone with the capability.
	Owner, Group *uint32
	// PI says whether packets carry the packet information header
	// (IFLA_TUN_PI, i.e. no IFF_NO_PI).
	PI bool
	// VnetHdr is IFLA_TUN_VNET_HDR (IFF_VNET_HDR).
	VnetHdr bool
	// MultiQueue is IFLA_TUN_MULTI_QUEUE (IFF_MULTI_QUEUE).
	MultiQueue bool
	// Persist is IFLA_TUN_PERSIST: the device outlives its file descriptor.
	Persist bool
	// NumQueues and NumDisabledQueues count a multi-queue device's attached
	// and disabled queues (read-only).
	NumQueues, NumDisabledQueues uint32
	// Unknown holds other IFLA_TUN_* attributes, as received.
	Unknown []Attribute
}

// InfoKind implements LinkData.
func (*Tuntap) InfoKind() string { return "tun" }

// String returns "type tap pi off vnet_hdr off persist on".
func (d *Tuntap) String() string {
	onOff := func(b bool) string {
		if b {
			return "on"
		}
		return "off"
	}
	s := fmt.Sprintf("type %s pi %s vnet_hdr %s", d.Type, onOff(d.PI), onOff(d.VnetHdr))
	if d.MultiQueue {
		s += " multi_queue"
	}
	s += " persist " + onOff(d.Persist)
	if d.Owner != nil {
		s += fmt.Sprintf(" user %d", *d.Owner)
	}
	if d.Group != nil {
		s += fmt.Sprintf(" group %d", *d.Group)
	}
	return s
}

func (d *Tuntap) decode(b []byte) error {
	return decodeKindData("tun", b, func(ad *nl.AttributeDecoder) {
		switch ad.Type() {
		case unix.IFLA_TUN_TYPE:
			d.Type = TuntapType(ad.Uint8())
		case unix.IFLA_TUN_OWNER:
			d.Owner = u32Ptr(ad)
		case unix.IFLA_TUN_GROUP:
			d.Group = u32Ptr(ad)
		case unix.IFLA_TUN_PI:
			d.PI = ad.Uint8() != 0
		case unix.IFLA_TUN_VNET_HDR:
			d.VnetHdr = ad.Uint8() != 0
		case unix.IFLA_TUN_MULTI_QUEUE:
			d.MultiQueue = ad.Uint8() != 0
		case unix.IFLA_TUN_PERSIST:
			d.Persist = ad.Uint8() != 0
		case unix.IFLA_TUN_NUM_QUEUES:
			d.NumQueues = ad.Uint32()
		case unix.IFLA_TUN_NUM_DISABLED_QUEUES:
			d.NumDisabledQueues = ad.Uint32()
		default:
			d.Unknown = append(d.Unknown, unknownAttr(ad))
		}
	})
}

func (d *Tuntap) encode(mode linkEncodeMode) ([]byte, error) {
	ae := nl.NewAttributeEncoder()
	if d.Type != 0 {
		ae.Uint8(unix.IFLA_TUN_TYPE, uint8(d.Type))
	}
	putU32(ae, unix.IFLA_TUN_OWNER, d.Owner)
	putU32(ae, unix.IFLA_TUN_GROUP, d.Group)
	ae.Uint8(unix.IFLA_TUN_PI, boolToU8(d.PI))
	ae.Uint8(unix.IFLA_TUN_VNET_HDR, boolToU8(d.VnetHdr))
	ae.Uint8(unix.IFLA_TUN_PERSIST, boolToU8(d.Persist))
	ae.Uint8(unix.IFLA_TUN_MULTI_QUEUE, boolToU8(d.MultiQueue))
	if mode == linkEncodeAll && (d.MultiQueue || d.NumQueues != 0 || d.NumDisabledQueues != 0) {
		ae.Uint32(unix.IFLA_TUN_NUM_QUEUES, d.NumQueues)
		ae.Uint32(unix.IFLA_TUN_NUM_DISABLED_QUEUES, d.NumDisabledQueues)
	}
	encodeUnknown(ae, mode, d.Unknown)
	return ae.Encode()
}

func (d *Tuntap) validate(Verb) error {
	if d.Type != TunType && d.Type != TapType {
		return invalidf("tuntap type %d", uint8(d.Type))
	}
	return nil
}
