package soak_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/internal/soak"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/watch"
	"go.uber.org/goleak"
)

// footprint is what a leak would make grow.
type footprint struct {
	goroutines int
	fds        int
	heap       uint64 // bytes live after a GC
}

func measure(t *testing.T) footprint {
	t.Helper()
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return footprint{goroutines: runtime.NumGoroutine(), fds: len(fds), heap: ms.HeapAlloc}
}

// flat waits a little for goroutines that are on their way out, then
// fails if goroutines or file descriptors grew at all, or the heap by more
// than slack bytes.
func flat(t *testing.T, what string, before footprint, slack uint64) {
	t.Helper()
	var after footprint
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		after = measure(t)
		if after.goroutines <= before.goroutines && after.fds <= before.fds || time.Now().After(end) {
			break
		}
	}
	t.Logf("%s: goroutines %d -> %d, fds %d -> %d, heap %d KiB -> %d KiB",
		what, before.goroutines, after.goroutines, before.fds, after.fds, before.heap>>10, after.heap>>10)
	if after.goroutines > before.goroutines {
		t.Errorf("%s: %d goroutines leaked: %v", what, after.goroutines-before.goroutines,
			goleak.Find(goleak.IgnoreCurrent()))
	}
	if after.fds > before.fds {
		t.Errorf("%s: %d file descriptors leaked", what, after.fds-before.fds)
	}
	if after.heap > before.heap+slack {
		t.Errorf("%s: heap grew by %d KiB (slack %d KiB)", what, (after.heap-before.heap)>>10, slack>>10)
	}
}

// TestSoakLeakOpenClose opens and closes a database -soak.leaks times
// (1,000 for the full guard) on a namespace with a few objects, and checks
// that goroutines, file descriptors and the heap stay flat.
func TestSoakLeakOpenClose(t *testing.T) {
	if err := soak.CheckFlags("soak.leaks"); err != nil {
		t.Fatal(err)
	}
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link set lo up", "link add br0 type bridge", "link set br0 up",
			"addr add 192.0.2.1/24 dev br0", "route add 198.51.100.0/24 via 192.0.2.2 table 100")
		cycle := func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			db, err := ipdb.Open(ctx, ipdb.WithNetNS(ns.Name), ipdb.WithReadBuffer(1<<20))
			if err != nil {
				t.Fatal(err)
			}
			if err := db.WaitSynced(ctx); err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
		}
		for range 5 { // warm up pools and lazily made state
			cycle()
		}
		before := measure(t)
		n := *soak.Leaks
		for range n {
			cycle()
		}
		flat(t, fmt.Sprintf("%d Open/Close cycles", n), before, 1<<20)
	})
}

// TestSoakLeakSubscribe subscribes and unsubscribes 10 x -soak.leaks times
// (10,000 for the full guard) in the three ways package watch offers, while
// the database changes, and checks that goroutines, file descriptors and
// the heap stay flat.
func TestSoakLeakSubscribe(t *testing.T) {
	if err := soak.CheckFlags("soak.leaks"); err != nil {
		t.Fatal(err)
	}
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link set lo up", "link add br0 type bridge")
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		// A short change log: its ring fills during warm-up, so that the
		// changes it keeps are not counted as a leak.
		db, err := ipdb.Open(ctx, ipdb.WithNetNS(ns.Name), ipdb.WithChangeLog(64))
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.WaitSynced(context.Background()); err != nil {
			t.Fatal(err)
		}
		w := watch.New(db)
		defer w.Close()
		// Something to deliver while subscriptions come and go.
		stopGen := make(chan struct{})
		genDone := make(chan struct{})
		go func() {
			defer close(genDone)
			for i := 0; ; i++ {
				select {
				case <-stopGen:
					return
				case <-time.After(20 * time.Millisecond):
				}
				ns.IPErr("link", "set", "br0", "mtu", fmt.Sprint(1400+i%100))
			}
		}()
		cycle := func(i int) {
			switch i % 3 {
			case 0:
				stop := w.Subscribe(context.Background(), nil, func(watch.Event) bool { return true }, watch.WithInitial())
				stop()
			case 1:
				ctx, cancel := context.WithCancel(context.Background())
				ch := w.Events(ctx, watch.Kinds(), watch.WithInitial())
				cancel()
				for range ch {
				}
			default:
				ctx, cancel := context.WithCancel(context.Background())
				stop := w.Subscribe(ctx, nil, func(watch.Event) bool { return false })
				cancel()
				stop()
			}
		}
		for i := range 30 {
			cycle(i)
		}
		before := measure(t)
		n := 10 * *soak.Leaks
		for i := range n {
			cycle(i)
		}
		close(stopGen)
		<-genDone
		flat(t, fmt.Sprintf("%d subscribe/unsubscribe cycles", n), before, 1<<20)
	})
}
