package txn

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// nexthopSnapshot: link v0 (index 2) with 192.0.2.1/24, single nexthops 100
// and 101, an mpath group 200 of them, a resilient group 300, and routes
// over 100 and 200.
func nexthopSnapshot(t *testing.T) *ipdb.Snapshot {
	t.Helper()
	gw := func(s string) netip.Addr { return netip.MustParseAddr(s) }
	return replayState(t,
		&netlink.Link{Index: 2, Name: "v0", MTU: 1500, Flags: unix.IFF_UP, Info: &netlink.LinkInfo{InfoKind: "veth"}},
		&netlink.Addr{Family: unix.AF_INET, Index: 2, Prefix: netip.MustParsePrefix("192.0.2.1/24")},
		&netlink.Nexthop{ID: 100, Family: unix.AF_INET, Gateway: gw("192.0.2.2"), OIF: 2, Scope: netlink.ScopeLink},
		&netlink.Nexthop{ID: 101, Family: unix.AF_INET, Gateway: gw("192.0.2.3"), OIF: 2, Scope: netlink.ScopeLink},
		&netlink.Nexthop{ID: 200, Group: []netlink.NexthopGroupMember{{ID: 100, Weight: 3}, {ID: 101, Weight: 1}}},
		&netlink.Nexthop{ID: 300, Group: []netlink.NexthopGroupMember{{ID: 100, Weight: 1}}, GroupType: netlink.GroupResilient,
			Resilient: &netlink.NexthopResilient{Buckets: 8, IdleTimer: 120 * time.Second}},
		&netlink.Nexthop{ID: 106, Family: unix.AF_INET6, Gateway: gw("2001:db8::6"), OIF: 2, Scope: netlink.ScopeLink},
		&netlink.Route{Family: unix.AF_INET6, Table: 254, Dst: netip.MustParsePrefix("2001:db8:6::/64"), Type: netlink.RouteUnicast,
			Protocol: netlink.ProtoBoot, Priority: 1024, Gateway: gw("2001:db8::6"), OIF: 2, Extra: &netlink.RouteExtra{NHID: 106}},
		&netlink.Route{Family: unix.AF_INET, Table: 254, Dst: netip.MustParsePrefix("198.51.100.0/24"), Type: netlink.RouteUnicast,
			Protocol: netlink.ProtoBoot, Gateway: gw("192.0.2.2"), OIF: 2, Extra: &netlink.RouteExtra{NHID: 100}},
		&netlink.Route{Family: unix.AF_INET, Table: 254, Dst: netip.MustParsePrefix("203.0.113.0/24"), Type: netlink.RouteUnicast,
			Protocol: netlink.ProtoBoot, Multipath: []netlink.RouteHop{{Gateway: gw("192.0.2.2"), IfIndex: 2, Hops: 2},
				{Gateway: gw("192.0.2.3"), IfIndex: 2}}, Extra: &netlink.RouteExtra{NHID: 200}},
	)
}

func TestPlanNexthops(t *testing.T) {
	st := nexthopSnapshot(t)
	gw := netip.MustParseAddr("192.0.2.4")
	mpath := []NexthopMemberSpec{{ID: 101}, {ID: 100, Weight: 3}} // another order: the same group
	same := New(nil, nil, nil).
		Nexthop(NexthopSpec{ID: 100, Gateway: netip.MustParseAddr("192.0.2.2"), Dev: "v0"}).
		Nexthop(NexthopSpec{ID: 200, Group: mpath}).
		Nexthop(NexthopSpec{ID: 300, Group: []NexthopMemberSpec{{ID: 100}}, GroupType: netlink.GroupResilient,
			Buckets: 8, IdleTimer: ptr(120 * time.Second)}).
		Route(RouteSpec{Dst: netip.MustParsePrefix("198.51.100.0/24"), NHID: 100}).
		Route(RouteSpec{Dst: netip.MustParsePrefix("203.0.113.0/24"), NHID: 200})
	if p, err := same.PlanAgainst(st); err != nil || !p.Empty() {
		t.Errorf("specs of the state: plan %v, %v", p, err)
	}
	v6 := New(nil, nil, nil).
		Nexthop(NexthopSpec{ID: 7, Family: unix.AF_INET6, Blackhole: true}).
		Nexthop(NexthopSpec{ID: 8, Gateway: netip.MustParseAddr("2001:db8::2"), Dev: "v0"}).
		Nexthop(NexthopSpec{ID: 9, Group: []NexthopMemberSpec{{ID: 8}}}).
		Route(RouteSpec{Dst: netip.MustParsePrefix("2001:db8:7::/64"), NHID: 7}).
		Route(RouteSpec{Dst: netip.MustParsePrefix("2001:db8:9::/64"), NHID: 9})
	if p, err := v6.PlanAgainst(st); err != nil || len(p.Steps) != 5 {
		t.Errorf("IPv6 routes over IPv6 nexthops: plan %v, %v", p, err)
	}

	tx := New(nil, nil, nil).
		Route(RouteSpec{Dst: netip.MustParsePrefix("198.51.100.0/25"), NHID: 201}).
		Route(RouteSpec{Dst: netip.MustParsePrefix("198.51.100.0/24"), NHID: 200}).
		Nexthop(NexthopSpec{ID: 201, Group: []NexthopMemberSpec{{ID: 102, Weight: 2}, {ID: 101}}}).
		Nexthop(NexthopSpec{ID: 102, Gateway: gw, Dev: "v0", Protocol: netlink.ProtoStatic}).
		Nexthop(NexthopSpec{ID: 101, Gateway: gw, Dev: "v0", Onlink: true}).
		Nexthop(NexthopSpec{ID: 300, Group: []NexthopMemberSpec{{ID: 100}}, GroupType: netlink.GroupResilient,
			IdleTimer: ptr(30 * time.Second)}).
		Nexthop(NexthopSpec{ID: 200, Absent: true})
	_, err := tx.PlanAgainst(st)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "nexthop id 200, which this transaction removes") {
		t.Errorf("a route over a removed nexthop: %v", err)
	}
	tx.specs.routes[1].NHID = 100
	p, err := tx.PlanAgainst(st)
	if err != nil {
		t.Fatal(err)
	}
	// Singles before groups, each in the order of the specs.
	want := `- nexthop id 200 group 100,3/101 (the kernel removes the route using it)
+ nexthop id 102 via 192.0.2.4 dev v0 proto static
~ nexthop id 101 via 192.0.2.4 dev v0 onlink: via 192.0.2.3 -> 192.0.2.4, onlink false -> true
+ nexthop id 201 group 102,2/101
~ nexthop id 300 group 100 type resilient idle_timer 30: idle_timer 120 -> 30
+ route 198.51.100.0/25 nhid 201
`
	if p.String() != want {
		t.Errorf("plan:\n%s\nwant:\n%s", p, want)
	}
	ch, err := New(nil, nil, nil).Route(RouteSpec{Dst: netip.MustParsePrefix("198.51.100.0/24"), NHID: 101}).PlanAgainst(st)
	if err != nil || ch.String() != "~ route 198.51.100.0/24 nhid 101: nhid 100 -> 101\n" {
		t.Errorf("route to another nexthop: %v %v", ch, err)
	}
	plain, err := New(nil, nil, nil).Route(RouteSpec{Dst: netip.MustParsePrefix("198.51.100.0/24"),
		Gateway: netip.MustParseAddr("192.0.2.2"), Dev: "v0"}).PlanAgainst(st)
	if err != nil || plain.String() != "~ route 198.51.100.0/24 via 192.0.2.2 dev v0: nhid 100 -> (none)\n" {
		t.Errorf("route from a nexthop to its expanded hop: %v %v", plain, err)
	}
	del, err := New(nil, nil, nil).Route(RouteSpec{Dst: netip.MustParsePrefix("203.0.113.0/24"), Absent: true}).PlanAgainst(st)
	if err != nil || del.String() != "- route 203.0.113.0/24 nhid 200\n" {
		t.Errorf("removing a route over a group: %v %v", del, err)
	}

	for _, c := range []struct {
		name, want string
		s          []NexthopSpec
		r          *RouteSpec
	}{
		{"id 0", "id 0", []NexthopSpec{{Dev: "v0"}}, nil},
		{"twice", "two specs", []NexthopSpec{{ID: 5, Dev: "v0"}, {ID: 5, Blackhole: true}}, nil},
		{"no dev", "needs a dev", []NexthopSpec{{ID: 5, Gateway: gw}}, nil},
		{"blackhole with dev", "blackhole", []NexthopSpec{{ID: 5, Blackhole: true, Dev: "v0"}}, nil},
		{"group with dev", "members only", []NexthopSpec{{ID: 5, Dev: "v0", Group: []NexthopMemberSpec{{ID: 100}}}}, nil},
		{"weight", "weight", []NexthopSpec{{ID: 5, Group: []NexthopMemberSpec{{ID: 100, Weight: 70000}}}}, nil},
		{"buckets on mpath", "need a resilient group", []NexthopSpec{{ID: 5, Group: []NexthopMemberSpec{{ID: 100}}, Buckets: 8}}, nil},
		{"missing member", "member 7 does not exist", []NexthopSpec{{ID: 5, Group: []NexthopMemberSpec{{ID: 7}}}}, nil},
		{"nested in state", "member 200 is a group", []NexthopSpec{{ID: 5, Group: []NexthopMemberSpec{{ID: 200}}}}, nil},
		{"nested in specs", "member 6 is a group", []NexthopSpec{{ID: 5, Group: []NexthopMemberSpec{{ID: 6}}},
			{ID: 6, Group: []NexthopMemberSpec{{ID: 100}}}}, nil},
		{"removed member", "member 101 is removed", []NexthopSpec{{ID: 5, Group: []NexthopMemberSpec{{ID: 101}}},
			{ID: 101, Absent: true}}, nil},
		{"single to group", "cannot replace group (none) -> [101]", []NexthopSpec{{ID: 100, Group: []NexthopMemberSpec{{ID: 101}}}}, nil},
		{"group to single", "cannot replace group [100,3/101] -> (none)", []NexthopSpec{{ID: 200, Dev: "v0"}}, nil},
		{"group type", "cannot replace type mpath -> resilient", []NexthopSpec{{ID: 200, Group: mpath, GroupType: netlink.GroupResilient}}, nil},
		{"buckets", "cannot replace buckets 8 -> 16", []NexthopSpec{{ID: 300, Group: []NexthopMemberSpec{{ID: 100}},
			GroupType: netlink.GroupResilient, Buckets: 16}}, nil},
		{"blackhole in a group of two", "member 6 is a blackhole", []NexthopSpec{{ID: 5, Group: []NexthopMemberSpec{{ID: 6}, {ID: 100}}},
			{ID: 6, Blackhole: true}}, nil},
		{"fdb member", "member 6 has fdb true", []NexthopSpec{{ID: 5, Group: []NexthopMemberSpec{{ID: 6}}},
			{ID: 6, FDB: true, Gateway: gw}}, nil},
		{"IPv6 route over IPv4", "an IPv6 route cannot use nexthop id 200", nil, &RouteSpec{Dst: netip.MustParsePrefix("2001:db8:9::/64"), NHID: 200}},
		{"route over fdb", "fdb nexthop", []NexthopSpec{{ID: 6, FDB: true, Gateway: gw}},
			&RouteSpec{Dst: netip.MustParsePrefix("192.0.2.128/25"), NHID: 6}},
		{"blackhole member of two", "cannot become a blackhole while in group 200", []NexthopSpec{{ID: 101, Blackhole: true}}, nil},
		{"fdb member", "cannot change fdb false -> true while in group 200", []NexthopSpec{{ID: 101, FDB: true, Gateway: gw}}, nil},
		{"IPv6 under IPv6 routes to IPv4", "IPv6 route 2001:db8:6::/64 uses it", []NexthopSpec{{ID: 106, Gateway: gw, Dev: "v0"}}, nil},
		{"route nhid missing", "no nexthop id 9", nil, &RouteSpec{Dst: netip.MustParsePrefix("192.0.2.128/25"), NHID: 9}},
		{"route nhid and via", "nhid 100 with a gateway", nil, &RouteSpec{Dst: netip.MustParsePrefix("192.0.2.128/25"), NHID: 100, Gateway: gw}},
		{"unreachable route nhid", "cannot use a nexthop object", nil, &RouteSpec{Dst: netip.MustParsePrefix("192.0.2.128/25"), NHID: 100,
			Type: netlink.RouteUnreachable}},
	} {
		bad := New(nil, nil, nil)
		for _, s := range c.s {
			bad.Nexthop(s)
		}
		if c.r != nil {
			bad.Route(*c.r)
		}
		p, err := bad.PlanAgainst(st)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: plan %v, error %v; want ErrInvalid with %q", c.name, p, err, c.want)
		}
	}
}

// TestRestoreNexthops: a transaction that removes a nexthop restores, on
// rollback, the nexthop, the groups that contain it, their members and
// the routes over any of them, from the pre-image.
func TestRestoreNexthops(t *testing.T) {
	pre := nexthopSnapshot(t)
	ss := &specSet{nexthops: []NexthopSpec{{ID: 100, Absent: true}, {ID: 150, Blackhole: true}}}
	rb := restoreSpecs(pre, pre, ss)
	var got []string
	for _, s := range rb.nexthops {
		got = append(got, s.describe())
	}
	want := []string{"nexthop id 100 via 192.0.2.2 dev v0", "nexthop id 150", "nexthop id 200 group 100,3/101",
		"nexthop id 300 group 100 type resilient buckets 8 idle_timer 120 unbalanced_timer 0", "nexthop id 101 via 192.0.2.3 dev v0"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("nexthops restored:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !rb.nexthops[1].Absent {
		t.Errorf("nexthop 150 (not in the pre-image) is not removed by the rollback")
	}
	got = got[:0]
	for _, s := range rb.routes {
		got = append(got, s.describe())
	}
	if g := strings.Join(got, "\n"); !strings.Contains(g, "route 198.51.100.0/24 nhid 100") || !strings.Contains(g, "route 203.0.113.0/24 nhid 200") {
		t.Errorf("routes restored:\n%s", g)
	}
	// A route over group 200 that a spec names brings its nexthop and
	// the group's members into the rollback, not the other routes over
	// them.
	rb2 := restoreSpecs(pre, pre, &specSet{routes: []RouteSpec{{Dst: netip.MustParsePrefix("203.0.113.0/24"), Absent: true}}})
	got = got[:0]
	for _, s := range rb2.nexthops {
		got = append(got, s.describe())
	}
	for _, s := range rb2.routes {
		got = append(got, s.describe())
	}
	if g := strings.Join(got, "; "); g != "nexthop id 200 group 100,3/101; nexthop id 100 via 192.0.2.2 dev v0; "+
		"nexthop id 101 via 192.0.2.3 dev v0; route 203.0.113.0/24 nhid 200" {
		t.Errorf("rollback of a route over a group: %s", g)
	}

	// On the pre-image, the rollback plans nothing.
	p, err := newPlanner(pre, rb, false)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := p.plan()
	if err != nil || !plan.Empty() {
		t.Errorf("rollback plan on the pre-image: %v %v", plan, err)
	}
}
