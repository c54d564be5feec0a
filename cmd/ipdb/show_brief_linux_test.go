package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/internal/oracle"
)

// TestBriefEqualsIP: -br prints ip -br's lines byte for byte (link and
// addr, with -4/-6 and selectors), and -j -br ip -j -br's JSON.
func TestBriefEqualsIP(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		selectorNamespace(ns)
		for _, c := range []struct{ args, ip []string }{
			{[]string{"-br", "show", "link"}, []string{"-br", "link"}},
			{[]string{"-br", "show", "addr"}, []string{"-br", "addr"}},
			{[]string{"show", "a", "-brief"}, []string{"-brief", "addr"}},
			{[]string{"-4", "-br", "show", "addr"}, []string{"-4", "-br", "addr"}},
			{[]string{"-6", "-br", "show", "addr"}, []string{"-6", "-br", "addr"}},
			{[]string{"-br", "show", "link", "up"}, []string{"-br", "link", "show", "up"}},
			{[]string{"-br", "show", "addr", "dev", "v1"}, []string{"-br", "addr", "show", "dev", "v1"}},
		} {
			t.Run(strings.Join(c.args, "_"), func(t *testing.T) {
				err := nstest.Eventually(10*time.Second, func() error {
					want, err := exec.Command("ip", append([]string{"-n", ns.Name}, c.ip...)...).Output()
					if err != nil {
						return err
					}
					code, out, errs := runCmd(t, append([]string{"-n", ns.Name}, c.args...)...)
					if code != exitOK || out != string(want) {
						return fmt.Errorf("exit %d %s\nipdb:\n%s\nip:\n%s", code, errs, out, want)
					}
					return nil
				})
				if err != nil {
					t.Error(err)
				}
				j := append([]string{"-j"}, c.args...)
				compareSelectorWithIP(t, ns, j, append([]string{"ip", "-j"}, c.ip...)...)
			})
		}
		for _, args := range [][]string{{"-br", "show", "route"}, {"-s", "show"}, {"-br", "-d", "show", "link"}, {"-br", "lookup", "192.0.2.1"}} {
			if code, _, errs := runCmd(t, append([]string{"-n", ns.Name}, args...)...); code != exitUsage || errs == "" {
				t.Errorf("%v: exit %d, %q; want a usage error", args, code, errs)
			}
		}
	})
}

// TestStatsEqualIP: -s adds ip -j -s's stats64 to links and addresses
// (-s -s the error counters), and the table ip -s's counters.
func TestStatsEqualIP(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		selectorNamespace(ns)
		// Counters of links that are up move by themselves (IPv6 ND and
		// MLD): a few packets either way.
		tol := maps.Clone(volatileKeys)
		maps.Copy(tol, map[string]float64{"bytes": 2000, "packets": 20, "multicast": 20, "dropped": 20})
		for _, c := range []struct{ args, ip []string }{
			{[]string{"-s", "show", "link"}, []string{"-d", "-s", "link"}},
			{[]string{"-s", "-s", "show", "link", "dev", "br0"}, []string{"-d", "-s", "-s", "link", "show", "dev", "br0"}},
			{[]string{"-s", "show", "addr"}, []string{"-s", "addr"}},
			{[]string{"-ss", "show", "addr", "lo"}, []string{"-s", "-s", "addr", "show", "lo"}},
		} {
			t.Run(strings.Join(c.args, "_"), func(t *testing.T) {
				err := nstest.Eventually(10*time.Second, func() error {
					want, err := exec.Command("ip", append([]string{"-n", ns.Name, "-j"}, c.ip...)...).Output()
					if err != nil {
						return err
					}
					code, out, errs := runCmd(t, append([]string{"-n", ns.Name, "-j"}, c.args...)...)
					if code != exitOK {
						return fmt.Errorf("exit %d: %s", code, errs)
					}
					if !strings.Contains(string(want), `"stats64"`) {
						return fmt.Errorf("ip prints no stats64: %s", want)
					}
					return oracle.CompareJSON([]byte(out), want, oracle.JSONOptions{Extra: ipdbExtraKeys, Tolerance: tol})
				})
				if err != nil {
					t.Errorf("ipdb -j %s vs ip -j %s: %v", strings.Join(c.args, " "), strings.Join(c.ip, " "), err)
				}
			})
		}
		// The table: lo's counters (a quiet link) are ip -s's numbers.
		ns.IP("link", "set", "lo", "up")
		_ = exec.Command("ip", "netns", "exec", ns.Name, "ping", "-c", "2", "-i", "0.2", "-W", "1", "127.0.0.1").Run()
		var ipLinks []struct {
			Name  string `json:"ifname"`
			Stats struct {
				RX map[string]uint64 `json:"rx"`
				TX map[string]uint64 `json:"tx"`
			} `json:"stats64"`
		}
		if err := json.Unmarshal([]byte(ns.IP("-j", "-s", "link", "show", "lo")), &ipLinks); err != nil || len(ipLinks) != 1 {
			t.Fatalf("ip -j -s link show lo: %v", err)
		}
		code, out, errs := runCmd(t, "-n", ns.Name, "-s", "show", "link", "lo")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if code != exitOK || len(lines) != 2 {
			t.Fatalf("-s show link lo: exit %d: %s\n%s", code, errs, out)
		}
		head, row := strings.Fields(lines[0]), strings.Fields(lines[1])
		rx, tx := ipLinks[0].Stats.RX, ipLinks[0].Stats.TX
		for col, want := range map[string]uint64{"RX-BYTES": rx["bytes"], "RX-PACKETS": rx["packets"], "TX-BYTES": tx["bytes"], "TX-PACKETS": tx["packets"], "RX-MCAST": rx["multicast"], "TX-COLLSNS": tx["collisions"]} {
			i := indexOf(head, col)
			if i < 0 || i >= len(row) || row[i] != fmt.Sprint(want) {
				t.Errorf("-s show link lo: %s is %v, ip -s says %d\n%s", col, row, want, out)
			}
		}
	})
}

func indexOf(words []string, w string) int {
	for i, x := range words {
		if x == w {
			return i
		}
	}
	return -1
}
