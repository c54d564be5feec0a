//go:build linux

package oracle

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os/user"
	"sort"
	"strconv"
	"strings"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// CompareLinks compares got, the links the library read from ns, with
// `ip -j -d -n NS link show` and returns a readable list of every
// difference, or nil. Links are matched by index; for each it compares
// everything ip prints that the library decodes: name, flags, mtu and its
// bounds, qdisc, master, link (the parent, or link_index and link_netnsid
// across namespaces), operstate, linkmode, group, txqlen, link_type,
// address, broadcast, permaddr, alias, altnames, promiscuity, allmulti,
// queue counts, GSO/GRO/TSO limits, info_kind, info_slave_kind and the kind
// data ip prints for bridge, vxlan, macvlan, vlan, bond, vrf and tun.
func CompareLinks(ns *nstest.NS, got []*netlink.Link) error {
	out, err := ns.IPErr("-j", "-d", "link", "show")
	if err != nil {
		return err
	}
	return CompareLinksJSON([]byte(out), got)
}

// CompareLinksJSON is CompareLinks against saved `ip -j -d link show`
// output.
func CompareLinksJSON(ipJSON []byte, got []*netlink.Link) error {
	var links []map[string]any
	if err := json.Unmarshal(ipJSON, &links); err != nil {
		return fmt.Errorf("ip -j -d link show: %v\n%s", err, ipJSON)
	}
	names := map[int]string{}
	ipByIndex := map[int]map[string]any{}
	for _, l := range links {
		idx := int(linkNum(l["ifindex"]))
		name, _ := l["ifname"].(string)
		names[idx] = name
		ipByIndex[idx] = l
	}
	var diffs []string
	seen := map[int]bool{}
	for _, l := range got {
		label := fmt.Sprintf("link %d (%s)", l.Index, l.Name)
		if seen[l.Index] {
			diffs = append(diffs, label+": listed twice by the library")
			continue
		}
		seen[l.Index] = true
		w, ok := ipByIndex[l.Index]
		if !ok {
			diffs = append(diffs, label+": only in library")
			continue
		}
		lib := linkLibFields(l, names)
		ip := linkIPFields(w)
		for _, k := range linkKeys(lib, ip) {
			if lib[k] != ip[k] {
				diffs = append(diffs, fmt.Sprintf("%s: %s: library %q, ip %q", label, k, lib[k], ip[k]))
			}
		}
	}
	for idx, name := range names {
		if !seen[idx] {
			diffs = append(diffs, fmt.Sprintf("link %d (%s): only in iproute2", idx, name))
		}
	}
	if len(diffs) > 0 {
		sort.Strings(diffs)
		return fmt.Errorf("links differ from ip:\n  %s", strings.Join(diffs, "\n  "))
	}
	return nil
}

// linkZeroKeys are numbers that ip prints when the kernel sends them; a
// missing one compares as 0, which is what the library holds then.
var linkZeroKeys = []string{
	"min_mtu", "max_mtu", "promiscuity", "allmulti", "num_tx_queues", "num_rx_queues",
	"gso_max_size", "gso_max_segs", "tso_max_size", "tso_max_segs", "gro_max_size",
}

// linkTopKeys are the top-level keys of ip's output that are compared.
var linkTopKeys = append([]string{
	"ifname", "flags", "mtu", "qdisc", "master", "link", "link_index", "link_netnsid",
	"operstate", "linkmode", "group", "txqlen", "link_type", "address", "broadcast",
	"permaddr", "ifalias", "altnames",
}, linkZeroKeys...)

// linkKindKeys are the info_data keys compared per kind.
var linkKindKeys = map[string][]string{
	"bridge": {"forward_delay", "hello_time", "max_age", "ageing_time", "stp_state", "priority",
		"vlan_filtering", "vlan_protocol", "vlan_default_pvid", "mcast_snooping"},
	"vxlan": {"id", "group", "remote", "group6", "remote6", "local", "local6", "link", "port",
		"ttl", "learning", "ageing", "limit", "proxy", "rsc", "l2miss", "l3miss", "udp_csum",
		"udp_zero_csum6_tx", "udp_zero_csum6_rx"},
	"macvlan": {"mode"},
	"vlan":    {"protocol", "id"},
	"bond":    {"mode", "miimon", "updelay", "downdelay", "min_links"},
	"vrf":     {"table"},
	"tun":     {"type", "pi", "vnet_hdr", "multi_queue", "persist", "user", "group", "numqueues", "numdisabled"},
}

func linkKeys(a, b map[string]string) []string {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	out := make([]string, 0, len(keys))
	for k := range keys {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func linkNum(v any) float64 {
	f, _ := v.(float64)
	return f
}

// linkIPValue renders a JSON value the way linkLibFields renders the
// library's.
func linkIPValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case string:
		return v
	case []any:
		s := make([]string, len(v))
		for i, e := range v {
			s[i] = linkIPValue(e)
		}
		return strings.Join(s, ",")
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// linkIPFields picks the compared keys out of one link of ip's output.
func linkIPFields(w map[string]any) map[string]string {
	m := map[string]string{}
	for _, k := range linkTopKeys {
		if v, ok := w[k]; ok {
			m[k] = linkIPValue(v)
		}
	}
	for _, k := range linkZeroKeys {
		if _, ok := m[k]; !ok {
			m[k] = "0"
		}
	}
	if flags, ok := w["flags"].([]any); ok {
		var kept []string
		for _, f := range flags {
			// M-DOWN says the parent link is down: not a flag of this one.
			if s, _ := f.(string); s != "M-DOWN" {
				kept = append(kept, s)
			}
		}
		m["flags"] = strings.Join(kept, ",")
	}
	info, _ := w["linkinfo"].(map[string]any)
	if info == nil {
		return m
	}
	kind, _ := info["info_kind"].(string)
	if kind != "" {
		m["info_kind"] = kind
	}
	if s, _ := info["info_slave_kind"].(string); s != "" {
		m["info_slave_kind"] = s
	}
	data, _ := info["info_data"].(map[string]any)
	for _, k := range linkKindKeys[kind] {
		if v, ok := data[k]; ok {
			m["info_data."+k] = linkIPValue(v)
		}
	}
	return m
}

var linkTypeNames = map[uint16]string{
	unix.ARPHRD_ETHER: "ether", unix.ARPHRD_LOOPBACK: "loopback", unix.ARPHRD_NONE: "none",
	unix.ARPHRD_TUNNEL: "ipip", unix.ARPHRD_SIT: "sit", unix.ARPHRD_IPGRE: "gre",
	unix.ARPHRD_TUNNEL6: "tunnel6", unix.ARPHRD_IP6GRE: "gre6", unix.ARPHRD_VOID: "void",
	unix.ARPHRD_PPP: "ppp", unix.ARPHRD_INFINIBAND: "infiniband", unix.ARPHRD_IEEE80211: "ieee802.11",
	unix.ARPHRD_CAN: "can", unix.ARPHRD_NETLINK: "netlink",
}

// linkLibFields renders a library link with ip's keys and words.
func linkLibFields(l *netlink.Link, names map[int]string) map[string]string {
	u := func(v uint32) string { return strconv.FormatUint(uint64(v), 10) }
	name := func(idx int) string {
		if n, ok := names[idx]; ok {
			return n
		}
		return fmt.Sprintf("if%d", idx)
	}
	m := map[string]string{
		"ifname":    l.Name,
		"flags":     strings.Join(netlink.LinkFlagNames(l.Flags), ","),
		"mtu":       u(l.MTU),
		"operstate": l.OperState.String(),
		"txqlen":    u(l.TxQueueLen),
	}
	for k, v := range map[string]uint32{
		"min_mtu": l.MinMTU, "max_mtu": l.MaxMTU, "promiscuity": l.Promiscuity, "allmulti": l.Allmulti,
		"num_tx_queues": l.NumTxQueues, "num_rx_queues": l.NumRxQueues, "gso_max_size": l.GSOMaxSize,
		"gso_max_segs": l.GSOMaxSegs, "tso_max_size": l.TSOMaxSize, "tso_max_segs": l.TSOMaxSegs,
		"gro_max_size": l.GROMaxSize,
	} {
		m[k] = u(v)
	}
	if l.Qdisc != "" {
		m["qdisc"] = l.Qdisc
	}
	switch l.LinkMode {
	case 0:
		m["linkmode"] = "DEFAULT"
	case 1:
		m["linkmode"] = "DORMANT"
	case 2:
		m["linkmode"] = "TESTING"
	default:
		m["linkmode"] = fmt.Sprintf("mode %d", l.LinkMode)
	}
	if l.Group == 0 {
		m["group"] = "default"
	} else {
		m["group"] = u(l.Group)
	}
	if t, ok := linkTypeNames[l.Type]; ok {
		m["link_type"] = t
	} else {
		m["link_type"] = fmt.Sprintf("[%d]", l.Type)
	}
	if len(l.Address) > 0 {
		m["address"] = linkAddrString(l.Type, l.Address)
	}
	if len(l.Broadcast) > 0 {
		m["broadcast"] = linkAddrString(l.Type, l.Broadcast)
	}
	if len(l.PermAddress) > 0 && l.PermAddress.String() != l.Address.String() {
		m["permaddr"] = linkAddrString(l.Type, l.PermAddress)
	}
	if l.Alias != "" {
		m["ifalias"] = l.Alias
	}
	if len(l.AltNames) > 0 {
		m["altnames"] = strings.Join(l.AltNames, ",")
	}
	if l.Master != 0 {
		m["master"] = name(l.Master)
	}
	if l.ParentIndex != 0 {
		if l.LinkNetNSID != nil {
			m["link_index"] = strconv.Itoa(l.ParentIndex)
		} else {
			m["link"] = name(l.ParentIndex)
		}
	}
	if l.LinkNetNSID != nil {
		m["link_netnsid"] = strconv.Itoa(int(*l.LinkNetNSID))
	}
	if l.Info == nil {
		return m
	}
	if l.Info.InfoKind != "" {
		m["info_kind"] = l.Info.InfoKind
	}
	if l.Info.InfoSlaveKind != "" {
		m["info_slave_kind"] = l.Info.InfoSlaveKind
	}
	d := map[string]string{}
	linkKindFields(l.Info.Data, d, name)
	for k, v := range d {
		m["info_data."+k] = v
	}
	return m
}

func linkKindFields(data netlink.LinkData, d map[string]string, name func(int) string) {
	u := func(v uint32) string { return strconv.FormatUint(uint64(v), 10) }
	p32 := func(k string, v *uint32) {
		if v != nil {
			d[k] = u(*v)
		}
	}
	pbool := func(k string, v *bool) {
		if v != nil {
			d[k] = strconv.FormatBool(*v)
		}
	}
	vlanProto := func(p uint16) string {
		switch p {
		case unix.ETH_P_8021Q:
			return "802.1Q"
		case unix.ETH_P_8021AD:
			return "802.1ad"
		}
		return fmt.Sprintf("%#x", p)
	}
	switch x := data.(type) {
	case *netlink.Bridge:
		p32("forward_delay", x.ForwardDelay)
		p32("hello_time", x.HelloTime)
		p32("max_age", x.MaxAge)
		p32("ageing_time", x.AgeingTime)
		p32("stp_state", x.StpState)
		if x.Priority != nil {
			d["priority"] = u(uint32(*x.Priority))
		}
		if x.VlanFiltering != nil {
			d["vlan_filtering"] = map[bool]string{false: "0", true: "1"}[*x.VlanFiltering]
		}
		if x.VlanProtocol != nil {
			d["vlan_protocol"] = vlanProto(*x.VlanProtocol)
		}
		if x.DefaultPVID != nil {
			d["vlan_default_pvid"] = u(uint32(*x.DefaultPVID))
		}
		if x.McastSnooping != nil {
			d["mcast_snooping"] = map[bool]string{false: "0", true: "1"}[*x.McastSnooping]
		}
	case *netlink.Vxlan:
		d["id"] = u(x.ID)
		if x.Group.IsValid() {
			k := "remote"
			if x.Group.IsMulticast() {
				k = "group"
			}
			if x.Group.Is6() {
				k += "6"
			}
			d[k] = x.Group.String()
		}
		if x.Local.IsValid() {
			k := "local"
			if x.Local.Is6() {
				k += "6"
			}
			d[k] = x.Local.String()
		}
		if x.Link != 0 {
			d["link"] = name(x.Link)
		}
		d["port"] = u(uint32(x.Port))
		d["ttl"] = u(uint32(x.TTL))
		pbool("learning", x.Learning)
		p32("ageing", x.Ageing)
		if x.Limit != 0 {
			d["limit"] = u(x.Limit)
		}
		for k, v := range map[string]bool{"proxy": x.Proxy, "rsc": x.RSC, "l2miss": x.L2Miss, "l3miss": x.L3Miss} {
			if v {
				d[k] = "true"
			}
		}
		pbool("udp_csum", x.UDPCsum)
		d["udp_zero_csum6_tx"] = strconv.FormatBool(x.UDPZeroCsum6Tx)
		d["udp_zero_csum6_rx"] = strconv.FormatBool(x.UDPZeroCsum6Rx)
	case *netlink.Macvlan:
		if x.Mode != 0 {
			d["mode"] = x.Mode.String()
		}
	case *netlink.Vlan:
		d["protocol"] = vlanProto(x.Protocol)
		d["id"] = u(uint32(x.ID))
	case *netlink.Bond:
		if x.Mode != nil {
			d["mode"] = x.Mode.String()
		}
		p32("miimon", x.MIIMon)
		p32("updelay", x.UpDelay)
		p32("downdelay", x.DownDelay)
		p32("min_links", x.MinLinks)
	case *netlink.Vrf:
		d["table"] = u(x.Table)
	case *netlink.Tuntap:
		d["type"] = x.Type.String()
		d["pi"] = strconv.FormatBool(x.PI)
		d["vnet_hdr"] = strconv.FormatBool(x.VnetHdr)
		d["multi_queue"] = strconv.FormatBool(x.MultiQueue)
		d["persist"] = strconv.FormatBool(x.Persist)
		if x.Owner != nil {
			d["user"] = u(*x.Owner)
			if pw, err := user.LookupId(d["user"]); err == nil {
				d["user"] = pw.Username
			}
		}
		if x.Group != nil {
			d["group"] = u(*x.Group)
			if gr, err := user.LookupGroupId(d["group"]); err == nil {
				d["group"] = gr.Name
			}
		}
		if x.MultiQueue {
			d["numqueues"] = u(x.NumQueues)
			d["numdisabled"] = u(x.NumDisabledQueues)
		}
	}
}

// linkAddrString prints a link-layer address as ip does (ll_addr_n2a in
// iproute2's lib/utils.c): IPv4 tunnels (ipip, vti, sit, gre) have a
// 4-byte address printed as an IPv4 address, IPv6 tunnels (ip6tnl, ip6vti,
// ip6gre) a 16-byte one printed as an IPv6 address; anything else is
// colon-separated hex.
func linkAddrString(typ uint16, a net.HardwareAddr) string {
	switch {
	case len(a) == 4 && (typ == unix.ARPHRD_TUNNEL || typ == unix.ARPHRD_SIT || typ == unix.ARPHRD_IPGRE):
		return netip.AddrFrom4([4]byte(a)).String()
	case len(a) == 16 && (typ == unix.ARPHRD_TUNNEL6 || typ == unix.ARPHRD_IP6GRE):
		return netip.AddrFrom16([16]byte(a)).String()
	}
	return a.String()
}
