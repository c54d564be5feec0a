package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/internal/oracle"
)

// iproute2JSON runs each command (ip or bridge, with -n NS) and joins
// their JSON arrays into one, as ipdb prints both families where ip
// prints one.
func iproute2JSON(t *testing.T, ns *nstest.NS, cmds ...[]string) []byte {
	t.Helper()
	all := []json.RawMessage{}
	for _, c := range cmds {
		cmd := exec.Command(c[0], append([]string{"-n", ns.Name}, c[1:]...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v: %s", strings.Join(c, " "), err, stderr.String())
		}
		var part []json.RawMessage
		if len(bytes.TrimSpace(out)) > 0 {
			if err := json.Unmarshal(out, &part); err != nil {
				t.Fatalf("%s: %v: %s", strings.Join(c, " "), err, out)
			}
		}
		all = append(all, part...)
	}
	b, err := json.Marshal(all)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// compareArgsWithIP runs ipdb with args (-o json) and compares its output
// with what the ip (or bridge) commands print together, in order, retrying
// while the kernel's own changes (DAD, neighbour timers) settle. It
// fails if ip's answer is empty: a selector that selects nothing proves
// nothing.
func compareArgsWithIP(t *testing.T, ns *nstest.NS, args []string, cmds ...[]string) {
	t.Helper()
	opts := oracle.JSONOptions{Extra: ipdbExtraKeys, Tolerance: volatileKeys}
	var last error
	err := nstest.Eventually(10*time.Second, func() error {
		want := iproute2JSON(t, ns, cmds...)
		if string(want) == "[]" {
			return fmt.Errorf("ip selects nothing: the setup failed")
		}
		code, out, errs := runCmd(t, append([]string{"-n", ns.Name, "-j"}, args...)...)
		if code != exitOK {
			return fmt.Errorf("exit %d: %s", code, errs)
		}
		last = oracle.CompareJSON([]byte(out), want, opts)
		return last
	})
	if err != nil {
		t.Errorf("ipdb %s vs %v: %v", strings.Join(args, " "), cmds, err)
	}
}

// selectorNamespace builds objects for every selector: routes in main,
// 100 and 1000 (multipath, which `dev` never selects), on two devices,
// neighbours in several states on two links, IPv4 and IPv6 everywhere.
func selectorNamespace(ns *nstest.NS) {
	scriptedChanges(ns)
	ns.Batch(
		"route add 198.51.100.0/24 dev v1 table 100",
		"route add 2001:db8:2::/48 dev v1 table 100",
		"addr add 2001:db8:5::1/64 dev v1 nodad",
		"neigh add 198.51.100.9 lladdr 02:00:00:00:00:09 dev v1",
		"neigh add 198.51.100.10 lladdr 02:00:00:00:00:0a dev v1 nud stale",
		"neigh add 2001:db8:5::9 lladdr 02:00:00:00:00:19 dev v1 nud noarp",
	)
	ns.SettleDAD()
}

// TestShortcutsEqualIP: every word and prefix ip takes for an object shows
// what ip shows for it.
func TestShortcutsEqualIP(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		selectorNamespace(ns)
		for _, c := range []struct {
			words []string
			ip    []string
		}{
			{[]string{"l", "li", "link", "links"}, []string{"ip", "-j", "-d", "link", "show"}},
			{[]string{"a", "ad", "addr", "address", "addrs"}, []string{"ip", "-j", "addr", "show"}},
			{[]string{"r", "ro", "route", "routes"}, []string{"ip", "-j", "route", "show", "table", "all"}},
			{[]string{"n", "ne", "neigh", "neighbour", "neighbor"}, []string{"ip", "-j", "neigh", "show", "nud", "all"}},
			{[]string{"ru", "rule", "rules"}, nil},
			{[]string{"f", "fd", "fdb"}, []string{"bridge", "-j", "fdb", "show"}},
			{[]string{"nex", "nexthop", "nh"}, nil},
		} {
			for _, w := range c.words {
				t.Run(w, func(t *testing.T) {
					switch {
					case c.words[0] == "ru":
						compareArgsWithIP(t, ns, []string{"show", w}, []string{"ip", "-j", "-4", "rule", "show"}, []string{"ip", "-j", "-6", "rule", "show"})
					case c.words[0] == "nex":
						// An empty table proves nothing; add one nexthop first.
						if _, err := ns.IPErr("nexthop", "replace", "id", "7", "via", "192.0.2.77", "dev", "br0"); err != nil {
							t.Fatal(err)
						}
						compareArgsWithIP(t, ns, []string{"show", w}, []string{"ip", "-j", "-d", "nexthop", "show"})
					default:
						compareArgsWithIP(t, ns, []string{"show", w}, c.ip)
					}
				})
			}
		}
		// A prefix of two objects names both; ip's own short words do not
		// count as prefixes of the objects ip puts later (r is route, not
		// rule).
		if k, err := resolveKind(commandKinds, "f"); err != nil || k.table != "fdb" {
			t.Errorf("f among fdb and filter: %v, %v; want fdb (bridge's objects before tc's)", k, err)
		}
		if code, _, errs := runCmd(t, "show", "xyz"); code != exitUsage || !strings.Contains(errs, `unknown table "xyz"`) {
			t.Errorf("show xyz: exit %d, %q", code, errs)
		}
	})
}

// TestSelectorsEqualIP: each selector selects what ip's does, and leaves
// out the keys ip leaves out (route's dev and table, neighbour's dev).
// ipdb prints both families where ip, given a table, prints IPv4 only, so
// ip's answer is `ip -4 ...` then `ip -6 ...`.
func TestSelectorsEqualIP(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		selectorNamespace(ns)
		both := func(args ...string) [][]string {
			return [][]string{
				append([]string{"ip", "-j", "-4"}, args...),
				append([]string{"ip", "-j", "-6"}, args...),
			}
		}
		for _, c := range []struct {
			args []string
			ip   [][]string
		}{
			{[]string{"show", "route", "table", "100"}, both("route", "show", "table", "100")},
			{[]string{"show", "route", "table", "main"}, both("route", "show", "table", "main")},
			{[]string{"show", "route", "table", "local"}, both("route", "show", "table", "local")},
			{[]string{"show", "route", "table", "all"}, [][]string{{"ip", "-j", "route", "show", "table", "all"}}},
			{[]string{"show", "route", "dev", "br0"}, [][]string{{"ip", "-j", "route", "show", "table", "all", "dev", "br0"}}},
			{[]string{"show", "r", "table", "100", "dev", "v1"}, both("route", "show", "table", "100", "dev", "v1")},
			{[]string{"-4", "show", "route"}, [][]string{{"ip", "-j", "-4", "route", "show", "table", "all"}}},
			{[]string{"-6", "show", "route", "dev", "br0"}, [][]string{{"ip", "-j", "-6", "route", "show", "table", "all", "dev", "br0"}}},
			{[]string{"show", "link", "dev", "br0"}, [][]string{{"ip", "-j", "-d", "link", "show", "dev", "br0"}}},
			{[]string{"show", "link", "v1"}, [][]string{{"ip", "-j", "-d", "link", "show", "v1"}}},
			{[]string{"-4", "show", "link"}, [][]string{{"ip", "-j", "-d", "-4", "link", "show"}}},
			{[]string{"-d", "show", "link", "br0"}, [][]string{{"ip", "-j", "-d", "link", "show", "br0"}}},
			{[]string{"show", "route", "-d", "table", "100"}, both("-d", "route", "show", "table", "100")},
			{[]string{"show", "addr", "dev", "v1"}, [][]string{{"ip", "-j", "addr", "show", "dev", "v1"}}},
			{[]string{"show", "addr", "br0"}, [][]string{{"ip", "-j", "addr", "show", "br0"}}},
			{[]string{"-4", "show", "addr"}, [][]string{{"ip", "-j", "-4", "addr", "show"}}},
			{[]string{"-6", "show", "addr", "dev", "br0"}, [][]string{{"ip", "-j", "-6", "addr", "show", "dev", "br0"}}},
			{[]string{"show", "neigh", "dev", "v1"}, [][]string{{"ip", "-j", "neigh", "show", "nud", "all", "dev", "v1"}}},
			{[]string{"show", "neigh", "dev", "v1", "nud", "permanent"}, [][]string{{"ip", "-j", "neigh", "show", "dev", "v1", "nud", "permanent"}}},
			{[]string{"show", "neigh", "dev", "v1", "nud", "perm"}, [][]string{{"ip", "-j", "neigh", "show", "dev", "v1", "nud", "perm"}}},
			{[]string{"show", "neigh", "nud", "permanent", "nud", "stale"}, [][]string{{"ip", "-j", "neigh", "show", "nud", "permanent", "nud", "stale"}}},
			{[]string{"show", "neigh", "nud", "noarp"}, [][]string{{"ip", "-j", "neigh", "show", "nud", "noarp"}}},
			{[]string{"-6", "show", "neigh"}, [][]string{{"ip", "-j", "-6", "neigh", "show", "nud", "all"}}},
			{[]string{"-4", "show", "neigh", "dev", "br0"}, [][]string{{"ip", "-j", "-4", "neigh", "show", "nud", "all", "dev", "br0"}}},
			{[]string{"-6", "show", "rule"}, [][]string{{"ip", "-j", "-6", "rule", "show"}}},
			{[]string{"-4", "show", "rule"}, [][]string{{"ip", "-j", "-4", "rule", "show"}}},
		} {
			t.Run(strings.Join(c.args, "_"), func(t *testing.T) {
				compareArgsWithIP(t, ns, c.args, c.ip...)
			})
		}
		// ip's keys for the selected devices and tables are left out, as ip
		// leaves them out.
		code, out, errs := runCmd(t, "-n", ns.Name, "-j", "show", "route", "table", "100", "dev", "v1")
		if code != exitOK || strings.Contains(out, `"dev"`) || strings.Contains(out, `"table"`) || !strings.Contains(out, "198.51.100.0/24") {
			t.Errorf("show route table 100 dev v1: exit %d, %s %s", code, out, errs)
		}
		// A device that does not exist is an error (exit 1), as for ip.
		if code, _, errs := runCmd(t, "-n", ns.Name, "show", "route", "dev", "nosuch0"); code != exitError || !strings.Contains(errs, `Cannot find device "nosuch0"`) {
			t.Errorf("dev nosuch0: exit %d, %q", code, errs)
		}
		// The table form selects the same rows.
		code, out, _ = runCmd(t, "-n", ns.Name, "show", "neigh", "dev", "v1", "nud", "permanent")
		if code != exitOK || !strings.Contains(out, "198.51.100.9") || strings.Contains(out, "198.51.100.10") || strings.Contains(out, "192.0.2.7") {
			t.Errorf("show neigh dev v1 nud permanent (table): exit %d:\n%s", code, out)
		}
		// -p is ip -j -p: the same JSON, indented.
		code, pretty, errs := runCmd(t, "-n", ns.Name, "-p", "show", "addr", "dev", "br0")
		if code != exitOK || !strings.Contains(pretty, "\n    {\n        \"ifindex\": ") {
			t.Errorf("-p show addr dev br0: exit %d: %s\n%s", code, errs, pretty)
		}
		compareArgsWithIP(t, ns, []string{"-p", "show", "addr", "dev", "br0"}, []string{"ip", "-j", "-p", "addr", "show", "dev", "br0"})
	})
}
