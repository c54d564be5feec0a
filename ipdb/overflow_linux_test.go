package ipdb_test

import (
	"context"
	"flag"
	"fmt"
	"net/netip"
	"os/exec"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/dbtest"
	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

var (
	overflowRoutes = flag.Int("overflow.routes", 30000, "routes flushed and re-added per cycle by TestOverflowFlushReadd")
	overflowCycles = flag.Int("overflow.cycles", 3, "flush and re-add cycles of TestOverflowFlushReadd")
	overflowBuffer = flag.Int("overflow.rcvbuf", 4<<20, "listener receive buffer of TestOverflowFlushReadd in bytes; 0 means the default")
	overflowPause  = flag.Duration("overflow.pause", 20*time.Millisecond, "pause of TestOverflowFlushReadd's listener after each batch it reads, as on a loaded host; 0 for none")
)

// TestOverflowFlushReadd is the scenario of a full table flushed and
// re-added while the database listens: `ip route flush table 200` and the
// same routes added again with ip -batch, so that the listener overflows
// in the middle of the burst. Notifications still queued from before the
// loss must never be applied over the resync's dump: once the burst is
// over, the cache must equal the kernel and stay so. The listener pauses
// after each batch, as on a loaded host, so that much is still queued in
// the socket when it overflows. The full scenario is
// -overflow.routes=200000 -overflow.cycles=10 -overflow.rcvbuf=0
// -overflow.pause=0.
func TestOverflowFlushReadd(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.IP("link", "add", "i0", "type", "ifb")
		ns.IP("link", "set", "i0", "up")
		lines := make([]string, *overflowRoutes)
		for i := range lines {
			lines[i] = fmt.Sprintf("route add 10.%d.%d.%d/32 dev i0 table 200", i>>16&0xff, i>>8&0xff, i&0xff)
		}
		ns.Batch(lines...)
		var opts []ipdb.Option
		if *overflowBuffer > 0 {
			opts = append(opts, ipdb.WithReadBuffer(*overflowBuffer))
		}
		if *overflowPause > 0 {
			opts = append(opts, ipdb.WithReadPause(*overflowPause))
		}
		for _, o := range []struct {
			name string
			opts []ipdb.Option
		}{
			{"all tables", opts},
			{"table 200", append(opts, ipdb.WithTables(200))},
		} {
			t.Run(o.name, func(t *testing.T) {
				db := dbtest.Open(t, ns, o.opts...)
				c, err := netlink.Dial(&netlink.Config{NetNS: ns.Name})
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if missing, extra := table200Diff(t, c, db.Snapshot()); missing+extra != 0 {
					t.Fatalf("after the initial sync: %d missing, %d extra", missing, extra)
				}
				for cycle := 1; cycle <= *overflowCycles; cycle++ {
					before := db.Stats()
					if out, err := exec.Command("ip", "-n", ns.Name, "route", "flush", "table", "200").CombinedOutput(); err != nil {
						t.Fatalf("ip route flush: %v: %s", err, out)
					}
					ns.Batch(lines...)
					end := time.Now()
					// The burst is over: the cache must reach the kernel's
					// state and then stay there.
					var missing, extra int
					_ = nstest.Eventually(60*time.Second-time.Since(end), func() error {
						if missing, extra = table200Diff(t, c, db.Snapshot()); missing+extra != 0 {
							return fmt.Errorf("%d missing, %d extra", missing, extra)
						}
						return nil
					})
					equalAfter := time.Since(end)
					after := db.Stats()
					t.Logf("cycle %d: %d routes, equal after %v (%d missing, %d extra at the end), %d overflows, %d resyncs",
						cycle, len(lines), equalAfter.Round(time.Millisecond), missing, extra,
						after.Overflows-before.Overflows, after.Resyncs-before.Resyncs)
					if missing+extra != 0 {
						t.Fatalf("cycle %d: 60 s after the burst the cache lacks %d routes and has %d extra; stats %+v", cycle, missing, extra, after)
					}
					time.Sleep(time.Second)
					if missing, extra = table200Diff(t, c, db.Snapshot()); missing+extra != 0 {
						t.Fatalf("cycle %d: a second after being equal the cache lacks %d routes and has %d extra", cycle, missing, extra)
					}
				}
			})
		}
	})
}

// table200Diff compares table 200 of a snapshot with a dump of the kernel's:
// how many of the kernel's routes the snapshot lacks, and how many it has
// that the kernel lacks.
func table200Diff(t *testing.T, c *netlink.Conn, s *ipdb.Snapshot) (missing, extra int) {
	t.Helper()
	kernel := map[netip.Prefix]bool{}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := c.RouteDump(ctx, &netlink.RouteFilter{Family: unix.AF_INET, Table: 200}, func(r *netlink.Route) error {
		kernel[r.Dst] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	cached := 0
	for r := range s.RoutesInTable(unix.AF_INET, 200) {
		cached++
		if !kernel[r.Dst] {
			extra++
		}
	}
	return len(kernel) - (cached - extra), extra
}
