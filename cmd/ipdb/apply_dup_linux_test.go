package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
)

// TestApplyDuplicateEntries: two entries of one object, in any section,
// are refused by --dry-run and by apply with both lines (exit 1), and
// nothing changes.
func TestApplyDuplicateEntries(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link set lo up", "link add br0 type bridge", "link set br0 up", "addr add 192.0.2.1/24 dev br0")
		for _, c := range []struct{ name, text, want string }{
			{"links", "links:\n  - {name: x0, kind: bridge}\n  - {name: x0, kind: bridge, mtu: 1400}\n", ":3: txn: invalid spec: link x0: two specs (and line 2)"},
			{"addresses", "addresses:\n  - link: br0\n    address: 192.0.2.9/24\n  - link: br0\n    address: 192.0.2.9/24\n", ":4: txn: invalid spec: address 192.0.2.9/24 on br0: two specs (and line 2)"},
			{"routes", "routes:\n  - dst: 198.51.100.0/24\n    dev: br0\n  - dst: 203.0.113.0/24\n    dev: br0\n  - dst: 198.51.100.0/24\n    gateway: 192.0.2.254\n", ":6: txn: invalid spec: route 198.51.100.0/24: two specs (and line 2)"},
			{"neighbours", "neighbours:\n  - {link: br0, dst: 192.0.2.7, lladdr: \"02:00:00:00:00:07\"}\n  - {link: br0, dst: 192.0.2.7, lladdr: \"02:00:00:00:00:08\"}\n", ":3: txn: invalid spec: neighbour 192.0.2.7 on br0: two specs (and line 2)"},
			{"rules", "rules:\n  - {priority: 100, table: 100}\n  - {priority: 100, table: 100}\n", ":3: txn: invalid spec: rule 100: two specs (and line 2)"},
			{"nexthops", "nexthops:\n  - {id: 1, blackhole: true}\n  - {id: 1, blackhole: true}\n", ":3: txn: invalid spec: nexthop id 1: two specs (and line 2)"},
		} {
			// What the files could change, without what the kernel adds
			// by itself meanwhile (IPv6 link-local, multicast entries).
			state := func() string {
				return ns.IP("link") + ns.IP("-4", "addr") + ns.IP("-4", "route", "show", "table", "all") +
					ns.IP("neigh", "show", "nud", "permanent") + ns.IP("rule") + ns.IP("nexthop")
			}
			t.Run(c.name, func(t *testing.T) {
				file := filepath.Join(t.TempDir(), "state.yaml")
				if err := os.WriteFile(file, []byte(c.text), 0o600); err != nil {
					t.Fatal(err)
				}
				before := state()
				for _, args := range [][]string{{"--dry-run"}, nil} {
					code, out, errs := runCmd(t, append([]string{"-n", ns.Name, "apply", "-f", file}, args...)...)
					if code != exitError || errs != "ipdb apply: "+file+c.want+"\n" || out != "" {
						t.Errorf("apply %v: exit %d, stdout %q, stderr %q; want %q", args, code, out, errs, file+c.want)
					}
				}
				after := state()
				if before != after {
					t.Errorf("a refused apply changed the namespace:\n%s\n---\n%s", before, after)
				}
			})
		}
	})
}
