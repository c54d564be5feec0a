package netlink

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"

	nl "github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Constants of linux/if_link.h and linux/veth.h that golang.org/x/sys/unix
// lacks.
const (
	linkVethInfoPeer = 1 // VETH_INFO_PEER: struct ifinfomsg and IFLA_* attributes
)

// LinkInfo is a link's kind and kind data (IFLA_LINKINFO).
//
// In requests only Kind and Data are sent, and on a set request only if
// Info is not nil: leave Info nil to change plain attributes of a link
// whose kind cannot change its data (tun, veth).
type LinkInfo struct {
	// InfoKind is IFLA_INFO_KIND: "bridge", "veth", "vxlan", "macvlan", "vlan",
	// "bond", "dummy", "tun" (for tun and tap), "vrf", "ifb"... In requests
	// it may be left empty when Data says it.
	InfoKind string
	// Data is the decoded IFLA_INFO_DATA: *Bridge, *Veth, *Vxlan, *Macvlan,
	// *Vlan, *Bond, *Tuntap, *Vrf, or *RawLinkData for other kinds. It is
	// nil when the kernel sent no kind data (dummy, ifb, veth).
	Data LinkData
	// InfoSlaveKind is IFLA_INFO_SLAVE_KIND, the kind of the master a port
	// belongs to ("bridge", "bond"); read-only.
	InfoSlaveKind string
	// SlaveData is the raw IFLA_INFO_SLAVE_DATA (port attributes such as
	// IFLA_BRPORT_*); read-only.
	SlaveData []byte
	// Unknown holds other IFLA_INFO_* attributes (e.g. IFLA_INFO_XSTATS).
	Unknown []Attribute
}

// LinkData is the kind-specific data of a link (IFLA_INFO_DATA). It is
// implemented by *Bridge, *Veth, *Vxlan, *Macvlan, *Vlan, *Bond, *Tuntap,
// *Vrf and *RawLinkData.
type LinkData interface {
	// InfoKind returns the IFLA_INFO_KIND this data belongs to.
	InfoKind() string
	decode(b []byte) error
	encode(mode linkEncodeMode) ([]byte, error)
	validate(v Verb) error
}

// kinds the kernel knows; LinkRequest rejects others unless their data is raw.
var linkKnownKinds = map[string]bool{
	"bridge": true, "veth": true, "vxlan": true, "macvlan": true, "macvtap": true,
	"vlan": true, "bond": true, "dummy": true, "tun": true, "vrf": true, "ifb": true,
	"ipvlan": true, "ipvtap": true, "geneve": true, "gre": true, "gretap": true,
	"ip6gre": true, "ip6gretap": true, "erspan": true, "ip6erspan": true,
	"ipip": true, "sit": true, "ip6tnl": true, "vti": true, "vti6": true,
	"xfrm": true, "wireguard": true, "nlmon": true, "team": true, "macsec": true,
	"hsr": true, "bareudp": true, "gtp": true, "vcan": true, "vxcan": true,
	"can": true, "batadv": true, "netkit": true, "amt": true, "virt_wifi": true,
	"lowpan": true, "ipoib": true, "rmnet": true, "netdevsim": true,
}

// newLinkData returns empty typed data for kind, or raw data.
func newLinkData(kind string) LinkData {
	switch kind {
	case "bridge":
		return new(Bridge)
	case "veth":
		return new(Veth)
	case "vxlan":
		return new(Vxlan)
	case "macvlan":
		return new(Macvlan)
	case "vlan":
		return new(Vlan)
	case "bond":
		return new(Bond)
	case "tun":
		return new(Tuntap)
	case "vrf":
		return new(Vrf)
	}
	return &RawLinkData{LinkKind: kind}
}

// kind returns Kind, or the kind of Data when Kind is empty.
func (i *LinkInfo) kind() string {
	if i.InfoKind == "" && i.Data != nil {
		return i.Data.InfoKind()
	}
	return i.InfoKind
}

// String returns "vxlan id 42 ..." style text.
func (i *LinkInfo) String() string {
	s := i.kind()
	if s == "" {
		s = "?"
	}
	if i.Data != nil {
		if d := fmt.Sprint(i.Data); d != "" {
			s += " " + d
		}
	}
	return s
}

func (i *LinkInfo) decode(b []byte) error {
	ad, err := nl.NewAttributeDecoder(b)
	if err != nil {
		return malformedf("IFLA_LINKINFO: %v", err)
	}
	var data []byte
	hasData := false
	for ad.Next() {
		switch ad.Type() {
		case unix.IFLA_INFO_KIND:
			i.InfoKind = ad.String()
		case unix.IFLA_INFO_DATA:
			data, hasData = ad.Bytes(), true
		case unix.IFLA_INFO_SLAVE_KIND:
			i.InfoSlaveKind = ad.String()
		case unix.IFLA_INFO_SLAVE_DATA:
			i.SlaveData = ad.Bytes()
		default:
			i.Unknown = append(i.Unknown, Attribute{Type: ad.Type() | ad.TypeFlags(), Data: ad.Bytes()})
		}
	}
	if err := ad.Err(); err != nil {
		return malformedf("IFLA_LINKINFO: %v", err)
	}
	if hasData {
		i.Data = newLinkData(i.InfoKind)
		if err := i.Data.decode(data); err != nil {
			return err
		}
	}
	return nil
}

func (i *LinkInfo) encode(mode linkEncodeMode) ([]byte, error) {
	ae := nl.NewAttributeEncoder()
	if k := i.kind(); k != "" && mode == linkEncodeAll {
		ae.String(unix.IFLA_INFO_KIND, k)
	} else if k != "" {
		// Requests carry the kind without a terminating NUL, as ip(8)
		// sends it.
		ae.Bytes(unix.IFLA_INFO_KIND, []byte(k))
	}
	if i.Data != nil {
		ae.Do(unix.IFLA_INFO_DATA, func() ([]byte, error) { return i.Data.encode(mode) })
	}
	if mode == linkEncodeAll {
		if i.InfoSlaveKind != "" {
			ae.String(unix.IFLA_INFO_SLAVE_KIND, i.InfoSlaveKind)
		}
		if i.SlaveData != nil {
			ae.Bytes(unix.IFLA_INFO_SLAVE_DATA, i.SlaveData)
		}
		for _, a := range i.Unknown {
			ae.Bytes(a.Type, a.Data)
		}
	}
	return ae.Encode()
}

func (i *LinkInfo) validate(v Verb) error {
	kind := i.kind()
	if kind == "" {
		return invalidf("link kind missing")
	}
	if strings.IndexByte(kind, 0) >= 0 || len(kind) > 64 {
		return invalidf("link kind %q", kind)
	}
	_, isRaw := i.Data.(*RawLinkData)
	if i.Data != nil && i.Data.InfoKind() != kind {
		return invalidf("link kind %q with %q kind data", kind, i.Data.InfoKind())
	}
	if !linkKnownKinds[kind] && !isRaw {
		return invalidf("unknown link kind %q (use RawLinkData to send it anyway)", kind)
	}
	if kind == "tun" && (v == Add || v == Replace) {
		return fmt.Errorf("%w: tun/tap links cannot be created through rtnetlink; use CreateTuntap", ErrNotSupported)
	}
	if i.Data != nil {
		return i.Data.validate(v)
	}
	return nil
}

// encoder helpers for optional values.
func linkPutU8(ae *nl.AttributeEncoder, typ uint16, v *uint8) {
	if v != nil {
		ae.Uint8(typ, *v)
	}
}

func linkPutU16(ae *nl.AttributeEncoder, typ uint16, v *uint16) {
	if v != nil {
		ae.Uint16(typ, *v)
	}
}

func linkPutU32(ae *nl.AttributeEncoder, typ uint16, v *uint32) {
	if v != nil {
		ae.Uint32(typ, *v)
	}
}

func linkPutBool(ae *nl.AttributeEncoder, typ uint16, v *bool) {
	if v != nil {
		ae.Uint8(typ, linkB2U8(*v))
	}
}

func linkB2U8(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

func linkPutBE16(ae *nl.AttributeEncoder, typ uint16, v uint16) {
	b := make([]byte, 2)
	binary.BigEndian.PutUint16(b, v)
	ae.Bytes(typ, b)
}

func linkBE16(ad *nl.AttributeDecoder) uint16 {
	var v uint16
	ad.Do(func(b []byte) error {
		if len(b) != 2 {
			return fmt.Errorf("attribute %d is not a linkBE16; length %d", ad.Type(), len(b))
		}
		v = binary.BigEndian.Uint16(b)
		return nil
	})
	return v
}

func linkU8P(ad *nl.AttributeDecoder) *uint8 {
	v := ad.Uint8()
	return &v
}

func linkU16P(ad *nl.AttributeDecoder) *uint16 {
	v := ad.Uint16()
	return &v
}

func linkU32P(ad *nl.AttributeDecoder) *uint32 {
	v := ad.Uint32()
	return &v
}

func linkBoolP(ad *nl.AttributeDecoder) *bool {
	v := ad.Uint8() != 0
	return &v
}

func linkUnknownAttr(ad *nl.AttributeDecoder) Attribute {
	return Attribute{Type: ad.Type() | ad.TypeFlags(), Data: ad.Bytes()}
}

// linkDecodeKindData runs fn over the attributes of kind data b.
func linkDecodeKindData(kind string, b []byte, fn func(ad *nl.AttributeDecoder)) error {
	ad, err := nl.NewAttributeDecoder(b)
	if err != nil {
		return malformedf("%s data: %v", kind, err)
	}
	for ad.Next() {
		fn(ad)
	}
	if err := ad.Err(); err != nil {
		return malformedf("%s data: %v", kind, err)
	}
	return nil
}

func linkEncodeUnknown(ae *nl.AttributeEncoder, mode linkEncodeMode, attrs []Attribute) {
	if mode != linkEncodeAll {
		return
	}
	for _, a := range attrs {
		ae.Bytes(a.Type, a.Data)
	}
}

// RawLinkData is the undecoded IFLA_INFO_DATA of a kind this package has no
// type for. In requests it is sent as it is, for any kind.
type RawLinkData struct {
	// LinkKind is the IFLA_INFO_KIND the data belongs to.
	LinkKind string
	// Data is the attribute payload.
	Data []byte
}

// InfoKind implements LinkData.
func (d *RawLinkData) InfoKind() string { return d.LinkKind }

// String returns the data length.
func (d *RawLinkData) String() string { return fmt.Sprintf("data[%d]", len(d.Data)) }

func (d *RawLinkData) decode(b []byte) error {
	d.Data = append([]byte(nil), b...)
	return nil
}

func (d *RawLinkData) encode(linkEncodeMode) ([]byte, error) { return d.Data, nil }

func (d *RawLinkData) validate(Verb) error { return nil }

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
		fmt.Fprintf(&b, " vlan_filtering %d", linkB2U8(*d.VlanFiltering))
	}
	if d.VlanProtocol != nil {
		fmt.Fprintf(&b, " vlan_protocol %#04x", *d.VlanProtocol)
	}
	if d.DefaultPVID != nil {
		fmt.Fprintf(&b, " vlan_default_pvid %d", *d.DefaultPVID)
	}
	if d.McastSnooping != nil {
		fmt.Fprintf(&b, " mcast_snooping %d", linkB2U8(*d.McastSnooping))
	}
	return strings.TrimPrefix(b.String(), " ")
}

func (d *Bridge) decode(b []byte) error {
	return linkDecodeKindData("bridge", b, func(ad *nl.AttributeDecoder) {
		switch ad.Type() {
		case unix.IFLA_BR_FORWARD_DELAY:
			d.ForwardDelay = linkU32P(ad)
		case unix.IFLA_BR_HELLO_TIME:
			d.HelloTime = linkU32P(ad)
		case unix.IFLA_BR_MAX_AGE:
			d.MaxAge = linkU32P(ad)
		case unix.IFLA_BR_AGEING_TIME:
			d.AgeingTime = linkU32P(ad)
		case unix.IFLA_BR_STP_STATE:
			d.StpState = linkU32P(ad)
		case unix.IFLA_BR_PRIORITY:
			d.Priority = linkU16P(ad)
		case unix.IFLA_BR_VLAN_FILTERING:
			d.VlanFiltering = linkBoolP(ad)
		case unix.IFLA_BR_VLAN_PROTOCOL:
			v := linkBE16(ad)
			d.VlanProtocol = &v
		case unix.IFLA_BR_VLAN_DEFAULT_PVID:
			d.DefaultPVID = linkU16P(ad)
		case unix.IFLA_BR_MCAST_SNOOPING:
			d.McastSnooping = linkBoolP(ad)
		default:
			d.Unknown = append(d.Unknown, linkUnknownAttr(ad))
		}
	})
}

func (d *Bridge) encode(mode linkEncodeMode) ([]byte, error) {
	ae := nl.NewAttributeEncoder()
	linkPutU32(ae, unix.IFLA_BR_FORWARD_DELAY, d.ForwardDelay)
	linkPutU32(ae, unix.IFLA_BR_HELLO_TIME, d.HelloTime)
	linkPutU32(ae, unix.IFLA_BR_MAX_AGE, d.MaxAge)
	linkPutU32(ae, unix.IFLA_BR_AGEING_TIME, d.AgeingTime)
	linkPutU32(ae, unix.IFLA_BR_STP_STATE, d.StpState)
	linkPutU16(ae, unix.IFLA_BR_PRIORITY, d.Priority)
	linkPutBool(ae, unix.IFLA_BR_VLAN_FILTERING, d.VlanFiltering)
	if d.VlanProtocol != nil {
		linkPutBE16(ae, unix.IFLA_BR_VLAN_PROTOCOL, *d.VlanProtocol)
	}
	linkPutU16(ae, unix.IFLA_BR_VLAN_DEFAULT_PVID, d.DefaultPVID)
	linkPutBool(ae, unix.IFLA_BR_MCAST_SNOOPING, d.McastSnooping)
	linkEncodeUnknown(ae, mode, d.Unknown)
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

// Veth is the kind data of a veth pair. The kernel reports none; in an add
// request Peer describes the other end (VETH_INFO_PEER).
type Veth struct {
	// Peer is the other end: its Name, and optionally Address, MTU,
	// TxQueueLen, NumTxQueues, NumRxQueues, Flags, and NetNSFD or NetNSPID
	// to create it in another namespace. Nil lets the kernel name it.
	Peer *Link
	// Unknown holds other attributes, as received.
	Unknown []Attribute
}

// InfoKind implements LinkData.
func (*Veth) InfoKind() string { return "veth" }

// String returns "peer NAME".
func (d *Veth) String() string {
	if d.Peer == nil {
		return ""
	}
	return "peer " + d.Peer.Name
}

func (d *Veth) decode(b []byte) error {
	return linkDecodeKindData("veth", b, func(ad *nl.AttributeDecoder) {
		switch ad.Type() {
		case linkVethInfoPeer:
			d.Peer = new(Link)
			ad.Do(d.Peer.decode)
		default:
			d.Unknown = append(d.Unknown, linkUnknownAttr(ad))
		}
	})
}

func (d *Veth) encode(mode linkEncodeMode) ([]byte, error) {
	ae := nl.NewAttributeEncoder()
	if d.Peer != nil {
		peerMode := mode
		if mode != linkEncodeAll {
			peerMode = linkEncodeAdd
		}
		ae.Do(linkVethInfoPeer, func() ([]byte, error) { return d.Peer.encode(peerMode) })
	}
	linkEncodeUnknown(ae, mode, d.Unknown)
	return ae.Encode()
}

func (d *Veth) validate(v Verb) error {
	if d.Peer == nil {
		return nil
	}
	if d.Peer.Info != nil {
		return invalidf("veth peer with kind data")
	}
	if err := d.Peer.validate(Add, false); err != nil {
		return fmt.Errorf("veth peer: %w", err)
	}
	return nil
}

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

func linkAddrAttr(ad *nl.AttributeDecoder, size int) netip.Addr {
	var a netip.Addr
	ad.Do(func(b []byte) error {
		if len(b) != size {
			return fmt.Errorf("attribute %d is not a %d-byte address", ad.Type(), size)
		}
		a, _ = netip.AddrFromSlice(b)
		return nil
	})
	return a
}

func (d *Vxlan) decode(b []byte) error {
	return linkDecodeKindData("vxlan", b, func(ad *nl.AttributeDecoder) {
		switch ad.Type() {
		case unix.IFLA_VXLAN_ID:
			d.ID = ad.Uint32()
		case unix.IFLA_VXLAN_GROUP:
			d.Group = linkAddrAttr(ad, 4)
		case unix.IFLA_VXLAN_GROUP6:
			d.Group = linkAddrAttr(ad, 16)
		case unix.IFLA_VXLAN_LOCAL:
			d.Local = linkAddrAttr(ad, 4)
		case unix.IFLA_VXLAN_LOCAL6:
			d.Local = linkAddrAttr(ad, 16)
		case unix.IFLA_VXLAN_LINK:
			d.Link = int(ad.Uint32())
		case unix.IFLA_VXLAN_PORT:
			d.Port = linkBE16(ad)
		case unix.IFLA_VXLAN_TTL:
			d.TTL = ad.Uint8()
		case unix.IFLA_VXLAN_TOS:
			d.TOS = ad.Uint8()
		case unix.IFLA_VXLAN_LEARNING:
			d.Learning = linkBoolP(ad)
		case unix.IFLA_VXLAN_AGEING:
			d.Ageing = linkU32P(ad)
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
			d.UDPCsum = linkBoolP(ad)
		case unix.IFLA_VXLAN_UDP_ZERO_CSUM6_TX:
			d.UDPZeroCsum6Tx = ad.Uint8() != 0
		case unix.IFLA_VXLAN_UDP_ZERO_CSUM6_RX:
			d.UDPZeroCsum6Rx = ad.Uint8() != 0
		default:
			d.Unknown = append(d.Unknown, linkUnknownAttr(ad))
		}
	})
}

func linkPutAddr(ae *nl.AttributeEncoder, v4, v6 uint16, a netip.Addr) {
	switch {
	case a.Is4():
		b := a.As4()
		ae.Bytes(v4, b[:])
	case a.IsValid():
		b := a.As16()
		ae.Bytes(v6, b[:])
	}
}

func (d *Vxlan) encode(mode linkEncodeMode) ([]byte, error) {
	ae := nl.NewAttributeEncoder()
	ae.Uint32(unix.IFLA_VXLAN_ID, d.ID)
	linkPutAddr(ae, unix.IFLA_VXLAN_GROUP, unix.IFLA_VXLAN_GROUP6, d.Group)
	linkPutAddr(ae, unix.IFLA_VXLAN_LOCAL, unix.IFLA_VXLAN_LOCAL6, d.Local)
	if d.Link != 0 {
		ae.Uint32(unix.IFLA_VXLAN_LINK, uint32(d.Link))
	}
	if d.Port != 0 {
		linkPutBE16(ae, unix.IFLA_VXLAN_PORT, d.Port)
	}
	if d.TTL != 0 {
		ae.Uint8(unix.IFLA_VXLAN_TTL, d.TTL)
	}
	if d.TOS != 0 {
		ae.Uint8(unix.IFLA_VXLAN_TOS, d.TOS)
	}
	linkPutBool(ae, unix.IFLA_VXLAN_LEARNING, d.Learning)
	linkPutU32(ae, unix.IFLA_VXLAN_AGEING, d.Ageing)
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
	linkPutBool(ae, unix.IFLA_VXLAN_UDP_CSUM, d.UDPCsum)
	if d.UDPZeroCsum6Tx {
		ae.Uint8(unix.IFLA_VXLAN_UDP_ZERO_CSUM6_TX, 1)
	}
	if d.UDPZeroCsum6Rx {
		ae.Uint8(unix.IFLA_VXLAN_UDP_ZERO_CSUM6_RX, 1)
	}
	linkEncodeUnknown(ae, mode, d.Unknown)
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
type MacvlanMode uint32

// Macvlan modes.
const (
	MacvlanPrivate  MacvlanMode = 1  // MACVLAN_MODE_PRIVATE
	MacvlanVEPA     MacvlanMode = 2  // MACVLAN_MODE_VEPA
	MacvlanBridge   MacvlanMode = 4  // MACVLAN_MODE_BRIDGE
	MacvlanPassthru MacvlanMode = 8  // MACVLAN_MODE_PASSTHRU
	MacvlanSource   MacvlanMode = 16 // MACVLAN_MODE_SOURCE
)

// String returns the mode as ip(8) names it.
func (m MacvlanMode) String() string {
	switch m {
	case MacvlanPrivate:
		return "private"
	case MacvlanVEPA:
		return "vepa"
	case MacvlanBridge:
		return "bridge"
	case MacvlanPassthru:
		return "passthru"
	case MacvlanSource:
		return "source"
	}
	return fmt.Sprintf("mode(%d)", uint32(m))
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
	return linkDecodeKindData("macvlan", b, func(ad *nl.AttributeDecoder) {
		switch ad.Type() {
		case unix.IFLA_MACVLAN_MODE:
			d.Mode = MacvlanMode(ad.Uint32())
		case unix.IFLA_MACVLAN_FLAGS:
			d.Flags = ad.Uint16()
		default:
			d.Unknown = append(d.Unknown, linkUnknownAttr(ad))
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
	linkEncodeUnknown(ae, mode, d.Unknown)
	return ae.Encode()
}

func (d *Macvlan) validate(Verb) error {
	switch d.Mode {
	case 0, MacvlanPrivate, MacvlanVEPA, MacvlanBridge, MacvlanPassthru, MacvlanSource:
		return nil
	}
	return invalidf("macvlan mode %d", uint32(d.Mode))
}

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
	return linkDecodeKindData("vlan", b, func(ad *nl.AttributeDecoder) {
		switch ad.Type() {
		case unix.IFLA_VLAN_ID:
			d.ID = ad.Uint16()
		case unix.IFLA_VLAN_PROTOCOL:
			d.Protocol = linkBE16(ad)
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
			d.Unknown = append(d.Unknown, linkUnknownAttr(ad))
		}
	})
}

func (d *Vlan) encode(mode linkEncodeMode) ([]byte, error) {
	ae := nl.NewAttributeEncoder()
	ae.Uint16(unix.IFLA_VLAN_ID, d.ID)
	if d.Protocol != 0 {
		linkPutBE16(ae, unix.IFLA_VLAN_PROTOCOL, d.Protocol)
	}
	if d.FlagsMask != 0 {
		b := make([]byte, 8)
		binary.NativeEndian.PutUint32(b, d.Flags)
		binary.NativeEndian.PutUint32(b[4:], d.FlagsMask)
		ae.Bytes(unix.IFLA_VLAN_FLAGS, b)
	}
	linkEncodeUnknown(ae, mode, d.Unknown)
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

var linkBondModeNames = [...]string{"balance-rr", "active-backup", "balance-xor", "broadcast", "802.3ad", "balance-tlb", "balance-alb"}

// String returns the mode as ip(8) names it.
func (m BondMode) String() string {
	if int(m) < len(linkBondModeNames) {
		return linkBondModeNames[m]
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
	return linkDecodeKindData("bond", b, func(ad *nl.AttributeDecoder) {
		switch ad.Type() {
		case unix.IFLA_BOND_MODE:
			m := BondMode(ad.Uint8())
			d.Mode = &m
		case unix.IFLA_BOND_MIIMON:
			d.MIIMon = linkU32P(ad)
		case unix.IFLA_BOND_UPDELAY:
			d.UpDelay = linkU32P(ad)
		case unix.IFLA_BOND_DOWNDELAY:
			d.DownDelay = linkU32P(ad)
		case unix.IFLA_BOND_MIN_LINKS:
			d.MinLinks = linkU32P(ad)
		case unix.IFLA_BOND_XMIT_HASH_POLICY:
			d.XmitHashPolicy = linkU8P(ad)
		case unix.IFLA_BOND_AD_LACP_RATE:
			d.LACPRate = linkU8P(ad)
		default:
			d.Unknown = append(d.Unknown, linkUnknownAttr(ad))
		}
	})
}

func (d *Bond) encode(mode linkEncodeMode) ([]byte, error) {
	ae := nl.NewAttributeEncoder()
	if d.Mode != nil {
		ae.Uint8(unix.IFLA_BOND_MODE, uint8(*d.Mode))
	}
	linkPutU32(ae, unix.IFLA_BOND_MIIMON, d.MIIMon)
	linkPutU32(ae, unix.IFLA_BOND_UPDELAY, d.UpDelay)
	linkPutU32(ae, unix.IFLA_BOND_DOWNDELAY, d.DownDelay)
	linkPutU32(ae, unix.IFLA_BOND_MIN_LINKS, d.MinLinks)
	linkPutU8(ae, unix.IFLA_BOND_XMIT_HASH_POLICY, d.XmitHashPolicy)
	linkPutU8(ae, unix.IFLA_BOND_AD_LACP_RATE, d.LACPRate)
	linkEncodeUnknown(ae, mode, d.Unknown)
	return ae.Encode()
}

func (d *Bond) validate(Verb) error {
	if d.Mode != nil && int(*d.Mode) >= len(linkBondModeNames) {
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
	return linkDecodeKindData("vrf", b, func(ad *nl.AttributeDecoder) {
		switch ad.Type() {
		case unix.IFLA_VRF_TABLE:
			d.Table = ad.Uint32()
		default:
			d.Unknown = append(d.Unknown, linkUnknownAttr(ad))
		}
	})
}

func (d *Vrf) encode(mode linkEncodeMode) ([]byte, error) {
	ae := nl.NewAttributeEncoder()
	if d.Table != 0 {
		ae.Uint32(unix.IFLA_VRF_TABLE, d.Table)
	}
	linkEncodeUnknown(ae, mode, d.Unknown)
	return ae.Encode()
}

func (d *Vrf) validate(v Verb) error {
	if d.Table == 0 && (v == Add || v == Replace) {
		return invalidf("vrf without a table")
	}
	return nil
}

// TuntapType says whether a tun/tap device is layer 3 or layer 2.
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
	return linkDecodeKindData("tun", b, func(ad *nl.AttributeDecoder) {
		switch ad.Type() {
		case unix.IFLA_TUN_TYPE:
			d.Type = TuntapType(ad.Uint8())
		case unix.IFLA_TUN_OWNER:
			d.Owner = linkU32P(ad)
		case unix.IFLA_TUN_GROUP:
			d.Group = linkU32P(ad)
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
			d.Unknown = append(d.Unknown, linkUnknownAttr(ad))
		}
	})
}

func (d *Tuntap) encode(mode linkEncodeMode) ([]byte, error) {
	ae := nl.NewAttributeEncoder()
	if d.Type != 0 {
		ae.Uint8(unix.IFLA_TUN_TYPE, uint8(d.Type))
	}
	linkPutU32(ae, unix.IFLA_TUN_OWNER, d.Owner)
	linkPutU32(ae, unix.IFLA_TUN_GROUP, d.Group)
	ae.Uint8(unix.IFLA_TUN_PI, linkB2U8(d.PI))
	ae.Uint8(unix.IFLA_TUN_VNET_HDR, linkB2U8(d.VnetHdr))
	ae.Uint8(unix.IFLA_TUN_PERSIST, linkB2U8(d.Persist))
	ae.Uint8(unix.IFLA_TUN_MULTI_QUEUE, linkB2U8(d.MultiQueue))
	if mode == linkEncodeAll && (d.MultiQueue || d.NumQueues != 0 || d.NumDisabledQueues != 0) {
		ae.Uint32(unix.IFLA_TUN_NUM_QUEUES, d.NumQueues)
		ae.Uint32(unix.IFLA_TUN_NUM_DISABLED_QUEUES, d.NumDisabledQueues)
	}
	linkEncodeUnknown(ae, mode, d.Unknown)
	return ae.Encode()
}

func (d *Tuntap) validate(Verb) error {
	if d.Type != TunType && d.Type != TapType {
		return invalidf("tuntap type %d", uint8(d.Type))
	}
	return nil
}
