package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/internal/oracle"
)

// lookupObject reads `lookup -j`'s answer, an array of one route as ip
// -j route get prints it, and returns the route.
func lookupObject(t *testing.T, out string) map[string]any {
	t.Helper()
	var got []map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != 1 {
		t.Fatalf("lookup -j: want an array of one route: %v: %s", err, out)
	}
	return got[0]
}

// TestLookupJSONEqualsRouteGet: `ipdb -j lookup ADDR` prints what `ip -j
// route get ADDR fibmatch` prints, key for key and in ip's order (an
// array of one route), and the text what ip's text says: local routes
// say no "table local" while the namespace's local table is merged into
// main (no rule ever added), and say it once a rule has been added and
// removed, and always for IPv6.
func TestLookupJSONEqualsRouteGet(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch(
			"link set lo up",
			"link add br0 type bridge",
			"link set br0 up",
			"addr add 192.0.2.1/24 dev br0",
			"addr add 2001:db8::1/64 dev br0 nodad",
			"route add 198.51.100.0/24 via 192.0.2.254 proto static",
			"route add 203.0.113.0/24 dev br0 src 192.0.2.1 metric 7",
		)
		addrs := []string{"192.0.2.1", "127.0.0.1", "192.0.2.255", "192.0.2.77", "198.51.100.9", "203.0.113.1", "2001:db8::1", "::1", "2001:db8::9"}
		compare := func(stage string) {
			for _, a := range addrs {
				code, out, errs := runCmd(t, "-n", ns.Name, "-j", "lookup", a)
				if code != exitOK {
					t.Errorf("%s: lookup %s: exit %d: %s", stage, a, code, errs)
					continue
				}
				want := ns.IP("-j", "route", "get", a, "fibmatch")
				if err := oracle.CompareJSON([]byte(out), []byte(want), oracle.JSONOptions{Extra: ipdbExtraKeys}); err != nil {
					t.Errorf("%s: lookup %s vs ip -j route get %s fibmatch: %v", stage, a, a, err)
				}
				_, text, _ := runCmd(t, "-n", ns.Name, "lookup", a)
				ipText := ns.IP("route", "get", a, "fibmatch")
				if g, w := strings.Contains(text, "table local"), strings.Contains(ipText, "table local"); g != w {
					t.Errorf("%s: lookup %s: %q; ip route get says %q", stage, a, text, ipText)
				}
			}
		}
		compare("merged")
		// The first rule unmerges the local table, for good.
		ns.IP("rule", "add", "to", "203.0.113.0/24", "lookup", "main", "pref", "100")
		ns.IP("rule", "del", "pref", "100")
		compare("unmerged")
	})
}
