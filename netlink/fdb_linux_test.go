package netlink_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/internal/oracle"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// TestFDBLive: FDBAdd, FDBReplace, FDBGet and FDBDel on a bridge port, and
// FDBs equal to `bridge -j fdb show`, all as *FDB of kind fdb.
func TestFDBLive(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c, _, veth1 := addrSetup(t, ns)
		ctx := context.Background()
		ns.Batch("link add br0 type bridge", "link set br0 up", "link set veth1 master br0")
		br0 := ns.Ifindex("br0")
		check := func() []*netlink.FDB {
			t.Helper()
			var err error
			for try := 0; try < 30; try++ {
				if try > 0 {
					time.Sleep(100 * time.Millisecond)
				}
				var got []*netlink.FDB
				if got, err = c.FDBs(ctx, nil); err != nil {
					t.Fatal(err)
				}
				if err = oracle.CompareFDB(ns, got); err == nil {
					return got
				}
			}
			t.Fatal(err)
			return nil
		}
		find := func(l []*netlink.FDB, mac string) *netlink.FDB {
			for _, f := range l {
				if f.LLAddr.String() == mac {
					return f
				}
			}
			return nil
		}
		e := &netlink.FDB{Index: veth1, Flags: unix.NTF_MASTER, LLAddr: neighParseMAC("02:00:00:00:00:cc")}
		if err := c.FDBAdd(ctx, e); err != nil {
			t.Fatal(err)
		}
		f := find(check(), "02:00:00:00:00:cc")
		if f == nil || f.Kind() != netlink.KindFDB || f.Family != unix.AF_BRIDGE || f.Master != br0 || f.State != unix.NUD_NOARP {
			t.Fatalf("after add: %+v", f)
		}
		if err := c.FDBAdd(ctx, e); !errors.Is(err, unix.EEXIST) {
			t.Fatalf("second add: %v, want EEXIST", err)
		}
		e.State = unix.NUD_PERMANENT
		if err := c.FDBReplace(ctx, e); err != nil {
			t.Fatal(err)
		}
		if f := find(check(), "02:00:00:00:00:cc"); f == nil || f.State&unix.NUD_PERMANENT == 0 {
			t.Fatalf("after replace: %+v", f)
		}
		g, err := c.FDBGet(ctx, &netlink.FDB{LLAddr: e.LLAddr, Master: br0})
		if err != nil || g.Index != veth1 || g.Kind() != netlink.KindFDB {
			t.Fatalf("FDBGet: %+v, %v", g, err)
		}
		onPort, err := c.FDBs(ctx, &netlink.FDBFilter{Index: veth1})
		if err != nil || find(onPort, "02:00:00:00:00:cc") == nil {
			t.Fatalf("FDBs(Index: veth1): %v, %v", onPort, err)
		}
		for _, f := range onPort {
			if f.Index != veth1 {
				t.Errorf("FDBs(Index: veth1) gave %+v", f)
			}
		}
		if err := c.FDBDel(ctx, e); err != nil {
			t.Fatal(err)
		}
		if f := find(check(), "02:00:00:00:00:cc"); f != nil {
			t.Fatalf("after delete: %+v", f)
		}
		if _, err := c.FDBGet(ctx, &netlink.FDB{LLAddr: e.LLAddr, Master: br0}); !errors.Is(err, unix.ENOENT) {
			t.Fatalf("FDBGet of a deleted entry: %v, want ENOENT", err)
		}
	})
}
