package main

import (
	"regexp"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
)

// TestMonitorTextNames: the text monitor names links where ip monitor
// does (dev br0, master br0, mv0@v1), never by index (dev #3, dev 3,
// master if2), prints each object once (no "neigh add neigh"), and prints
// one line per change in ip's words, also for the objects that go with a
// deleted link.
func TestMonitorTextNames(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		// The veth pair exists before the monitor starts: when a pair is
		// created, the kernel announces the first end with the index of
		// the second before it announces the second, so both ip monitor
		// and this one may only know it as if<N> for a moment.
		ns.Batch("link add br0 type bridge", "link add v0 type veth peer name v1")
		out, errs, stop := startCmd(t, "--netns", ns.Name, "monitor")
		time.Sleep(300 * time.Millisecond)
		// Each step's changes are awaited before the next, so that the
		// cache does not fold two steps into one revision.
		steps := []struct {
			cmds []string
			want []string
		}{
			{[]string{"link add mv0 link v1 type macvlan mode bridge"},
				[]string{`link add \d+: mv0@v1: <[A-Z,_-]*> mtu 1500 qdisc noop state DOWN group default qlen 1000 link/ether [0-9a-f:]+ brd ff:ff:ff:ff:ff:ff type macvlan$`}},
			{[]string{"link set v0 master br0"},
				[]string{`link change \d+: v0@v1: master none -> br0$`}},
			{[]string{"link set br0 up", "addr add 192.0.2.1/24 dev br0"},
				[]string{`addr add \d+: br0 inet 192\.0\.2\.1/24 scope global br0 valid_lft forever preferred_lft forever$`,
					`route add 192\.0\.2\.0/24 dev br0 proto kernel scope link src 192\.0\.2\.1( linkdown)?$`}},
			{[]string{"route add 198.51.100.0/24 via 192.0.2.254 dev br0 metric 10 proto static"},
				[]string{`route add 198\.51\.100\.0/24 via 192\.0\.2\.254 dev br0 proto static metric 10( linkdown)?$`}},
			{[]string{"neigh add 192.0.2.7 lladdr 02:00:00:00:00:07 dev br0"},
				[]string{`neigh add 192\.0\.2\.7 dev br0 lladdr 02:00:00:00:00:07 PERMANENT$`}},
			{[]string{"rule add ipproto 47 table 100 pref 610"},
				[]string{`rule add 610: inet from all ipproto gre lookup 100$`}},
			{[]string{"link set v0 mtu 1400"},
				[]string{`link change \d+: v0@v1: mtu 1500 -> 1400$`}},
			{[]string{"route del 198.51.100.0/24 via 192.0.2.254 dev br0 metric 10"},
				[]string{`route delete 198\.51\.100\.0/24 via 192\.0\.2\.254 dev br0 proto static metric 10( linkdown)?$`}},
			{[]string{"link set v0 nomaster"},
				[]string{`link change \d+: v0@v1: master br0 -> none$`}},
			// What goes with a deleted link is still named.
			{[]string{"link del br0"},
				[]string{`link delete \d+: br0: `,
					`neigh delete 192\.0\.2\.7 dev br0 lladdr 02:00:00:00:00:07 PERMANENT$`,
					`route delete 192\.0\.2\.0/24 dev br0 proto kernel scope link src 192\.0\.2\.1( linkdown)?$`}},
		}
		var text string
		for _, st := range steps {
			ns.Batch(st.cmds...)
			for _, w := range st.want {
				re := regexp.MustCompile(`(?m)^\[\d+\] ` + w)
				text = waitFor(t, w, out, func(s string) bool { return re.MatchString(s) })
			}
		}
		if code := stop(); code != 0 {
			t.Fatalf("monitor exit %d: %s", code, errs.String())
		}
		for _, bad := range []string{`dev #\d`, `dev \d`, `master \d`, `master if\d`, `dev if\d`, `neigh add neigh`, `\n\s+->`} {
			if m := regexp.MustCompile(bad).FindString(text); m != "" {
				t.Errorf("monitor text has %q (%s)", m, bad)
			}
		}
		if t.Failed() {
			t.Logf("monitor output:\n%s", text)
		}
	})
}
