//go:build linux

package netlink

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"golang.org/x/sys/unix"
)

// A dump that the kernel marks interrupted (NLM_F_DUMP_INTR) because the
// table changed under it is repeated, with restart called first, and a dump
// still interrupted after the allowed retries is an ErrDumpInterrupted.
func TestDumpInterruptedIsRetried(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.IP("link", "add", "v0", "type", "veth", "peer", "name", "v1")
		ns.IP("link", "set", "v0", "up")
		// Address dumps carry the kernel's address generation; routes are
		// walked without one and are never marked.
		var lines []string
		for i := range 5000 {
			lines = append(lines, fmt.Sprintf("addr add 10.9.%d.%d/32 dev v0", i/256, i%256))
		}
		ns.Batch(lines...)
		churn, err := Dial(&Config{NetNS: ns.Name})
		if err != nil {
			t.Fatal(err)
		}
		defer churn.Close()
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // change the table while it is dumped
			defer wg.Done()
			v1, err := churn.LinkByName(ctx, "v1")
			if err != nil {
				return
			}
			a := &Addr{Family: unix.AF_INET, Index: v1.Index, Prefix: netip.MustParsePrefix("198.51.100.1/32")}
			for ctx.Err() == nil {
				_ = churn.Do(ctx, AddrRequest(Add, a))
				_ = churn.Do(ctx, AddrRequest(Delete, a))
			}
		}()
		defer func() { cancel(); wg.Wait() }()

		c := dialNS(t, ns, Config{MaxDumpRetries: -1})
		body := make([]byte, 8) // struct ifaddrmsg, family AF_INET
		body[0] = unix.AF_INET
		var gotIntr bool
		for range 50 {
			err := c.dump(context.Background(), "route", unix.RTM_GETADDR, body, nil, func([]byte) error { return nil })
			if errors.Is(err, ErrDumpInterrupted) {
				gotIntr = true
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if !gotIntr {
			t.Fatal("50 dumps of 5000 addresses under constant changes were never interrupted; the retry path went untested")
		}
		// With retries, an interrupted dump is repeated after restart.
		r := dialNS(t, ns, Config{MaxDumpRetries: 1000})
		for range 50 {
			restarts, n := 0, 0
			err := r.dump(context.Background(), "route", unix.RTM_GETADDR, body, func() { restarts++; n = 0 }, func([]byte) error { n++; return nil })
			if err != nil {
				t.Fatal(err)
			}
			if restarts > 0 {
				if n < 5000 {
					t.Fatalf("the repeated dump returned %d addresses, want at least 5000", n)
				}
				return
			}
		}
		t.Fatal("no dump was repeated in 50 tries")
	})
}
