package main

import (
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
)

// TestShowFDBPerVLAN: on a VLAN-filtering bridge, `show fdb -o json`
// prints the entries of one MAC address in several VLANs as `bridge -j
// fdb show` does, one object per VLAN, and the table shows each VLAN.
// Needs bridge VLAN filtering (the guest's 6.1; this host's 6.18 lacks it).
func TestShowFDBPerVLAN(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		if _, err := ns.IPErr("link", "add", "br0", "type", "bridge", "vlan_filtering", "1"); err != nil {
			nstest.LacksKind(t, "bridge vlan_filtering", err)
		}
		ns.Batch(
			"link add p0 type veth peer name q0",
			"link set p0 master br0",
			"link set br0 up", "link set p0 up", "link set q0 up",
		)
		for _, args := range [][]string{
			{"vlan", "add", "vid", "10", "dev", "p0"},
			{"vlan", "add", "vid", "20", "dev", "p0"},
			{"fdb", "add", "02:00:00:00:00:aa", "dev", "p0", "master", "static", "vlan", "10"},
			{"fdb", "add", "02:00:00:00:00:aa", "dev", "p0", "master", "static", "vlan", "20"},
		} {
			bridgeExec(t, ns, args...)
		}
		retry(t, "show fdb", func() error {
			code, out, errs := runCmd(t, "--netns", ns.Name, "show", "fdb", "-o", "json")
			if code != 0 {
				t.Fatalf("show fdb: exit %d: %s", code, errs)
			}
			return compareFDB(t, ns, []byte(out))
		})
		code, out, errs := runCmd(t, "--netns", ns.Name, "show", "fdb")
		if code != 0 {
			t.Fatalf("show fdb: exit %d: %s", code, errs)
		}
		n := 0
		for _, line := range strings.Split(out, "\n") {
			f := strings.Fields(line)
			if len(f) > 2 && f[0] == "p0" && f[1] == "02:00:00:00:00:aa" && (f[2] == "10" || f[2] == "20") {
				n++
			}
		}
		if n != 2 {
			t.Errorf("show fdb lists %d entries of 02:00:00:00:00:aa in VLANs 10 and 20, want 2:\n%s", n, out)
		}
	})
}
