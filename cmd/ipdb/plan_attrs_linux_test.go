package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
)

// TestPlanListsEveryAttribute: apply's plan names every attribute a step
// sets (vxlan id, remote, local, dstport; macvlan mode; route protocol,
// scope and metrics; address label and metric; neighbour state), and each
// `~` line names each changed attribute as old -> new.
func TestPlanListsEveryAttribute(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		file := filepath.Join(t.TempDir(), "state.yaml")
		write := func(s string) {
			if err := os.WriteFile(file, []byte(s), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		write(`
links:
  - {name: br0, kind: bridge, up: true}
  - {name: v0, kind: veth, peer: v1, txqlen: 500}
  - {name: mv0, kind: macvlan, parent: v1, mode: vepa}
  - {name: vx0, kind: vxlan, id: 42, remote: 198.51.100.1, local: 192.0.2.1, port: 4789}
addresses:
  - {link: br0, address: 192.0.2.1/24, label: "br0:a", metric: 7}
routes:
  - {dst: 198.51.100.0/24, gateway: 192.0.2.254, dev: br0, protocol: static, scope: global, mtu: 1400}
neighbours:
  - {link: br0, dst: 192.0.2.7, lladdr: "02:00:00:00:00:07", state: reachable}
`)
		code, out, errs := runCmd(t, "-n", ns.Name, "apply", "-f", file)
		if code != exitOK {
			t.Fatalf("apply: exit %d: %s", code, errs)
		}
		for _, want := range []string{
			"+ link vx0 type vxlan id 42 dstport 4789 remote 198.51.100.1 local 192.0.2.1\n",
			"+ link mv0 type macvlan link v1 mode vepa\n",
			"+ link v0 type veth peer v1 txqueuelen 500\n",
			"+ addr 192.0.2.1/24 dev br0 label br0:a metric 7\n",
			"+ route 198.51.100.0/24 via 192.0.2.254 dev br0 proto static scope global mtu 1400\n",
			"+ neigh 192.0.2.7 lladdr 02:00:00:00:00:07 dev br0 nud reachable\n",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("plan lacks %q:\n%s", want, out)
			}
		}
		write(`
links:
  - {name: vx0, kind: vxlan, id: 42, remote: 198.51.100.2, mtu: 1400}
  - {name: mv0, kind: macvlan, parent: v1, mode: bridge}
routes:
  - {dst: 198.51.100.0/24, gateway: 192.0.2.253, dev: br0, protocol: boot, mtu: 1300}
neighbours:
  - {link: br0, dst: 192.0.2.7, lladdr: "02:00:00:00:00:08", state: permanent}
`)
		code, out, errs = runCmd(t, "-n", ns.Name, "apply", "-f", file, "--dry-run")
		if code != exitOK {
			t.Fatalf("apply --dry-run: exit %d: %s", code, errs)
		}
		for _, want := range []string{
			"~ link vx0 mtu 1500 -> 1400\n",
			"remote 198.51.100.1 -> 198.51.100.2",
			"mode vepa -> bridge",
			"via 192.0.2.254 -> 192.0.2.253", "proto static -> boot", "mtu 1400 -> 1300",
			"lladdr 02:00:00:00:00:07 -> 02:00:00:00:00:08", "nud reachable -> permanent",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("plan lacks %q:\n%s", want, out)
			}
		}
	})
}
