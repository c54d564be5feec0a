package ipdb_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/dbtest"
	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// nexthopBase is two veth pairs up (n0 and w0 with IPv4 and IPv6
// addresses) and loopback up (blackhole nexthops use it).
var nexthopBase = []string{
	"link set lo up",
	"link add n0 type veth peer name n1",
	"link add w0 type veth peer name w1",
	"link set n0 up", "link set n1 up", "link set w0 up", "link set w1 up",
	"addr add 192.0.2.1/24 dev n0",
	"addr add 198.51.100.1/24 dev w0",
	"addr add 2001:db8::1/64 dev n0 nodad",
	"addr add 2001:db8:1::1/64 dev w0 nodad",
}

// TestNexthopObjects follows what the kernel does to nexthop objects and
// the routes over them without telling, each step compared with ip -j
// (routes, nexthops and everything else): the cases of issue 14.
func TestNexthopObjects(t *testing.T) {
	cases := []silentCase{
		{"delete a nexthop used by a route and a group", []string{
			"nexthop add id 100 via 192.0.2.2 dev n0",
			"nexthop add id 101 via 192.0.2.3 dev n0",
			"nexthop add id 200 group 100/101",
			"route add 203.0.113.192/26 nhid 100",
			"route add 203.0.113.0/24 nhid 200",
			"route add 203.0.113.0/24 nhid 100 table 300",
		}, [][]string{
			// 198.51.100.0/24 goes without RTM_DELROUTE; 203.0.113.0/24
			// now goes via .3 only, also unannounced.
			{"nexthop", "del", "id", "100"},
			{"nexthop", "del", "id", "101"},
		}},
		{"a group keeps its route when one member's link goes down", []string{
			"nexthop add id 1 via 192.0.2.2 dev n0",
			"nexthop add id 2 via 198.51.100.2 dev w0",
			"nexthop add id 3 group 1/2",
			"route add 203.0.113.0/24 nhid 3",
			"route add 203.0.113.128/25 nhid 1",
		}, [][]string{
			{"link", "set", "n0", "down"},
			{"link", "set", "n0", "up"},
			{"nexthop", "add", "id", "1", "via", "192.0.2.2", "dev", "n0"},
			{"nexthop", "replace", "id", "3", "group", "1/2"},
			{"link", "del", "w0"},
		}},
		{"carrier loss on a member's link", []string{
			"nexthop add id 1 via 192.0.2.2 dev n0",
			"nexthop add id 2 via 198.51.100.2 dev w0",
			"nexthop add id 3 group 1,5/2 type resilient buckets 16",
			"route add 203.0.113.0/24 nhid 3",
		}, [][]string{
			{"link", "set", "n1", "down"},
			{"link", "set", "n1", "up"},
		}},
		{"IPv6 routes and an emptied group", []string{
			"nexthop add id 10 via 2001:db8::2 dev n0",
			"nexthop add id 11 via 2001:db8:1::2 dev w0",
			"nexthop add id 12 group 10/11",
			"nexthop add id 13 group 10",
			"nexthop add id 14 blackhole",
			"route add 2001:db8:a::/48 nhid 12",
			"route add 2001:db8:b::/48 nhid 13",
			"route add 2001:db8:c::/48 nhid 10 metric 5",
			"route add 192.0.2.64/26 nhid 14",
			"route add 192.0.2.128/25 nhid 11",
		}, [][]string{
			{"nexthop", "replace", "id", "10", "via", "2001:db8::3", "dev", "n0"},
			{"link", "set", "w0", "down"},
			{"nexthop", "del", "id", "10"},
			{"nexthop", "del", "id", "14"},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
				ns.Batch(nexthopBase...)
				ns.Batch(c.setup...)
				db := dbtest.Open(t, ns)
				settle(t, ns, db, "the set-up")
				for _, step := range c.steps {
					ns.IP(step...)
					settle(t, ns, db, fmt.Sprint(step))
				}
			})
		})
	}
}

// TestNexthopReplaceIsAChange: `ip nexthop replace` changes the hops of
// the routes over the nexthop under the same route, so watchers see a
// change of each route, not a delete and an add, and a change of the
// nexthop.
func TestNexthopReplaceIsAChange(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch(nexthopBase...)
		ns.Batch(
			"nexthop add id 1 via 192.0.2.2 dev n0",
			"nexthop add id 2 via 192.0.2.3 dev n0",
			"nexthop add id 3 group 1/2",
			"route add 203.0.113.0/24 nhid 3",
			"route add 198.51.100.128/25 nhid 1",
		)
		db := dbtest.Open(t, ns)
		settle(t, ns, db, "the set-up")
		rev := db.Revision()
		ns.IP("nexthop", "replace", "id", "1", "via", "192.0.2.9", "dev", "n0")
		settle(t, ns, db, "nexthop replace")
		// What the kernel re-announces may come after the settle: wait
		// for the last change to be quiet.
		time.Sleep(300 * time.Millisecond)
		changes, _, _, err := db.ChangesSince(rev, 0)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, c := range changes {
			// The link-local addresses, routes and neighbours of IPv6
			// settle on their own: count what the replace touches.
			if r, ok := c.New.(*netlink.Route); c.Kind == netlink.KindRoute && (!ok || r.Extra == nil || r.Extra.NHID == 0) {
				continue
			}
			if c.Kind != netlink.KindRoute && c.Kind != netlink.KindNexthop {
				continue
			}
			got[fmt.Sprintf("%s %s", c.Op, c.Kind)]++
			if c.Op == ipdb.OpChange && ipdb.Equal(c.Old, c.New) {
				t.Errorf("a change without a difference: %v", c.New)
			}
		}
		want := map[string]int{"change nexthop": 1, "change route": 2}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("changes after the replace: %v, want %v", got, want)
		}
		s := db.Snapshot()
		for r := range s.Routes() {
			if x := r.Extra; x != nil && x.NHID == 1 && r.Gateway.String() != "192.0.2.9" {
				t.Errorf("route over nexthop 1 after the replace: %v", r)
			}
		}
		if n, err := s.Nexthop(1); err != nil || n.Gateway.String() != "192.0.2.9" {
			t.Errorf("nexthop 1: %v, %v", n, err)
		}
		var users []*netlink.Route
		for r := range s.RoutesUsingNexthop(1) {
			users = append(users, r)
		}
		var groups []uint32
		for g := range s.GroupsContaining(1) {
			groups = append(groups, g.ID)
		}
		if len(users) != 1 || fmt.Sprint(groups) != "[3]" {
			t.Errorf("RoutesUsingNexthop(1) = %v, GroupsContaining(1) = %v", users, groups)
		}
	})
}
