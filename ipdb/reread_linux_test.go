package ipdb_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// TestRereadLink: a vxlan's remote changes without a notification; with
// the periodic refresh off, the cache sees it only when asked to re-read
// the link, and then at once.
func TestRereadLink(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.NeedKind(t, "vxlan", "id", "9", "dstport", "4789")
		ns.Batch("link add vx9 type vxlan id 99 remote 198.51.100.1 dstport 4789")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		db, err := ipdb.Open(ctx, ipdb.WithNetNS(ns.Name), ipdb.WithRefresh(0))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.WaitSynced(ctx); err != nil {
			t.Fatal(err)
		}
		remote := func() string {
			l, err := db.Snapshot().LinkByName("vx9")
			if err != nil {
				t.Fatal(err)
			}
			v, _ := l.Info.Data.(*netlink.Vxlan)
			if v == nil {
				t.Fatalf("vx9 has no vxlan data: %+v", l.Info)
			}
			return v.Group.String()
		}
		if got := remote(); got != "198.51.100.1" {
			t.Fatalf("remote %s", got)
		}
		ns.Batch("link set vx9 type vxlan remote 198.51.100.2")
		time.Sleep(100 * time.Millisecond)
		if got := remote(); got != "198.51.100.1" {
			t.Logf("the kernel announced the change (remote %s): nothing to re-read", got)
		}
		if err := db.RereadLink(ctx, ns.Ifindex("vx9")); err != nil {
			t.Fatal(err)
		}
		if got := remote(); got != "198.51.100.2" {
			t.Errorf("after RereadLink remote %s, want 198.51.100.2", got)
		}
		if err := db.RereadLink(ctx, 0); !errors.Is(err, ipdb.ErrInvalid) {
			t.Errorf("RereadLink(0): %v, want ErrInvalid", err)
		}
		db.Close()
		if err := db.RereadLink(ctx, 1); !errors.Is(err, ipdb.ErrClosed) {
			t.Errorf("RereadLink after Close: %v, want ErrClosed", err)
		}
	})
}
