package ipdb_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/dbtest"
	"github.com/ipdb-go/ipdb/internal/nstest"
	"golang.org/x/sys/unix"
)

// TestCarrierReadBeforeLinkwatch: a bridge loses and regains its carrier
// as its only port leaves and joins, while the database re-reads the
// bridge as fast as it can, so that a re-read sees the new flags before
// the kernel's linkwatch work has flagged or unflagged the bridge's routes
// linkdown (it runs up to a second after the change, and announces the
// bridge only after doing so). The routes must end as ip shows them
// (the soak's failure: routes left without linkdown after a resync).
func TestCarrierReadBeforeLinkwatch(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch(
			"link add br0 type bridge",
			"link add vp type veth peer name vq",
			"link set vq up", "link set vp up",
			"link set vp master br0", "link set br0 up",
			"addr add 192.0.2.10/24 dev br0",
			"route add 198.51.100.0/24 via 192.0.2.1",
			"addr add 2001:db8::10/64 dev br0 nodad",
		)
		ns.WaitCarrier("br0")
		db := dbtest.Open(t, ns)
		settle(t, ns, db, "the set-up")
		br := ns.Ifindex("br0")
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for i := range 4 {
			step := "link set vp nomaster"
			if i%2 == 1 {
				step = "link set vp master br0"
			}
			want := i%2 == 1
			var wg sync.WaitGroup
			wg.Go(func() {
				// Re-read until the database holds the new operstate
				// (IFF_RUNNING), which linkwatch work sets just before
				// its NETDEV_CHANGE handlers run.
				for ctx.Err() == nil {
					if err := db.RereadLink(ctx, br); err != nil {
						t.Error(err)
						return
					}
					if l, err := db.Snapshot().LinkByIndex(br); err == nil && (l.Flags&unix.IFF_RUNNING != 0) == want {
						return
					}
				}
			})
			ns.Batch(step)
			wg.Wait()
			settle(t, ns, db, fmt.Sprintf("%s (round %d)", step, i))
		}
	})
}
