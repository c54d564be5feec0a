package netlink

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"strconv"
	"strings"

	nl "github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Constants of linux/if_link.h and linux/rtnetlink.h that
// golang.org/x/sys/unix lacks.
const (
	linkRtextFilterVF = 1 << 0 // RTEXT_FILTER_VF

	ifinfomsgLen    = 16  // sizeof(struct ifinfomsg)
	linkNameSize    = 16  // IFNAMSIZ, including the terminating NUL
	linkAltNameSize = 128 // ALTIFNAMSIZ, including the terminating NUL
	linkMaxAddrLen  = 32  // MAX_ADDR_LEN
)

// OperState is the RFC 2863 operational state of a link (IFLA_OPERSTATE,
// IF_OPER_*).
type OperState uint8

// Operational states.
const (
	OperUnknown        OperState = 0 // IF_OPER_UNKNOWN
	OperNotPresent     OperState = 1 // IF_OPER_NOTPRESENT
	OperDown           OperState = 2 // IF_OPER_DOWN
	OperLowerLayerDown OperState = 3 // IF_OPER_LOWERLAYERDOWN
	OperTesting        OperState = 4 // IF_OPER_TESTING
	OperDormant        OperState = 5 // IF_OPER_DORMANT
	OperUp             OperState = 6 // IF_OPER_UP
)

var linkOperStateNames = [...]string{"UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP"}

// String returns the state as ip(8) prints it: "UP", "DOWN", "UNKNOWN"...
func (s OperState) String() string {
	if int(s) < len(linkOperStateNames) {
		return linkOperStateNames[s]
	}
	return strconv.Itoa(int(s))
}

// LinkZero lists attributes that a request sends although their Link field
// is zero, for the changes whose target value is the zero value.
type LinkZero uint8

// Attributes that LinkRequest can send with a zero value.
const (
	// ZeroMaster sends IFLA_MASTER 0: detach from the master, as
	// `ip link set DEV nomaster` does.
	ZeroMaster LinkZero = 1 << iota
	// ZeroAlias sends an empty IFLA_IFALIAS, which removes the alias.
	ZeroAlias
	// ZeroGroup sends IFLA_GROUP 0, moving the link to the default group.
	ZeroGroup
	// ZeroTxQueueLen sends IFLA_TXQLEN 0.
	ZeroTxQueueLen
)

// Link is a network interface: struct ifinfomsg and its IFLA_* attributes.
//
// In requests (LinkRequest) a zero field means "not given" unless Zero says
// otherwise; only the attributes that can be set are sent (see LinkRequest).
type Link struct {
	// Family is ifi_family, unix.AF_UNSPEC except for bridge port messages
	// (unix.AF_BRIDGE).
	Family uint8
	// Type is the link layer type ifi_type (unix.ARPHRD_ETHER,
	// ARPHRD_LOOPBACK, ARPHRD_NONE...).
	Type uint16
	// Index is the interface index ifi_index. In requests it identifies the
	// link to change or delete; zero on add lets the kernel choose.
	Index int
	// Flags are the IFF_* device flags (ifi_flags): unix.IFF_UP,
	// IFF_BROADCAST, IFF_LOWER_UP...
	Flags uint32
	// Change is ifi_change, the mask of Flags bits a request changes. If it
	// is zero in a request, the bits set in Flags are changed, so Flags:
	// unix.IFF_UP alone brings a link up; to bring it down, set Change to
	// unix.IFF_UP and leave the bit clear in Flags.
	Change uint32

	// Name is IFLA_IFNAME. In a set request with Index, a different name
	// renames the link; without Index it names the link to change.
	Name string
	// Alias is IFLA_IFALIAS (`ip link set DEV alias TEXT`).
	Alias string
	// AltNames are the alternative names (IFLA_ALT_IFNAME in
	// IFLA_PROP_LIST); read-only here.
	AltNames []string
	// MTU is IFLA_MTU; MinMTU and MaxMTU its bounds (read-only).
	MTU, MinMTU, MaxMTU uint32
	// TxQueueLen is the transmit queue length IFLA_TXQLEN.
	TxQueueLen uint32
	// Group is the device group IFLA_GROUP, 0 being "default".
	Group uint32
	// Address is the link layer address IFLA_ADDRESS.
	Address net.HardwareAddr
	// Broadcast is the link layer broadcast address IFLA_BROADCAST.
	Broadcast net.HardwareAddr
	// PermAddress is the permanent hardware address IFLA_PERM_ADDRESS
	// (read-only).
	PermAddress net.HardwareAddr
	// OperState is IFLA_OPERSTATE (read-only here).
	OperState OperState
	// LinkMode is IFLA_LINKMODE (IF_LINK_MODE_*).
	LinkMode uint8
	// Carrier is IFLA_CARRIER (read-only).
	Carrier bool
	// CarrierChanges, CarrierUpCount and CarrierDownCount count carrier
	// transitions (IFLA_CARRIER_CHANGES, _UP_COUNT, _DOWN_COUNT; read-only).
	CarrierChanges, CarrierUpCount, CarrierDownCount uint32
	// Promiscuity and Allmulti count the promiscuous and all-multicast
	// users (IFLA_PROMISCUITY, IFLA_ALLMULTI; read-only).
	Promiscuity, Allmulti uint32
	// NumTxQueues and NumRxQueues are IFLA_NUM_TX_QUEUES and
	// IFLA_NUM_RX_QUEUES; sent on add only.
	NumTxQueues, NumRxQueues uint32
	// GSOMaxSegs, GSOMaxSize, GROMaxSize, TSOMaxSize and TSOMaxSegs are the
	// offload limits IFLA_GSO_MAX_SEGS, ... (read-only here).
	GSOMaxSegs, GSOMaxSize, GROMaxSize, TSOMaxSize, TSOMaxSegs uint32
	// Qdisc is the root queueing discipline's kind IFLA_QDISC (read-only).
	Qdisc string
	// Master is the index of the master device (bridge, bond, vrf),
	// IFLA_MASTER; zero for none. Use Zero: ZeroMaster to detach.
	Master int
	// ParentIndex is IFLA_LINK: the lower device of a vlan or macvlan, the
	// peer of a veth. With LinkNetNSID set, it is an index in that other
	// namespace.
	ParentIndex int
	// ParentPresent reports that the kernel sent IFLA_LINK, even as 0: a
	// tunnel bound to no lower device has one (ip prints "link": null);
	// read-only.
	ParentPresent bool
	// LinkNetNSID is IFLA_LINK_NETNSID: the namespace id (in this
	// namespace) of the namespace ParentIndex lives in; nil if the same.
	LinkNetNSID *int32
	// Info is the kind and kind data (IFLA_LINKINFO); nil for links
	// without a kind (loopback, physical devices).
	Info *LinkInfo
	// Stats are the 64-bit counters IFLA_STATS64 (read-only); nil if the
	// kernel sent none.
	Stats *LinkStats

	// NetNSFD, when positive, moves the link into the network namespace of
	// this open file descriptor (IFLA_NET_NS_FD); request-only. On add, the
	// link is created there.
	NetNSFD int
	// NetNSPID, when positive, moves the link into the network namespace of
	// this process (IFLA_NET_NS_PID); request-only.
	NetNSPID int

	// Zero lists attributes a request sends with their zero value.
	Zero LinkZero

	// Unknown holds the attributes this package does not decode
	// (IFLA_AF_SPEC, IFLA_STATS, IFLA_MAP, IFLA_XDP...), as received.
	Unknown []Attribute
}

// LinkStats are the 64-bit interface counters (struct rtnl_link_stats64).
type LinkStats struct {
	RxPackets, TxPackets, RxBytes, TxBytes         uint64
	RxErrors, TxErrors, RxDropped, TxDropped       uint64
	Multicast, Collisions                          uint64
	RxLengthErrors, RxOverErrors, RxCRCErrors      uint64
	RxFrameErrors, RxFIFOErrors, RxMissedErrors    uint64
	TxAbortedErrors, TxCarrierErrors, TxFIFOErrors uint64
	TxHeartbeatErrors, TxWindowErrors              uint64
	RxCompressed, TxCompressed, RxNoHandler        uint64
	RxOtherhostDropped                             uint64
}

func (s *LinkStats) fields() []*uint64 {
	return []*uint64{&s.RxPackets, &s.TxPackets, &s.RxBytes, &s.TxBytes,
		&s.RxErrors, &s.TxErrors, &s.RxDropped, &s.TxDropped, &s.Multicast, &s.Collisions,
		&s.RxLengthErrors, &s.RxOverErrors, &s.RxCRCErrors, &s.RxFrameErrors, &s.RxFIFOErrors,
		&s.RxMissedErrors, &s.TxAbortedErrors, &s.TxCarrierErrors, &s.TxFIFOErrors,
		&s.TxHeartbeatErrors, &s.TxWindowErrors, &s.RxCompressed, &s.TxCompressed,
		&s.RxNoHandler, &s.RxOtherhostDropped}
}

func (s *LinkStats) decode(b []byte) error {
	if len(b)%8 != 0 {
		return malformedf("IFLA_STATS64 of %d bytes", len(b))
	}
	for i, p := range s.fields() {
		if 8*i+8 > len(b) {
			break
		}
		*p = binary.NativeEndian.Uint64(b[8*i:])
	}
	return nil
}

func (s *LinkStats) encode() []byte {
	f := s.fields()
	b := make([]byte, 8*len(f))
	for i, p := range f {
		binary.NativeEndian.PutUint64(b[8*i:], *p)
	}
	return b
}

// Kind implements Object.
func (*Link) Kind() Kind { return KindLink }

var linkFlagNames = []bitName{
	{unix.IFF_LOOPBACK, "LOOPBACK"}, {unix.IFF_BROADCAST, "BROADCAST"},
	{unix.IFF_POINTOPOINT, "POINTOPOINT"}, {unix.IFF_MULTICAST, "MULTICAST"},
	{unix.IFF_NOARP, "NOARP"}, {unix.IFF_ALLMULTI, "ALLMULTI"},
	{unix.IFF_PROMISC, "PROMISC"}, {unix.IFF_MASTER, "MASTER"},
	{unix.IFF_SLAVE, "SLAVE"}, {unix.IFF_DEBUG, "DEBUG"},
	{unix.IFF_DYNAMIC, "DYNAMIC"}, {unix.IFF_AUTOMEDIA, "AUTOMEDIA"},
	{unix.IFF_PORTSEL, "PORTSEL"}, {unix.IFF_NOTRAILERS, "NOTRAILERS"},
	{unix.IFF_UP, "UP"}, {unix.IFF_LOWER_UP, "LOWER_UP"},
	{unix.IFF_DORMANT, "DORMANT"}, {unix.IFF_ECHO, "ECHO"},
}

// LinkFlagNames returns the names ip(8) prints for IFF_* flags, in its
// order: NO-CARRIER for a link that is up without IFF_RUNNING, and
// IFF_RUNNING itself never.
func LinkFlagNames(flags uint32) []string {
	var names []string
	if flags&unix.IFF_UP != 0 && flags&unix.IFF_RUNNING == 0 {
		names = append(names, "NO-CARRIER")
	}
	names, rest := appendBitNames(names, flags&^unix.IFF_RUNNING, linkFlagNames)
	if rest != 0 {
		names = append(names, fmt.Sprintf("%#x", rest))
	}
	return names
}

// String describes the link like `ip -d link show` does, on one line.
func (l *Link) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d: %s", l.Index, l.Name)
	if l.ParentIndex != 0 {
		fmt.Fprintf(&b, "@if%d", l.ParentIndex)
	}
	fmt.Fprintf(&b, ": <%s> mtu %d", strings.Join(LinkFlagNames(l.Flags), ","), l.MTU)
	if l.Qdisc != "" {
		fmt.Fprintf(&b, " qdisc %s", l.Qdisc)
	}
	if l.Master != 0 {
		fmt.Fprintf(&b, " master if%d", l.Master)
	}
	fmt.Fprintf(&b, " state %s", l.OperState)
	if l.Group != 0 {
		fmt.Fprintf(&b, " group %d", l.Group)
	}
	if l.TxQueueLen != 0 {
		fmt.Fprintf(&b, " qlen %d", l.TxQueueLen)
	}
	if len(l.Address) > 0 {
		fmt.Fprintf(&b, " link/%s %s", linkTypeName(l.Type), l.Address)
		if len(l.Broadcast) > 0 {
			fmt.Fprintf(&b, " brd %s", l.Broadcast)
		}
	} else {
		fmt.Fprintf(&b, " link/%s", linkTypeName(l.Type))
	}
	if l.LinkNetNSID != nil {
		fmt.Fprintf(&b, " link-netnsid %d", *l.LinkNetNSID)
	}
	if l.Info != nil {
		fmt.Fprintf(&b, " %s", l.Info)
	}
	if l.Alias != "" {
		fmt.Fprintf(&b, " alias %q", l.Alias)
	}
	return b.String()
}

func linkTypeName(t uint16) string {
	switch t {
	case unix.ARPHRD_ETHER:
		return "ether"
	case unix.ARPHRD_LOOPBACK:
		return "loopback"
	case unix.ARPHRD_NONE:
		return "none"
	}
	return strconv.Itoa(int(t))
}

// decode parses an RTM_NEWLINK/RTM_DELLINK payload (after the netlink
// header).
func (l *Link) decode(b []byte) error {
	if len(b) < ifinfomsgLen {
		return malformedf("link message of %d bytes", len(b))
	}
	*l = Link{
		Family: b[0],
		Type:   binary.NativeEndian.Uint16(b[2:4]),
		Index:  int(int32(binary.NativeEndian.Uint32(b[4:8]))),
		Flags:  binary.NativeEndian.Uint32(b[8:12]),
		Change: binary.NativeEndian.Uint32(b[12:16]),
	}
	if len(b) == ifinfomsgLen {
		return nil
	}
	ad, err := nl.NewAttributeDecoder(b[ifinfomsgLen:])
	if err != nil {
		return malformedf("link attributes: %v", err)
	}
	for ad.Next() {
		switch ad.Type() {
		case unix.IFLA_IFNAME:
			l.Name = ad.String()
		case unix.IFLA_IFALIAS:
			l.Alias = ad.String()
		case unix.IFLA_MTU:
			l.MTU = ad.Uint32()
		case unix.IFLA_MIN_MTU:
			l.MinMTU = ad.Uint32()
		case unix.IFLA_MAX_MTU:
			l.MaxMTU = ad.Uint32()
		case unix.IFLA_TXQLEN:
			l.TxQueueLen = ad.Uint32()
		case unix.IFLA_GROUP:
			l.Group = ad.Uint32()
		case unix.IFLA_ADDRESS:
			l.Address = ad.Bytes()
		case unix.IFLA_BROADCAST:
			l.Broadcast = ad.Bytes()
		case unix.IFLA_PERM_ADDRESS:
			l.PermAddress = ad.Bytes()
		case unix.IFLA_OPERSTATE:
			l.OperState = OperState(ad.Uint8())
		case unix.IFLA_LINKMODE:
			l.LinkMode = ad.Uint8()
		case unix.IFLA_CARRIER:
			l.Carrier = ad.Uint8() != 0
		case unix.IFLA_CARRIER_CHANGES:
			l.CarrierChanges = ad.Uint32()
		case unix.IFLA_CARRIER_UP_COUNT:
			l.CarrierUpCount = ad.Uint32()
		case unix.IFLA_CARRIER_DOWN_COUNT:
			l.CarrierDownCount = ad.Uint32()
		case unix.IFLA_PROMISCUITY:
			l.Promiscuity = ad.Uint32()
		case unix.IFLA_ALLMULTI:
			l.Allmulti = ad.Uint32()
		case unix.IFLA_NUM_TX_QUEUES:
			l.NumTxQueues = ad.Uint32()
		case unix.IFLA_NUM_RX_QUEUES:
			l.NumRxQueues = ad.Uint32()
		case unix.IFLA_GSO_MAX_SEGS:
			l.GSOMaxSegs = ad.Uint32()
		case unix.IFLA_GSO_MAX_SIZE:
			l.GSOMaxSize = ad.Uint32()
		case unix.IFLA_GRO_MAX_SIZE:
			l.GROMaxSize = ad.Uint32()
		case unix.IFLA_TSO_MAX_SIZE:
			l.TSOMaxSize = ad.Uint32()
		case unix.IFLA_TSO_MAX_SEGS:
			l.TSOMaxSegs = ad.Uint32()
		case unix.IFLA_QDISC:
			l.Qdisc = ad.String()
		case unix.IFLA_MASTER:
			l.Master = int(ad.Uint32())
		case unix.IFLA_LINK:
			l.ParentIndex = int(ad.Uint32())
			l.ParentPresent = true
		case unix.IFLA_LINK_NETNSID:
			id := ad.Int32()
			l.LinkNetNSID = &id
		case unix.IFLA_NET_NS_FD:
			l.NetNSFD = int(ad.Uint32())
		case unix.IFLA_NET_NS_PID:
			l.NetNSPID = int(ad.Uint32())
		case unix.IFLA_STATS64:
			l.Stats = new(LinkStats)
			ad.Do(l.Stats.decode)
		case unix.IFLA_PROP_LIST:
			names, ok, err := linkDecodeAltNames(ad.Bytes())
			if err != nil {
				return err
			}
			if ok {
				l.AltNames = append(l.AltNames, names...)
			} else {
				l.Unknown = append(l.Unknown, Attribute{Type: ad.Type() | ad.TypeFlags(), Data: ad.Bytes()})
			}
		case unix.IFLA_LINKINFO:
			l.Info = new(LinkInfo)
			ad.Do(l.Info.decode)
		default:
			l.Unknown = append(l.Unknown, Attribute{Type: ad.Type() | ad.TypeFlags(), Data: ad.Bytes()})
		}
	}
	if err := ad.Err(); err != nil {
		return malformedf("link %d: %v", l.Index, err)
	}
	return nil
}

// linkDecodeAltNames decodes IFLA_PROP_LIST. ok is false if it holds anything
// but IFLA_ALT_IFNAME, in which case the caller keeps it raw.
func linkDecodeAltNames(b []byte) (names []string, ok bool, err error) {
	ad, err := nl.NewAttributeDecoder(b)
	if err != nil {
		return nil, false, malformedf("IFLA_PROP_LIST: %v", err)
	}
	ok = true
	for ad.Next() {
		if ad.Type() != unix.IFLA_ALT_IFNAME {
			ok = false
			continue
		}
		names = append(names, ad.String())
	}
	if err := ad.Err(); err != nil {
		return nil, false, malformedf("IFLA_PROP_LIST: %v", err)
	}
	return names, ok, nil
}

// linkEncodeMode says which attributes encode writes.
type linkEncodeMode uint8

const (
	linkEncodeAll linkEncodeMode = iota // everything, for round trips
	linkEncodeAdd                       // a new-link request that creates
	linkEncodeSet                       // a new-link request that changes
	linkEncodeDel                       // a del-link request
)

// marshal encodes the link as the kernel would send it: the header, every
// decoded field that is set and the Unknown attributes.
func (l *Link) marshal() ([]byte, error) { return l.encode(linkEncodeAll) }

func (l *Link) encode(mode linkEncodeMode) ([]byte, error) {
	hdr := make([]byte, ifinfomsgLen)
	hdr[0] = l.Family
	binary.NativeEndian.PutUint16(hdr[2:4], l.Type)
	binary.NativeEndian.PutUint32(hdr[4:8], uint32(int32(l.Index)))
	flags, change := l.Flags, l.Change
	if mode != linkEncodeAll && change == 0 {
		change = flags
	}
	if mode == linkEncodeDel {
		flags, change = 0, 0
	}
	binary.NativeEndian.PutUint32(hdr[8:12], flags)
	binary.NativeEndian.PutUint32(hdr[12:16], change)

	ae := nl.NewAttributeEncoder()
	all, req := mode == linkEncodeAll, mode == linkEncodeAdd || mode == linkEncodeSet
	u32 := func(typ uint16, v uint32, zero bool) {
		if v != 0 || zero {
			ae.Uint32(typ, v)
		}
	}
	if l.Name != "" {
		ae.String(unix.IFLA_IFNAME, l.Name)
	}
	if mode == linkEncodeDel {
		return linkAppendAttrs(hdr, ae)
	}
	u32(unix.IFLA_MTU, l.MTU, false)
	u32(unix.IFLA_TXQLEN, l.TxQueueLen, req && l.Zero&ZeroTxQueueLen != 0)
	u32(unix.IFLA_GROUP, l.Group, req && l.Zero&ZeroGroup != 0)
	if len(l.Address) > 0 {
		ae.Bytes(unix.IFLA_ADDRESS, l.Address)
	}
	if len(l.Broadcast) > 0 {
		ae.Bytes(unix.IFLA_BROADCAST, l.Broadcast)
	}
	if all && l.Alias != "" {
		ae.String(unix.IFLA_IFALIAS, l.Alias)
	} else if l.Alias != "" || (req && l.Zero&ZeroAlias != 0) {
		// Requests carry the alias without a terminating NUL, as ip(8)
		// sends it; an empty one removes the alias.
		ae.Bytes(unix.IFLA_IFALIAS, []byte(l.Alias))
	}
	u32(unix.IFLA_MASTER, uint32(l.Master), req && l.Zero&ZeroMaster != 0)
	if all || mode == linkEncodeAdd {
		u32(unix.IFLA_LINK, uint32(l.ParentIndex), false)
		u32(unix.IFLA_NUM_TX_QUEUES, l.NumTxQueues, false)
		u32(unix.IFLA_NUM_RX_QUEUES, l.NumRxQueues, false)
	}
	if l.LinkMode != 0 {
		ae.Uint8(unix.IFLA_LINKMODE, l.LinkMode)
	}
	u32(unix.IFLA_NET_NS_FD, uint32(max(l.NetNSFD, 0)), false)
	u32(unix.IFLA_NET_NS_PID, uint32(max(l.NetNSPID, 0)), false)
	if all {
		u32(unix.IFLA_MIN_MTU, l.MinMTU, false)
		u32(unix.IFLA_MAX_MTU, l.MaxMTU, false)
		if len(l.PermAddress) > 0 {
			ae.Bytes(unix.IFLA_PERM_ADDRESS, l.PermAddress)
		}
		ae.Uint8(unix.IFLA_OPERSTATE, uint8(l.OperState))
		if l.Carrier {
			ae.Uint8(unix.IFLA_CARRIER, 1)
		}
		u32(unix.IFLA_CARRIER_CHANGES, l.CarrierChanges, false)
		u32(unix.IFLA_CARRIER_UP_COUNT, l.CarrierUpCount, false)
		u32(unix.IFLA_CARRIER_DOWN_COUNT, l.CarrierDownCount, false)
		u32(unix.IFLA_PROMISCUITY, l.Promiscuity, false)
		u32(unix.IFLA_ALLMULTI, l.Allmulti, false)
		u32(unix.IFLA_GSO_MAX_SEGS, l.GSOMaxSegs, false)
		u32(unix.IFLA_GSO_MAX_SIZE, l.GSOMaxSize, false)
		u32(unix.IFLA_GRO_MAX_SIZE, l.GROMaxSize, false)
		u32(unix.IFLA_TSO_MAX_SIZE, l.TSOMaxSize, false)
		u32(unix.IFLA_TSO_MAX_SEGS, l.TSOMaxSegs, false)
		if l.Qdisc != "" {
			ae.String(unix.IFLA_QDISC, l.Qdisc)
		}
		if l.LinkNetNSID != nil {
			ae.Int32(unix.IFLA_LINK_NETNSID, *l.LinkNetNSID)
		}
		if l.Stats != nil {
			ae.Bytes(unix.IFLA_STATS64, l.Stats.encode())
		}
		if len(l.AltNames) > 0 {
			ae.Nested(unix.IFLA_PROP_LIST, func(nae *nl.AttributeEncoder) error {
				for _, n := range l.AltNames {
					nae.String(unix.IFLA_ALT_IFNAME, n)
				}
				return nil
			})
		}
	}
	if l.Info != nil {
		ae.Do(unix.IFLA_LINKINFO, func() ([]byte, error) { return l.Info.encode(mode) })
	}
	if all {
		for _, a := range l.Unknown {
			ae.Bytes(a.Type, a.Data)
		}
	}
	return linkAppendAttrs(hdr, ae)
}

func linkAppendAttrs(hdr []byte, ae *nl.AttributeEncoder) ([]byte, error) {
	attrs, err := ae.Encode()
	if err != nil {
		return nil, invalidf("%v", err)
	}
	return append(hdr, attrs...), nil
}

// ValidLinkName reports why name cannot be an interface name, as the
// kernel's dev_valid_name (net/core/dev.c) judges it: not empty, at most
// 15 bytes (IFNAMSIZ 16 with the terminating NUL), not "." or "..", and
// no '/', ':', NUL or white space. The error wraps ErrInvalid; nil means
// the name is valid. It is the one link-name rule of the module: netlink's
// requests, txn's specs and the command's state file all call it.
func ValidLinkName(name string) error {
	switch {
	case name == "":
		return invalidf("empty link name")
	case len(name) >= linkNameSize:
		return invalidf("link name %q longer than %d bytes", name, linkNameSize-1)
	case name == "." || name == "..":
		return invalidf("link name %q", name)
	}
	for i := 0; i < len(name); i++ {
		// The kernel tests bytes with its own isspace (lib/ctype.c):
		// 9-13, space and 0xA0 (Latin-1 no-break space), so "x\u00a0"
		// (bytes c2 a0) is refused and "x\u2000" accepted.
		switch c := name[i]; {
		case c == '/' || c == ':' || c == 0 || c == ' ' || c >= '\t' && c <= '\r' || c == 0xa0:
			return invalidf("link name %q contains byte %#x", name, c)
		}
	}
	return nil
}

// validLinkLookupName checks a name or alternative name (up to
// ALTIFNAMSIZ-1 bytes) to look up.
func validLinkLookupName(name string) error {
	if len(name) < linkNameSize {
		return ValidLinkName(name)
	}
	if len(name) >= linkAltNameSize {
		return invalidf("link name %q longer than %d bytes", name, linkAltNameSize-1)
	}
	for i := 0; i < len(name); i++ {
		// The kernel tests bytes with its own isspace (lib/ctype.c):
		// 9-13, space and 0xA0 (Latin-1 no-break space), so "x\u00a0"
		// (bytes c2 a0) is refused and "x\u2000" accepted.
		switch c := name[i]; {
		case c == '/' || c == ':' || c == 0 || c == ' ' || c >= '\t' && c <= '\r' || c == 0xa0:
			return invalidf("link name %q contains byte %#x", name, c)
		}
	}
	return nil
}

// validate checks a request; top is false for a veth peer.
func (l *Link) validate(v Verb, top bool) error {
	if l.Name != "" || (v == Add && top) {
		if err := ValidLinkName(l.Name); err != nil {
			return err
		}
	}
	if l.Index < 0 || l.Master < 0 || l.ParentIndex < 0 {
		return invalidf("negative link index")
	}
	if v != Add && l.Index == 0 && l.Name == "" {
		return invalidf("link to %s needs an index or a name", v)
	}
	if v == Delete {
		return nil
	}
	if l.NetNSFD > 0 && l.NetNSPID > 0 {
		return invalidf("both NetNSFD and NetNSPID given")
	}
	if l.NetNSFD < 0 || l.NetNSPID < 0 {
		return invalidf("negative namespace fd or pid")
	}
	if len(l.Address) > linkMaxAddrLen || len(l.Broadcast) > linkMaxAddrLen {
		return invalidf("link layer address longer than %d bytes", linkMaxAddrLen)
	}
	if len(l.Alias) >= 256 {
		return invalidf("alias longer than 255 bytes")
	}
	if l.Master != 0 && l.Zero&ZeroMaster != 0 {
		return invalidf("both a master and ZeroMaster given")
	}
	if l.Master != 0 && l.Master == l.Index {
		return invalidf("link %d cannot be its own master", l.Index)
	}
	if v == Add && top && l.Info == nil {
		return invalidf("link %q to add has no kind", l.Name)
	}
	if l.Info != nil {
		if err := l.Info.validate(v); err != nil {
			return err
		}
	}
	return nil
}

// Object describes a link for errors and plans: "link br0" or "link 7".
func (l *Link) object() string {
	switch {
	case l.Name != "" && l.Index != 0:
		return fmt.Sprintf("link %d (%s)", l.Index, l.Name)
	case l.Name != "":
		return "link " + l.Name
	}
	return fmt.Sprintf("link %d", l.Index)
}

// LinkRequest builds a request on a link.
//
// Add creates a link of l.Info's kind (with its kind data, a veth's peer)
// named l.Name, with the attributes that are set: MTU, Address, Broadcast,
// TxQueueLen, Group, Alias, Master, ParentIndex (the lower device),
// NumTxQueues, NumRxQueues, LinkMode, NetNSFD/NetNSPID (create in that
// namespace) and Flags (e.g. unix.IFF_UP). Replace is Add without
// NLM_F_EXCL: it changes the link of that name if there is one.
//
// Set (and Change, which is the same for links: the kernel refuses
// NLM_F_REPLACE on them) changes the link l.Index,
// or l.Name without an index: a different Name renames, and MTU, Address,
// Broadcast, TxQueueLen, Group, Alias, Master, LinkMode, Flags/Change,
// NetNSFD/NetNSPID (move to another namespace) and kind data are applied
// where set. Zero selects changes to a zero value (ZeroMaster detaches from
// the master).
//
// Delete removes l.Index, or l.Name without an index.
//
// Read-only fields (OperState, counters, Stats, AltNames...) and Unknown
// attributes are never sent. Invalid input (an empty or over-long name, a
// name with '/' or white space, an unknown kind, kind data of another kind,
// a request without index or name, a tun/tap add, which rtnetlink cannot do:
// see CreateTuntap) makes a Request whose Err wraps ErrInvalid or
// ErrNotSupported; nothing is sent for it.
func LinkRequest(v Verb, l *Link) Request {
	if l == nil {
		return Request{Verb: v, Object: "link", err: &OpError{Op: v.String(), Object: "link", Err: invalidf("nil link")}}
	}
	object := l.object()
	op := newRequest(v, KindLink, object, func() ([]byte, error) {
		switch v {
		case Append:
			return nil, invalidf("links cannot be appended")
		}
		if err := l.validate(v, true); err != nil {
			return nil, err
		}
		switch v {
		case Add, Replace:
			return l.encode(linkEncodeAdd)
		case Delete:
			return l.encode(linkEncodeDel)
		}
		return l.encode(linkEncodeSet)
	})
	// The kernel refuses NLM_F_REPLACE on an existing link (EOPNOTSUPP):
	// for links, replacing is creating without NLM_F_EXCL, and changing
	// is setting.
	switch v {
	case Replace:
		op.flags = unix.NLM_F_CREATE
	case Change:
		op.flags = 0
	}
	return op
}

// LinkAdd creates a link (see LinkRequest). tun and tap links cannot be created
// through rtnetlink; use CreateTuntap.
func (c *Conn) LinkAdd(ctx context.Context, l *Link) error { return c.Do(ctx, LinkRequest(Add, l)) }

// LinkReplace creates a link, or changes the existing one of the same name
// (see LinkRequest): RTM_NEWLINK with NLM_F_CREATE but not NLM_F_EXCL.
func (c *Conn) LinkReplace(ctx context.Context, l *Link) error {
	return c.Do(ctx, LinkRequest(Replace, l))
}

// LinkSet changes a link (see LinkRequest), as `ip link set` does.
func (c *Conn) LinkSet(ctx context.Context, l *Link) error { return c.Do(ctx, LinkRequest(Set, l)) }

// LinkDel deletes the link with l.Index, or l.Name if the index is zero.
func (c *Conn) LinkDel(ctx context.Context, l *Link) error { return c.Do(ctx, LinkRequest(Delete, l)) }

// linkGetRequest builds an RTM_GETLINK body for index or name.
func linkGetRequest(index int, name string) ([]byte, error) {
	b := make([]byte, ifinfomsgLen)
	binary.NativeEndian.PutUint32(b[4:8], uint32(int32(index)))
	ae := nl.NewAttributeEncoder()
	switch {
	case len(name) >= linkNameSize:
		ae.String(unix.IFLA_ALT_IFNAME, name)
	case name != "":
		ae.String(unix.IFLA_IFNAME, name)
	}
	ae.Uint32(unix.IFLA_EXT_MASK, linkRtextFilterVF)
	return linkAppendAttrs(b, ae)
}

// LinkByIndex returns the link with this index. A link that does not exist
// is an error wrapping unix.ENODEV.
func (c *Conn) LinkByIndex(ctx context.Context, index int) (*Link, error) {
	object := fmt.Sprintf("link %d", index)
	if index <= 0 {
		return nil, &OpError{Op: "get", Object: object, Err: invalidf("link index %d", index)}
	}
	body, _ := linkGetRequest(index, "")
	return c.getLink(ctx, object, body)
}

// LinkByName returns the link with this name or alternative name (names of
// 16 bytes or more can only be alternative names and are looked up as
// such, with IFLA_ALT_IFNAME). A link that does not exist is an error
// wrapping unix.ENODEV.
func (c *Conn) LinkByName(ctx context.Context, name string) (*Link, error) {
	object := "link " + name
	if err := validLinkLookupName(name); err != nil {
		return nil, &OpError{Op: "get", Object: object, Err: err}
	}
	body, _ := linkGetRequest(0, name)
	return c.getLink(ctx, object, body)
}

func (c *Conn) getLink(ctx context.Context, object string, body []byte) (*Link, error) {
	l := new(Link)
	err := c.get(ctx, object, KindLink.row().getType, body, func(p []byte) error {
		return l.decode(p)
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}

// LinkFilter selects links in LinkDump and Links. Zero fields match
// everything.
type LinkFilter struct {
	// InfoKind keeps links of this kind (IFLA_INFO_KIND: "bridge", "veth"...),
	// filtered in the kernel when it does strict checking.
	InfoKind string
	// Master keeps the links enslaved to this index, filtered in the
	// kernel when it does strict checking.
	Master int
	// Index keeps only the link with this index.
	Index int
	// Name keeps only the link with this name.
	Name string
}

func (f *LinkFilter) match(l *Link) bool {
	if f == nil {
		return true
	}
	kind := ""
	if l.Info != nil {
		kind = l.Info.InfoKind
	}
	return (f.InfoKind == "" || f.InfoKind == kind) &&
		(f.Master == 0 || f.Master == l.Master) &&
		(f.Index == 0 || f.Index == l.Index) &&
		(f.Name == "" || f.Name == l.Name)
}

func (f *LinkFilter) String() string {
	if f == nil {
		return "links"
	}
	s := "links"
	if f.InfoKind != "" {
		s += " type " + f.InfoKind
	}
	if f.Master != 0 {
		s += fmt.Sprintf(" master %d", f.Master)
	}
	if f.Index != 0 {
		s += fmt.Sprintf(" index %d", f.Index)
	}
	if f.Name != "" {
		s += " name " + f.Name
	}
	return s
}

// dumpRequest builds the RTM_GETLINK dump body with the kernel-side filters.
func (f *LinkFilter) dumpRequest(strict bool) ([]byte, error) {
	b := make([]byte, ifinfomsgLen)
	ae := nl.NewAttributeEncoder()
	ae.Uint32(unix.IFLA_EXT_MASK, linkRtextFilterVF)
	if f != nil && strict {
		if f.Master != 0 {
			ae.Uint32(unix.IFLA_MASTER, uint32(f.Master))
		}
		if f.InfoKind != "" {
			ae.Do(unix.IFLA_LINKINFO, func() ([]byte, error) {
				kae := nl.NewAttributeEncoder()
				kae.String(unix.IFLA_INFO_KIND, f.InfoKind)
				return kae.Encode()
			})
		}
	}
	return linkAppendAttrs(b, ae)
}

// LinkDump streams the links that match f (nil for all) to fn, one fresh
// *Link per call, owned by fn. If fn returns an error the dump stops and
// that error is returned. An interrupted dump is repeated, so fn may see a
// link again (see the package documentation).
func (c *Conn) LinkDump(ctx context.Context, f *LinkFilter, fn func(*Link) error) error {
	return c.linkDump(ctx, f, nil, fn)
}

func (c *Conn) linkDump(ctx context.Context, f *LinkFilter, restart func(), fn func(*Link) error) error {
	object := f.String()
	if f != nil && (f.Index < 0 || f.Master < 0) {
		return &OpError{Op: "dump", Object: object, Err: invalidf("negative link index")}
	}
	if f != nil && f.Index > 0 {
		// The kernel has no index filter for link dumps; a get is exact.
		l, err := c.LinkByIndex(ctx, f.Index)
		if err != nil {
			if linkIsNoDevice(err) {
				return nil
			}
			return err
		}
		if !f.match(l) {
			return nil
		}
		return fn(l)
	}
	body, err := f.dumpRequest(c.strict)
	if err != nil {
		return &OpError{Op: "dump", Object: object, Err: err}
	}
	return c.dump(ctx, object, KindLink.row().getType, body, restart, func(p []byte) error {
		l := new(Link)
		if err := l.decode(p); err != nil {
			return err
		}
		if !f.match(l) {
			return nil
		}
		return fn(l)
	})
}

func linkIsNoDevice(err error) bool {
	oe, ok := err.(*OpError)
	return ok && (oe.Err == unix.ENODEV || oe.Err == ErrNotFound)
}

// Links returns the links that match f (nil for all).
func (c *Conn) Links(ctx context.Context, f *LinkFilter) ([]*Link, error) {
	var links []*Link
	err := c.linkDump(ctx, f, func() { links = links[:0] }, func(l *Link) error {
		links = append(links, l)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return links, nil
}
