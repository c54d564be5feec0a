package netlink

import (
	"fmt"
	"strings"

	nl "github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Bridge is the kind data of a bridge (IFLA_BR_*). Times are in
// hundredths of a second (USER_HZ clock ticks), as the kernel and ip -d
// report them. Nil fields are not sent (the kernel's default, or no
// change); the kernel reports them all.
type Bridge struct {
	// ForwardDelay is IFLA_BR_FORWARD_DELAY.
	ForwardDelay *uint32
	// HelloTime is IFLA_BR_HELLO_TIME.
	HelloTime *uint32
	// MaxAge is IFLA_BR_MAX_AGE.
	MaxAge *uint32
	// AgeingTime is IFLA_BR_AGEING_TIME.
	AgeingTime *uint32
	// StpState is IFLA_BR_STP_STATE: 0 off, 1 kernel STP, 2 user STP.
	StpState *uint32
	// Priority is the bridge priority IFLA_BR_PRIORITY.
	Priority *uint16
	// VlanFiltering is IFLA_BR_VLAN_FILTERING.
	VlanFiltering *bool
	// VlanProtocol is IFLA_BR_VLAN_PROTOCOL (unix.ETH_P_8021Q or _8021AD).
	VlanProtocol *uint16
	// DefaultPVID is IFLA_BR_VLAN_DEFAULT_PVID.
	DefaultPVID *uint16
	// McastSnooping is IFLA_BR_MCAST_SNOOPING.
	McastSnooping *bool
	// Unknown holds the other IFLA_BR_* attributes (timers, ids, multicast
	// settings), as received; never sent in requests.
	Unknown []Attribute
}

// InfoKind implements LinkData.
func (*Bridge) InfoKind() string { return "bridge" }

// String returns the set fields as ip -d prints them.
func (d *Bridge) String() string {
	var b strings.Builder
	opt32 := func(name string, v *uint32) {
		if v != nil {
			fmt.Fprintf(&b, " %s %d", name, *v)
		}
	}
	opt32("forward_delay", d.ForwardDelay)
	opt32("hello_time", d.HelloTime)
	opt32("max_age", d.MaxAge)
	opt32("ageing_time", d.AgeingTime)
	opt32("stp_state", d.StpState)
	if d.Priority != nil {
		fmt.Fprintf(&b, " priority %d", *d.Priority)
	}
	if d.VlanFiltering != nil {
		fmt.Fprintf(&b, " vlan_filtering %d", boolToU8(*d.VlanFiltering))
	}
	if d.VlanProtocol != nil {
		fmt.Fprintf(&b, " vlan_protocol %#04x", *d.VlanProtocol)
	}
	if d.DefaultPVID != nil {
		fmt.Fprintf(&b, " vlan_default_pvid %d", *d.DefaultPVID)
	}
	if d.McastSnooping != nil {
		fmt.Fprintf(&b, " mcast_snooping %d", boolToU8(*d.McastSnooping))
	}
	return strings.TrimPrefix(b.String(), " ")
}

func (d *Bridge) decode(b []byte) error {
	return decodeKindData("bridge", b, func(ad *nl.AttributeDecoder) {
		switch ad.Type() {
		case unix.IFLA_BR_FORWARD_DELAY:
			d.ForwardDelay = u32Ptr(ad)
		case unix.IFLA_BR_HELLO_TIME:
			d.HelloTime = u32Ptr(ad)
		case unix.IFLA_BR_MAX_AGE:
			d.MaxAge = u32Ptr(ad)
		case unix.IFLA_BR_AGEING_TIME:
			d.AgeingTime = u32Ptr(ad)
		case unix.IFLA_BR_STP_STATE:
			d.StpState = u32Ptr(ad)
		case unix.IFLA_BR_PRIORITY:
			d.Priority = u16Ptr(ad)
		case unix.IFLA_BR_VLAN_FILTERING:
			d.VlanFiltering = boolPtr(ad)
		case unix.IFLA_BR_VLAN_PROTOCOL:
			v := be16(ad)
			d.VlanProtocol = &v
		case unix.IFLA_BR_VLAN_DEFAULT_PVID:
			d.DefaultPVID = u16Ptr(ad)
		case unix.IFLA_BR_MCAST_SNOOPING:
			d.McastSnooping = boolPtr(ad)
		default:
			d.Unknown = append(d.Unknown, unknownAttr(ad))
		}
	})
}

func (d *Bridge) encode(mode linkEncodeMode) ([]byte, error) {
	ae := nl.NewAttributeEncoder()
	putU32(ae, unix.IFLA_BR_FORWARD_DELAY, d.ForwardDelay)
	putU32(ae, unix.IFLA_BR_HELLO_TIME, d.HelloTime)
	putU32(ae, unix.IFLA_BR_MAX_AGE, d.MaxAge)
	putU32(ae, unix.IFLA_BR_AGEING_TIME, d.AgeingTime)
	putU32(ae, unix.IFLA_BR_STP_STATE, d.StpState)
	putU16(ae, unix.IFLA_BR_PRIORITY, d.Priority)
	putBool(ae, unix.IFLA_BR_VLAN_FILTERING, d.VlanFiltering)
	if d.VlanProtocol != nil {
		putBE16(ae, unix.IFLA_BR_VLAN_PROTOCOL, *d.VlanProtocol)
	}
	putU16(ae, unix.IFLA_BR_VLAN_DEFAULT_PVID, d.DefaultPVID)
	putBool(ae, unix.IFLA_BR_MCAST_SNOOPING, d.McastSnooping)
	encodeUnknown(ae, mode, d.Unknown)
	return ae.Encode()
}

func (d *Bridge) validate(Verb) error {
	if d.StpState != nil && *d.StpState > 2 {
		return invalidf("bridge stp_state %d", *d.StpState)
	}
	if d.VlanProtocol != nil && *d.VlanProtocol != unix.ETH_P_8021Q && *d.VlanProtocol != unix.ETH_P_8021AD {
		return invalidf("bridge vlan_protocol %#x", *d.VlanProtocol)
	}
	if d.DefaultPVID != nil && *d.DefaultPVID >= 4095 {
		return invalidf("bridge vlan_default_pvid %d", *d.DefaultPVID)
	}
	return nil
}

// InTopologyChange reports whether the bridge's STP is in a topology change
// (IFLA_BR_TOPOLOGY_CHANGE or IFLA_BR_TOPOLOGY_CHANGE_DETECTED set, or its
// topology change timer, IFLA_BR_TOPOLOGY_CHANGE_TIMER, running; kept in
// Unknown). Its end is not announced: the kernel then sets the ageing time
// back without a notification (br_topology_change_timer_expired ->
// __br_set_topology_change in net/bridge/br_stp_timer.c). The flags can
// read 0 while the timer still runs and the ageing time is still the
// short one (seen on 6.18: a cache that looked only at the flags missed
// the end for tens of seconds).
func (b *Bridge) InTopologyChange() bool {
	for _, a := range b.Unknown {
		switch a.Type & attrTypeMask {
		case unix.IFLA_BR_TOPOLOGY_CHANGE, unix.IFLA_BR_TOPOLOGY_CHANGE_DETECTED, unix.IFLA_BR_TOPOLOGY_CHANGE_TIMER:
			for _, c := range a.Data {
				if c != 0 {
					return true
				}
			}
		}
	}
	return false
}
