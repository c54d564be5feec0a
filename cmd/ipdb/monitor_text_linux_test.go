package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
)

// TestMonitorTextNames: the text monitor names links where ip monitor
// does (dev v0, master br0, v0@v1), never by index (dev #3, dev 3, if2),
// prints each object once (no "neigh add neigh"), and prints one line per
// change in ip's words.
func TestMonitorTextNames(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		out, errs, stop := startCmd(t, "--netns", ns.Name, "monitor")
		time.Sleep(300 * time.Millisecond)
		ns.Batch(
			"link add br0 type bridge",
			"link add v0 type veth peer name v1",
			"link set v0 master br0",
			"link set br0 up",
			"link set v0 up",
			"addr add 192.0.2.1/24 dev br0",
			"route add 198.51.100.0/24 via 192.0.2.254 dev br0 metric 10 proto static",
			"neigh add 192.0.2.7 lladdr 02:00:00:00:00:07 dev br0",
			"rule add ipproto 47 table 100 pref 610",
			"link set v0 mtu 1400",
			"route del 198.51.100.0/24 via 192.0.2.254 dev br0 metric 10",
			"link set v0 nomaster",
		)
		text := waitFor(t, "route delete", out, func(s string) bool {
			return strings.Contains(s, "route delete 198.51.100.0/24") && strings.Contains(s, "master br0 -> none")
		})
		if code := stop(); code != 0 {
			t.Fatalf("monitor exit %d: %s", code, errs.String())
		}
		for _, want := range []string{
			`(?m)^\[\d+\] link add \d+: v0@v1: <[A-Z,_-]*> mtu 1500 qdisc noop state DOWN group default qlen 1000 link/ether [0-9a-f:]+ brd ff:ff:ff:ff:ff:ff type veth$`,
			`(?m)^\[\d+\] link change \d+: v0@v1: master none -> br0$`,
			`(?m)^\[\d+\] addr add \d+: br0 inet 192\.0\.2\.1/24 .*scope global`,
			`(?m)^\[\d+\] route add 198\.51\.100\.0/24 via 192\.0\.2\.254 dev br0 proto static metric 10( linkdown)?$`,
			`(?m)^\[\d+\] route add 192\.0\.2\.0/24 dev br0 proto kernel scope link src 192\.0\.2\.1( linkdown)?$`,
			`(?m)^\[\d+\] neigh add 192\.0\.2\.7 dev br0 lladdr 02:00:00:00:00:07 PERMANENT$`,
			`(?m)^\[\d+\] rule add 610: inet from all ipproto gre lookup 100$`,
			`(?m)^\[\d+\] link change \d+: v0@v1: mtu 1500 -> 1400$`,
			`(?m)^\[\d+\] link change \d+: v0@v1: .*master br0 -> none`,
			`(?m)^\[\d+\] route delete 198\.51\.100\.0/24 via 192\.0\.2\.254 dev br0 proto static metric 10( linkdown)?$`,
		} {
			if !regexp.MustCompile(want).MatchString(text) {
				t.Errorf("monitor text lacks %s", want)
			}
		}
		for _, bad := range []string{`dev #\d`, `dev \d`, `master \d`, `\bif\d+\b`, `neigh add neigh`, `\n\s+->`} {
			if m := regexp.MustCompile(bad).FindString(text); m != "" {
				t.Errorf("monitor text has %q (%s)", m, bad)
			}
		}
		if t.Failed() {
			t.Logf("monitor output:\n%s", text)
		}
	})
}
