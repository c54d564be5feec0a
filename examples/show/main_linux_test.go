package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/internal/oracle"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// TestCountsAreWhatIproute2Lists: the example's counts of links,
// neighbours, rules and FDB entries are the numbers of objects ip and
// bridge list in the same namespace.
func TestCountsAreWhatIproute2Lists(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch(
			"link add br0 type bridge",
			"link add p0 type veth peer name q0",
			"link set p0 master br0",
			"link add vx0 type vxlan id 42 dstport 4789 remote 198.51.100.1 local 192.0.2.1",
			"link set br0 up", "link set p0 up", "link set q0 up", "link set vx0 up",
			"addr add 192.0.2.1/24 dev br0",
			"neigh add 192.0.2.7 lladdr 02:00:00:00:00:07 dev br0",
			"neigh add proxy 192.0.2.9 dev br0",
		)
		count := func(k netlink.Kind) int {
			n, err := oracle.Count(ns, k)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		iproute2 := func() string {
			return fmt.Sprintf("%d links, %d addresses, %d routes, %d neighbours, %d rules, %d FDB entries",
				count(netlink.KindLink), count(netlink.KindAddr), count(netlink.KindRoute),
				count(netlink.KindNeigh), count(netlink.KindRule), count(netlink.KindFDB))
		}
		// The kernel adds multicast neighbours and FDB entries for a while
		// after links come up: compare runs whose namespace did not change
		// around them.
		deadline := time.Now().Add(15 * time.Second)
		for {
			before := iproute2()
			var out bytes.Buffer
			if err := run(&out, ipdb.WithNetNS(ns.Name)); err != nil {
				t.Fatal(err)
			}
			after := iproute2()
			if before == after && strings.Contains(out.String(), after+" at revision") {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the example counts\n%s\nwant %q", lastLine(out.String()), after)
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
