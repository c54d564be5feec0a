package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// This file renders cached objects as the JSON `ip -j` prints, with ip's
// field names, value formats and key order, so that a user can diff the two.

// object is a JSON object that keeps its keys in insertion order, as ip
// prints them.
type object []field

type field struct {
	key   string
	value any
}

// set appends a key.
func (o *object) set(key string, value any) { *o = append(*o, field{key, value}) }

// get returns the value of key, or nil.
func (o object) get(key string) any {
	for _, f := range o {
		if f.key == key {
			return f.value
		}
	}
	return nil
}

// MarshalJSON writes the keys in order.
func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.key)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(f.value)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// names resolves interface indexes to names, as ip does ("if%d" when the
// index is unknown).
type names func(index int) string

func snapshotNames(s *ipdb.Snapshot) names {
	return func(index int) string {
		if l, err := s.LinkByIndex(index); err == nil {
			return l.Name
		}
		return "if" + strconv.Itoa(index)
	}
}

// linkTypeNames are ip's names of the ARPHRD_* link types (ll_types.c).
var linkTypeNames = map[uint16]string{
	unix.ARPHRD_NETROM: "netrom", unix.ARPHRD_ETHER: "ether", unix.ARPHRD_EETHER: "eether",
	unix.ARPHRD_AX25: "ax25", unix.ARPHRD_IEEE802: "ieee802", unix.ARPHRD_ARCNET: "arcnet",
	unix.ARPHRD_DLCI: "dlci", unix.ARPHRD_ATM: "atm", unix.ARPHRD_IEEE1394: "ieee1394",
	unix.ARPHRD_INFINIBAND: "infiniband", unix.ARPHRD_SLIP: "slip", unix.ARPHRD_PPP: "ppp",
	unix.ARPHRD_CISCO: "cisco", unix.ARPHRD_LAPB: "lapb", unix.ARPHRD_RAWHDLC: "rawhdlc",
	unix.ARPHRD_TUNNEL: "ipip", unix.ARPHRD_TUNNEL6: "tunnel6", unix.ARPHRD_FRAD: "frad",
	unix.ARPHRD_LOOPBACK: "loopback", unix.ARPHRD_FDDI: "fddi", unix.ARPHRD_SIT: "sit",
	unix.ARPHRD_IPGRE: "gre", unix.ARPHRD_PIMREG: "pimreg", unix.ARPHRD_IEEE80211: "ieee802.11",
	unix.ARPHRD_IEEE80211_RADIOTAP: "ieee802.11/radiotap", unix.ARPHRD_IEEE802154: "ieee802.15.4",
	unix.ARPHRD_CAN: "can", unix.ARPHRD_IP6GRE: "gre6", unix.ARPHRD_NETLINK: "netlink",
	unix.ARPHRD_6LOWPAN: "6lowpan", unix.ARPHRD_NONE: "none", unix.ARPHRD_VOID: "void",
}

func linkTypeName(t uint16) string {
	if n, ok := linkTypeNames[t]; ok {
		return n
	}
	return "[" + strconv.Itoa(int(t)) + "]"
}

// hwAddr formats a link-layer address as ip does: colon-separated hex, or
// an IP address for IP tunnels.
func hwAddr(t uint16, a net.HardwareAddr) string {
	switch t {
	case unix.ARPHRD_TUNNEL, unix.ARPHRD_SIT, unix.ARPHRD_IPGRE, unix.ARPHRD_TUNNEL6, unix.ARPHRD_IP6GRE:
		if ip, ok := netip.AddrFromSlice(a); ok {
			return ip.String()
		}
	}
	return a.String()
}

var linkModeNames = []string{"DEFAULT", "DORMANT", "TESTING"}

// linkHeader renders the fields `ip -j link` and `ip -j addr` share;
// withMode adds linkmode, which only `ip link` prints.
func linkHeader(l *netlink.Link, name names, withMode bool) object {
	var o object
	o.set("ifindex", l.Index)
	if l.ParentIndex != 0 {
		if l.LinkNetNSID == nil {
			o.set("link", name(l.ParentIndex))
		} else {
			o.set("link_index", l.ParentIndex)
		}
	}
	o.set("ifname", l.Name)
	flags := netlink.LinkFlagNames(l.Flags)
	if flags == nil {
		flags = []string{}
	}
	o.set("flags", flags)
	o.set("mtu", l.MTU)
	if l.Qdisc != "" {
		o.set("qdisc", l.Qdisc)
	}
	if l.Master != 0 {
		o.set("master", name(l.Master))
	}
	o.set("operstate", l.OperState.String())
	if withMode {
		if int(l.LinkMode) < len(linkModeNames) {
			o.set("linkmode", linkModeNames[l.LinkMode])
		} else {
			o.set("linkmode", strconv.Itoa(int(l.LinkMode)))
		}
	}
	if l.Group == 0 {
		o.set("group", "default")
	} else {
		o.set("group", strconv.FormatUint(uint64(l.Group), 10))
	}
	o.set("txqlen", l.TxQueueLen)
	o.set("link_type", linkTypeName(l.Type))
	if len(l.Address) > 0 {
		o.set("address", hwAddr(l.Type, l.Address))
	}
	if len(l.PermAddress) > 0 && !bytes.Equal(l.PermAddress, l.Address) {
		o.set("permaddr", hwAddr(l.Type, l.PermAddress))
	}
	if len(l.Broadcast) > 0 {
		o.set("broadcast", hwAddr(l.Type, l.Broadcast))
	}
	if l.LinkNetNSID != nil {
		o.set("link_netnsid", *l.LinkNetNSID)
	}
	return o
}

// linkJSON renders a link as `ip -j -d link` does, limited to the
// identity, state and kind of the link (not ip's statistics and limits).
func linkJSON(l *netlink.Link, name names) object {
	o := linkHeader(l, name, true)
	if l.Info != nil && (l.Info.Kind != "" || l.Info.SlaveKind != "") {
		var info object
		if l.Info.Kind != "" {
			info.set("info_kind", l.Info.Kind)
		}
		if d := linkDataJSON(l.Info.Data, name); d != nil {
			info.set("info_data", d)
		}
		if l.Info.SlaveKind != "" {
			info.set("info_slave_kind", l.Info.SlaveKind)
		}
		o.set("linkinfo", info)
	}
	if l.Alias != "" {
		o.set("ifalias", l.Alias)
	}
	if len(l.AltNames) > 0 {
		o.set("altnames", l.AltNames)
	}
	return o
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// linkDataJSON renders the kind data ip prints under info_data, for the
// settings the library decodes, with ip's names.
func linkDataJSON(d netlink.LinkData, name names) object {
	var o object
	switch d := d.(type) {
	case *netlink.Bridge:
		if d.ForwardDelay != nil {
			o.set("forward_delay", *d.ForwardDelay)
		}
		if d.HelloTime != nil {
			o.set("hello_time", *d.HelloTime)
		}
		if d.MaxAge != nil {
			o.set("max_age", *d.MaxAge)
		}
		if d.AgeingTime != nil {
			o.set("ageing_time", *d.AgeingTime)
		}
		if d.StpState != nil {
			o.set("stp_state", *d.StpState)
		}
		if d.Priority != nil {
			o.set("priority", *d.Priority)
		}
		if d.VlanFiltering != nil {
			o.set("vlan_filtering", boolInt(*d.VlanFiltering))
		}
		if d.McastSnooping != nil {
			o.set("mcast_snooping", boolInt(*d.McastSnooping))
		}
	case *netlink.Vxlan:
		o.set("id", d.ID)
		if d.Group.IsValid() {
			if d.Group.IsMulticast() {
				o.set("group", d.Group.String())
			} else {
				o.set("remote", d.Group.String())
			}
		}
		if d.Local.IsValid() {
			o.set("local", d.Local.String())
		}
		if d.Link != 0 {
			o.set("link", name(d.Link))
		}
		o.set("port", d.Port)
		if d.Learning != nil {
			o.set("learning", *d.Learning)
		}
		if d.Ageing != nil {
			o.set("ageing", *d.Ageing)
		}
		if d.UDPCsum != nil {
			o.set("udp_csum", *d.UDPCsum)
		}
	case *netlink.Macvlan:
		o.set("mode", d.Mode.String())
	case *netlink.Vlan:
		switch d.Protocol {
		case unix.ETH_P_8021AD:
			o.set("protocol", "802.1ad")
		default:
			o.set("protocol", "802.1Q")
		}
		o.set("id", d.ID)
	case *netlink.Vrf:
		o.set("table", d.Table)
	case *netlink.Tuntap:
		o.set("type", d.Type.String())
		o.set("pi", d.PI)
		o.set("vnet_hdr", d.VnetHdr)
		o.set("multi_queue", d.MultiQueue)
		o.set("persist", d.Persist)
	case *netlink.Bond:
		if d.Mode != nil {
			o.set("mode", d.Mode.String())
		}
		if d.MIIMon != nil {
			o.set("miimon", *d.MIIMon)
		}
	}
	if len(o) == 0 {
		return nil
	}
	return o
}

func familyName(f uint8) string {
	switch f {
	case unix.AF_INET:
		return "inet"
	case unix.AF_INET6:
		return "inet6"
	case unix.AF_BRIDGE:
		return "bridge"
	case unix.AF_MPLS:
		return "mpls"
	}
	return strconv.Itoa(int(f))
}

// addrInfoJSON renders one entry of ip's addr_info.
func addrInfoJSON(a *netlink.Addr) object {
	var o object
	o.set("family", familyName(a.Family))
	o.set("local", a.Prefix.Addr().String())
	if a.Peer.IsValid() {
		o.set("address", a.Peer.String())
	}
	o.set("prefixlen", a.Prefix.Bits())
	if a.Broadcast.IsValid() {
		o.set("broadcast", a.Broadcast.String())
	}
	if a.Anycast.IsValid() {
		o.set("anycast", a.Anycast.String())
	}
	o.set("scope", netlink.AddrScopeName(a.Scope))
	if a.Flags&unix.IFA_F_PERMANENT == 0 {
		o.set("dynamic", true)
	}
	for _, n := range netlink.AddrFlagNames(a.Family, a.Flags) {
		if n != "permanent" {
			o.set(n, true)
		}
	}
	if a.Label != "" && a.Family == unix.AF_INET {
		o.set("label", a.Label)
	}
	if a.Metric != 0 {
		o.set("metric", a.Metric)
	}
	o.set("valid_life_time", a.ValidLifetime)
	o.set("preferred_life_time", a.PreferredLifetime)
	return o
}

// addrsJSON renders the addresses grouped per link, as `ip -j addr` does:
// each link's header with an addr_info list (empty for links without
// addresses).
func addrsJSON(s *ipdb.Snapshot) []object {
	name := snapshotNames(s)
	out := []object{}
	for l := range s.Links() {
		o := linkHeader(l, name, false)
		infos := []object{}
		for a := range s.AddrsOf(l.Index) {
			infos = append(infos, addrInfoJSON(a))
		}
		o.set("addr_info", infos)
		out = append(out, o)
	}
	return out
}

func linksJSON(s *ipdb.Snapshot) []object {
	name := snapshotNames(s)
	out := []object{}
	for l := range s.Links() {
		out = append(out, linkJSON(l, name))
	}
	return out
}

// prefixString prints a destination as ip does: "default" for /0, the bare
// address for a host prefix.
func prefixString(p netip.Prefix) string {
	if !p.IsValid() {
		return "default"
	}
	if p.Bits() == 0 {
		return "default"
	}
	if p.Bits() == p.Addr().BitLen() {
		return p.Addr().String()
	}
	return p.String()
}

var routeFlagNames = []struct {
	bit  uint32
	name string
}{
	{unix.RTNH_F_DEAD, "dead"},
	{unix.RTNH_F_ONLINK, "onlink"},
	{unix.RTNH_F_PERVASIVE, "pervasive"},
	{unix.RTNH_F_OFFLOAD, "offload"},
	{unix.RTM_F_NOTIFY, "notify"},
	{unix.RTNH_F_LINKDOWN, "linkdown"},
	{unix.RTNH_F_UNRESOLVED, "unresolved"},
	{unix.RTM_F_OFFLOAD, "rt_offload"},
	{unix.RTM_F_TRAP, "rt_trap"},
	{unix.RTM_F_OFFLOAD_FAILED, "rt_offload_failed"},
}

func routeFlags(f uint32) []string {
	out := []string{}
	for _, n := range routeFlagNames {
		if f&n.bit != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

func tableName(t uint32) string {
	return netlink.TableName(t)
}

func gatewayFields(o *object, family uint8, gw netip.Addr) {
	if !gw.IsValid() {
		return
	}
	if (family == unix.AF_INET) != gw.Is4() {
		var via object
		via.set("family", familyName(addrFamily(gw)))
		via.set("host", gw.String())
		o.set("via", via)
		return
	}
	o.set("gateway", gw.String())
}

func addrFamily(a netip.Addr) uint8 {
	if a.Is4() {
		return unix.AF_INET
	}
	return unix.AF_INET6
}

var prefNames = map[uint8]string{netlink.PrefMedium: "medium", netlink.PrefHigh: "high", netlink.PrefLow: "low"}

// routeJSON renders a route as `ip -j route show table all` does (the main
// table is the one without a "table" key).
func routeJSON(r *netlink.Route, name names) object {
	var o object
	if r.Type != netlink.RouteUnicast {
		o.set("type", r.Type.String())
	}
	o.set("dst", prefixString(r.Dst))
	if r.Extra != nil && r.Extra.Src.IsValid() && r.Extra.Src.Bits() > 0 {
		o.set("from", prefixString(r.Extra.Src))
	}
	if r.Extra != nil && r.Extra.NHID != 0 {
		o.set("nhid", r.Extra.NHID)
	}
	gatewayFields(&o, r.Family, r.Gateway)
	if r.OIF != 0 {
		o.set("dev", name(int(r.OIF)))
	}
	if r.Table != unix.RT_TABLE_MAIN {
		o.set("table", tableName(r.Table))
	}
	if r.Protocol != netlink.ProtoBoot {
		o.set("protocol", r.Protocol.String())
	}
	if r.Scope != netlink.ScopeUniverse {
		o.set("scope", r.Scope.String())
	}
	if r.PrefSrc.IsValid() {
		o.set("prefsrc", r.PrefSrc.String())
	}
	if r.Priority != 0 || r.Family == unix.AF_INET6 {
		o.set("metric", r.Priority)
	}
	o.set("flags", routeFlags(r.Flags))
	if r.Extra != nil && r.Extra.Metrics != nil {
		if m := metricsJSON(r.Extra.Metrics); len(m) > 0 {
			o.set("metrics", []object{m})
		}
	}
	if len(r.Multipath) > 0 {
		hops := make([]object, 0, len(r.Multipath))
		for i := range r.Multipath {
			nh := &r.Multipath[i]
			var h object
			gatewayFields(&h, r.Family, nh.Gateway)
			if nh.IfIndex != 0 {
				h.set("dev", name(int(nh.IfIndex)))
			}
			h.set("weight", nh.Weight())
			h.set("flags", routeFlags(uint32(nh.Flags)))
			hops = append(hops, h)
		}
		o.set("nexthops", hops)
	}
	if r.Family == unix.AF_INET6 {
		if n, ok := prefNames[r.Pref]; ok {
			o.set("pref", n)
		}
	}
	return o
}

// metricsJSON renders RTA_METRICS as ip does; a locked metric is printed
// as ["lock", value].
func metricsJSON(m *netlink.RouteMetrics) object {
	var o object
	add := func(rtax int, v uint32) {
		if v == 0 {
			return
		}
		n := netlink.MetricName(uint16(rtax))
		if m.Lock&(1<<rtax) != 0 {
			o.set(n, []any{"lock", v})
			return
		}
		o.set(n, v)
	}
	add(unix.RTAX_MTU, m.MTU)
	add(unix.RTAX_WINDOW, m.Window)
	add(unix.RTAX_RTT, m.RTT)
	add(unix.RTAX_RTTVAR, m.RTTVar)
	add(unix.RTAX_SSTHRESH, m.SSThresh)
	add(unix.RTAX_CWND, m.CWnd)
	add(unix.RTAX_ADVMSS, m.AdvMSS)
	add(unix.RTAX_REORDERING, m.Reordering)
	add(unix.RTAX_HOPLIMIT, m.HopLimit)
	add(unix.RTAX_INITCWND, m.InitCwnd)
	add(unix.RTAX_FEATURES, m.Features)
	add(unix.RTAX_RTO_MIN, m.RTOMin)
	add(unix.RTAX_INITRWND, m.InitRwnd)
	add(unix.RTAX_QUICKACK, m.QuickAck)
	if m.CCAlgo != "" {
		o.set("congctl", m.CCAlgo)
	}
	add(unix.RTAX_FASTOPEN_NO_COOKIE, m.FastOpenNoCookie)
	return o
}

func routesJSON(s *ipdb.Snapshot) []object {
	name := snapshotNames(s)
	out := []object{}
	for r := range s.Routes() {
		if r.Family != unix.AF_INET && r.Family != unix.AF_INET6 {
			continue
		}
		out = append(out, routeJSON(r, name))
	}
	return out
}

// neighJSON renders an ARP or NDP entry as `ip -j neigh` does.
func neighJSON(n *netlink.Neigh, name names) object {
	var o object
	o.set("dst", n.Dst.String())
	o.set("dev", name(n.Index))
	if len(n.LLAddr) > 0 {
		o.set("lladdr", n.LLAddr.String())
	}
	for _, f := range netlink.NeighFlagNames(n.Flags) {
		switch f {
		case "router", "proxy", "extern_learn", "offload":
			o.set(f, nil)
		}
	}
	if n.Protocol != 0 {
		o.set("protocol", netlink.RouteProtocol(n.Protocol).String())
	}
	o.set("state", netlink.NeighStateNames(n.State))
	return o
}

// neighsJSON renders the ARP and NDP entries as `ip -j neigh show nud
// all` does: without the proxy entries, which ip lists only with `ip neigh
// show proxy` (Snapshot.Neighs has them), and without bridge forwarding
// entries (the fdb table).
func neighsJSON(s *ipdb.Snapshot) []object {
	name := snapshotNames(s)
	out := []object{}
	for n := range s.Neighs() {
		if n.Family != unix.AF_INET && n.Family != unix.AF_INET6 || n.Flags&unix.NTF_PROXY != 0 {
			continue
		}
		out = append(out, neighJSON(n, name))
	}
	return out
}

// ruleJSON renders a rule as `ip -j rule` does, plus its family.
func ruleJSON(r *netlink.Rule) object {
	var o object
	o.set("priority", r.Priority)
	// ip prints one family at a time (ip -4/-6 rule); the family is added
	// here because both are listed together.
	o.set("family", familyName(r.Family))
	if r.Flags&unix.FIB_RULE_INVERT != 0 {
		o.set("not", nil)
	}
	selector := func(key string, p netip.Prefix) {
		switch {
		case p.IsValid() && p.Bits() > 0:
			o.set(key, p.Addr().String())
			if p.Bits() != p.Addr().BitLen() {
				o.set(key+"len", p.Bits())
			}
		case key == "src":
			o.set("src", "all")
		}
	}
	selector("src", r.Src)
	selector("dst", r.Dst)
	if r.TOS != 0 {
		o.set("tos", fmt.Sprintf("%#x", r.TOS))
	}
	if r.Mark != 0 || r.Mask != 0 {
		o.set("fwmark", fmt.Sprintf("%#x", r.Mark))
		if r.Mask != 0 && r.Mask != 0xffffffff {
			o.set("fwmask", fmt.Sprintf("%#x", r.Mask))
		}
	}
	if r.IIFName != "" {
		o.set("iif", r.IIFName)
		if r.Flags&unix.FIB_RULE_IIF_DETACHED != 0 {
			o.set("iif_detached", nil)
		}
	}
	if r.OIFName != "" {
		o.set("oif", r.OIFName)
		if r.Flags&unix.FIB_RULE_OIF_DETACHED != 0 {
			o.set("oif_detached", nil)
		}
	}
	if r.L3MDev != 0 {
		o.set("l3mdev", nil)
	}
	if r.UIDRange != nil {
		o.set("uid_start", r.UIDRange.Start)
		o.set("uid_end", r.UIDRange.End)
	}
	if r.IPProto != 0 {
		o.set("ipproto", ipProtoName(r.IPProto))
	}
	ports := func(key string, pr netlink.RulePortRange) {
		if pr == (netlink.RulePortRange{}) {
			return
		}
		if pr.Start == pr.End {
			o.set(key, pr.Start)
			return
		}
		o.set(key+"_start", pr.Start)
		o.set(key+"_end", pr.End)
	}
	ports("sport", r.SPort)
	ports("dport", r.DPort)
	if r.TunID != 0 {
		o.set("tun_id", r.TunID)
	}
	if r.Table != 0 && r.Action == netlink.RuleToTable {
		o.set("table", tableName(r.Table))
		if r.SuppressPrefixLen != nil && *r.SuppressPrefixLen != 0xffffffff {
			o.set("suppress_prefixlength", *r.SuppressPrefixLen)
		}
		if r.SuppressIfGroup != nil && *r.SuppressIfGroup != 0xffffffff {
			o.set("suppress_ifgroup", strconv.FormatUint(uint64(*r.SuppressIfGroup), 10))
		}
	}
	switch r.Action {
	case netlink.RuleToTable:
	case netlink.RuleGoto:
		o.set("goto", r.Goto)
		if r.Flags&unix.FIB_RULE_UNRESOLVED != 0 {
			o.set("unresolved", nil)
		}
	default:
		o.set("action", r.Action.String())
	}
	if r.Protocol != netlink.ProtoUnspec && r.Protocol != netlink.ProtoKernel {
		o.set("protocol", r.Protocol.String())
	}
	return o
}

func ipProtoName(p uint8) string {
	switch p {
	case unix.IPPROTO_TCP:
		return "tcp"
	case unix.IPPROTO_UDP:
		return "udp"
	case unix.IPPROTO_ICMP:
		return "icmp"
	case unix.IPPROTO_ICMPV6:
		return "ipv6-icmp"
	case unix.IPPROTO_SCTP:
		return "sctp"
	}
	return strconv.Itoa(int(p))
}

func rulesJSON(s *ipdb.Snapshot) []object {
	out := []object{}
	for r := range s.Rules() {
		if r.Family != unix.AF_INET && r.Family != unix.AF_INET6 {
			continue
		}
		out = append(out, ruleJSON(r))
	}
	return out
}

// tableJSON renders one table of the snapshot by name.
func tableJSON(s *ipdb.Snapshot, table string) []object {
	switch table {
	case "links":
		return linksJSON(s)
	case "addrs":
		return addrsJSON(s)
	case "routes":
		return routesJSON(s)
	case "neigh":
		return neighsJSON(s)
	case "rules":
		return rulesJSON(s)
	case "fdb":
		return fdbsJSON(s)
	}
	return nil
}

// objectJSON renders any cached object as show does, for events.
func objectJSON(o netlink.Object, name names) object {
	switch o := o.(type) {
	case *netlink.Link:
		return linkJSON(o, name)
	case *netlink.Addr:
		out := addrInfoJSON(o)
		out = append(object{{"ifindex", o.Index}, {"ifname", name(o.Index)}}, out...)
		return out
	case *netlink.Route:
		return routeJSON(o, name)
	case *netlink.Neigh:
		return neighJSON(o, name)
	case *netlink.FDB:
		return fdbJSON(o, name)
	case *netlink.Rule:
		return ruleJSON(o)
	}
	return nil
}
