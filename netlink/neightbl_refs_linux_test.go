package netlink_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/netlink"
)

// TestNeighParmsRefs compares NeighParmsRefs with the refcnt of every
// device's parameters that `ip ntable show` prints, and checks that a
// neighbour entry added or deleted moves it.
func TestNeighParmsRefs(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		// No IPv6 address and no multicast: the kernel makes no entries
		// of its own (for its MLD and IGMP reports) meanwhile, which
		// would move the count under the test's feet.
		ns.Batch("link add va type veth peer name vb",
			"link set va addrgenmode none", "link set vb addrgenmode none",
			"link set va multicast off", "link set vb multicast off",
			"link set va up", "link set vb up",
			"addr add 192.0.2.1/24 dev va")
		c, err := netlink.Dial(&netlink.Config{NetNS: ns.Name})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		ctx := context.Background()
		re := regexp.MustCompile(`(?m)^\s+refcnt (\d+)`)
		oracle := func() uint64 {
			out := ns.IP("ntable", "show")
			// Only the per-device blocks ("dev NAME") count; the table
			// defaults are global.
			var sum uint64
			blocks := regexp.MustCompile(`(?m)^(inet6? \S+)`).Split(out, -1)
			for _, b := range blocks {
				if !regexp.MustCompile(`(?m)^\s*dev \S+`).MatchString(b) {
					continue
				}
				if m := re.FindStringSubmatch(b); m != nil {
					n, _ := strconv.ParseUint(m[1], 10, 64)
					sum += n
				}
			}
			return sum
		}
		r0, devs, err := c.NeighParmsRefs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if devs < 4 { // lo, va, vb: arp and ndisc parameters each
			t.Errorf("%d parameter sets, want at least 4", devs)
		}
		// The kernel adds entries of its own for a while after links come
		// up (its MLD reports): compare once both agree twice in a row.
		if err := nstest.Eventually(10*time.Second, func() error {
			a := oracle()
			r, _, err := c.NeighParmsRefs(ctx)
			if err != nil {
				return err
			}
			if b := oracle(); r != a || r != b {
				return fmt.Errorf("NeighParmsRefs = %d, ip ntable show sums %d then %d", r, a, b)
			}
			r0 = r
			return nil
		}); err != nil {
			t.Error(err)
		}
		ns.Batch("neigh add 192.0.2.9 lladdr 02:00:00:00:00:09 dev va", "neigh add 192.0.2.10 lladdr 02:00:00:00:00:0a dev va")
		r1, _, err := c.NeighParmsRefs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if r1 < r0+2 {
			t.Errorf("after two neighbours: %d, want at least %d", r1, r0+2)
		}
		ns.IP("neigh", "del", "192.0.2.9", "dev", "va")
		// The entry lets go of its reference when it is destroyed, after
		// an RCU grace period (neigh_destroy).
		if err := nstest.Eventually(5*time.Second, func() error {
			r2, _, err := c.NeighParmsRefs(ctx)
			if err != nil {
				return err
			}
			if r2 >= r1 {
				return fmt.Errorf("after a delete: %d, before %d", r2, r1)
			}
			return nil
		}); err != nil {
			t.Error(err)
		}
	})
}
