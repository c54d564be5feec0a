package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/internal/oracle"
)

// MPLS routes and encapsulations need mpls_router and mpls_iptunnel:
// these tests run in the guest's full kernel (.ci/vm) and skip where the
// kernel lacks MPLS (nstest.NeedMPLS).

// mplsNS makes two veth pairs with addresses, MPLS routes (swap, pop,
// multipath, dev only, TTL propagation, a protocol) and IPv4 and IPv6
// routes with MPLS encapsulations, one in another table.
func mplsNS(t *testing.T, ns *nstest.NS) {
	t.Helper()
	ns.NeedMPLS(t, 1000)
	for _, l := range []string{
		"link set lo up",
		"link add a0 type veth peer name a1", "link add c0 type veth peer name c1",
		"link set a0 up", "link set a1 up", "link set c0 up", "link set c1 up",
		"addr add 192.0.2.1/24 dev a0", "addr add 203.0.113.1/24 dev c0",
		"-f mpls route add 100 as to 200/300 via inet 192.0.2.2 dev a0 proto static",
		"-f mpls route add 101 via inet 192.0.2.3 dev a0 ttl-propagate disabled",
		"-f mpls route add 102 ttl-propagate enabled nexthop as to 201 via inet 192.0.2.4 dev a0 nexthop via inet 203.0.113.4 dev c0",
		"-f mpls route add 103 dev c0",
		"route add 198.51.100.0/26 encap mpls 600/601 ttl 9 via 192.0.2.2 dev a0",
		"route add 198.51.100.64/26 nexthop encap mpls 700 via 192.0.2.2 dev a0 nexthop via 203.0.113.2 dev c0",
		"route add 198.51.100.128/26 encap mpls 800 via 203.0.113.2 table 300",
		"-6 route add 2001:db8:5::/64 encap mpls 900 dev c0",
	} {
		ns.IP(strings.Fields(l)...)
	}
}

// TestMPLSShowEqualsIP: show routes lists MPLS routes as ip route show
// table all does (after the IPv4 and IPv6 ones), with -d as ip -d does,
// and -M or -f mpls with dev and table selectors as ip -f mpls route show
// does; prefix selectors and -4 leave them out, as ip does.
func TestMPLSShowEqualsIP(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		mplsNS(t, ns)
		opts := oracle.JSONOptions{Extra: ipdbExtraKeys, Tolerance: volatileKeys}
		show := func(args ...string) string {
			t.Helper()
			code, out, errs := runCmd(t, append([]string{"--netns", ns.Name, "show"}, args...)...)
			if code != 0 {
				t.Fatalf("show %s: exit %d: %s", strings.Join(args, " "), code, errs)
			}
			return out
		}
		for _, c := range []struct{ show, ip []string }{
			{[]string{"routes", "-o", "json"}, []string{"-j", "route", "show", "table", "all"}},
			{[]string{"routes", "-d", "-o", "json"}, []string{"-j", "-d", "route", "show", "table", "all"}},
			{[]string{"route", "-M", "-o", "json"}, []string{"-j", "-f", "mpls", "route", "show"}},
			{[]string{"route", "-f", "mpls", "-d", "-o", "json"}, []string{"-j", "-d", "-f", "mpls", "route", "show"}},
			{[]string{"route", "-M", "dev", "a0", "-o", "json"}, []string{"-j", "-f", "mpls", "route", "show", "dev", "a0"}},
			{[]string{"route", "-M", "table", "main", "-o", "json"}, []string{"-j", "-f", "mpls", "route", "show", "table", "main"}},
			{[]string{"route", "-M", "table", "all", "-d", "-o", "json"}, []string{"-j", "-d", "-f", "mpls", "route", "show", "table", "all"}},
			{[]string{"route", "-M", "table", "300", "-o", "json"}, []string{"-j", "-f", "mpls", "route", "show", "table", "300"}},
			{[]string{"route", "-4", "table", "300", "-o", "json"}, []string{"-j", "-4", "route", "show", "table", "300"}},
		} {
			var got string
			err := nstest.Eventually(10*time.Second, func() error {
				got = show(c.show...)
				return oracle.CompareJSON([]byte(got), []byte(ns.IP(c.ip...)), opts)
			})
			if err != nil {
				t.Errorf("show %s against ip %s: %v", strings.Join(c.show, " "), strings.Join(c.ip, " "), err)
			}
		}
		// The instances this test is about, so that a setup that failed
		// cannot pass unnoticed.
		all := show("routes", "-o", "json")
		for _, w := range []string{`{"dst":"100","to":"200/300","via":{"family":"inet","host":"192.0.2.2"},"dev":"a0","protocol":"static"`,
			`"ttl-propogate":true,"nexthops":[{"to":"201"`, `{"dst":"103","dev":"c0"`, `"encap":"mpls","dst":"600/601","ttl":9`,
			`"encap":"mpls","dst":"900"`} {
			if !strings.Contains(all, w) {
				t.Errorf("show routes -o json lacks %s:\n%s", w, all)
			}
		}
		// A prefix makes ip ask for one IP family; -4 and -6 too.
		for _, args := range [][]string{{"route", "match", "192.0.2.1", "-o", "json"}, {"route", "-4", "-o", "json"}, {"route", "-6", "-o", "json"}} {
			if out := show(args...); strings.Contains(out, `"dst":"10`) {
				t.Errorf("show %s lists MPLS routes:\n%s", strings.Join(args, " "), out)
			}
		}
		// The table: a row per MPLS route and per next hop.
		text := show("routes")
		for _, w := range []string{"as to 200/300 via inet 192.0.2.2", "2 nexthops:", "as to 201 via inet 192.0.2.4"} {
			if !strings.Contains(text, w) {
				t.Errorf("show routes lacks %q:\n%s", w, text)
			}
		}
		// Usage errors.
		for _, args := range [][]string{{"route", "-M", "192.0.2.0/24"}, {"link", "-M"}, {"-M"}, {"route", "-M", "-4"}, {"route", "-f", "link"}} {
			if code, _, _ := runCmd(t, append([]string{"--netns", ns.Name, "show"}, args...)...); code != exitUsage {
				t.Errorf("show %s: exit %d, want %d", strings.Join(args, " "), code, exitUsage)
			}
		}
	})
}

// TestMPLSApply: a state file with MPLS routes and encapsulations is
// applied (show then equals ip), applied again with nothing to do, then
// changed: a label removed, another's next hop and an encapsulation
// changed; an error names the line of its entry.
func TestMPLSApply(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		mplsNS(t, ns)
		dir := t.TempDir()
		apply := func(want int, yaml string, args ...string) string {
			t.Helper()
			file := filepath.Join(dir, "state.yaml")
			if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			code, out, errs := runCmd(t, append([]string{"--netns", ns.Name, "apply", "-f", file, "--detailed-exitcode"}, args...)...)
			if code != want {
				t.Fatalf("apply: exit %d, want %d\n%s%s", code, want, out, errs)
			}
			return out + errs
		}
		state := `
mpls_routes:
  - label: 110
    as: 210/310
    via: 192.0.2.2
    dev: a0
  - label: 111
    ttl_propagate: disabled
    protocol: static
    nexthops:
      - {as: 211, via: 192.0.2.3, dev: a0}
      - {via: 203.0.113.3, dev: c0}
  - label: 101
    via: 192.0.2.3
    dev: a0
    ttl_propagate: enabled
routes:
  - dst: 198.51.100.192/26
    gateway: 192.0.2.2
    encap: {mpls: 1000/1001, ttl: 4}
  - dst: 203.0.113.128/25
    nexthops:
      - {gateway: 192.0.2.2, dev: a0, encap: {mpls: 1100}}
      - {gateway: 203.0.113.2, dev: c0}
`
		out := apply(exitChanges, state)
		for _, w := range []string{"+ route mpls 110 as to 210/310 via inet 192.0.2.2 dev a0",
			"~ route mpls 101 via inet 192.0.2.3 dev a0: ttl-propagate disabled -> enabled",
			"+ route 198.51.100.192/26 encap mpls 1000/1001 ttl 4 via 192.0.2.2"} {
			if !strings.Contains(out, w) {
				t.Errorf("apply output lacks %q:\n%s", w, out)
			}
		}
		ipMPLS := ns.IP("-f", "mpls", "route", "show")
		for _, w := range []string{"110 as to 210/310 via inet 192.0.2.2 dev a0", "111 proto static", "101 via inet 192.0.2.3 dev a0 ttl-propogate enabled"} {
			if !strings.Contains(ipMPLS, w) {
				t.Errorf("ip -f mpls route show lacks %q:\n%s", w, ipMPLS)
			}
		}
		if r := ns.IP("route", "show", "203.0.113.128/25"); !strings.Contains(r, "encap mpls  1100 via 192.0.2.2 dev a0") {
			t.Errorf("203.0.113.128/25: %s", r)
		}
		compareWithIP(t, ns, "routes", func() []byte {
			_, out, _ := runCmd(t, "--netns", ns.Name, "show", "routes", "-o", "json")
			return []byte(out)
		})
		apply(exitApplied, state) // holds: nothing to do

		out = apply(exitChanges, `
mpls_routes:
  - {label: 110, absent: true}
  - {label: 100, as: 200/300, via: 203.0.113.2, dev: c0}
routes:
  - {dst: 198.51.100.0/26, gateway: 192.0.2.2, dev: a0, encap: {mpls: 650}}
`)
		for _, w := range []string{"- route mpls 110", "~ route mpls 100 as to 200/300 via inet 203.0.113.2 dev c0: via inet 192.0.2.2 -> inet 203.0.113.2, dev a0 -> c0",
			"~ route 198.51.100.0/26 encap mpls 650 via 192.0.2.2 dev a0: encap mpls 600/601 ttl 9 -> mpls 650"} {
			if !strings.Contains(out, w) {
				t.Errorf("apply output lacks %q:\n%s", w, out)
			}
		}
		if err := oracle.CompareMPLSRoutes(ns, nil); err == nil || strings.Contains(ns.IP("-f", "mpls", "route", "show"), "110 ") {
			t.Errorf("label 110 left, or no MPLS routes: %v", err)
		}

		// Errors name their entry's line.
		out = apply(exitError, "mpls_routes:\n  - {label: 120, via: 192.0.2.2}\n  - {label: 120, absent: true}\n")
		if !strings.Contains(out, "state.yaml:3:") || !strings.Contains(out, "given twice") {
			t.Errorf("label twice: %s", out)
		}
		out = apply(exitError, "mpls_routes:\n  - {label: 120, as: 3, via: 192.0.2.2}\n")
		if !strings.Contains(out, "state.yaml:2:") || !strings.Contains(out, "implicit null") {
			t.Errorf("implicit null: %s", out)
		}
		out = apply(exitError, "routes:\n  - {dst: 198.51.100.0/26, gateway: 192.0.2.2, encap: {mpls: 1/2/x}}\n")
		if !strings.Contains(out, "state.yaml:2:") || !strings.Contains(out, "bad MPLS labels") {
			t.Errorf("bad labels: %s", out)
		}
	})
}
