package main

// Faults a new user met trying issues 17 and 11, checked against ip in a
// throwaway namespace: -6 addr keys, selectors and tables as ip takes them,
// lookup --iif as the kernel's input path, apply of existing links' keys
// and its errors' lines, silent link changes, monitor's new veth, the
// table view of multipath routes.

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
)

// TestAddrFamilyDumpKeysEqualIP: `ip -6 addr show` (a dump, no dev) asks
// the kernel for AF_INET6 links, whose messages carry no qdisc, group or
// master, so ip -j -6 prints none of them; with `dev X`, or -4, or no
// family, the link header is the whole one. Every combination of family
// and dev is compared with ip.
func TestAddrFamilyDumpKeysEqualIP(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		selectorNamespace(ns)
		for _, fam := range [][]string{nil, {"-4"}, {"-6"}} {
			for _, dev := range [][]string{nil, {"dev", "br0"}, {"dev", "v1"}} {
				args := append(append(append([]string{}, fam...), "show", "addr"), dev...)
				ip := append(append(append([]string{"ip", "-j"}, fam...), "addr", "show"), dev...)
				t.Run(strings.Join(args, "_"), func(t *testing.T) {
					compareArgsWithIP(t, ns, args, ip)
				})
			}
		}
	})
}

// The README: "every key but the identity is optional". Changing an
// existing vxlan's remote (which the kernel can do in place) is refused
// unless the file repeats kind and id: "remote, local, port and dev is only
// for kind vxlan", then "a vxlan needs an id".
func TestApplyExistingLinkKeysAreChanges(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.NeedKind(t, "vxlan", "id", "9", "dstport", "4789")
		ns.Batch("link set lo up", "link add vx9 type vxlan id 99 remote 198.51.100.1 local 192.0.2.1 dstport 4789")
		for _, spec := range []string{
			"links:\n  - name: vx9\n    remote: 198.51.100.2\n",
			"links:\n  - name: vx9\n    kind: vxlan\n    remote: 198.51.100.2\n",
		} {
			path := filepath.Join(t.TempDir(), "s.yaml")
			if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, errs := runCmd(t, "-n", ns.Name, "apply", "-f", path, "--dry-run")
			if code != exitOK || !strings.Contains(out, "198.51.100.1 -> 198.51.100.2") {
				t.Errorf("%q: exit %d, %s%s; want a plan remote 198.51.100.1 -> 198.51.100.2", spec, code, out, errs)
			}
		}
		// A macvlan's mode by name only, and then with its kind.
		ns.Batch("link add p0 type veth peer name p1", "link add mv0 link p0 type macvlan mode vepa")
		for _, spec := range []string{
			"links:\n  - name: mv0\n    mode: bridge\n",
			"links:\n  - name: mv0\n    kind: macvlan\n    mode: bridge\n",
		} {
			path := filepath.Join(t.TempDir(), "s.yaml")
			os.WriteFile(path, []byte(spec), 0o644)
			code, out, errs := runCmd(t, "-n", ns.Name, "apply", "-f", path)
			if code != exitApplied {
				t.Errorf("%q: exit %d, %s%s", spec, code, out, errs)
			}
			if got := ns.IP("-d", "link", "show", "mv0"); !strings.Contains(got, "macvlan mode bridge") {
				t.Errorf("%q: mv0 is\n%s", spec, got)
			}
			ns.Batch("link set mv0 type macvlan mode vepa")
		}
		// A link that does not exist still needs its kind's identity; the
		// error names the entry's line.
		for _, c := range []struct{ spec, want string }{
			{"links:\n  - name: br0\n    mtu: 1400\n  - name: vx8\n    remote: 198.51.100.2\n", ":4: remote, local, port and dev is only for kind vxlan"},
			{"links:\n  - name: vx8\n    kind: vxlan\n", ":2: a vxlan needs an id"},
			{"links:\n  - name: mv8\n    kind: macvlan\n", ":2: a macvlan needs a parent"},
			{"links:\n  - name: vx9\n    mode: bridge\n", ":2: mode is only for kind macvlan"},
		} {
			path := filepath.Join(t.TempDir(), "s.yaml")
			os.WriteFile(path, []byte(c.spec), 0o644)
			code, out, errs := runCmd(t, "-n", ns.Name, "apply", "-f", path, "--dry-run")
			if code != exitError || !strings.Contains(errs, path+c.want) {
				t.Errorf("%q: exit %d, %s%s; want exit 1 and %q", c.spec, code, out, errs, c.want)
			}
		}
	})
}

// TestLookupIifFollowsIPInput: lookup --iif is a received packet, and
// ipdb answers as `ip route get ... iif DEV fibmatch` (the kernel's
// ip_route_input_slow): with forwarding off on DEV a forwarded destination
// is "No route to host", a missing or loopback source "Invalid argument",
// a local destination its local route; with forwarding on, the route.
// IPv6 has no forwarding check there.
func TestLookupIifFollowsIPInput(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link set lo up", "link add eth0 type veth peer name eth1",
			"link set eth0 up", "link set eth1 up",
			"addr add 192.0.2.10/24 dev eth0", "route add default via 192.0.2.1 dev eth0",
			"addr add 2001:db8::10/64 dev eth0 nodad", "route add default via 2001:db8::1 dev eth0")
		setForwarding := func(v string) {
			err := ns.Do(func() error {
				return os.WriteFile("/proc/sys/net/ipv4/conf/eth1/forwarding", []byte(v), 0o644)
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		cases := []struct{ dst, from string }{
			{"198.51.100.7", "192.0.2.99"},
			{"198.51.100.7", ""},
			{"192.0.2.10", "192.0.2.99"},
			{"198.51.100.7", "127.0.0.1"},
			{"0.1.2.3", "192.0.2.99"},
			{"0.0.0.0", "192.0.2.99"},
			{"198.51.100.7", "0.1.2.3"},
			{"224.1.1.1", "192.0.2.99"},
			{"2001:db8:9::1", "2001:db8::99"},
		}
		for _, fwd := range []string{"0", "1"} {
			setForwarding(fwd)
			for _, c := range cases {
				ipArgs := []string{"route", "get", c.dst}
				args := []string{"-n", ns.Name, "lookup", c.dst, "--iif", "eth1"}
				if c.from != "" {
					ipArgs = append(ipArgs, "from", c.from)
					args = append(args, "--from", c.from)
				}
				ipOut, ipErr := ns.IPErr(append(ipArgs, "iif", "eth1", "fibmatch")...)
				code, out, errs := runCmd(t, args...)
				switch {
				case ipErr != nil && code != exitError:
					t.Errorf("forwarding %s, %v: ip fails (%v), ipdb exit %d: %s%s", fwd, args, ipErr, code, out, errs)
				case ipErr == nil && code != exitOK:
					t.Errorf("forwarding %s, %v: ip answers %q, ipdb exit %d: %s", fwd, args, ipOut, code, errs)
				case ipErr != nil && !strings.Contains(strings.ToLower(ipErr.Error()), strings.ToLower(errs[strings.LastIndex(errs, ": ")+2:len(errs)-1])):
					t.Errorf("forwarding %s, %v: ip says %v, ipdb %q", fwd, args, ipErr, errs)
				case ipErr == nil && strings.Fields(ipOut)[0] != strings.Fields(out)[0]:
					t.Errorf("forwarding %s, %v: ip answers %q, ipdb %q", fwd, args, ipOut, out)
				}
			}
		}
	})
}

// TestApplySilentLinkChangeVerifiesQuickly: the kernel changes a vxlan's
// remote or a macvlan's mode without an RTM_NEWLINK, so verification used
// to wait for the periodic refresh (2 s each time); the transaction now
// makes the database re-read the link (ipdb.DB.RereadLink).
func TestApplySilentLinkChangeVerifiesQuickly(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.NeedKind(t, "vxlan", "id", "9", "dstport", "4789")
		ns.Batch("link set lo up", "link add p0 type veth peer name p1",
			"link add vx9 type vxlan id 99 remote 198.51.100.1 local 192.0.2.1 dstport 4789",
			"link add mv0 link p0 type macvlan mode vepa")
		for i, spec := range []string{
			"links:\n  - name: vx9\n    remote: 198.51.100.2\n  - name: mv0\n    mode: bridge\n",
			"links:\n  - name: vx9\n    remote: 198.51.100.3\n    local: 192.0.2.3\n  - name: mv0\n    mode: private\n",
		} {
			path := filepath.Join(t.TempDir(), "s.yaml")
			os.WriteFile(path, []byte(spec), 0o644)
			code, out, errs := runCmd(t, "-n", ns.Name, "apply", "-f", path)
			if code != exitApplied {
				t.Fatalf("%d: exit %d: %s%s", i, code, out, errs)
			}
			_, rest, _ := strings.Cut(out, "applied 2 operations in ")
			d, err := time.ParseDuration(strings.TrimSpace(rest))
			if err != nil || d > time.Second {
				t.Errorf("%d: %q: took %v (%v), want well under the 2 s refresh", i, out, d, err)
			}
		}
		if got := ns.IP("-d", "link", "show", "vx9"); !strings.Contains(got, "remote 198.51.100.3") || !strings.Contains(got, "local 192.0.2.3") {
			t.Errorf("vx9 is\n%s", got)
		}
	})
}

// TestRepeatedSelectorsAndMissingTableAsIP: a second dev is refused where
// ip refuses it (link, addr, neigh: exit 2 here, ip's 255) and taken where
// ip takes the last (route); a table that does not exist is ip's "FIB table
// does not exist" with exit 2, an empty one that exists is [] as with ip.
func TestRepeatedSelectorsAndMissingTableAsIP(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		selectorNamespace(ns)
		ns.Batch("route add 203.0.113.0/24 dev v1 table 300", "route del 203.0.113.0/24 dev v1 table 300")
		for _, c := range []struct {
			args []string
			ip   []string
		}{
			{[]string{"show", "link", "dev", "br0", "dev", "v1"}, []string{"link", "show", "dev", "br0", "dev", "v1"}},
			{[]string{"show", "link", "br0", "v1"}, []string{"link", "show", "br0", "v1"}},
			{[]string{"show", "addr", "dev", "br0", "v1"}, []string{"addr", "show", "dev", "br0", "v1"}},
			{[]string{"show", "neigh", "dev", "br0", "dev", "v1"}, []string{"neigh", "show", "dev", "br0", "dev", "v1"}},
			{[]string{"show", "route", "dev", "br0", "dev", "v1"}, []string{"route", "show", "table", "all", "dev", "br0", "dev", "v1"}},
			{[]string{"-4", "show", "route", "table", "999"}, []string{"-4", "route", "show", "table", "999"}},
			{[]string{"-6", "show", "route", "table", "999"}, []string{"-6", "route", "show", "table", "999"}},
			{[]string{"-4", "show", "route", "table", "300"}, []string{"-4", "route", "show", "table", "300"}},
			{[]string{"-4", "show", "route", "table", "100"}, []string{"-4", "route", "show", "table", "100"}},
		} {
			ipOut, ipErr := ns.IPErr(append([]string{"-j"}, c.ip...)...)
			code, out, errs := runCmd(t, append([]string{"-n", ns.Name, "-j"}, c.args...)...)
			switch {
			case ipErr != nil && code != exitUsage:
				t.Errorf("%v: ip fails (%v), ipdb exit %d: %s%s", c.args, ipErr, code, out, errs)
			case ipErr != nil && strings.Contains(ipErr.Error(), "does not exist") && !strings.Contains(errs, "FIB table does not exist"):
				t.Errorf("%v: ip says %v, ipdb %q", c.args, ipErr, errs)
			case ipErr == nil && code != exitOK:
				t.Errorf("%v: ip answers, ipdb exit %d: %s", c.args, code, errs)
			case ipErr == nil && (strings.TrimSpace(ipOut) == "[]") != (strings.TrimSpace(out) == "[]"):
				t.Errorf("%v: ip prints %s, ipdb %s", c.args, ipOut, out)
			}
		}
	})
}

// TestApplySpecErrorNamesTheLine: an error txn finds about one spec (a
// second entry for the same link, a vxlan whose remote and local differ in
// family, a second nexthop id) names the file's line of that entry.
func TestApplySpecErrorNamesTheLine(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link set lo up", "link add br0 type bridge", "link add v0 type veth peer name v1")
		for _, c := range []struct{ spec, want string }{
			{"links:\n  - name: br0\n    kind: bridge\n  - name: v0\n    mtu: 1400\n  - name: br0\n    mtu: 1400\n", ":6: "},
			{"links:\n  - name: v0\n    mtu: 1400\n  - name: vx1\n    kind: vxlan\n    id: 5\n    remote: 198.51.100.1\n    local: 2001:db8::1\n", ":4: "},
			{"nexthops:\n  - {id: 5, dev: v0}\n  - {id: 6, dev: v0}\n  - {id: 5, blackhole: true}\n", ":4: "},
		} {
			path := filepath.Join(t.TempDir(), "s.yaml")
			os.WriteFile(path, []byte(c.spec), 0o644)
			code, out, errs := runCmd(t, "-n", ns.Name, "apply", "-f", path, "--dry-run")
			if code != exitError || !strings.Contains(errs, path+c.want) {
				t.Errorf("%q: exit %d, %s%s; want exit 1 naming line %q", c.spec, code, out, errs, c.want)
			}
		}
	})
}

// TestApplyPlanSaysDefault: the plan names a /0 destination as ip does,
// "default", not 0.0.0.0/0 or ::/0.
func TestApplyPlanSaysDefault(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link set lo up", "link add br0 type bridge", "link set br0 up", "addr add 192.0.2.1/24 dev br0",
			"addr add 2001:db8::1/64 dev br0 nodad")
		path := filepath.Join(t.TempDir(), "s.yaml")
		os.WriteFile(path, []byte("routes:\n  - dst: default\n    gateway: 192.0.2.254\n    table: 100\n  - dst: ::/0\n    gateway: 2001:db8::fe\n    dev: br0\n    table: 100\n"), 0o644)
		code, out, errs := runCmd(t, "-n", ns.Name, "apply", "-f", path, "--dry-run")
		if code != exitApplied || !strings.Contains(out, "+ route default via 192.0.2.254 table 100") ||
			!strings.Contains(out, "+ route default via 2001:db8::fe") || strings.Contains(out, "/0") {
			t.Errorf("exit %d: %s%s", code, out, errs)
		}
	})
}

// TestMonitorTextNewVethPeer: a new pair's first end is announced before
// its peer exists; ip monitor prints it as "v3@NONE:" and nothing when the
// kernel later sets its peer silently, so this monitor prints the same and
// no change line for it.
func TestMonitorTextNewVethPeer(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		out, errs, stop := startCmd(t, "--netns", ns.Name, "monitor", "link")
		time.Sleep(300 * time.Millisecond)
		ns.Batch("link add v2 type veth peer name v3")
		re := regexp.MustCompile(`(?m)^\[\d+\] link add \d+: v2@v3: `)
		waitFor(t, "v2@v3", out, func(s string) bool { return re.MatchString(s) })
		time.Sleep(500 * time.Millisecond) // the cache's settle re-read (20 ms) has run
		ns.Batch("link set lo up")
		text := waitFor(t, "lo", out, func(s string) bool { return strings.Contains(s, " lo: ") })
		if code := stop(); code != 0 {
			t.Fatalf("monitor exit %d: %s", code, errs.String())
		}
		if !regexp.MustCompile(`(?m)^\[\d+\] link add \d+: v3@NONE: `).MatchString(text) {
			t.Errorf("no v3@NONE add line:\n%s", text)
		}
		if strings.Contains(text, "link change") && regexp.MustCompile(`(?m)link change \d+: v[23]@`).MatchString(text) {
			t.Errorf("a change line for the new pair:\n%s", text)
		}
	})
}

// TestPrefixAndTypeSelectorsEqualIP: ip route's bare prefix, exact, root
// and match, and ip link's type, select what ip selects.
func TestPrefixAndTypeSelectorsEqualIP(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		selectorNamespace(ns)
		ns.Batch("route add 198.51.100.192/26 dev v1 table 100", "route add 192.0.2.128/25 dev v1 table 100")
		for _, c := range []struct {
			args []string
			ip   []string
		}{
			{[]string{"show", "link", "type", "veth"}, []string{"ip", "-j", "-d", "link", "show", "type", "veth"}},
			{[]string{"show", "link", "type", "bridge"}, []string{"ip", "-j", "-d", "link", "show", "type", "bridge"}},
			{[]string{"show", "r", "198.51.100.0/24"}, []string{"ip", "-j", "route", "show", "table", "all", "198.51.100.0/24"}},
			{[]string{"show", "r", "exact", "198.51.100.0/24"}, []string{"ip", "-j", "route", "show", "table", "all", "exact", "198.51.100.0/24"}},
			{[]string{"show", "r", "root", "198.51.100.0/24"}, []string{"ip", "-j", "route", "show", "table", "all", "root", "198.51.100.0/24"}},
			{[]string{"show", "r", "match", "198.51.100.200"}, []string{"ip", "-j", "route", "show", "table", "all", "match", "198.51.100.200"}},
			{[]string{"show", "r", "table", "100", "root", "192.0.2.0/24"}, []string{"ip", "-j", "route", "show", "table", "100", "root", "192.0.2.0/24"}},
			{[]string{"-6", "show", "r", "root", "2001:db8::/32"}, []string{"ip", "-j", "-6", "route", "show", "table", "all", "root", "2001:db8::/32"}},
		} {
			t.Run(strings.Join(c.args, "_"), func(t *testing.T) {
				compareArgsWithIP(t, ns, c.args, c.ip)
			})
		}
	})
}

// TestShowMultipathRows: the table view of a multipath route, by
// RTA_MULTIPATH or over a nexthop group, names its hops: the route's row
// says how many, and each hop's row its gateway and device.
func TestShowMultipathRows(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link set lo up", "link add a0 type veth peer name a1", "link set a0 up", "link set a1 up",
			"addr add 192.0.2.1/24 dev a0", "addr add 198.51.100.1/24 dev a1",
			"route add 203.0.113.0/25 nexthop via 192.0.2.2 dev a0 nexthop via 198.51.100.2 dev a1",
			"nexthop add id 1 via 192.0.2.2 dev a0", "nexthop add id 2 via 198.51.100.2 dev a1",
			"nexthop add id 10 group 1/2", "route add 203.0.113.128/25 nhid 10")
		code, out, errs := runCmd(t, "-n", ns.Name, "show", "r")
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errs)
		}
		for _, dst := range []string{"203.0.113.0/25", "203.0.113.128/25"} {
			re := regexp.MustCompile(`(?m)^main +unicast +` + regexp.QuoteMeta(dst) + ` +2 nexthops: .*\n.*nexthop weight 1 +192\.0\.2\.2 +a0 .*\n.*nexthop weight 1 +198\.51\.100\.2 +a1 `)
			if !re.MatchString(out) {
				t.Errorf("%s: no hop rows:\n%s", dst, out)
			}
		}
	})
}
