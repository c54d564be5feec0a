//go:build linux

package oracle

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// AddrLifetimeSlack is how many seconds a remaining lifetime printed by ip
// may differ from what the library computes from its deadlines: the two
// are computed at slightly different times, both rounded down to whole
// seconds.
var AddrLifetimeSlack uint32 = 2

// ipAddrLink is one link of `ip -j addr show`.
type ipAddrLink struct {
	Ifindex  int              `json:"ifindex"`
	Ifname   string           `json:"ifname"`
	AddrInfo []map[string]any `json:"addr_info"`
}

// addrFlagKeys are the boolean keys ip prints for IFA_F_* flags, except
// "dynamic", which it prints when IFA_F_PERMANENT is absent.
var addrFlagKeys = map[string]bool{
	"secondary": true, "temporary": true, "nodad": true, "optimistic": true,
	"dadfailed": true, "home": true, "deprecated": true, "tentative": true,
	"mngtmpaddr": true, "noprefixroute": true, "autojoin": true,
	"stable-privacy": true, "dynamic": true,
}

// CompareAddrs compares got, the addresses the library read from ns, with
// `ip -j -n NS addr show` and returns a readable list of every difference,
// or nil. Addresses are matched by link index, family, local address and
// prefix length; for each it compares the peer, broadcast, anycast, scope,
// label, the flags ip prints (dynamic, nodad, noprefixroute, tentative...),
// the valid and preferred lifetimes (within AddrLifetimeSlack seconds),
// the metric and the protocol.
func CompareAddrs(ns *nstest.NS, got []*netlink.Addr) error {
	out, err := ns.IPErr("-j", "addr", "show")
	if err != nil {
		return err
	}
	var links []ipAddrLink
	if err := json.Unmarshal([]byte(out), &links); err != nil {
		return fmt.Errorf("ip -j addr show: %v\n%s", err, out)
	}
	want := map[string]map[string]any{}
	for _, l := range links {
		for _, a := range l.AddrInfo {
			local, _ := a["local"].(string)
			plen, _ := a["prefixlen"].(float64)
			fam, _ := a["family"].(string)
			key := fmt.Sprintf("dev %d %s %s/%d", l.Ifindex, fam, local, int(plen))
			if peer, ok := a["address"].(string); ok {
				key += " peer " + peer
			}
			if _, dup := want[key]; dup {
				return fmt.Errorf("ip printed %s twice", key)
			}
			want[key] = a
		}
	}
	var diffs []string
	seen := map[string]bool{}
	for _, a := range got {
		fam := "inet"
		if a.Family == unix.AF_INET6 {
			fam = "inet6"
		}
		key := fmt.Sprintf("dev %d %s %s/%d", a.Index, fam, a.Prefix.Addr(), a.Prefix.Bits())
		if a.Peer.IsValid() {
			key += " peer " + a.Peer.String()
		}
		if seen[key] {
			diffs = append(diffs, key+": library returned it twice")
			continue
		}
		seen[key] = true
		w, ok := want[key]
		if !ok {
			diffs = append(diffs, key+": library has it, ip does not")
			continue
		}
		for _, d := range compareAddr(a, w) {
			diffs = append(diffs, key+": "+d)
		}
	}
	for key := range want {
		if !seen[key] {
			diffs = append(diffs, key+": ip has it, library does not")
		}
	}
	if len(diffs) > 0 {
		sort.Strings(diffs)
		return fmt.Errorf("addresses differ from ip:\n  %s", strings.Join(diffs, "\n  "))
	}
	return nil
}

func compareAddr(a *netlink.Addr, w map[string]any) []string {
	var diffs []string
	str := func(k string) string { s, _ := w[k].(string); return s }
	num := func(k string) (uint32, bool) { f, ok := w[k].(float64); return uint32(f), ok }
	ip := func(field string, v netip.Addr, k string) {
		s := ""
		if v.IsValid() {
			s = v.String()
		}
		if s != str(k) {
			diffs = append(diffs, fmt.Sprintf("%s: library %q, ip %q", field, s, str(k)))
		}
	}
	ip("peer", a.Peer, "address")
	ip("broadcast", a.Broadcast, "broadcast")
	ip("anycast", a.Anycast, "anycast")
	if s := netlink.AddrScopeName(a.Scope); s != str("scope") {
		diffs = append(diffs, fmt.Sprintf("scope: library %q, ip %q", s, str("scope")))
	}
	if a.Label != str("label") {
		diffs = append(diffs, fmt.Sprintf("label: library %q, ip %q", a.Label, str("label")))
	}

	var lib []string
	for _, n := range netlink.AddrFlagNames(a.Family, a.Flags) {
		if n != "permanent" {
			lib = append(lib, n)
		}
	}
	if a.Flags&unix.IFA_F_PERMANENT == 0 {
		lib = append(lib, "dynamic")
	}
	var printed []string
	for k, v := range w {
		if b, ok := v.(bool); ok && b && addrFlagKeys[k] {
			printed = append(printed, k)
		}
	}
	sort.Strings(lib)
	sort.Strings(printed)
	if strings.Join(lib, ",") != strings.Join(printed, ",") {
		diffs = append(diffs, fmt.Sprintf("flags: library %v (%#x), ip %v", lib, a.Flags, printed))
	}

	// What remains now, from the deadlines the cache keeps, as ip computes
	// it when it runs.
	valid, preferred := a.Remaining(time.Now())
	for _, l := range []struct {
		name string
		v    uint32
	}{{"valid_life_time", valid}, {"preferred_life_time", preferred}} {
		p, ok := num(l.name)
		if !ok {
			diffs = append(diffs, l.name+": ip printed none")
			continue
		}
		if p == l.v {
			continue
		}
		if p == netlink.LifetimeForever || l.v == netlink.LifetimeForever || addrAbsDiff(p, l.v) > AddrLifetimeSlack {
			diffs = append(diffs, fmt.Sprintf("%s: library %d, ip %d", l.name, l.v, p))
		}
	}
	if m, _ := num("metric"); m != a.Metric {
		diffs = append(diffs, fmt.Sprintf("metric: library %d, ip %d", a.Metric, m))
	}
	if p, ok := w["protocol"]; ok {
		if s := addrProtoName(a.Proto); fmt.Sprint(p) != s {
			diffs = append(diffs, fmt.Sprintf("protocol: library %q, ip %v", s, p))
		}
	}
	return diffs
}

func addrProtoName(p uint8) string {
	switch p {
	case netlink.AddrProtoKernelLo:
		return "kernel_lo"
	case netlink.AddrProtoKernelRA:
		return "kernel_ra"
	case netlink.AddrProtoKernelLL:
		return "kernel_ll"
	}
	return fmt.Sprint(p)
}

func addrAbsDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}
