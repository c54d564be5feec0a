package main

import (
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
)

// TestMonitorDevEqualsIP: `monitor addr dev v0` and `monitor route dev
// v0` print the changes `ip monitor address dev v0` and `ip monitor route
// dev v0` print, running side by side over the same changes on v0 and on
// another link: the same addresses and routes, none of the other link's.
func TestMonitorDevEqualsIP(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link set lo up", "link add v0 type veth peer name v1", "link set v0 up", "link set v1 up")
		for _, c := range []struct {
			object, ipObject string
			cmds             []string
		}{
			{"addr", "address", []string{
				"addr add 192.0.2.1/24 dev v0", "addr add 198.51.100.1/24 dev v1",
				"addr add 2001:db8::1/64 dev v0 nodad", "addr add 2001:db8:1::1/64 dev v1 nodad",
				"addr del 192.0.2.1/24 dev v0", "addr del 198.51.100.1/24 dev v1",
			}},
			{"route", "route", []string{
				"addr add 192.0.2.1/24 dev v0", "addr add 198.51.100.1/24 dev v1",
				"route add 203.0.113.0/26 via 192.0.2.254", "route add 203.0.113.64/26 via 198.51.100.254",
				"route add 203.0.113.128/26 nexthop via 192.0.2.253 nexthop via 198.51.100.253",
				"route del 203.0.113.0/26", "route del 203.0.113.64/26",
			}},
		} {
			t.Run(c.object, func(t *testing.T) {
				ip := exec.Command("ip", "-n", ns.Name, "monitor", c.ipObject, "dev", "v0")
				var ipOut lockedBuffer
				ip.Stdout = &ipOut
				if err := ip.Start(); err != nil {
					t.Fatal(err)
				}
				defer func() { _ = ip.Process.Kill(); _ = ip.Wait() }()
				out, errs, stop := startCmd(t, "--netns", ns.Name, "monitor", c.object, "dev", "v0")
				time.Sleep(500 * time.Millisecond)
				ns.Batch(c.cmds...)
				// Both see the changes within a moment.
				time.Sleep(1500 * time.Millisecond)
				if code := stop(); code != 0 {
					t.Fatalf("monitor exit %d: %s", code, errs.String())
				}
				// What each line is of: an address (inet ADDR/LEN) or a
				// route's destination (after ipdb's "[rev] route add" or
				// ip's "Deleted", and a route type), with + for an add or
				// change and - for a delete.
				addrRe := regexp.MustCompile(`inet6? (\S+)`)
				lead := regexp.MustCompile(`^(\[\d+\] \w+ \w+ |Deleted )?((local|broadcast|unicast|multicast|anycast) )?(\S+) `)
				collect := func(text string) []string {
					var got []string
					for _, line := range strings.Split(text, "\n") {
						if line == "" || strings.HasPrefix(line, " ") || strings.Contains(line, "fe80:") || strings.Contains(line, "ff00::") {
							continue // continuation lines; v0's own link-local address and multicast routes come and go with carrier
						}
						var what string
						if m := addrRe.FindStringSubmatch(line); m != nil && c.object == "addr" {
							what = m[1]
						} else if m := lead.FindStringSubmatch(line); m != nil && c.object == "route" {
							what = m[4]
						} else {
							continue
						}
						del := strings.HasPrefix(line, "Deleted ") || strings.Contains(line, " delete ")
						got = append(got, map[bool]string{true: "-", false: "+"}[del]+what)
					}
					slices.Sort(got)
					return slices.Compact(got)
				}
				got, want := collect(out.String()), collect(ipOut.String())
				if len(want) == 0 {
					t.Fatalf("ip monitor saw nothing:\n%s", ipOut.String())
				}
				if !slices.Equal(got, want) {
					t.Errorf("ipdb monitor %s dev v0: %v\nip monitor %s dev v0: %v\nipdb:\n%s\nip:\n%s", c.object, got, c.ipObject, want, out.String(), ipOut.String())
				}
				for _, other := range []string{"198.51.100.", "2001:db8:1:", "203.0.113.64"} {
					if strings.Contains(out.String(), other) && !strings.Contains(ipOut.String(), other) {
						t.Errorf("ipdb monitor dev v0 printed v1's %s", other)
					}
				}
			})
			ns.Batch("addr flush dev v0", "addr flush dev v1", "route flush table main")
		}
		if code, _, errs := runCmd(t, "--netns", ns.Name, "monitor", "addr", "dev", "nosuch0"); code != exitError || !strings.Contains(errs, `Cannot find device "nosuch0"`) {
			t.Errorf("monitor dev nosuch0: exit %d, %q", code, errs)
		}
	})
}
