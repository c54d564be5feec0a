package main

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"strconv"

	nl "github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// This file renders links as `ip -j -d link show` prints them (and the
// link part of `ip -j addr show`): iproute2 6.1's print_linkinfo
// (ip/ipaddress.c) and the print_opt functions of the link kinds this
// project knows (ip/iplink_bridge.c, iplink_bridge_slave.c,
// iplink_vxlan.c, iplink_macvlan.c, iptuntap.c), key for key, in their
// order. Statistics (-s) are not printed.

// linkRef is what rendering needs to know of a link other than the one
// it prints: its name, and its flags for ip's M-DOWN.
type linkRef struct {
	name  string
	flags uint32
}

// linkNames maps interface indexes to names, as ip's ll_map does: from
// the links added, else (when it has one) from a cache snapshot, looked
// up on first use.
type linkNames struct {
	m      map[int]linkRef
	s      *ipdb.Snapshot
	stream *streamLinks // an event stream's links, consulted before s
}

func newLinkNames(s *ipdb.Snapshot) *linkNames {
	return &linkNames{m: map[int]linkRef{}, s: s}
}

func (n *linkNames) add(l *netlink.Link) { n.m[l.Index] = linkRef{l.Name, l.Flags} }

// ref returns what is known of the link with this index: from the links
// added, else from the event stream's links, else from the snapshot.
func (n *linkNames) ref(index int) (linkRef, bool) {
	if r, ok := n.m[index]; ok {
		return r, true
	}
	if n.stream != nil {
		if r, ok := n.stream.m[index]; ok {
			return r, true
		}
	}
	if n.s != nil {
		if l, err := n.s.LinkByIndex(index); err == nil {
			n.add(l)
			return n.m[index], true
		}
	}
	return linkRef{}, false
}

// streamLinks are the links as an event stream has seen them so far: the
// links of the snapshot it started from, then every link event in log
// order, deleted links included (the deletes of a link's addresses,
// routes and neighbours come around the link's own). Rendering an event
// with them names links as they were at that event, not as they are in a
// newer snapshot. At most streamLinksMax links are kept.
type streamLinks struct{ m map[int]linkRef }

const streamLinksMax = 1 << 16

func newStreamLinks(s *ipdb.Snapshot) *streamLinks {
	st := &streamLinks{m: map[int]linkRef{}}
	for l := range s.Links() {
		st.m[l.Index] = linkRef{l.Name, l.Flags}
	}
	return st
}

// note follows a link event.
func (st *streamLinks) note(old, new netlink.Object) {
	l, ok := new.(*netlink.Link)
	if !ok {
		if l, ok = old.(*netlink.Link); !ok {
			return
		}
	}
	if _, known := st.m[l.Index]; !known && len(st.m) >= streamLinksMax {
		for k := range st.m {
			delete(st.m, k)
			break
		}
	}
	st.m[l.Index] = linkRef{l.Name, l.Flags}
}

// name is ll_index_to_name: "*" for 0, "if%d" for an unknown index.
func (n *linkNames) name(index int) string {
	if index == 0 {
		return "*"
	}
	if r, ok := n.ref(index); ok {
		return r.name
	}
	return "if" + strconv.Itoa(index)
}

// linkAttr returns the first attribute of type t in attrs (flags masked).
func linkAttr(attrs []netlink.Attribute, t uint16) ([]byte, bool) {
	for _, a := range attrs {
		if a.Type&^(unix.NLA_F_NESTED|unix.NLA_F_NET_BYTEORDER) == t {
			return a.Data, true
		}
	}
	return nil, false
}

// writeLinkFlags writes ip's "flags" array (print_link_flags).
func writeLinkFlags(j *jsonOut, flags uint32, mdown bool) {
	j.openArray("flags")
	for _, n := range netlink.LinkFlagNames(flags) {
		if len(n) > 2 && n[:2] == "0x" {
			n = n[2:] // print_hex: "%x"
		}
		j.str("", n)
	}
	if mdown {
		j.str("", "M-DOWN")
	}
	j.closeArray()
}

var ipLinkModes = [...]string{"DEFAULT", "DORMANT"}

// writeLinkHeader writes the keys `ip -j link` and `ip -j addr` share, up
// to the link-layer addresses; details adds what `ip -d link` adds.
// isLink is ip's do_link (ip link, not ip addr).
func writeLinkHeader(j *jsonOut, l *netlink.Link, names *linkNames, isLink, details bool) {
	writeLinkHeaderLL(j, l, names, isLink, details, true)
}

// writeLinkHeaderLL is writeLinkHeader; linkLayer false leaves out the
// link-layer keys (link_type, address, broadcast, permaddr), as ip addr
// does with -4 or -6 (print_linkinfo prints them only without a family
// filter, or with -d).
func writeLinkHeaderLL(j *jsonOut, l *netlink.Link, names *linkNames, isLink, details, linkLayer bool) {
	j.int("ifindex", int64(l.Index))
	mdown := false
	if l.ParentIndex != 0 {
		if l.LinkNetNSID != nil {
			j.int("link_index", int64(l.ParentIndex))
		} else {
			j.str("link", names.name(l.ParentIndex))
			if r, ok := names.ref(l.ParentIndex); ok {
				mdown = r.flags&unix.IFF_UP == 0
			}
		}
	} else if l.ParentPresent {
		j.null("link") // a tunnel bound to no lower device
	}
	j.str("ifname", l.Name)
	writeLinkFlags(j, l.Flags, mdown)
	if l.MTU != 0 {
		j.int("mtu", int64(l.MTU))
	}
	if l.Qdisc != "" {
		j.str("qdisc", l.Qdisc)
	}
	if l.Master != 0 {
		j.str("master", names.name(l.Master))
	}
	if int(l.OperState) < len(linkOperStates) {
		j.str("operstate", l.OperState.String())
	} else {
		j.uint("operstate_index", uint64(l.OperState))
	}
	if isLink {
		if int(l.LinkMode) < len(ipLinkModes) {
			j.str("linkmode", ipLinkModes[l.LinkMode])
		} else {
			j.int("linkmode_index", int64(l.LinkMode))
		}
	}
	j.str("group", ipNames().groupName(l.Group))
	if l.TxQueueLen != 0 {
		j.int("txqlen", int64(l.TxQueueLen))
	}
	if linkLayer || details {
		j.str("link_type", linkTypeName(l.Type))
		if l.Address != nil {
			j.str("address", hwAddr(l.Type, l.Address))
		}
		if l.Broadcast != nil {
			if l.Flags&unix.IFF_POINTOPOINT != 0 {
				j.boolean("link_pointtopoint", true)
			}
			j.str("broadcast", hwAddr(l.Type, l.Broadcast))
		}
		if l.PermAddress != nil && !bytes.Equal(l.PermAddress, l.Address) {
			j.str("permaddr", hwAddr(l.Type, l.PermAddress))
		}
	}
	if l.LinkNetNSID != nil {
		j.int("link_netnsid", int64(*l.LinkNetNSID))
	}
	if b, ok := linkAttr(l.Unknown, unix.IFLA_PROTO_DOWN); ok && len(b) >= 1 && b[0] != 0 {
		j.boolean("proto_down", true)
	}
	if !details {
		return
	}
	j.uint("promiscuity", uint64(l.Promiscuity))
	j.uint("allmulti", uint64(l.Allmulti))
	j.uint("min_mtu", uint64(l.MinMTU))
	j.uint("max_mtu", uint64(l.MaxMTU))
	if l.Info != nil {
		writeLinkInfo(j, l.Info, names)
	}
	if isLink {
		writeAddrGenMode(j, l.Unknown)
	}
	j.uint("num_tx_queues", uint64(l.NumTxQueues))
	j.uint("num_rx_queues", uint64(l.NumRxQueues))
	j.uint("gso_max_size", uint64(l.GSOMaxSize))
	j.uint("gso_max_segs", uint64(l.GSOMaxSegs))
	j.uint("tso_max_size", uint64(l.TSOMaxSize))
	j.uint("tso_max_segs", uint64(l.TSOMaxSegs))
	j.uint("gro_max_size", uint64(l.GROMaxSize))
	if b, ok := linkAttr(l.Unknown, unix.IFLA_PHYS_PORT_NAME); ok {
		j.str("phys_port_name", cString(b))
	}
	if b, ok := linkAttr(l.Unknown, unix.IFLA_PARENT_DEV_BUS_NAME); ok {
		j.str("parentbus", cString(b))
	}
	if b, ok := linkAttr(l.Unknown, unix.IFLA_PARENT_DEV_NAME); ok {
		j.str("parentdev", cString(b))
	}
}

var linkOperStates = [...]string{"UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP"}

func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// writeLink writes one link as `ip -j -d link show` does.
func writeLink(j *jsonOut, l *netlink.Link, names *linkNames) {
	j.openObject("")
	writeLinkHeader(j, l, names, true, true)
	writeLinkTail(j, l, true)
	j.closeObject()
}

// writeLinkTail writes the keys after the details: alias (ip link only)
// and alternative names.
func writeLinkTail(j *jsonOut, l *netlink.Link, isLink bool) {
	if isLink && l.Alias != "" {
		j.str("ifalias", l.Alias)
	}
	if len(l.AltNames) > 0 {
		j.openArray("altnames")
		for _, n := range l.AltNames {
			j.str("", n)
		}
		j.closeArray()
	}
}

// writeAddrGenMode is print_af_spec: the IPv6 address generation mode
// from IFLA_AF_SPEC.
func writeAddrGenMode(j *jsonOut, attrs []netlink.Attribute) {
	spec, ok := linkAttr(attrs, unix.IFLA_AF_SPEC)
	if !ok {
		return
	}
	inet6, ok := nestedAttr(spec, unix.AF_INET6)
	if !ok {
		return
	}
	m, ok := nestedAttr(inet6, unix.IFLA_INET6_ADDR_GEN_MODE)
	if !ok || len(m) < 1 {
		return
	}
	switch m[0] {
	case 0:
		j.str("inet6_addr_gen_mode", "eui64")
	case 1:
		j.str("inet6_addr_gen_mode", "none")
	case 2:
		j.str("inet6_addr_gen_mode", "stable_secret")
	case 3:
		j.str("inet6_addr_gen_mode", "random")
	default:
		const hexDigits = "0123456789abcdef"
		j.str("inet6_addr_gen_mode", string([]byte{'0', 'x', hexDigits[m[0]>>4], hexDigits[m[0]&15]}))
	}
}

// nestedAttr returns the payload of the first attribute of type t in b.
func nestedAttr(b []byte, t uint16) ([]byte, bool) {
	ad, err := nl.NewAttributeDecoder(b)
	if err != nil {
		return nil, false
	}
	for ad.Next() {
		if ad.Type() == t {
			return ad.Bytes(), true
		}
	}
	return nil, false
}

// attrTable is ip's parse_rtattr result: payloads by attribute type.
type attrTable [64][]byte

func (t *attrTable) parse(b []byte) {
	ad, err := nl.NewAttributeDecoder(b)
	if err != nil {
		return
	}
	for ad.Next() {
		if typ := ad.Type(); int(typ) < len(t) {
			t[typ] = ad.Bytes()
		}
	}
}

func (t *attrTable) fromAttrs(attrs []netlink.Attribute) {
	for _, a := range attrs {
		if typ := a.Type &^ (unix.NLA_F_NESTED | unix.NLA_F_NET_BYTEORDER); int(typ) < len(t) {
			t[typ] = a.Data
		}
	}
}

func (t *attrTable) has(typ uint16) bool { return t[typ] != nil }

func (t *attrTable) u8(typ uint16) uint64 {
	if b := t[typ]; len(b) >= 1 {
		return uint64(b[0])
	}
	return 0
}

func (t *attrTable) u16(typ uint16) uint64 {
	if b := t[typ]; len(b) >= 2 {
		return uint64(binary.NativeEndian.Uint16(b))
	}
	return 0
}

func (t *attrTable) u32(typ uint16) uint64 {
	if b := t[typ]; len(b) >= 4 {
		return uint64(binary.NativeEndian.Uint32(b))
	}
	return 0
}

func (t *attrTable) u64(typ uint16) uint64 {
	if b := t[typ]; len(b) >= 8 {
		return binary.NativeEndian.Uint64(b)
	}
	return 0
}

func putU8(v uint8) []byte   { return []byte{v} }
func putU16(v uint16) []byte { return binary.NativeEndian.AppendUint16(nil, v) }
func putU32(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }

// writeLinkInfo is print_linktype: "linkinfo" with the kind, its data and
// the port data of its master's kind.
func writeLinkInfo(j *jsonOut, info *netlink.LinkInfo, names *linkNames) {
	j.openObject("linkinfo")
	if info.InfoKind != "" {
		j.str("info_kind", info.InfoKind)
		switch {
		case info.InfoKind == "bridge" || info.InfoKind == "vxlan" || info.InfoKind == "macvlan" ||
			info.InfoKind == "macvtap" || info.InfoKind == "tun" || tunnelKinds[info.InfoKind]:
			// Kinds with an ip print_opt open info_data even without data.
			j.openObject("info_data")
			writeLinkData(j, info, names)
			j.closeObject()
		}
	}
	if info.InfoSlaveKind != "" {
		j.str("info_slave_kind", info.InfoSlaveKind)
		if info.InfoSlaveKind == "bridge" {
			j.openObject("info_slave_data")
			if info.SlaveData != nil {
				var t attrTable
				t.parse(info.SlaveData)
				writeBridgePort(j, &t, names)
			}
			j.closeObject()
		}
	}
	j.closeObject()
}

func writeLinkData(j *jsonOut, info *netlink.LinkInfo, names *linkNames) {
	var t attrTable
	switch d := info.Data.(type) {
	case *netlink.Bridge:
		t.fromAttrs(d.Unknown)
		if d.ForwardDelay != nil {
			t[unix.IFLA_BR_FORWARD_DELAY] = putU32(*d.ForwardDelay)
		}
		if d.HelloTime != nil {
			t[unix.IFLA_BR_HELLO_TIME] = putU32(*d.HelloTime)
		}
		if d.MaxAge != nil {
			t[unix.IFLA_BR_MAX_AGE] = putU32(*d.MaxAge)
		}
		if d.AgeingTime != nil {
			t[unix.IFLA_BR_AGEING_TIME] = putU32(*d.AgeingTime)
		}
		if d.StpState != nil {
			t[unix.IFLA_BR_STP_STATE] = putU32(*d.StpState)
		}
		if d.Priority != nil {
			t[unix.IFLA_BR_PRIORITY] = putU16(*d.Priority)
		}
		if d.VlanFiltering != nil {
			t[unix.IFLA_BR_VLAN_FILTERING] = putU8(uint8(boolInt(*d.VlanFiltering)))
		}
		if d.VlanProtocol != nil {
			t[unix.IFLA_BR_VLAN_PROTOCOL] = binary.BigEndian.AppendUint16(nil, *d.VlanProtocol)
		}
		if d.DefaultPVID != nil {
			t[unix.IFLA_BR_VLAN_DEFAULT_PVID] = putU16(*d.DefaultPVID)
		}
		if d.McastSnooping != nil {
			t[unix.IFLA_BR_MCAST_SNOOPING] = putU8(uint8(boolInt(*d.McastSnooping)))
		}
		writeBridge(j, &t)
	case *netlink.Vxlan:
		writeVxlan(j, d, names)
	case *netlink.Macvlan:
		t.fromAttrs(d.Unknown)
		t[unix.IFLA_MACVLAN_MODE] = putU32(uint32(d.Mode))
		t[unix.IFLA_MACVLAN_FLAGS] = putU16(d.Flags)
		writeMacvlan(j, &t)
	case *netlink.Tuntap:
		writeTuntap(j, d)
	case *netlink.Gre, *netlink.IPTun, *netlink.Vti, *netlink.Geneve:
		writeTunnelData(j, d, names)
	case *netlink.RawLinkData:
		if info.InfoKind == "macvtap" {
			t.parse(d.Data)
			writeMacvlan(j, &t)
		}
	}
}

// writeTimer is _bridge_print_timer: jiffies (USER_HZ) as "%i.%.2i".
func writeTimer(j *jsonOut, key string, jiffies uint64) {
	usec := jiffies * 10000
	sec, frac := usec/1000000, (usec%1000000)/10000
	b := strconv.AppendInt(nil, int64(int32(sec)), 10)
	b = append(b, '.', byte('0'+frac/10), byte('0'+frac%10))
	j.raw(key, b)
}

// bridgeID is br_dump_bridge_id: priority bytes in hex, then the address
// as ether_ntoa prints it (no leading zeros).
func bridgeID(b []byte) string {
	if len(b) < 8 {
		return ""
	}
	const hexDigits = "0123456789abcdef"
	out := []byte{hexDigits[b[0]>>4], hexDigits[b[0]&15], hexDigits[b[1]>>4], hexDigits[b[1]&15], '.'}
	for i, c := range b[2:8] {
		if i > 0 {
			out = append(out, ':')
		}
		out = strconv.AppendUint(out, uint64(c), 16)
	}
	return string(out)
}

// writeBridge is bridge_print_opt.
func writeBridge(j *jsonOut, t *attrTable) {
	u32 := func(typ uint16, key string) {
		if t.has(typ) {
			j.uint(key, t.u32(typ))
		}
	}
	u16 := func(typ uint16, key string) {
		if t.has(typ) {
			j.uint(key, t.u16(typ))
		}
	}
	u8 := func(typ uint16, key string) {
		if t.has(typ) {
			j.uint(key, t.u8(typ))
		}
	}
	u64 := func(typ uint16, key string) {
		if t.has(typ) {
			j.uint(key, t.u64(typ))
		}
	}
	timer := func(typ uint16, key string) {
		if t.has(typ) {
			writeTimer(j, key, t.u64(typ))
		}
	}
	u32(unix.IFLA_BR_FORWARD_DELAY, "forward_delay")
	u32(unix.IFLA_BR_HELLO_TIME, "hello_time")
	u32(unix.IFLA_BR_MAX_AGE, "max_age")
	u32(unix.IFLA_BR_AGEING_TIME, "ageing_time")
	u32(unix.IFLA_BR_STP_STATE, "stp_state")
	u16(unix.IFLA_BR_PRIORITY, "priority")
	u8(unix.IFLA_BR_VLAN_FILTERING, "vlan_filtering")
	if b := t[unix.IFLA_BR_VLAN_PROTOCOL]; len(b) >= 2 {
		j.str("vlan_protocol", llProtoName(binary.BigEndian.Uint16(b)))
	}
	if t.has(unix.IFLA_BR_BRIDGE_ID) {
		j.str("bridge_id", bridgeID(t[unix.IFLA_BR_BRIDGE_ID]))
	}
	if t.has(unix.IFLA_BR_ROOT_ID) {
		// ip 6.1 prints the bridge id here (a bug kept for equality).
		j.str("root_id", bridgeID(t[unix.IFLA_BR_BRIDGE_ID]))
	}
	u16(unix.IFLA_BR_ROOT_PORT, "root_port")
	u32(unix.IFLA_BR_ROOT_PATH_COST, "root_path_cost")
	u8(unix.IFLA_BR_TOPOLOGY_CHANGE, "topology_change")
	u8(unix.IFLA_BR_TOPOLOGY_CHANGE_DETECTED, "topology_change_detected")
	timer(unix.IFLA_BR_HELLO_TIMER, "hello_timer")
	timer(unix.IFLA_BR_TCN_TIMER, "tcn_timer")
	timer(unix.IFLA_BR_TOPOLOGY_CHANGE_TIMER, "topology_change_timer")
	timer(unix.IFLA_BR_GC_TIMER, "gc_timer")
	u16(unix.IFLA_BR_VLAN_DEFAULT_PVID, "vlan_default_pvid")
	u8(unix.IFLA_BR_VLAN_STATS_ENABLED, "vlan_stats_enabled")
	u8(unix.IFLA_BR_VLAN_STATS_PER_PORT, "vlan_stats_per_port")
	if t.has(unix.IFLA_BR_GROUP_FWD_MASK) {
		j.hex("group_fwd_mask", t.u16(unix.IFLA_BR_GROUP_FWD_MASK))
	}
	if b := t[unix.IFLA_BR_GROUP_ADDR]; b != nil {
		j.str("group_addr", net.HardwareAddr(b).String())
	}
	u8(unix.IFLA_BR_MCAST_SNOOPING, "mcast_snooping")
	if b := t[unix.IFLA_BR_MULTI_BOOLOPT]; len(b) >= 8 {
		val, mask := binary.NativeEndian.Uint32(b), binary.NativeEndian.Uint32(b[4:])
		const noLLLearn, mcastVlanSnooping = 1 << 0, 1 << 1 // BR_BOOLOPT_*
		if mask&noLLLearn != 0 {
			j.uint("no_linklocal_learn", uint64(boolInt(val&noLLLearn != 0)))
		}
		if mask&mcastVlanSnooping != 0 {
			j.uint("mcast_vlan_snooping", uint64(boolInt(val&mcastVlanSnooping != 0)))
		}
	}
	u8(unix.IFLA_BR_MCAST_ROUTER, "mcast_router")
	u8(unix.IFLA_BR_MCAST_QUERY_USE_IFADDR, "mcast_query_use_ifaddr")
	u8(unix.IFLA_BR_MCAST_QUERIER, "mcast_querier")
	u32(unix.IFLA_BR_MCAST_HASH_ELASTICITY, "mcast_hash_elasticity")
	u32(unix.IFLA_BR_MCAST_HASH_MAX, "mcast_hash_max")
	u32(unix.IFLA_BR_MCAST_LAST_MEMBER_CNT, "mcast_last_member_cnt")
	u32(unix.IFLA_BR_MCAST_STARTUP_QUERY_CNT, "mcast_startup_query_cnt")
	u64(unix.IFLA_BR_MCAST_LAST_MEMBER_INTVL, "mcast_last_member_intvl")
	u64(unix.IFLA_BR_MCAST_MEMBERSHIP_INTVL, "mcast_membership_intvl")
	u64(unix.IFLA_BR_MCAST_QUERIER_INTVL, "mcast_querier_intvl")
	u64(unix.IFLA_BR_MCAST_QUERY_INTVL, "mcast_query_intvl")
	u64(unix.IFLA_BR_MCAST_QUERY_RESPONSE_INTVL, "mcast_query_response_intvl")
	u64(unix.IFLA_BR_MCAST_STARTUP_QUERY_INTVL, "mcast_startup_query_intvl")
	u8(unix.IFLA_BR_MCAST_STATS_ENABLED, "mcast_stats_enabled")
	u8(unix.IFLA_BR_MCAST_IGMP_VERSION, "mcast_igmp_version")
	u8(unix.IFLA_BR_MCAST_MLD_VERSION, "mcast_mld_version")
	u8(unix.IFLA_BR_NF_CALL_IPTABLES, "nf_call_iptables")
	u8(unix.IFLA_BR_NF_CALL_IP6TABLES, "nf_call_ip6tables")
	u8(unix.IFLA_BR_NF_CALL_ARPTABLES, "nf_call_arptables")
}

// llProtoName is ll_proto_n2a for the protocols a bridge can use.
func llProtoName(p uint16) string {
	switch p {
	case unix.ETH_P_8021Q:
		return "802.1Q"
	case unix.ETH_P_8021AD:
		return "802.1ad"
	}
	return "0x" + strconv.FormatUint(uint64(p), 16)
}

var bridgePortStates = [...]string{"disabled", "listening", "learning", "forwarding", "blocking"}

// writeBridgePort is bridge_slave_print_opt.
func writeBridgePort(j *jsonOut, t *attrTable, names *linkNames) {
	onOff := func(typ uint16, key string) {
		if t.has(typ) {
			j.boolean(key, t.u8(typ) != 0)
		}
	}
	timer := func(typ uint16, key string) {
		if t.has(typ) {
			writeTimer(j, key, t.u64(typ))
		}
	}
	if t.has(unix.IFLA_BRPORT_STATE) {
		if s := t.u8(unix.IFLA_BRPORT_STATE); s < uint64(len(bridgePortStates)) {
			j.str("state", bridgePortStates[s])
		} else {
			j.int("state_index", int64(s))
		}
	}
	if t.has(unix.IFLA_BRPORT_PRIORITY) {
		j.int("priority", int64(t.u16(unix.IFLA_BRPORT_PRIORITY)))
	}
	if t.has(unix.IFLA_BRPORT_COST) {
		j.int("cost", int64(int32(t.u32(unix.IFLA_BRPORT_COST))))
	}
	onOff(unix.IFLA_BRPORT_MODE, "hairpin")
	onOff(unix.IFLA_BRPORT_GUARD, "guard")
	onOff(unix.IFLA_BRPORT_PROTECT, "root_block")
	onOff(unix.IFLA_BRPORT_FAST_LEAVE, "fastleave")
	onOff(unix.IFLA_BRPORT_LEARNING, "learning")
	onOff(unix.IFLA_BRPORT_UNICAST_FLOOD, "flood")
	if t.has(unix.IFLA_BRPORT_ID) {
		j.hex("id", t.u16(unix.IFLA_BRPORT_ID))
	}
	if t.has(unix.IFLA_BRPORT_NO) {
		j.hex("no", t.u16(unix.IFLA_BRPORT_NO))
	}
	if t.has(unix.IFLA_BRPORT_DESIGNATED_PORT) {
		j.uint("designated_port", t.u16(unix.IFLA_BRPORT_DESIGNATED_PORT))
	}
	if t.has(unix.IFLA_BRPORT_DESIGNATED_COST) {
		// ip reads this 32-bit attribute as 16 bits.
		j.uint("designated_cost", t.u16(unix.IFLA_BRPORT_DESIGNATED_COST))
	}
	if t.has(unix.IFLA_BRPORT_BRIDGE_ID) {
		j.str("bridge_id", bridgeID(t[unix.IFLA_BRPORT_BRIDGE_ID]))
	}
	if t.has(unix.IFLA_BRPORT_ROOT_ID) {
		j.str("root_id", bridgeID(t[unix.IFLA_BRPORT_ROOT_ID]))
	}
	timer(unix.IFLA_BRPORT_HOLD_TIMER, "hold_timer")
	timer(unix.IFLA_BRPORT_MESSAGE_AGE_TIMER, "message_age_timer")
	timer(unix.IFLA_BRPORT_FORWARD_DELAY_TIMER, "forward_delay_timer")
	if t.has(unix.IFLA_BRPORT_TOPOLOGY_CHANGE_ACK) {
		j.uint("topology_change_ack", t.u8(unix.IFLA_BRPORT_TOPOLOGY_CHANGE_ACK))
	}
	if t.has(unix.IFLA_BRPORT_CONFIG_PENDING) {
		j.uint("config_pending", t.u8(unix.IFLA_BRPORT_CONFIG_PENDING))
	}
	onOff(unix.IFLA_BRPORT_PROXYARP, "proxy_arp")
	onOff(unix.IFLA_BRPORT_PROXYARP_WIFI, "proxy_arp_wifi")
	if t.has(unix.IFLA_BRPORT_MULTICAST_ROUTER) {
		j.uint("multicast_router", t.u8(unix.IFLA_BRPORT_MULTICAST_ROUTER))
	}
	onOff(unix.IFLA_BRPORT_MCAST_FLOOD, "mcast_flood")
	onOff(unix.IFLA_BRPORT_BCAST_FLOOD, "bcast_flood")
	onOff(unix.IFLA_BRPORT_MCAST_TO_UCAST, "mcast_to_unicast")
	onOff(unix.IFLA_BRPORT_NEIGH_SUPPRESS, "neigh_suppress")
	if t.has(unix.IFLA_BRPORT_GROUP_FWD_MASK) {
		m := t.u16(unix.IFLA_BRPORT_GROUP_FWD_MASK)
		j.hex("group_fwd_mask", m)
		j.str("group_fwd_mask_str", fwdMaskString(uint16(m)))
	}
	onOff(unix.IFLA_BRPORT_VLAN_TUNNEL, "vlan_tunnel")
	onOff(unix.IFLA_BRPORT_ISOLATED, "isolated")
	onOff(unix.IFLA_BRPORT_LOCKED, "locked")
	if t.has(unix.IFLA_BRPORT_BACKUP_PORT) {
		j.str("backup_port", names.name(int(t.u32(unix.IFLA_BRPORT_BACKUP_PORT))))
	}
}

// fwdMaskString is _bitmask2str with ip's fwd_mask_tbl.
func fwdMaskString(m uint16) string {
	var b []byte
	for i := 0; m != 0; i, m = i+1, m>>1 {
		if m&1 == 0 {
			continue
		}
		if len(b) > 0 {
			b = append(b, ',')
		}
		switch i {
		case 0:
			b = append(b, "stp"...)
		case 2:
			b = append(b, "lacp"...)
		case 14:
			b = append(b, "lldp"...)
		default:
			b = append(b, "0x"...)
			b = strconv.AppendUint(b, 1<<i, 16)
		}
	}
	if len(b) == 0 {
		return "0x0"
	}
	return string(b)
}

// writeVxlan is vxlan_print_opt.
func writeVxlan(j *jsonOut, d *netlink.Vxlan, names *linkNames) {
	var t attrTable
	t.fromAttrs(d.Unknown)
	if t.u8(unix.IFLA_VXLAN_COLLECT_METADATA) != 0 {
		j.boolean("external", true)
	}
	if t.u8(unix.IFLA_VXLAN_VNIFILTER) != 0 {
		j.boolean("vnifilter", true)
	}
	j.uint("id", uint64(d.ID))
	if g := d.Group; g.IsValid() && !g.IsUnspecified() {
		key := "remote"
		if g.IsMulticast() {
			key = "group"
		}
		if g.Is6() {
			key += "6"
		}
		j.str(key, g.String())
	}
	if a := d.Local; a.IsValid() && !a.IsUnspecified() {
		if a.Is6() {
			j.str("local6", a.String())
		} else {
			j.str("local", a.String())
		}
	}
	if d.Link != 0 {
		j.str("link", names.name(d.Link))
	}
	if b := t[unix.IFLA_VXLAN_PORT_RANGE]; len(b) >= 4 {
		j.openObject("port_range")
		j.uint("low", uint64(binary.BigEndian.Uint16(b)))
		j.uint("high", uint64(binary.BigEndian.Uint16(b[2:])))
		j.closeObject()
	}
	j.uint("port", uint64(d.Port))
	if d.Learning != nil {
		j.boolean("learning", *d.Learning)
	}
	if d.Proxy {
		j.boolean("proxy", true)
	}
	if d.RSC {
		j.boolean("rsc", true)
	}
	if d.L2Miss {
		j.boolean("l2miss", true)
	}
	if d.L3Miss {
		j.boolean("l3miss", true)
	}
	if d.TOS != 0 {
		j.hex("tos", uint64(d.TOS))
	}
	if t.u8(unix.IFLA_VXLAN_TTL_INHERIT) == 0 {
		j.uint("ttl", uint64(d.TTL))
	}
	if t.has(unix.IFLA_VXLAN_DF) {
		switch t.u8(unix.IFLA_VXLAN_DF) {
		case 0:
			j.str("df", "unset")
		case 1:
			j.str("df", "set")
		case 2:
			j.str("df", "inherit")
		}
	}
	if b := t[unix.IFLA_VXLAN_LABEL]; len(b) >= 4 {
		if l := binary.BigEndian.Uint32(b); l != 0 {
			j.hex("label", uint64(l))
		}
	}
	if d.Ageing != nil {
		j.uint("ageing", uint64(*d.Ageing))
	}
	if d.Limit != 0 {
		j.uint("limit", uint64(d.Limit))
	}
	if d.UDPCsum != nil {
		j.boolean("udp_csum", *d.UDPCsum)
	}
	j.boolean("udp_zero_csum6_tx", d.UDPZeroCsum6Tx)
	j.boolean("udp_zero_csum6_rx", d.UDPZeroCsum6Rx)
	if t.u8(unix.IFLA_VXLAN_REMCSUM_TX) != 0 {
		j.boolean("remcsum_tx", true)
	}
	if t.u8(unix.IFLA_VXLAN_REMCSUM_RX) != 0 {
		j.boolean("remcsum_rx", true)
	}
	if t.has(unix.IFLA_VXLAN_GBP) {
		j.boolean("gbp", true)
	}
	if t.has(unix.IFLA_VXLAN_GPE) {
		j.boolean("gpe", true)
	}
}

// writeMacvlan is macvlan_print_opt (macvlan and macvtap).
func writeMacvlan(j *jsonOut, t *attrTable) {
	if len(t[unix.IFLA_MACVLAN_MODE]) < 4 {
		return
	}
	mode := t.u32(unix.IFLA_MACVLAN_MODE)
	switch mode {
	case macvlanModePrivate:
		j.str("mode", "private")
	case macvlanModeVepa:
		j.str("mode", "vepa")
	case macvlanModeBridge:
		j.str("mode", "bridge")
	case macvlanModePassthru:
		j.str("mode", "passthru")
	case macvlanModeSource:
		j.str("mode", "source")
	default:
		j.str("mode", "unknown")
	}
	flags := t.u16(unix.IFLA_MACVLAN_FLAGS)
	if flags&1 != 0 { // MACVLAN_FLAG_NOPROMISC
		j.boolean("nopromisc", true)
	}
	if flags&2 != 0 { // MACVLAN_FLAG_NODST
		j.boolean("nodst", true)
	}
	if len(t[unix.IFLA_MACVLAN_BC_QUEUE_LEN]) >= 4 {
		j.uint("bcqueuelen", t.u32(unix.IFLA_MACVLAN_BC_QUEUE_LEN))
	}
	if len(t[unix.IFLA_MACVLAN_BC_QUEUE_LEN_USED]) >= 4 {
		j.uint("usedbcqueuelen", t.u32(unix.IFLA_MACVLAN_BC_QUEUE_LEN_USED))
	}
	if mode != macvlanModeSource || len(t[unix.IFLA_MACVLAN_MACADDR_COUNT]) < 4 {
		return
	}
	j.int("macaddr_count", int64(int32(t.u32(unix.IFLA_MACVLAN_MACADDR_COUNT))))
	data := t[unix.IFLA_MACVLAN_MACADDR_DATA]
	if data == nil {
		return
	}
	j.openArray("macaddr_data")
	if ad, err := nl.NewAttributeDecoder(data); err == nil {
		for ad.Next() {
			if b := ad.Bytes(); ad.Type() == unix.IFLA_MACVLAN_MACADDR && len(b) >= 6 {
				j.str("", net.HardwareAddr(b[:6]).String())
			}
		}
	}
	j.closeArray()
}

// writeTuntap is tun_print_opt.
func writeTuntap(j *jsonOut, d *netlink.Tuntap) {
	switch d.Type {
	case netlink.TuntapType(unix.IFF_TUN):
		j.str("type", "tun")
	case netlink.TuntapType(unix.IFF_TAP):
		j.str("type", "tap")
	default:
		j.str("type", "UNKNOWN:"+strconv.Itoa(int(d.Type)))
	}
	j.boolean("pi", d.PI)
	j.boolean("vnet_hdr", d.VnetHdr)
	j.boolean("multi_queue", d.MultiQueue)
	if d.MultiQueue {
		j.uint("numqueues", uint64(d.NumQueues))
		j.uint("numdisabled", uint64(d.NumDisabledQueues))
	}
	j.boolean("persist", d.Persist)
	if d.Owner != nil {
		if n := ipNames().userName(*d.Owner); n != "" {
			j.str("user", n)
		} else {
			j.uint("user", uint64(*d.Owner))
		}
	}
	if d.Group != nil {
		if n := ipNames().userGroupName(*d.Group); n != "" {
			j.str("group", n)
		} else {
			j.uint("group", uint64(*d.Group))
		}
	}
}

// hwAddr formats a link-layer address as ip's ll_addr_n2a does: an IP
// address for IP tunnels, colon-separated hex otherwise.
func hwAddr(t uint16, a net.HardwareAddr) string {
	switch {
	case len(a) == 4 && (t == unix.ARPHRD_TUNNEL || t == unix.ARPHRD_SIT || t == unix.ARPHRD_IPGRE),
		len(a) == 16 && (t == unix.ARPHRD_TUNNEL6 || t == unix.ARPHRD_IP6GRE):
		ip, _ := netip.AddrFromSlice(a)
		return ip.String()
	case len(a) == 0:
		return "00"
	}
	return a.String()
}

// MACVLAN_MODE_* of linux/if_link.h.
const (
	macvlanModePrivate  = 1
	macvlanModeVepa     = 2
	macvlanModeBridge   = 4
	macvlanModePassthru = 8
	macvlanModeSource   = 16
)
