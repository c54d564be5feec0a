//go:build linux

package oracle

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// RouteExpiresSlack is how many seconds an IPv6 route's remaining
// lifetime printed by ip may differ from the library's cache info.
var RouteExpiresSlack int64 = 10

// CompareRoutes compares got, the routes the library read from ns, with
// `ip -d -j -4 route show table all` and `ip -d -j -6 route show table all`
// and returns a readable list of every difference, or nil. The comparison
// is over the full tables (local and broadcast routes the kernel adds for
// addresses included) and treats routes as a multiset, so that `ip route
// append` routes differing only by next hop and duplicates across
// interfaces are all accounted for. For each route it compares family,
// type, destination (ip's "default" and host routes without a length are
// normalized), source prefix, TOS, gateway (RTA_GATEWAY or RTA_VIA), output
// interface (ip's names mapped to indexes with `ip -j link`), table (names
// mapped to ids), protocol, scope, metric, preferred source, flags, realms,
// metrics (mtu, advmss, window, hoplimit, initcwnd, initrwnd, ... and
// congestion control; rtt, rttvar, rto_min and features by presence, since
// ip prints them converted), IPv6 preference, expiry (within
// RouteExpiresSlack), nexthop id and every next hop of a multipath route
// (gateway, device, weight, flags, realms). Routes of other families in got
// (MPLS, multicast routing) are not compared. ip does not print metric
// locks in JSON, so they are not compared.
func CompareRoutes(ns *nstest.NS, got []*netlink.Route) error {
	idx, err := routeLinkIndexes(ns)
	if err != nil {
		return err
	}
	var want []string
	for _, fam := range []string{"-4", "-6"} {
		out, err := ns.IPErr("-d", "-j", fam, "route", "show", "table", "all")
		if err != nil {
			return err
		}
		var routes []map[string]any
		if strings.TrimSpace(out) != "" {
			if err := json.Unmarshal([]byte(out), &routes); err != nil {
				return fmt.Errorf("ip -j %s route show table all: %v\n%s", fam, err, out)
			}
		}
		for _, r := range routes {
			line, err := routeIPLine(r, fam == "-6", idx)
			if err != nil {
				return fmt.Errorf("ip -j %s route: %v in %v", fam, err, r)
			}
			want = append(want, line)
		}
	}
	var lines []string
	for _, r := range got {
		if r.Family != unix.AF_INET && r.Family != unix.AF_INET6 {
			continue
		}
		lines = append(lines, routeLibLine(r))
	}
	if err := routeDiff("routes", lines, want); err != nil {
		return err
	}
	return routeOrderDiff(lines, want)
}

// routeOrderDiff compares the order of each group of alternates (routes
// of one family, table, destination, source, TOS and metric, `ip route
// append`): the kernel's list order decides the IPv4 lookup, and ip lists
// them in it. got and want hold the same lines.
func routeOrderDiff(got, want []string) error {
	orders := func(lines []string) map[string][]string {
		m := map[string][]string{}
		for _, l := range lines {
			g := routeGroupOf(l)
			m[g] = append(m[g], routeStripExpires(l))
		}
		return m
	}
	g, w := orders(got), orders(want)
	var bad []string
	for k, wl := range w {
		if len(wl) >= 2 && !slices.Equal(g[k], wl) {
			bad = append(bad, fmt.Sprintf("\n  alternates of %s: ip lists\n    %s\n  the library\n    %s",
				k, strings.Join(wl, "\n    "), strings.Join(g[k], "\n    ")))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	return fmt.Errorf("routes in another order than ip(8)'s:%s", strings.Join(bad, ""))
}

// routeGroupOf returns the alternates group of a canonical route line:
// its family, destination, source, TOS, table and metric.
func routeGroupOf(l string) string {
	f := strings.Fields(l)
	if len(f) < 3 {
		return l
	}
	g := []string{f[0], f[2]}
	for i := 3; i+1 < len(f); i++ {
		switch f[i] {
		case "from", "tos", "table", "metric":
			g = append(g, f[i], f[i+1])
		}
	}
	return strings.Join(g, " ")
}

// routeDiff compares two multisets of canonical lines. Lines are matched
// without their expiry, which must then agree within RouteExpiresSlack.
func routeDiff(what string, got, want []string) error {
	type pair struct{ got, want []string }
	groups := map[string]*pair{}
	var keys []string
	group := func(l string) *pair {
		k := routeStripExpires(l)
		p := groups[k]
		if p == nil {
			p = &pair{}
			groups[k] = p
			keys = append(keys, k)
		}
		return p
	}
	for _, l := range got {
		p := group(l)
		p.got = append(p.got, l)
	}
	for _, l := range want {
		p := group(l)
		p.want = append(p.want, l)
	}
	sort.Strings(keys)
	var missing, extra []string
	for _, k := range keys {
		p := groups[k]
		byExpiry := func(ls []string) {
			sort.Slice(ls, func(i, j int) bool { return routeExpiresValue(ls[i]) < routeExpiresValue(ls[j]) })
		}
		byExpiry(p.got)
		byExpiry(p.want)
		n := min(len(p.got), len(p.want))
		for i := 0; i < n; i++ {
			if !routeExpiresClose(p.got[i], p.want[i]) {
				missing = append(missing, p.want[i])
				extra = append(extra, p.got[i])
			}
		}
		missing = append(missing, p.want[n:]...)
		extra = append(extra, p.got[n:]...)
	}
	if len(extra) == 0 && len(missing) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s differ from ip(8):", what)
	for _, l := range missing {
		fmt.Fprintf(&b, "\n  only ip has:      %s", l)
	}
	for _, l := range extra {
		fmt.Fprintf(&b, "\n  only library has: %s", l)
	}
	return fmt.Errorf("%s", b.String())
}

func routeStripExpires(l string) string {
	i := strings.Index(l, " expires ")
	if i < 0 {
		return l
	}
	rest := l[i+len(" expires "):]
	if j := strings.IndexByte(rest, ' '); j >= 0 {
		return l[:i] + " expires" + rest[j:]
	}
	return l[:i] + " expires"
}

func routeExpiresValue(l string) int64 {
	i := strings.Index(l, " expires ")
	if i < 0 {
		return -1
	}
	f := strings.Fields(l[i+len(" expires "):])
	v, _ := strconv.ParseInt(f[0], 10, 64)
	return v
}

func routeExpiresClose(a, b string) bool {
	d := routeExpiresValue(a) - routeExpiresValue(b)
	return d >= -RouteExpiresSlack && d <= RouteExpiresSlack
}

// routeLinkIndexes maps link names to indexes with `ip -j link show`.
func routeLinkIndexes(ns *nstest.NS) (map[string]int, error) {
	out, err := ns.IPErr("-j", "link", "show")
	if err != nil {
		return nil, err
	}
	var links []struct {
		Ifindex int    `json:"ifindex"`
		Ifname  string `json:"ifname"`
	}
	if err := json.Unmarshal([]byte(out), &links); err != nil {
		return nil, fmt.Errorf("ip -j link show: %v", err)
	}
	m := map[string]int{}
	for _, l := range links {
		m[l.Ifname] = l.Ifindex
	}
	return m, nil
}

// routeFlagNames are ip's names for rtm_flags and rtnh_flags bits.
var routeFlagNames = map[string]uint32{
	"dead": unix.RTNH_F_DEAD, "pervasive": unix.RTNH_F_PERVASIVE, "onlink": unix.RTNH_F_ONLINK,
	"offload": unix.RTNH_F_OFFLOAD, "linkdown": unix.RTNH_F_LINKDOWN, "unresolved": unix.RTNH_F_UNRESOLVED,
	"trap": unix.RTNH_F_TRAP, "notify": unix.RTM_F_NOTIFY, "rt_offload": unix.RTM_F_OFFLOAD,
	"rt_trap": unix.RTM_F_TRAP, "rt_offload_failed": unix.RTM_F_OFFLOAD_FAILED,
}

func routeFlagsText(flags uint32) string {
	var names []string
	for n, bit := range routeFlagNames {
		if flags&bit != 0 {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return "[" + strings.Join(names, ",") + "]"
}

// routeNameFile reads an iproute2 "number name" file (rt_tables,
// rt_protos, rt_realms...) and its .d directory into name -> number.
func routeNameFile(base string) map[string]uint64 {
	m := map[string]uint64{}
	files := []string{filepath.Join("/etc/iproute2", base), filepath.Join("/usr/share/iproute2", base),
		filepath.Join("/usr/lib/iproute2", base)}
	for _, dir := range []string{"/etc/iproute2/" + base + ".d", "/usr/share/iproute2/" + base + ".d"} {
		ents, _ := filepath.Glob(filepath.Join(dir, "*.conf"))
		files = append(files, ents...)
	}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			continue
		}
		s := bufio.NewScanner(f)
		for s.Scan() {
			fields := strings.Fields(s.Text())
			if len(fields) < 2 || strings.HasPrefix(fields[0], "#") {
				continue
			}
			if v, err := strconv.ParseUint(fields[0], 0, 32); err == nil {
				m[fields[1]] = v
			}
		}
		f.Close()
	}
	return m
}

var (
	routeTables  = routeNameFile("rt_tables")
	routeProtos  = routeNameFile("rt_protos")
	routeRealms  = routeNameFile("rt_realms")
	routeDSField = routeNameFile("rt_dsfield")
)

// routeNumber parses a number ip printed, possibly as a name from table.
func routeNumber(v any, names map[string]uint64, builtin map[string]uint64) (uint64, error) {
	switch x := v.(type) {
	case float64:
		return uint64(x), nil
	case string:
		if n, err := strconv.ParseUint(x, 0, 64); err == nil {
			return n, nil
		}
		if n, ok := builtin[x]; ok {
			return n, nil
		}
		if n, ok := names[x]; ok {
			return n, nil
		}
		return 0, fmt.Errorf("unknown name %q", x)
	case nil:
		return 0, nil
	}
	return 0, fmt.Errorf("unexpected value %v", v)
}

var (
	routeBuiltinTables = map[string]uint64{"unspec": 0, "default": 253, "main": 254, "local": 255}
	routeBuiltinScopes = map[string]uint64{"global": 0, "universe": 0, "site": 200, "link": 253, "host": 254, "nowhere": 255}
	routeBuiltinTypes  = map[string]uint64{"unspec": 0, "unicast": 1, "local": 2, "broadcast": 3, "anycast": 4,
		"multicast": 5, "blackhole": 6, "unreachable": 7, "prohibit": 8, "throw": 9, "nat": 10, "xresolve": 11}
	routeBuiltinProtos = map[string]uint64{"unspec": 0, "redirect": 1, "kernel": 2, "boot": 3, "static": 4}
)

// routeMetricKeys are ip's JSON keys for RTAX_* metrics compared by
// value; the ones ip converts (rtt, rttvar, rto_min) or prints as lists
// (features) are compared by presence.
var routeMetricKeys = map[string]uint16{
	"mtu": unix.RTAX_MTU, "window": unix.RTAX_WINDOW, "ssthresh": unix.RTAX_SSTHRESH, "cwnd": unix.RTAX_CWND,
	"advmss": unix.RTAX_ADVMSS, "reordering": unix.RTAX_REORDERING, "hoplimit": unix.RTAX_HOPLIMIT,
	"initcwnd": unix.RTAX_INITCWND, "initrwnd": unix.RTAX_INITRWND, "quickack": unix.RTAX_QUICKACK,
	"fastopen_no_cookie": unix.RTAX_FASTOPEN_NO_COOKIE,
	"rtt":                unix.RTAX_RTT, "rttvar": unix.RTAX_RTTVAR, "rto_min": unix.RTAX_RTO_MIN, "features": unix.RTAX_FEATURES,
}

var routeMetricByPresence = map[uint16]bool{unix.RTAX_RTT: true, unix.RTAX_RTTVAR: true, unix.RTAX_RTO_MIN: true, unix.RTAX_FEATURES: true}

func routeMetricText(t uint16, v uint32) string {
	if routeMetricByPresence[t] {
		return netlink.MetricName(t) + "=set"
	}
	return fmt.Sprintf("%s=%d", netlink.MetricName(t), v)
}

// routePrefix normalizes ip's destination text.
func routePrefix(s string, v6 bool) (netip.Prefix, error) {
	if s == "default" {
		if v6 {
			return netip.MustParsePrefix("::/0"), nil
		}
		return netip.MustParsePrefix("0.0.0.0/0"), nil
	}
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func routeFlow(v uint32) string {
	if v == 0 {
		return ""
	}
	return fmt.Sprintf(" realms %d/%d", v>>16, v&0xffff)
}

// routeIPFlow parses ip's {"from": ..., "to": ...} realms object.
func routeIPFlow(v any) (uint32, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return 0, nil
	}
	from, err := routeNumber(m["from"], routeRealms, nil)
	if err != nil {
		return 0, err
	}
	to, err := routeNumber(m["to"], routeRealms, nil)
	if err != nil {
		return 0, err
	}
	return uint32(from)<<16 | uint32(to), nil
}

// routeIPGateway returns ip's gateway or via host.
func routeIPGateway(r map[string]any) string {
	if g, ok := r["gateway"].(string); ok {
		return g
	}
	if v, ok := r["via"].(map[string]any); ok {
		h, _ := v["host"].(string)
		return h
	}
	return ""
}

func routeIPFlags(v any) (uint32, error) {
	list, _ := v.([]any)
	var flags uint32
	for _, f := range list {
		s, _ := f.(string)
		bit, ok := routeFlagNames[s]
		if !ok {
			return 0, fmt.Errorf("unknown flag %q", s)
		}
		flags |= bit
	}
	return flags, nil
}

// routeIPLine renders one route of ip's JSON in the canonical form of
// routeLibLine.
func routeIPLine(r map[string]any, v6 bool, idx map[string]int) (string, error) {
	var b strings.Builder
	fam := "inet"
	if v6 {
		fam = "inet6"
	}
	typ, err := routeNumber(r["type"], nil, routeBuiltinTypes)
	if err != nil {
		return "", err
	}
	dstText, _ := r["dst"].(string)
	dst, err := routePrefix(dstText, v6)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(&b, "%s %s %s", fam, netlink.RouteType(typ), dst)
	if from, ok := r["from"].(string); ok {
		p, err := routePrefix(from, v6)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, " from %s", p)
	}
	if tos, ok := r["tos"]; ok {
		n, err := routeNumber(tos, routeDSField, nil)
		if err != nil {
			return "", err
		}
		if n != 0 {
			fmt.Fprintf(&b, " tos %#x", n)
		}
	}
	if nhid, ok := r["nhid"].(float64); ok {
		fmt.Fprintf(&b, " nhid %d", int(nhid))
	}
	if gw := routeIPGateway(r); gw != "" {
		fmt.Fprintf(&b, " via %s", netip.MustParseAddr(gw))
	}
	if dev, ok := r["dev"].(string); ok {
		i, ok := idx[dev]
		if !ok {
			return "", fmt.Errorf("unknown dev %q", dev)
		}
		fmt.Fprintf(&b, " dev %d", i)
	}
	table, err := routeNumber(r["table"], routeTables, routeBuiltinTables)
	if err != nil {
		return "", err
	}
	proto, err := routeNumber(r["protocol"], routeProtos, routeBuiltinProtos)
	if err != nil {
		return "", err
	}
	scope, err := routeNumber(r["scope"], nil, routeBuiltinScopes)
	if err != nil {
		return "", err
	}
	metric, _ := r["metric"].(float64)
	fmt.Fprintf(&b, " table %d proto %d scope %d metric %d", table, proto, scope, uint32(metric))
	if src, ok := r["prefsrc"].(string); ok {
		fmt.Fprintf(&b, " prefsrc %s", netip.MustParseAddr(src))
	}
	flags, err := routeIPFlags(r["flags"])
	if err != nil {
		return "", err
	}
	b.WriteString(" flags " + routeFlagsText(flags))
	flow, err := routeIPFlow(r["flow"])
	if err != nil {
		return "", err
	}
	b.WriteString(routeFlow(flow))
	if ms, ok := r["metrics"].([]any); ok {
		var parts []string
		for _, m := range ms {
			mm, _ := m.(map[string]any)
			for k, v := range mm {
				if k == "congestion" {
					s, _ := v.(string)
					parts = append(parts, "congctl="+s)
					continue
				}
				t, ok := routeMetricKeys[k]
				if !ok {
					return "", fmt.Errorf("unknown metric %q", k)
				}
				n, _ := v.(float64)
				parts = append(parts, routeMetricText(t, uint32(n)))
			}
		}
		sort.Strings(parts)
		b.WriteString(" metrics " + strings.Join(parts, ","))
	}
	if p, ok := r["pref"].(string); ok {
		b.WriteString(" pref " + p)
	}
	if e, ok := r["expires"].(float64); ok {
		fmt.Fprintf(&b, " expires %d", int64(e))
	}
	if nhs, ok := r["nexthops"].([]any); ok {
		for _, nh := range nhs {
			m, _ := nh.(map[string]any)
			b.WriteString(" nexthop")
			if gw := routeIPGateway(m); gw != "" {
				fmt.Fprintf(&b, " via %s", netip.MustParseAddr(gw))
			}
			if dev, ok := m["dev"].(string); ok {
				i, ok := idx[dev]
				if !ok {
					return "", fmt.Errorf("unknown dev %q", dev)
				}
				fmt.Fprintf(&b, " dev %d", i)
			}
			w, _ := m["weight"].(float64)
			f, err := routeIPFlags(m["flags"])
			if err != nil {
				return "", err
			}
			fl, err := routeIPFlow(m["flow"])
			if err != nil {
				return "", err
			}
			fmt.Fprintf(&b, " weight %d flags %s%s", int(w), routeFlagsText(f), routeFlow(fl))
		}
	}
	return b.String(), nil
}

// routeLibLine renders a library route canonically.
func routeLibLine(r *netlink.Route) string {
	var b strings.Builder
	fam := "inet"
	if r.Family == unix.AF_INET6 {
		fam = "inet6"
	}
	fmt.Fprintf(&b, "%s %s %s", fam, r.Type, r.Dst)
	x := r.Extra
	if x == nil {
		x = &netlink.RouteExtra{}
	}
	if x.Src.IsValid() && x.Src.Bits() > 0 {
		fmt.Fprintf(&b, " from %s", x.Src)
	}
	if r.TOS != 0 {
		fmt.Fprintf(&b, " tos %#x", r.TOS)
	}
	if x.NHID != 0 {
		fmt.Fprintf(&b, " nhid %d", x.NHID)
	}
	if r.Gateway.IsValid() {
		fmt.Fprintf(&b, " via %s", r.Gateway)
	}
	if r.OIF != 0 {
		fmt.Fprintf(&b, " dev %d", r.OIF)
	}
	fmt.Fprintf(&b, " table %d proto %d scope %d metric %d", r.Table, r.Protocol, r.Scope, r.Priority)
	if r.PrefSrc.IsValid() {
		fmt.Fprintf(&b, " prefsrc %s", r.PrefSrc)
	}
	var mask uint32
	for _, bit := range routeFlagNames {
		mask |= bit
	}
	b.WriteString(" flags " + routeFlagsText(r.Flags&mask))
	b.WriteString(routeFlow(x.Flow))
	if m := x.Metrics; m != nil {
		var parts []string
		m.Each(func(t uint16, v uint32) {
			if t != unix.RTAX_LOCK {
				parts = append(parts, routeMetricText(t, v))
			}
		})
		if m.CCAlgo != "" {
			parts = append(parts, "congctl="+m.CCAlgo)
		}
		if len(parts) > 0 {
			sort.Strings(parts)
			b.WriteString(" metrics " + strings.Join(parts, ","))
		}
	}
	if r.Family == unix.AF_INET6 {
		switch r.Pref {
		case netlink.PrefHigh:
			b.WriteString(" pref high")
		case netlink.PrefLow:
			b.WriteString(" pref low")
		case netlink.PrefMedium:
			b.WriteString(" pref medium")
		default:
			fmt.Fprintf(&b, " pref %d", r.Pref)
		}
	}
	if e := r.ExpiresLeft(time.Now()); e != 0 {
		fmt.Fprintf(&b, " expires %d", e/100) // clock_t at USER_HZ
	}
	for i := range r.Multipath {
		nh := &r.Multipath[i]
		b.WriteString(" nexthop")
		if nh.Gateway.IsValid() {
			fmt.Fprintf(&b, " via %s", nh.Gateway)
		}
		if nh.IfIndex != 0 {
			fmt.Fprintf(&b, " dev %d", nh.IfIndex)
		}
		var flow uint32
		for _, a := range nh.Unknown {
			if a.Type&0x3fff == unix.RTA_FLOW && len(a.Data) == 4 {
				flow = uint32(a.Data[0]) | uint32(a.Data[1])<<8 | uint32(a.Data[2])<<16 | uint32(a.Data[3])<<24
			}
		}
		fmt.Fprintf(&b, " weight %d flags %s%s", nh.Weight(), routeFlagsText(uint32(nh.Flags)&mask), routeFlow(flow))
	}
	return b.String()
}

// RouteGetJSON returns ip's answer to `ip -j -n NS route get ARGS...`: the
// one route object ip prints, decoded. When the kernel refuses the lookup
// the error is ip's, with its "RTNETLINK answers: REASON" line; output
// that is not an array of one object is an error too.
func RouteGetJSON(ns *nstest.NS, args ...string) (map[string]any, error) {
	out, err := ns.IPErr(append([]string{"-j", "route", "get"}, args...)...)
	if err != nil {
		return nil, err
	}
	var rs []map[string]any
	if err := json.Unmarshal([]byte(out), &rs); err != nil || len(rs) != 1 {
		return nil, fmt.Errorf("ip -j route get %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return rs[0], nil
}

// CompareRouteGet compares got, the library's RouteGet answer, with
// `ip -j -n NS route get ARGS...` (for example "192.0.2.7", "from",
// "192.0.2.1", "mark", "5"): destination, gateway, device, preferred
// source, input interface, mark, uid, realms and flags.
func CompareRouteGet(ns *nstest.NS, got *netlink.Route, args ...string) error {
	idx, err := routeLinkIndexes(ns)
	if err != nil {
		return err
	}
	r, err := RouteGetJSON(ns, args...)
	if err != nil {
		return err
	}
	v6 := got.Family == unix.AF_INET6
	var want, have []string
	add := func(k string, w, g any) {
		want = append(want, fmt.Sprintf("%s=%v", k, w))
		have = append(have, fmt.Sprintf("%s=%v", k, g))
	}
	dstText, _ := r["dst"].(string)
	dst, err := routePrefix(dstText, v6)
	if err != nil {
		return err
	}
	add("dst", dst, got.Dst)
	gw := ""
	if g := routeIPGateway(r); g != "" {
		gw = netip.MustParseAddr(g).String()
	}
	gotGW := ""
	if got.Gateway.IsValid() {
		gotGW = got.Gateway.String()
	}
	add("gateway", gw, gotGW)
	dev, _ := r["dev"].(string)
	add("dev", idx[dev], int(got.OIF))
	psrc, _ := r["prefsrc"].(string)
	gotPsrc := ""
	if got.PrefSrc.IsValid() {
		gotPsrc = got.PrefSrc.String()
	}
	add("prefsrc", psrc, gotPsrc)
	x := got.Extra
	if x == nil {
		x = &netlink.RouteExtra{}
	}
	iif, _ := r["iif"].(string)
	add("iif", idx[iif], int(x.IIF))
	mark, _ := r["mark"].(float64)
	add("mark", uint32(mark), x.Mark)
	uid, _ := r["uid"].(float64)
	add("uid", uint32(uid), x.UID)
	flow, err := routeIPFlow(r["flow"])
	if err != nil {
		return err
	}
	add("realms", flow, x.Flow)
	var diffs []string
	for i := range want {
		if want[i] != have[i] {
			diffs = append(diffs, fmt.Sprintf("ip %s, library %s", want[i], have[i]))
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("route get %s differs from ip(8): %s", strings.Join(args, " "), strings.Join(diffs, "; "))
	}
	return nil
}
