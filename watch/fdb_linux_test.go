package watch_test

import (
	"context"
	"fmt"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/dbtest"
	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"github.com/ipdb-go/ipdb/watch"
	"golang.org/x/sys/unix"
)

func bridgeCmd(t *testing.T, ns *nstest.NS, args ...string) {
	t.Helper()
	out, err := exec.Command("bridge", append([]string{"-n", ns.Name}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("bridge %v: %v: %s", args, err, out)
	}
}

// TestFDBEvents: `bridge fdb add`, `replace` to another port and `del`
// are FDB events (kind fdb, typed FDBEvent) that the link filters select
// by port and by bridge; neighbour subscribers see none of them.
func TestFDBEvents(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch(
			"link add br0 type bridge",
			"link add p0 type veth peer name q0",
			"link add p1 type veth peer name q1",
			"link set p0 master br0",
			"link set p1 master br0",
		)
		db := dbtest.Open(t, ns)
		w := watch.New(db)
		defer w.Close()
		var mu sync.Mutex
		var onP0, onBr []watch.FDBEvent
		var neighs []watch.NeighEvent
		var kinds []netlink.Kind
		defer w.OnFDB(watch.LinkName("p0"), func(e watch.FDBEvent) {
			mu.Lock()
			defer mu.Unlock()
			onP0 = append(onP0, e)
		})()
		defer w.OnFDB(watch.LinkIndex(ns.Ifindex("br0")), func(e watch.FDBEvent) {
			mu.Lock()
			defer mu.Unlock()
			onBr = append(onBr, e)
		})()
		defer w.OnNeigh(nil, func(e watch.NeighEvent) {
			mu.Lock()
			defer mu.Unlock()
			neighs = append(neighs, e)
		})()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		w.Subscribe(ctx, watch.Family(unix.AF_BRIDGE), func(e watch.Event) bool {
			mu.Lock()
			defer mu.Unlock()
			kinds = append(kinds, e.Kind)
			return true
		})
		time.Sleep(100 * time.Millisecond) // the subscriptions start
		mac := "02:00:00:00:00:aa"
		bridgeCmd(t, ns, "fdb", "add", mac, "dev", "p0", "master", "static")
		bridgeCmd(t, ns, "fdb", "replace", mac, "dev", "p1", "master", "static")
		bridgeCmd(t, ns, "fdb", "del", mac, "dev", "p1", "master")
		p0, p1 := ns.Ifindex("p0"), ns.Ifindex("p1")
		eventually(t, "the add, the move and the delete", func() error {
			mu.Lock()
			defer mu.Unlock()
			var add, move, del bool
			for _, e := range onBr {
				switch {
				case e.Op == ipdb.OpAdd && e.New.LLAddr.String() == mac && e.New.Index == p0:
					add = true
				case e.Op == ipdb.OpChange && e.New.LLAddr.String() == mac:
					from, to, ok := e.Moved()
					move = ok && from == p0 && to == p1
				case e.Op == ipdb.OpDelete && e.Old.LLAddr.String() == mac && e.Old.Index == p1:
					del = true
				}
			}
			if !add || !move || !del {
				return fmt.Errorf("bridge br0 events: add %v, move %v, delete %v: %+v", add, move, del, onBr)
			}
			return nil
		})
		mu.Lock()
		defer mu.Unlock()
		var sawAdd bool
		for _, e := range onP0 {
			if e.New != nil && e.New.Index != p0 && e.Old != nil && e.Old.Index != p0 {
				t.Errorf("LinkName(p0) passed an event of another port: %+v", e)
			}
			sawAdd = sawAdd || e.Op == ipdb.OpAdd && e.New.LLAddr.String() == mac
		}
		if !sawAdd {
			t.Errorf("LinkName(p0) did not see the add on p0: %+v", onP0)
		}
		for _, e := range neighs {
			for _, n := range []*netlink.Neigh{e.Old, e.New} {
				if n != nil && n.Family == unix.AF_BRIDGE {
					t.Errorf("a neighbour subscriber got an FDB entry: %v", n)
				}
			}
		}
		for _, k := range kinds {
			if k != netlink.KindFDB && k != netlink.KindLink {
				t.Errorf("Family(AF_BRIDGE) passed an event of kind %v", k)
			}
		}
	})
}

// TestInitialHasEveryKind: WithInitial replays every kind the database
// keeps, so a kind added to netlink.Kinds without a place in the replay
// fails here.
func TestInitialHasEveryKind(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch(
			"link add br0 type bridge",
			"link add p0 type veth peer name q0",
			"link set p0 master br0",
			"link set br0 up", "link set p0 up", "link set q0 up",
			"addr add 192.0.2.1/24 dev br0",
			"route add 198.51.100.0/24 via 192.0.2.2",
			"neigh add 192.0.2.7 lladdr 02:00:00:00:00:07 dev br0",
		)
		ns.WaitCarrier("br0")
		ns.Batch("nexthop add id 7 via 192.0.2.3 dev br0")
		for _, c := range [][]string{
			{"qdisc", "add", "dev", "q0", "root", "handle", "1:", "htb"},
			{"class", "add", "dev", "q0", "parent", "1:", "classid", "1:10", "htb", "rate", "1mbit"},
			{"filter", "add", "dev", "q0", "parent", "1:", "protocol", "all", "prio", "1", "bpf", "bytecode", "1,6 0 0 0,", "flowid", "1:10"},
		} {
			if out, err := exec.Command("tc", append([]string{"-n", ns.Name}, c...)...).CombinedOutput(); err != nil {
				t.Fatalf("tc %v: %v: %s", c, err, out)
			}
		}
		db := dbtest.Open(t, ns)
		s := db.Snapshot()
		for _, k := range netlink.Kinds() {
			n := 0
			for range s.Objects(k) {
				n++
			}
			if n == 0 {
				t.Fatalf("the namespace has no object of kind %v to replay", k)
			}
		}
		w := watch.New(db)
		defer w.Close()
		var mu sync.Mutex
		seen := map[netlink.Kind]int{}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		w.Subscribe(ctx, nil, func(e watch.Event) bool {
			mu.Lock()
			defer mu.Unlock()
			if e.Initial {
				seen[e.Kind]++
			}
			return true
		}, watch.WithInitial())
		eventually(t, "initial events of every kind", func() error {
			mu.Lock()
			defer mu.Unlock()
			for _, k := range netlink.Kinds() {
				if seen[k] == 0 {
					return fmt.Errorf("no initial %v event (seen %v)", k, seen)
				}
			}
			return nil
		})
	})
}
