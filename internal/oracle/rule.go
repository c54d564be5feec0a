//go:build linux

package oracle

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// CompareRules compares got, the rules the library read from ns, with
// `ip -d -j -4 rule show` and `ip -d -j -6 rule show` and returns a
// readable list of every difference, or nil. Rules are compared as a
// multiset of canonical lines covering everything ip prints: priority,
// "not", source and destination prefixes, tos, fwmark and mask, iif and
// oif, l3mdev, uid range, ip protocol, source and destination port ranges,
// tunnel id, realms, the action (lookup table, goto target, nop,
// blackhole, unreachable, prohibit), suppress_prefixlength,
// suppress_ifgroup and protocol. Rules of the multicast routing families
// in got are not compared.
func CompareRules(ns *nstest.NS, got []*netlink.Rule) error {
	var want []string
	for _, fam := range []string{"-4", "-6"} {
		out, err := ns.IPErr("-d", "-j", fam, "rule", "show")
		if err != nil {
			return err
		}
		var rules []map[string]any
		if strings.TrimSpace(out) != "" {
			if err := json.Unmarshal([]byte(out), &rules); err != nil {
				return fmt.Errorf("ip -j %s rule show: %v\n%s", fam, err, out)
			}
		}
		for _, r := range rules {
			line, err := ruleIPLine(r, fam == "-6")
			if err != nil {
				return fmt.Errorf("ip -j %s rule: %v in %v", fam, err, r)
			}
			want = append(want, line)
		}
	}
	var lines []string
	for _, r := range got {
		if r.Family == unix.AF_INET || r.Family == unix.AF_INET6 {
			lines = append(lines, ruleLibLine(r))
		}
	}
	return routeDiff("rules", lines, want)
}

// ruleProtocols maps /etc/protocols names to numbers, as ip prints
// "ipproto".
var ruleProtocols = func() map[string]uint64 {
	m := map[string]uint64{"tcp": 6, "udp": 17, "icmp": 1, "ipv6-icmp": 58, "sctp": 132}
	f, err := os.Open("/etc/protocols")
	if err != nil {
		return m
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) < 2 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		if v, err := strconv.ParseUint(fields[1], 10, 8); err == nil {
			m[fields[0]] = v
		}
	}
	return m
}()

func ruleFamily(v6 bool) string {
	if v6 {
		return "inet6"
	}
	return "inet"
}

func ruleIPPrefix(r map[string]any, key string, v6 bool) (string, error) {
	s, _ := r[key].(string)
	if s == "" || s == "all" {
		return "all", nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return "", err
	}
	bits := a.BitLen()
	if l, ok := r[key+"len"].(float64); ok {
		bits = int(l)
	}
	return netip.PrefixFrom(a, bits).String(), nil
}

func rulePorts(r map[string]any, key string) string {
	if p, ok := r[key].(float64); ok {
		return fmt.Sprintf(" %s %d-%d", key, int(p), int(p))
	}
	s, ok1 := r[key+"_start"].(float64)
	e, ok2 := r[key+"_end"].(float64)
	if ok1 || ok2 {
		return fmt.Sprintf(" %s %d-%d", key, int(s), int(e))
	}
	return ""
}

// ruleIPLine renders one rule of ip's JSON canonically (see ruleLibLine).
func ruleIPLine(r map[string]any, v6 bool) (string, error) {
	var b strings.Builder
	prio, _ := r["priority"].(float64)
	fmt.Fprintf(&b, "%s %d:", ruleFamily(v6), int64(prio))
	if _, ok := r["not"]; ok {
		b.WriteString(" not")
	}
	// The kernel's own state flags: a goto without its target, an iif or
	// oif that does not exist.
	for _, k := range []string{"unresolved", "iif_detached", "oif_detached"} {
		if ruleHasKey(r, k) {
			b.WriteString(" [" + k + "]")
		}
	}
	src, err := ruleIPPrefix(r, "src", v6)
	if err != nil {
		return "", err
	}
	dst, err := ruleIPPrefix(r, "dst", v6)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(&b, " from %s to %s", src, dst)
	if tos, ok := r["tos"]; ok {
		n, err := routeNumber(tos, routeDSField, nil)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, " tos %#x", n)
	}
	if fw, ok := r["fwmark"]; ok {
		mark, err := routeNumber(fw, nil, nil)
		if err != nil {
			return "", err
		}
		mask := uint64(0xffffffff)
		if m, ok := r["fwmask"]; ok {
			if mask, err = routeNumber(m, nil, nil); err != nil {
				return "", err
			}
		}
		fmt.Fprintf(&b, " fwmark %#x/%#x", mark, mask)
	}
	if s, ok := r["iif"].(string); ok {
		fmt.Fprintf(&b, " iif %s", s)
	}
	if s, ok := r["oif"].(string); ok {
		fmt.Fprintf(&b, " oif %s", s)
	}
	s, ok1 := r["uid_start"].(float64)
	e, ok2 := r["uid_end"].(float64)
	if ok1 || ok2 {
		fmt.Fprintf(&b, " uidrange %d-%d", uint32(s), uint32(e))
	}
	if p, ok := r["ipproto"].(string); ok {
		n, found := ruleProtocols[p]
		if !found {
			v, err := strconv.ParseUint(strings.TrimPrefix(p, "ipproto-"), 10, 8)
			if err != nil {
				return "", fmt.Errorf("unknown ipproto %q", p)
			}
			n = v
		}
		fmt.Fprintf(&b, " ipproto %d", n)
	}
	b.WriteString(rulePorts(r, "sport"))
	b.WriteString(rulePorts(r, "dport"))
	if t, ok := r["tun_id"].(float64); ok {
		fmt.Fprintf(&b, " tun_id %d", uint64(t))
	}
	if _, ok := r["flow_to"]; ok {
		from, err := routeNumber(r["flow_from"], routeRealms, nil)
		if err != nil {
			return "", err
		}
		to, err := routeNumber(r["flow_to"], routeRealms, nil)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, " realms %d/%d", from, to)
	}
	switch {
	case r["l3mdev"] != nil || ruleHasKey(r, "l3mdev"):
		b.WriteString(" l3mdev")
	case ruleHasKey(r, "goto"):
		g, _ := r["goto"].(float64)
		fmt.Fprintf(&b, " goto %d", int64(g))
	case ruleHasKey(r, "nop"):
		b.WriteString(" nop")
	case ruleHasKey(r, "action"):
		a, _ := r["action"].(string)
		b.WriteString(" " + a)
	default:
		t, err := routeNumber(r["table"], routeTables, routeBuiltinTables)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, " lookup %d", t)
	}
	if v, ok := r["suppress_prefixlen"].(float64); ok {
		fmt.Fprintf(&b, " suppress_prefixlength %d", int64(v))
	}
	if v, ok := r["suppress_ifgroup"]; ok {
		n, err := routeNumber(v, routeNameFile("group"), nil)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, " suppress_ifgroup %d", n)
	}
	if p, ok := r["protocol"]; ok {
		n, err := routeNumber(p, routeProtos, routeBuiltinProtos)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, " proto %d", n)
	} else {
		b.WriteString(" proto 0")
	}
	return b.String(), nil
}

func ruleHasKey(m map[string]any, k string) bool {
	_, ok := m[k]
	return ok
}

// ruleLibLine renders a library rule canonically.
func ruleLibLine(r *netlink.Rule) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %d:", ruleFamily(r.Family == unix.AF_INET6), r.Priority)
	if r.Flags&unix.FIB_RULE_INVERT != 0 {
		b.WriteString(" not")
	}
	for _, f := range []struct {
		flag uint32
		name string
	}{{unix.FIB_RULE_UNRESOLVED, "unresolved"}, {unix.FIB_RULE_IIF_DETACHED, "iif_detached"}, {unix.FIB_RULE_OIF_DETACHED, "oif_detached"}} {
		if r.Flags&f.flag != 0 {
			b.WriteString(" [" + f.name + "]")
		}
	}
	pfx := func(p netip.Prefix) string {
		if !p.IsValid() || (p.Bits() == 0 && p.Addr().IsUnspecified()) {
			return "all"
		}
		return p.String()
	}
	fmt.Fprintf(&b, " from %s to %s", pfx(r.Src), pfx(r.Dst))
	if r.TOS != 0 {
		fmt.Fprintf(&b, " tos %#x", r.TOS)
	}
	if r.Mark != 0 || r.Mask != 0 {
		mask := r.Mask
		if mask == 0 {
			mask = 0xffffffff
		}
		fmt.Fprintf(&b, " fwmark %#x/%#x", r.Mark, mask)
	}
	if r.IIFName != "" {
		fmt.Fprintf(&b, " iif %s", r.IIFName)
	}
	if r.OIFName != "" {
		fmt.Fprintf(&b, " oif %s", r.OIFName)
	}
	if u := r.UIDRange; u != nil {
		fmt.Fprintf(&b, " uidrange %d-%d", u.Start, u.End)
	}
	if r.IPProto != 0 {
		fmt.Fprintf(&b, " ipproto %d", r.IPProto)
	}
	if p := r.SPort; p != (netlink.RulePortRange{}) {
		fmt.Fprintf(&b, " sport %d-%d", p.Start, p.End)
	}
	if p := r.DPort; p != (netlink.RulePortRange{}) {
		fmt.Fprintf(&b, " dport %d-%d", p.Start, p.End)
	}
	if r.TunID != 0 {
		fmt.Fprintf(&b, " tun_id %d", r.TunID)
	}
	if r.Flow != 0 {
		fmt.Fprintf(&b, " realms %d/%d", r.Flow>>16, r.Flow&0xffff)
	}
	switch {
	case r.L3MDev != 0:
		b.WriteString(" l3mdev")
	case r.Action == netlink.RuleGoto:
		fmt.Fprintf(&b, " goto %d", r.Goto)
	case r.Action == netlink.RuleNop:
		b.WriteString(" nop")
	case r.Action == netlink.RuleToTable:
		fmt.Fprintf(&b, " lookup %d", r.Table)
	default:
		b.WriteString(" " + r.Action.String())
	}
	if r.SuppressPrefixLen != nil {
		fmt.Fprintf(&b, " suppress_prefixlength %d", *r.SuppressPrefixLen)
	}
	if r.SuppressIfGroup != nil {
		fmt.Fprintf(&b, " suppress_ifgroup %d", *r.SuppressIfGroup)
	}
	fmt.Fprintf(&b, " proto %d", r.Protocol)
	return b.String()
}
