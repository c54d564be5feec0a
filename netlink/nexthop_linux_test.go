package netlink_test

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/internal/oracle"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// nexthopSetup makes lo up (a blackhole nexthop uses it), a veth pair
// v0/v1 up with 192.0.2.1/24 and 2001:db8::1/64 on v0, and a bridge br0
// that v1 is a port of.
func nexthopSetup(t *testing.T, ns *nstest.NS) *netlink.Conn {
	t.Helper()
	ns.Batch(
		"link set lo up",
		"link add v0 type veth peer name v1",
		"link add br0 type bridge",
		"link set v1 master br0",
		"link set v0 up",
		"link set v1 up",
		"link set br0 up",
		"addr add 192.0.2.1/24 dev v0",
		"addr add 2001:db8::1/64 dev v0 nodad",
	)
	c, err := netlink.Dial(&netlink.Config{NetNS: ns.Name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// nexthopIPSetup is one nexthop of every shape ip can make on this kernel.
var nexthopIPSetup = []string{
	"nexthop add id 100 via 192.0.2.2 dev v0",
	"nexthop add id 101 via 192.0.2.3 dev v0 proto static",
	"nexthop add id 102 blackhole",
	"nexthop add id 103 dev v1",
	"nexthop add id 104 via 2001:db8::2 dev v0 proto 99",
	"nexthop add id 105 via 198.51.100.1 dev v0 onlink",
	"nexthop add id 106 via 192.0.2.5 fdb",
	"nexthop add id 200 group 100,3/101",
	"nexthop add id 201 group 100/101 type resilient buckets 8 idle_timer 60 unbalanced_timer 120",
	"nexthop add id 202 group 106 fdb",
}

func nexthopIDs(ns []*netlink.Nexthop) []uint32 {
	var ids []uint32
	for _, n := range ns {
		ids = append(ids, n.ID)
	}
	return ids
}

// TestNexthopDumpMatchesIP reads nexthops made with ip, compares them with
// ip's view field by field, and checks every kernel-side dump filter and
// the get by id.
func TestNexthopDumpMatchesIP(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c := nexthopSetup(t, ns)
		ns.Batch(nexthopIPSetup...)
		ctx := context.Background()
		all, err := c.Nexthops(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := oracle.CompareNexthops(ns, all); err != nil {
			t.Fatal(err)
		}
		if got := nexthopIDs(all); !slices.Equal(got, []uint32{100, 101, 102, 103, 104, 105, 106, 200, 201, 202}) {
			t.Fatalf("ids %v", got)
		}
		// The oracle notices a change in any field and a missing nexthop.
		for i, mutate := range []func(n []*netlink.Nexthop) []*netlink.Nexthop{
			func(n []*netlink.Nexthop) []*netlink.Nexthop {
				n[0].Gateway = netip.MustParseAddr("192.0.2.9")
				return n
			},
			func(n []*netlink.Nexthop) []*netlink.Nexthop { n[1].Protocol = netlink.ProtoBoot; return n },
			func(n []*netlink.Nexthop) []*netlink.Nexthop { n[7].Group[0].Weight = 1; return n },
			func(n []*netlink.Nexthop) []*netlink.Nexthop { n[8].Resilient.Buckets = 16; return n },
			func(n []*netlink.Nexthop) []*netlink.Nexthop { n[6].FDB = false; return n },
			func(n []*netlink.Nexthop) []*netlink.Nexthop { return n[1:] },
		} {
			fresh, err := c.Nexthops(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if oracle.CompareNexthops(ns, mutate(fresh)) == nil {
				t.Errorf("mutation %d not noticed by the oracle", i)
			}
		}

		byID := map[uint32]*netlink.Nexthop{}
		for _, n := range all {
			byID[n.ID] = n
		}
		g := byID[200]
		if !g.IsGroup() || !slices.Equal(g.Group, []netlink.NexthopGroupMember{{ID: 100, Weight: 3}, {ID: 101, Weight: 1}}) || g.Family != unix.AF_UNSPEC {
			t.Errorf("group 200: %+v", g)
		}
		if r := byID[201].Resilient; byID[201].GroupType != netlink.GroupResilient || r == nil || r.Buckets != 8 ||
			r.IdleTimer != 60*time.Second || r.UnbalancedTimer != 120*time.Second {
			t.Errorf("resilient group 201: %+v %+v", byID[201], r)
		}
		if n := byID[104]; n.Family != unix.AF_INET6 || n.Protocol != 99 || n.Scope != unix.RT_SCOPE_LINK {
			t.Errorf("IPv6 nexthop 104: %+v", n)
		}
		if n := byID[105]; n.Flags&unix.RTNH_F_ONLINK == 0 {
			t.Errorf("onlink nexthop 105: %+v", n)
		}
		if n := byID[103]; n.OIF != uint32(ns.Ifindex("v1")) || n.Gateway.IsValid() || n.Family != unix.AF_INET {
			t.Errorf("device nexthop 103: %+v", n)
		}

		v0, br0 := uint32(ns.Ifindex("v0")), uint32(ns.Ifindex("br0"))
		for _, tc := range []struct {
			name string
			f    netlink.NexthopFilter
			want []uint32
		}{
			{"oif v0", netlink.NexthopFilter{OIF: v0}, []uint32{100, 101, 104, 105}},
			{"master br0", netlink.NexthopFilter{Master: br0}, []uint32{103}},
			{"groups", netlink.NexthopFilter{Groups: true}, []uint32{200, 201, 202}},
			{"fdb", netlink.NexthopFilter{FDB: true}, []uint32{106, 202}},
			{"inet6", netlink.NexthopFilter{Family: unix.AF_INET6}, []uint32{104}},
		} {
			got, err := c.Nexthops(ctx, &tc.f)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if ids := nexthopIDs(got); !slices.Equal(ids, tc.want) {
				t.Errorf("filter %s: %v, want %v", tc.name, ids, tc.want)
			}
		}

		got, err := c.NexthopByID(ctx, 201)
		if err != nil || got.ID != 201 || got.Resilient == nil {
			t.Errorf("get 201: %+v, %v", got, err)
		}
		if _, err := c.NexthopByID(ctx, 999); !errors.Is(err, unix.ENOENT) {
			t.Errorf("get 999: %v, want ENOENT", err)
		}
	})
}

// TestNexthopRequests adds, replaces and deletes nexthops with the library
// and compares with ip after each step, including the kernel's shrinking
// of a group whose member is deleted; invalid requests change nothing.
func TestNexthopRequests(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c := nexthopSetup(t, ns)
		ctx := context.Background()
		v0, v1 := uint32(ns.Ifindex("v0")), uint32(ns.Ifindex("v1"))
		check := func(step string) []*netlink.Nexthop {
			t.Helper()
			all, err := c.Nexthops(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := oracle.CompareNexthops(ns, all); err != nil {
				t.Fatalf("%s: %v", step, err)
			}
			return all
		}
		adds := []*netlink.Nexthop{
			{ID: 100, Gateway: netip.MustParseAddr("192.0.2.2"), OIF: v0},
			{ID: 101, Gateway: netip.MustParseAddr("192.0.2.3"), OIF: v0, Protocol: netlink.ProtoStatic},
			{ID: 102, Blackhole: true},
			{ID: 103, OIF: v1},
			{ID: 104, Gateway: netip.MustParseAddr("2001:db8::2"), OIF: v0, Protocol: 99},
			{ID: 105, Gateway: netip.MustParseAddr("198.51.100.1"), OIF: v0, Flags: unix.RTNH_F_ONLINK},
			{ID: 106, Gateway: netip.MustParseAddr("192.0.2.5"), FDB: true},
			{ID: 200, Group: []netlink.NexthopGroupMember{{ID: 100, Weight: 3}, {ID: 101}}},
			{ID: 201, Group: []netlink.NexthopGroupMember{{ID: 100}, {ID: 101}}, GroupType: netlink.GroupResilient,
				Resilient: &netlink.NexthopResilient{Buckets: 8, IdleTimer: 60 * time.Second, UnbalancedTimer: 120 * time.Second}},
			{ID: 202, Group: []netlink.NexthopGroupMember{{ID: 106}}, FDB: true},
		}
		for _, n := range adds {
			if err := c.NexthopAdd(ctx, n); err != nil {
				t.Fatalf("add %v: %v", n, err)
			}
		}
		all := check("add")
		if len(all) != len(adds) {
			t.Fatalf("%d nexthops, want %d", len(all), len(adds))
		}
		// The same set made with ip compares equal field by field: what the
		// library sends is what ip sends.
		if err := c.NexthopAdd(ctx, adds[0]); !errors.Is(err, unix.EEXIST) {
			t.Errorf("second add: %v, want EEXIST", err)
		}

		if err := c.NexthopReplace(ctx, &netlink.Nexthop{ID: 200, Group: []netlink.NexthopGroupMember{{ID: 101, Weight: 7}}}); err != nil {
			t.Fatal(err)
		}
		if err := c.NexthopReplace(ctx, &netlink.Nexthop{ID: 100, Gateway: netip.MustParseAddr("192.0.2.9"), OIF: v0}); err != nil {
			t.Fatal(err)
		}
		check("replace")

		// Deleting a member shrinks the groups that contain it, silently.
		if err := c.NexthopDel(ctx, &netlink.Nexthop{ID: 100}); err != nil {
			t.Fatal(err)
		}
		all = check("delete member")
		for _, n := range all {
			if n.ID == 201 && !slices.Equal(n.Group, []netlink.NexthopGroupMember{{ID: 101, Weight: 1}}) {
				t.Errorf("group 201 after deleting 100: %+v", n.Group)
			}
		}
		if err := c.NexthopDel(ctx, &netlink.Nexthop{ID: 100}); !errors.Is(err, unix.ENOENT) {
			t.Errorf("second delete: %v, want ENOENT", err)
		}

		before := ns.IP("-j", "-d", "nexthop", "show")
		for _, bad := range []struct {
			v netlink.Verb
			n *netlink.Nexthop
		}{
			{netlink.Add, nil},
			{netlink.Add, &netlink.Nexthop{ID: 300}},
			{netlink.Add, &netlink.Nexthop{ID: 300, Blackhole: true, OIF: v0}},
			{netlink.Add, &netlink.Nexthop{ID: 300, Group: []netlink.NexthopGroupMember{{ID: 101}}, OIF: v0}},
			{netlink.Add, &netlink.Nexthop{ID: 300, Group: []netlink.NexthopGroupMember{{ID: 101}, {ID: 101}}}},
			{netlink.Add, &netlink.Nexthop{ID: 300, Group: []netlink.NexthopGroupMember{{ID: 300}}}},
			{netlink.Add, &netlink.Nexthop{ID: 300, Group: []netlink.NexthopGroupMember{{ID: 101, Weight: 70000}}}},
			{netlink.Add, &netlink.Nexthop{ID: 300, Group: []netlink.NexthopGroupMember{{ID: 101}}, Resilient: &netlink.NexthopResilient{}}},
			{netlink.Add, &netlink.Nexthop{ID: 300, Gateway: netip.MustParseAddr("2001:db8::9"), OIF: v0, Family: unix.AF_INET}},
			{netlink.Add, &netlink.Nexthop{ID: 300, Gateway: netip.MustParseAddr("192.0.2.9"), OIF: v0, Flags: unix.RTNH_F_DEAD}},
			{netlink.Add, &netlink.Nexthop{ID: 300, Gateway: netip.MustParseAddr("192.0.2.9"), OIF: v0, Scope: unix.RT_SCOPE_LINK}},
			{netlink.Add, &netlink.Nexthop{ID: 300, Gateway: netip.MustParseAddr("192.0.2.9"), OIF: v0, FDB: true}},
			{netlink.Replace, &netlink.Nexthop{Gateway: netip.MustParseAddr("192.0.2.9"), OIF: v0}},
			{netlink.Delete, &netlink.Nexthop{}},
			{netlink.Change, &netlink.Nexthop{ID: 101, Gateway: netip.MustParseAddr("192.0.2.9"), OIF: v0}},
		} {
			req := netlink.NexthopRequest(bad.v, bad.n)
			if !errors.Is(req.Err(), netlink.ErrInvalid) {
				t.Errorf("%s %v: err %v, want ErrInvalid", bad.v, bad.n, req.Err())
			}
			if err := c.Do(ctx, req); !errors.Is(err, netlink.ErrInvalid) {
				t.Errorf("Do(%s %v): %v", bad.v, bad.n, err)
			}
		}
		if after := ns.IP("-j", "-d", "nexthop", "show"); after != before {
			t.Errorf("invalid requests changed the nexthops:\n%s\n%s", before, after)
		}
	})
}

// TestNexthopNotifications checks that RTM_NEWNEXTHOP and RTM_DELNEXTHOP
// arrive on the nexthop group and decode as an upsert and a delete.
func TestNexthopNotifications(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		nexthopSetup(t, ns)
		mc, err := netlink.Dial(&netlink.Config{NetNS: ns.Name, Groups: netlink.GroupNexthop})
		if err != nil {
			t.Fatal(err)
		}
		defer mc.Close()
		ns.Batch("nexthop add id 7 via 192.0.2.2 dev v0 proto static", "nexthop del id 7")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var got []netlink.Update
		for len(got) < 2 {
			err := mc.ReceiveUpdates(ctx, 0, func(u netlink.Update) error {
				if _, ok := u.Object.(*netlink.Nexthop); ok {
					got = append(got, u)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		add, del := got[0], got[1]
		if add.Type != unix.RTM_NEWNEXTHOP || add.Deleted() || add.Object.(*netlink.Nexthop).ID != 7 ||
			add.Object.(*netlink.Nexthop).Protocol != netlink.ProtoStatic {
			t.Errorf("add notification: %+v %v", add, add.Object)
		}
		if del.Type != unix.RTM_DELNEXTHOP || !del.Deleted() || del.Object.(*netlink.Nexthop).ID != 7 {
			t.Errorf("delete notification: %+v %v", del, del.Object)
		}
		if s := add.Object.String(); !strings.HasPrefix(s, "id 7 via 192.0.2.2 dev #") || !strings.HasSuffix(s, "scope link proto static") {
			t.Errorf("String: %q", s)
		}
	})
}
