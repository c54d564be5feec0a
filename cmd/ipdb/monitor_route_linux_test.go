package main

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
)

// TestMonitorRouteChangeNamesOneRoute (issue 11, fault 4): a route's
// change line names one route with ip's words: the identity, then the
// via, dev and proto that did not change, as `ip monitor route` prints
// them. v0 losing carrier makes fe80::/64 of one link of several
// linkdown: the kernel sends no notification for that (ip monitor prints
// nothing; the cache re-reads it), so the words are compared with the
// line `ip route show` prints for the route.
func TestMonitorRouteChangeNamesOneRoute(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch(
			"link add br0 type bridge",
			"link add v0 type veth peer name v1",
			"link add v2 type veth peer name v3",
			"link set v0 master br0",
			"link set br0 up", "link set v0 up", "link set v1 up", "link set v2 up", "link set v3 up",
		)
		ns.SettleDAD()
		out, errs, stop := startCmd(t, "--netns", ns.Name, "monitor", "route")
		time.Sleep(300 * time.Millisecond)
		// v1 goes down: its peer v0 loses carrier, and v0's routes (in
		// particular fe80::/64 dev v0, one of four) become linkdown; so
		// may br0's, whose only port v0 was.
		ns.Batch("link set v1 down")
		re := regexp.MustCompile(`(?m)^\[\d+\] route change (fe80::/64 .*)$`)
		v0 := regexp.MustCompile(`(?m)^\[\d+\] route change fe80::/64 dev v0 `)
		text := waitFor(t, "route change fe80::/64 dev v0", out, func(s string) bool { return v0.MatchString(s) })
		devs := map[string]bool{}
		for _, m := range re.FindAllStringSubmatch(text, -1) {
			line := m[1]
			dev := regexp.MustCompile(` dev (\S+) `).FindStringSubmatch(line)
			if dev == nil {
				t.Errorf("route change line names no dev: %q", line)
				continue
			}
			// Each word before the changes is one ip prints for that
			// route, in ip's order.
			var ident []string
			for _, w := range strings.Fields(line) {
				if strings.HasPrefix(w, "+") || strings.HasPrefix(w, "-") || w == "->" {
					break
				}
				ident = append(ident, w)
			}
			want := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(strings.Join(ident[:3], " ")) + ` .*$`)
			raw, err := exec.Command("ip", "-n", ns.Name, "-6", "route", "show", "table", "all").Output()
			if err != nil {
				t.Fatal(err)
			}
			ipLine := want.FindString(string(raw))
			if ipLine == "" {
				t.Errorf("ip route show has no %q:\n%s", strings.Join(ident[:3], " "), raw)
				continue
			}
			ipWords := strings.Fields(ipLine)
			j := 0
			for _, w := range ident {
				for j < len(ipWords) && ipWords[j] != w {
					j++
				}
				if j == len(ipWords) {
					t.Errorf("ipdb's %q: %q is not among ip monitor's words in order: %q", line, w, ipLine)
					break
				}
			}
			if dev[1] != "v0" && dev[1] != "br0" {
				t.Errorf("route change on %s, want v0 or br0 (the links that lost carrier): %q", dev[1], line)
			}
			devs[dev[1]] = true
		}
		if !devs["v0"] {
			t.Errorf("no route change line names v0:\n%s", text)
		}
		if code := stop(); code != 0 {
			t.Fatalf("monitor exit %d: %s", code, errs.String())
		}
	})
}
