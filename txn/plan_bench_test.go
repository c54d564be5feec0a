package txn

import (
	"net/netip"
	"testing"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// BenchmarkPlanPresentRoutes plans routes that are all present already:
// the plan must be empty, and its cost is the diff alone.
func BenchmarkPlanPresentRoutes(b *testing.B) {
	const n = 100000
	r, err := ipdb.NewReplay()
	if err != nil {
		b.Fatal(err)
	}
	batch := []netlink.Update{{Type: unix.RTM_NEWLINK, Object: &netlink.Link{Index: 2, Name: "b0", Flags: unix.IFF_UP}}}
	t := &Txn{}
	for i := range n {
		dst := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 32)
		gw := netip.MustParseAddr("192.0.2.2")
		batch = append(batch, netlink.Update{Type: unix.RTM_NEWROUTE, Object: &netlink.Route{Family: unix.AF_INET, Dst: dst, Table: 254, OIF: 2, Gateway: gw, Type: netlink.RouteUnicast, Protocol: netlink.ProtoBoot, Scope: 0}})
		t.Route(RouteSpec{Dst: dst, Gateway: gw, Dev: "b0"})
	}
	r.Apply(batch)
	snap := r.Snapshot()
	b.ResetTimer()
	for range b.N {
		p, err := t.PlanAgainst(snap)
		if err != nil {
			b.Fatal(err)
		}
		if !p.Empty() {
			b.Fatalf("plan of present routes has %d steps: %v", len(p.Steps), p.Steps[0])
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "routes/s")
}
