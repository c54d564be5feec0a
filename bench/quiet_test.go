//go:build linux

package main

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/bench/internal/benchns"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// TestQuietBridgeNoLinkChanges is what report scenario 8 showed: an idle
// DB (default refresh) on a namespace with a bridge that nobody touches
// must not change the bridge. A bridge's IFLA_BR_GC_TIMER (and its other
// timers) count down all the time; a refresh that compares them sees a
// "change" on every re-read.
func TestQuietBridgeNoLinkChanges(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("creates a network namespace, which needs root")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ns, err := benchns.New(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	for _, args := range [][]string{{"link", "add", "br0", "type", "bridge"}, {"link", "set", "br0", "up"}} {
		if err := ns.IP(ctx, args...); err != nil {
			t.Fatal(err)
		}
	}
	db, err := ipdb.Open(ctx, ipdb.WithNetNS(ns.Name))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.WaitSynced(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second) // the bridge's own start-up changes (carrier, IPv6) pass
	rev, st0 := db.Revision(), db.Stats()
	time.Sleep(5 * time.Second) // two refreshes at least
	changes, _, _, err := db.ChangesSince(rev, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range changes {
		if c.Kind == netlink.KindLink {
			if n == 0 {
				t.Logf("first link change: rev %d %s\nold %v\nnew %v", c.Rev, c.Op, c.Old, c.New)
			}
			n++
		}
	}
	if st := db.Stats(); n > 0 {
		t.Errorf("%d link changes in 5 s on a quiet bridge (%d kernel notifications, %d reconciles)", n, st.Events-st0.Events, st.Reconciles-st0.Reconciles)
	}
}
