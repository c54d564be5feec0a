package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
)

// TestApplyDoesWhatTheFileSays: kind settings the kernel cannot change in
// place are refused with the attribute named (and those it can are
// changed), every ~ line shows old -> new, route attributes the file
// does not mention (an mtu lock) are kept, an absent rule selects like
// ip rule del, --dry-run refuses what the kernel would, and the exit
// statuses follow the README.
func TestApplyDoesWhatTheFileSays(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		// No IPv6 link-local addresses or DAD: the state before and after
		// a refused file must not change by itself.
		if err := ns.Do(func() error {
			for f, v := range map[string]string{"default/addr_gen_mode": "1", "default/accept_dad": "0", "all/accept_dad": "0"} {
				if err := os.WriteFile("/proc/sys/net/ipv6/conf/"+f, []byte(v), 0); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		ns.Batch(
			"link set lo up",
			"link add br0 type bridge",
			"link set br0 up",
			"addr add 192.0.2.1/24 dev br0",
			"link add p0 type veth peer name p1",
			"link add vx0 type vxlan id 42 remote 198.51.100.1 local 192.0.2.1 dstport 4789",
			"link add mv0 link p0 type macvlan mode bridge",
			"route add 198.51.100.0/24 dev br0 mtu lock 1400",
			"route add 203.0.113.0/24 via 192.0.2.2",
			"rule add pref 110 from 192.0.2.0/24 table 100",
			"rule add pref 111 to 198.51.100.0/24 table 101",
		)
		dir := t.TempDir()
		n := 0
		apply := func(yaml string, args ...string) (int, string, string) {
			t.Helper()
			n++
			file := filepath.Join(dir, "s"+string(rune('a'+n))+".yaml")
			if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			return runCmd(t, append([]string{"--netns", ns.Name, "apply", "-f", file}, args...)...)
		}
		refused := func(what, yaml string, want ...string) {
			t.Helper()
			before := ipState(t, ns)
			for _, dry := range []bool{true, false} {
				var args []string
				if dry {
					args = []string{"--dry-run"}
				}
				code, out, errs := apply(yaml, args...)
				if code != exitError {
					t.Errorf("%s (dry-run %v): exit %d, want 1\n%s%s", what, dry, code, out, errs)
				}
				for _, w := range want {
					if !strings.Contains(errs, w) {
						t.Errorf("%s (dry-run %v): error %q does not say %q", what, dry, errs, w)
					}
				}
			}
			if after := ipState(t, ns); after != before {
				t.Errorf("%s: refused, but the namespace changed", what)
			}
		}

		// 1. Kind settings.
		refused("vxlan id", "links:\n  - name: vx0\n    kind: vxlan\n    id: 43\n", "vx0", "id 42 -> 43", "cannot be changed in place")
		refused("vxlan port", "links:\n  - name: vx0\n    kind: vxlan\n    id: 42\n    port: 4790\n", "dstport 4789 -> 4790")
		refused("vxlan remote family", "links:\n  - name: vx0\n    kind: vxlan\n    id: 42\n    remote: 2001:db8::1\n", "remote 198.51.100.1 -> 2001:db8::1")
		refused("veth peer", "links:\n  - name: p0\n    kind: veth\n    peer: p9\n", "peer p1 -> p9")
		refused("macvlan parent", "links:\n  - name: mv0\n    kind: macvlan\n    parent: br0\n", "link p0 -> br0")
		refused("macvlan passthru", "links:\n  - name: mv0\n    kind: macvlan\n    parent: p0\n    mode: passthru\n", "mode bridge -> passthru")
		code, out, errs := apply("links:\n  - name: vx0\n    kind: vxlan\n    id: 42\n    remote: 198.51.100.2\n    local: 192.0.2.9\n  - name: mv0\n    kind: macvlan\n    parent: p0\n    mode: private\n")
		if code != 0 || !strings.Contains(out, "~ link vx0 type vxlan remote 198.51.100.1 -> 198.51.100.2, local 192.0.2.1 -> 192.0.2.9") ||
			!strings.Contains(out, "~ link mv0 type macvlan mode bridge -> private") {
			t.Errorf("in-place kind changes: exit %d\n%s%s", code, out, errs)
		}
		if d := ns.IP("-d", "link", "show", "vx0"); !strings.Contains(d, "remote 198.51.100.2 local 192.0.2.9") || !strings.Contains(d, "id 42 ") {
			t.Errorf("vx0 after apply: %s", d)
		}
		if d := ns.IP("-d", "link", "show", "mv0"); !strings.Contains(d, "macvlan mode private") {
			t.Errorf("mv0 after apply: %s", d)
		}

		// 2. Route attributes: the lock is kept; changes show old -> new.
		code, out, errs = apply("routes:\n  - dst: 198.51.100.0/24\n    dev: br0\n    mtu: 1400\n")
		if code != 0 || !strings.Contains(out, "nothing to do") {
			t.Errorf("mtu 1400 over mtu lock 1400: exit %d\n%s%s", code, out, errs)
		}
		code, out, errs = apply("routes:\n  - dst: 198.51.100.0/24\n    dev: br0\n    mtu: 1300\n  - dst: 203.0.113.0/24\n    gateway: 192.0.2.3\n")
		if code != 0 || !strings.Contains(out, "~ route 198.51.100.0/24 dev br0: mtu lock 1400 -> lock 1300") ||
			!strings.Contains(out, "~ route 203.0.113.0/24 via 192.0.2.3: via 192.0.2.2 -> 192.0.2.3") {
			t.Errorf("route changes: exit %d\n%s%s", code, out, errs)
		}
		if r := ns.IP("route", "show", "198.51.100.0/24"); !strings.Contains(r, "mtu lock 1300") {
			t.Errorf("route after apply: %s", r)
		}

		// 3. An absent rule selects like ip rule del.
		code, out, errs = apply("rules:\n  - priority: 110\n    absent: true\n  - to: 198.51.100.0/24\n    absent: true\n")
		if code != 0 || !strings.Contains(out, "- rule 110: from 192.0.2.0/24 lookup 100") || !strings.Contains(out, "- rule 111:") {
			t.Errorf("absent rules: exit %d\n%s%s", code, out, errs)
		}
		if r := ns.IP("rule", "show"); strings.Contains(r, "110:") || strings.Contains(r, "111:") {
			t.Errorf("rules after apply:\n%s", r)
		}

		// 5. What the kernel must refuse is refused before sending.
		refused("parent of itself", "links:\n  - name: mv9\n    kind: macvlan\n    parent: mv9\n", "parent (lower device) of itself")
		refused("delete lo", "links:\n  - name: lo\n    absent: true\n", "loopback")
		refused("master not a bridge", "links:\n  - name: p1\n    master: p0\n", "master p0 is a veth")
		refused("mtu range", "links:\n  - name: p0\n    mtu: 70000\n", "mtu 70000 out of the device's range")

		// 6. Exit statuses.
		change := "links:\n  - name: p0\n    mtu: 1400\n"
		if code, out, errs := apply(change, "--dry-run", "--detailed-exitcode"); code != exitChanges {
			t.Errorf("--dry-run --detailed-exitcode with changes: exit %d\n%s%s", code, out, errs)
		}
		if code, out, errs := apply(change, "--dry-run"); code != 0 {
			t.Errorf("--dry-run with changes: exit %d\n%s%s", code, out, errs)
		}
		if code, out, errs := apply(change, "--detailed-exitcode"); code != exitChanges || !strings.Contains(out, "~ link p0 mtu 1500 -> 1400") {
			t.Errorf("--detailed-exitcode applied: exit %d\n%s%s", code, out, errs)
		}
		if code, out, errs := apply(change, "--detailed-exitcode"); code != 0 {
			t.Errorf("--detailed-exitcode, nothing to do: exit %d\n%s%s", code, out, errs)
		}
		if code, _, _ := apply(change, "--detailed-exitcode", "--bogus"); code != exitError {
			t.Errorf("--detailed-exitcode, bad flag: exit %d, want 1", code)
		}
		if code, _, _ := apply(change, "--bogus"); code != exitUsage {
			t.Errorf("bad flag: exit %d, want %d", code, exitUsage)
		}
	})
}
