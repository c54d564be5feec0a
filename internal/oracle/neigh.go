//go:build linux

package oracle

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// CompareNeighs compares got, the neighbour entries the library read from
// ns, with iproute2: the ARP and NDP entries (Family unix.AF_INET or
// unix.AF_INET6) of got with `ip -j neigh show nud all` and
// `ip -j neigh show proxy` (see CompareIPNeighs), and the FDB entries
// (Family unix.AF_BRIDGE) with `bridge -j fdb show` (see CompareFDB). got
// must hold all three sets. It returns a readable list of every difference,
// or nil.
func CompareNeighs(ns *nstest.NS, got []*netlink.Neigh) error {
	var ipn []*netlink.Neigh
	var fdb []*netlink.FDB
	for _, n := range got {
		if n.Family == unix.AF_BRIDGE {
			fdb = append(fdb, (*netlink.FDB)(n))
		} else {
			ipn = append(ipn, n)
		}
	}
	err1 := CompareIPNeighs(ns, ipn)
	err2 := CompareFDB(ns, fdb)
	switch {
	case err1 == nil:
		return err2
	case err2 == nil:
		return err1
	}
	return fmt.Errorf("%v\n%v", err1, err2)
}

// CompareIPNeighs compares the ARP and NDP entries in got (proxy entries
// included) with `ip -j neigh show nud all` and `ip -j neigh show proxy`:
// link, destination, link-layer address, NUD state, the router, proxy,
// extern_learn and offload flags, and the protocol where ip prints it.
func CompareIPNeighs(ns *nstest.NS, got []*netlink.Neigh) error {
	names, err := neighLinkNames(ns)
	if err != nil {
		return err
	}
	var want []string
	for _, args := range [][]string{{"-j", "neigh", "show", "nud", "all"}, {"-j", "neigh", "show", "proxy"}} {
		out, err := ns.IPErr(args...)
		if err != nil {
			return err
		}
		var entries []map[string]any
		if err := neighUnmarshal(out, &entries); err != nil {
			return fmt.Errorf("ip %s: %v", strings.Join(args, " "), err)
		}
		for _, e := range entries {
			want = append(want, neighIPLine(e))
		}
	}
	var lines []string
	for _, n := range got {
		lines = append(lines, neighLibLine(n, names))
	}
	return neighDiff("neighbours differ from ip neigh", lines, want)
}

// CompareFDB compares the FDB entries in got with `bridge -j fdb show`:
// link, MAC address, VLAN, remote (dst, port, vni, src_vni, via), master,
// the self, router, extern_learn, offload and sticky flags, and the state.
func CompareFDB(ns *nstest.NS, got []*netlink.FDB) error {
	names, err := neighLinkNames(ns)
	if err != nil {
		return err
	}
	out, err := iproute2(ns, "bridge", "-j", "fdb", "show")
	if err != nil {
		return err
	}
	var entries []map[string]any
	if err := neighUnmarshal(out, &entries); err != nil {
		return fmt.Errorf("bridge -j fdb show: %v", err)
	}
	var want, lines []string
	for _, e := range entries {
		want = append(want, fdbBridgeLine(e))
	}
	for _, n := range got {
		lines = append(lines, fdbLibLine(n, names))
	}
	return neighDiff("FDB differs from bridge fdb", lines, want)
}

func neighUnmarshal(out string, v any) error {
	if strings.TrimSpace(out) == "" {
		out = "[]"
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		return fmt.Errorf("%v\n%s", err, out)
	}
	return nil
}

// neighLinkNames maps interface indexes to names with `ip -j link show`.
func neighLinkNames(ns *nstest.NS) (map[int]string, error) {
	out, err := ns.IPErr("-j", "link", "show")
	if err != nil {
		return nil, err
	}
	var links []struct {
		Ifindex int    `json:"ifindex"`
		Ifname  string `json:"ifname"`
	}
	if err := neighUnmarshal(out, &links); err != nil {
		return nil, fmt.Errorf("ip -j link show: %v", err)
	}
	names := map[int]string{}
	for _, l := range links {
		names[l.Ifindex] = l.Ifname
	}
	return names, nil
}

func neighName(names map[int]string, index int) string {
	if s, ok := names[index]; ok {
		return s
	}
	return fmt.Sprintf("if%d", index)
}

// neighIPFlags are the NTF_* flags ip neigh prints, by JSON key.
var neighIPFlags = []struct {
	flag uint8
	key  string
}{
	{unix.NTF_ROUTER, "router"},
	{unix.NTF_PROXY, "proxy"},
	{unix.NTF_EXT_LEARNED, "extern_learn"},
	{unix.NTF_OFFLOADED, "offload"},
}

func neighLibLine(n *netlink.Neigh, names map[int]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s dev %s", n.Dst, neighName(names, n.Index))
	if n.LLAddr != nil {
		fmt.Fprintf(&b, " lladdr %s", n.LLAddr)
	}
	for _, f := range neighIPFlags {
		if n.Flags&f.flag != 0 {
			b.WriteString(" " + f.key)
		}
	}
	if n.Flags&unix.NTF_PROXY == 0 {
		// ip prints no state for proxy entries.
		fmt.Fprintf(&b, " state %s", strings.Join(netlink.NeighStateNames(n.State), ","))
	}
	if n.Protocol != 0 {
		fmt.Fprintf(&b, " proto %d", n.Protocol)
	}
	return b.String()
}

func neighIPLine(e map[string]any) string {
	str := func(k string) string { s, _ := e[k].(string); return s }
	var b strings.Builder
	fmt.Fprintf(&b, "%s dev %s", str("dst"), str("dev"))
	if s := str("lladdr"); s != "" {
		fmt.Fprintf(&b, " lladdr %s", s)
	}
	for _, f := range neighIPFlags {
		if _, ok := e[f.key]; ok {
			b.WriteString(" " + f.key)
		}
	}
	if st, ok := e["state"].([]any); ok {
		var s []string
		for _, v := range st {
			s = append(s, fmt.Sprint(v))
		}
		fmt.Fprintf(&b, " state %s", strings.Join(s, ","))
	}
	if p, ok := e["protocol"]; ok {
		fmt.Fprintf(&b, " proto %v", neighProtoNumber(p))
	}
	return b.String()
}

// neighProtoNumber turns ip's protocol (a number or an rt_protos name) into
// the number.
func neighProtoNumber(p any) any {
	if s, ok := p.(string); ok {
		for n, name := range map[int]string{1: "redirect", 2: "kernel", 3: "boot", 4: "static"} {
			if s == name {
				return n
			}
		}
	}
	return p
}

// fdbFlags are the NTF_* flags bridge fdb prints in "flags".
var fdbFlags = []struct {
	flag uint8
	name string
}{
	{unix.NTF_SELF, "self"},
	{unix.NTF_ROUTER, "router"},
	{unix.NTF_EXT_LEARNED, "extern_learn"},
	{unix.NTF_OFFLOADED, "offload"},
	{unix.NTF_MASTER, "master"},
	{netlink.NeighFlagSticky, "sticky"},
}

// fdbState is bridge fdb's state word for state.
func fdbState(s uint16) string {
	switch {
	case s&unix.NUD_PERMANENT != 0:
		return "permanent"
	case s&unix.NUD_NOARP != 0:
		return "static"
	case s&(unix.NUD_STALE|unix.NUD_REACHABLE) != 0:
		// A learned entry: the kernel derives reachable or stale from its
		// age at each read (netlink.FDB.Stable); both print as nothing.
		return ""
	}
	return fmt.Sprintf("state=%#x", s)
}

func fdbLibLine(n *netlink.FDB, names map[int]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s dev %s", n.LLAddr, neighName(names, n.Index))
	if n.Dst.IsValid() {
		fmt.Fprintf(&b, " dst %s", n.Dst)
	}
	if n.VLAN != 0 {
		fmt.Fprintf(&b, " vlan %d", n.VLAN)
	}
	if n.Port != 0 {
		fmt.Fprintf(&b, " port %d", n.Port)
	}
	if n.VNI != 0 {
		fmt.Fprintf(&b, " vni %d", n.VNI)
	}
	if n.SrcVNI != 0 {
		fmt.Fprintf(&b, " src_vni %d", n.SrcVNI)
	}
	if n.Via != 0 {
		if n.HasLinkNetNSID {
			fmt.Fprintf(&b, " via ifindex %d", n.Via)
		} else {
			fmt.Fprintf(&b, " via %s", neighName(names, n.Via))
		}
	}
	if n.HasLinkNetNSID {
		fmt.Fprintf(&b, " link-netnsid %d", n.LinkNetNSID)
	}
	var flags []string
	for _, f := range fdbFlags {
		if n.Flags&f.flag != 0 {
			flags = append(flags, f.name)
		}
	}
	sort.Strings(flags)
	fmt.Fprintf(&b, " flags [%s]", strings.Join(flags, " "))
	if n.Master != 0 {
		fmt.Fprintf(&b, " master %s", neighName(names, n.Master))
	}
	if s := fdbState(n.State); s != "" {
		fmt.Fprintf(&b, " %s", s)
	}
	return b.String()
}

func fdbBridgeLine(e map[string]any) string {
	str := func(k string) string { s, _ := e[k].(string); return s }
	num := func(k string) (int64, bool) { f, ok := e[k].(float64); return int64(f), ok }
	dev := str("ifname")
	if dev == "" {
		dev = str("dev")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s dev %s", str("mac"), dev)
	if s := str("dst"); s != "" {
		fmt.Fprintf(&b, " dst %s", s)
	}
	for _, k := range []string{"vlan", "port", "vni", "src_vni"} {
		if v, ok := num(k); ok {
			fmt.Fprintf(&b, " %s %d", k, v)
		}
	}
	if s := str("viaIf"); s != "" {
		fmt.Fprintf(&b, " via %s", s)
	} else if v, ok := num("viaIfIndex"); ok {
		fmt.Fprintf(&b, " via ifindex %d", v)
	}
	if v, ok := num("linkNetNsId"); ok {
		fmt.Fprintf(&b, " link-netnsid %d", v)
	}
	var flags []string
	if fl, ok := e["flags"].([]any); ok {
		for _, f := range fl {
			flags = append(flags, fmt.Sprint(f))
		}
	}
	sort.Strings(flags)
	fmt.Fprintf(&b, " flags [%s]", strings.Join(flags, " "))
	if s := str("master"); s != "" {
		fmt.Fprintf(&b, " master %s", s)
	}
	if s := str("state"); s != "" && s != "stale" {
		fmt.Fprintf(&b, " %s", s)
	}
	return b.String()
}

// neighDiff compares two multisets of lines.
func neighDiff(title string, got, want []string) error {
	count := map[string]int{}
	for _, l := range got {
		count[l]++
	}
	for _, l := range want {
		count[l]--
	}
	var diffs []string
	for l, c := range count {
		for ; c > 0; c-- {
			diffs = append(diffs, "only in library: "+l)
		}
		for ; c < 0; c++ {
			diffs = append(diffs, "only in iproute2: "+l)
		}
	}
	if len(diffs) == 0 {
		return nil
	}
	sort.Strings(diffs)
	return fmt.Errorf("%s:\n  %s", title, strings.Join(diffs, "\n  "))
}
