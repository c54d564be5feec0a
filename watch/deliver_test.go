package watch

import (
	"context"
	"net/netip"
	"testing"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// TestDeliverAllocs checks that handing a change to a subscriber allocates
// nothing: under a burst every change reaches every subscriber, and an
// Event on the heap per change and subscriber was most of the garbage the
// watch latency benchmark (bench watchlat) made, and so of its GC tail.
func TestDeliverAllocs(t *testing.T) {
	var seen int
	var last Event
	fn := func(e Event) bool { seen++; last = e; return true }
	s := &subscription{
		names:  &linkNames{byIndex: map[int]string{3: "v0"}, gone: map[int]string{}},
		filter: All(Kinds(netlink.KindRoute), Ops(ipdb.OpAdd)),
		fn:     func(_ context.Context, e *Event) bool { return fn(*e) }, // as Subscribe wraps fn
	}
	r := &netlink.Route{Dst: netip.MustParsePrefix("192.0.2.0/24"), OIF: 3}
	add := ipdb.Change{Rev: 7, Kind: netlink.KindRoute, Op: ipdb.OpAdd, New: r}
	del := ipdb.Change{Rev: 8, Kind: netlink.KindRoute, Op: ipdb.OpDelete, Old: r}
	ctx := context.Background()
	allocs := testing.AllocsPerRun(1000, func() {
		if !s.deliver(ctx, nil, &add) || !s.deliver(ctx, nil, &del) {
			t.Fatal("deliver ended the subscription")
		}
	})
	if allocs != 0 {
		t.Errorf("deliver: %v allocations per two changes, want 0", allocs)
	}
	if seen != 1001 || last.Rev != 7 || last.LinkName != "v0" || last.New != r {
		t.Errorf("subscriber saw %d events, the last %+v; want 1001, the add on v0", seen, last)
	}
}
