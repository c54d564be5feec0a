package watch_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/ipdb-go/ipdb/internal/dbtest"
	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/watch"
)

// TestNexthopEvents: OnNexthop delivers typed nexthop events, LinkName
// selects the nexthops on a device, and NexthopID selects a nexthop and
// the routes over it, including the route the kernel removes silently
// when the nexthop is deleted.
func TestNexthopEvents(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch(
			"link add n0 type veth peer name n1",
			"link add w0 type veth peer name w1",
			"link set n0 up", "link set n1 up", "link set w0 up", "link set w1 up",
			"addr add 192.0.2.1/24 dev n0",
			"addr add 198.51.100.1/24 dev w0",
		)
		db := dbtest.Open(t, ns)
		w := watch.New(db)
		defer w.Close()
		var mu sync.Mutex
		var onN0 []watch.NexthopEvent
		var byID []watch.Event
		stop := w.OnNexthop(watch.LinkName("n0"), func(e watch.NexthopEvent) {
			mu.Lock()
			defer mu.Unlock()
			onN0 = append(onN0, e)
		})
		defer stop()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		w.Subscribe(ctx, watch.NexthopID(5), func(e watch.Event) bool {
			mu.Lock()
			defer mu.Unlock()
			byID = append(byID, e)
			return true
		})
		ns.Batch(
			"nexthop add id 5 via 192.0.2.2 dev n0",
			"nexthop add id 6 via 198.51.100.2 dev w0",
			"route add 203.0.113.0/24 nhid 5",
			"route add 203.0.113.128/25 nhid 6",
			"nexthop del id 5",
		)
		eventually(t, "nexthop and route events", func() error {
			mu.Lock()
			defer mu.Unlock()
			var got []string
			for _, e := range byID {
				got = append(got, fmt.Sprintf("%s %s", e.Op, e.Kind))
			}
			if want := "[add nexthop add route delete nexthop delete route]"; fmt.Sprint(got) != want {
				return fmt.Errorf("NexthopID(5) saw %v, want %s", got, want)
			}
			if len(onN0) != 2 || onN0[0].Op != ipdb.OpAdd || onN0[0].New.ID != 5 || onN0[1].Op != ipdb.OpDelete || onN0[1].Old.ID != 5 {
				return fmt.Errorf("OnNexthop(LinkName(n0)) saw %+v", onN0)
			}
			return nil
		})
		if _, err := db.Snapshot().Nexthop(6); err != nil {
			t.Errorf("nexthop 6: %v", err)
		}
	})
}
