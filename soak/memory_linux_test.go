package soak_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/internal/soak"
	"github.com/ipdb-go/ipdb/ipdb"
	"golang.org/x/sys/unix"
)

var (
	memRoutes = flag.Int("soak.memroutes", 20000, "routes of TestSoakMemoryChurn (the issue's figure: 200000)")
	memCycles = flag.Int("soak.memcycles", 3, "delete-all and re-add cycles of TestSoakMemoryChurn (the issue's: 10)")
)

// memNow returns the live heap after a full GC and the process's resident
// set, in bytes: as the runtime left it, and after it returned all free
// memory to the system.
func memNow() (heap, rssKept, rss uint64) {
	runtime.GC()
	rssKept = vmRSS()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc, rssKept, vmRSS()
}

func vmRSS() uint64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseUint(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// TestSoakMemoryChurn loads -soak.memroutes routes, syncs, then deletes
// them all and adds them again -soak.memcycles times, and checks that the
// live heap after the cycles is at most 1.2 times the heap after the sync
// (plus 4 MiB for the small fixed costs of a small run). It prints both
// figures and the resident set.
func TestSoakMemoryChurn(t *testing.T) {
	if err := errors.Join(soak.AtLeast("soak.memroutes", *memRoutes, 1), soak.AtLeast("soak.memcycles", *memCycles, 1)); err != nil {
		t.Fatal(err)
	}
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		n := *memRoutes
		ns.Batch("link set lo up", "link add i0 type ifb", "link set i0 up")
		adds := routeBatch(n, "add")
		runBatch(t, ns, adds)
		ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
		defer cancel()
		db, err := ipdb.Open(ctx, ipdb.WithNetNS(ns.Name), ipdb.WithTables(200))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.WaitSynced(ctx); err != nil {
			t.Fatal(err)
		}
		heap0, kept0, rss0 := memNow()
		t.Logf("%d routes synced: heap %.1f MB, rss %.1f MB (%.1f MB before the runtime returned free memory)", n, mb(heap0), mb(rss0), mb(kept0))
		for c := range *memCycles {
			start := time.Now()
			runBatch(t, ns, []string{"route flush table 200"})
			waitRoutes(t, db, 0, c, "flush")
			runBatch(t, ns, adds)
			waitRoutes(t, db, n, c, "re-add")
			heap, kept, rss := memNow()
			st := db.Stats()
			t.Logf("cycle %d (%v): heap %.1f MB, rss %.1f MB (%.1f MB before returning); overflows %d, resyncs %d", c+1,
				time.Since(start).Round(time.Millisecond), mb(heap), mb(rss), mb(kept), st.Overflows, st.Resyncs)
		}
		heap1, kept1, rss1 := memNow()
		t.Logf("after %d cycles: heap %.1f MB (%.2fx), rss %.1f MB (%.2fx), before returning %.1f MB (%.2fx)", *memCycles,
			mb(heap1), float64(heap1)/float64(heap0), mb(rss1), float64(rss1)/float64(rss0), mb(kept1), float64(kept1)/float64(kept0))
		if limit := heap0*12/10 + 4<<20; heap1 > limit {
			t.Errorf("live heap after the cycles %.1f MB, more than 1.2 x %.1f MB + 4 MB", mb(heap1), mb(heap0))
		}
		runtime.KeepAlive(db)
	})
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }

func routeBatch(n int, verb string) []string {
	lines := make([]string, 0, n)
	for i := range n {
		// 198.51.100.0/24 host routes told apart by metric.
		lines = append(lines, fmt.Sprintf("route %s 198.51.100.%d/32 dev i0 table 200 metric %d", verb, i%256, i/256))
	}
	return lines
}

func runBatch(t *testing.T, ns *nstest.NS, lines []string) {
	t.Helper()
	cmd := exec.Command("ip", "-n", ns.Name, "-batch", "-")
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ip -batch: %v: %s", err, out)
	}
}

// waitRoutes waits until the database holds want IPv4 routes in table 200;
// if it does not within a minute (the overflow fault of issue 9), it says
// so and forces a resync so that the measurement goes on.
func waitRoutes(t *testing.T, db *ipdb.DB, want, cycle int, step string) {
	t.Helper()
	count := func() int {
		n := 0
		for range db.Snapshot().RoutesInTable(unix.AF_INET, 200) {
			n++
		}
		return n
	}
	for end := time.Now().Add(time.Minute); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if count() == want {
			return
		}
	}
	t.Errorf("cycle %d, %s: the database holds %d routes of table 200, the kernel %d", cycle+1, step, count(), want)
	if err := db.Resync(context.Background()); err != nil {
		t.Fatal(err)
	}
}
