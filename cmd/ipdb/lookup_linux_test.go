package main

import (
	"encoding/json"
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
)

// TestLookupMatchesRouteGet: for a set of addresses, the route lookup picks
// from the cache is the one `ip route get ADDR fibmatch` reports, through
// the rules (to-selectors, tables other than main, local table) and with
// --table.
func TestLookupMatchesRouteGet(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch(
			"link set lo up",
			"link add br0 type bridge",
			"link set br0 up",
			"addr add 192.0.2.1/24 dev br0",
			"addr add 2001:db8::1/64 dev br0 nodad",
			"route add default via 192.0.2.254",
			"route add 203.0.113.0/24 via 192.0.2.253 metric 20",
			"route add 203.0.113.0/24 via 192.0.2.252 metric 10",
			"route add 203.0.113.128/25 via 192.0.2.251",
			"route add 198.51.100.0/26 table 1000 nexthop via 192.0.2.2 weight 2 nexthop via 192.0.2.3",
			"route add 198.51.100.64/26 table 1000 via 192.0.2.4",
			"route add 198.51.100.128/25 table 100 via 192.0.2.5",
			"rule add to 198.51.100.0/25 lookup 1000 pref 200",
			"rule add to 198.51.100.192/26 lookup 100 pref 150",
			"route add 2001:db8:1::/48 via 2001:db8::fe",
			"route add 2001:db8:1:2::/64 via 2001:db8::fd",
		)
		cases := []struct {
			addr  string
			table string
		}{
			{"192.0.2.77", ""},
			{"192.0.2.1", ""}, // local table first
			{"198.51.100.5", ""},
			{"198.51.100.70", ""},
			{"198.51.100.200", ""}, // rule 150 -> table 100
			{"198.51.100.150", ""}, // no rule: main, default route
			{"203.0.113.5", ""},    // lowest metric wins
			{"203.0.113.200", ""},  // longest prefix
			{"2001:db8:1::9", ""},
			{"2001:db8:1:2::9", ""},
			{"2001:db8::5", ""},
			{"198.51.100.150", "100"},
			{"198.51.100.5", "1000"},
		}
		for _, c := range cases {
			args := []string{"--netns", ns.Name, "lookup", c.addr, "-o", "json"}
			ipArgs := []string{"route", "get", c.addr, "fibmatch"}
			if c.table != "" {
				// ip route get has no table; a rule ahead of all others
				// makes the kernel look in that table first.
				args = append(args, "--table", c.table)
				ns.IP("rule", "add", "to", c.addr, "lookup", c.table, "pref", "1")
			}
			code, out, errs := runCmd(t, args...)
			if code != 0 {
				t.Errorf("lookup %s: exit %d: %s", c.addr, code, errs)
				continue
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatal(err)
			}
			var want []map[string]any
			ns.IPJSON(&want, ipArgs...)
			if c.table != "" {
				ns.IP("rule", "del", "pref", "1")
			}
			if len(want) != 1 {
				t.Fatalf("ip route get %s: %v", c.addr, want)
			}
			for _, k := range []string{"type", "dst", "gateway", "dev", "metric", "nexthops", "prefsrc", "protocol", "scope"} {
				if g, w := jsonText(got[k]), jsonText(want[0][k]); g != w {
					t.Errorf("lookup %s table %q: %s is %s, ip route get says %s\n got %s\nwant %v", c.addr, c.table, k, g, w, out, want[0])
				}
			}
		}
		// No route at all: a clear error, exit 1.
		ns.IP("route", "del", "default")
		code, _, errs := runCmd(t, "--netns", ns.Name, "lookup", "198.51.100.150")
		if code != 1 || errs == "" {
			t.Errorf("lookup without a route: exit %d, %q", code, errs)
		}
	})
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
