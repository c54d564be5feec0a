package txn

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// TestConflictEqualThenSettable: between two plans of the same specs, an
// object equal as the database compares it (volatile counters aside) is no
// conflict, nor is a change of what no spec sets (the carrier); a change
// of what a spec sets is one, named with both values.
func TestConflictEqualThenSettable(t *testing.T) {
	link := func(mod func(l *netlink.Link)) *netlink.Link {
		l := &netlink.Link{Index: 2, Name: "v0", MTU: 1500, Flags: unix.IFF_UP, Info: &netlink.LinkInfo{InfoKind: "veth"}}
		mod(l)
		return l
	}
	route := &netlink.Route{Family: unix.AF_INET, Table: 254, Dst: netip.MustParsePrefix("198.51.100.0/24"),
		Gateway: netip.MustParseAddr("192.0.2.2"), OIF: 2, Type: netlink.RouteUnicast, Protocol: netlink.ProtoBoot}
	plan := func(l *netlink.Link, r *netlink.Route) *Plan {
		t.Helper()
		p, err := New(nil, nil, nil).Link(LinkSpec{Name: "v0", MTU: u32(1400)}).
			Route(RouteSpec{Dst: route.Dst, Gateway: route.Gateway, Dev: "v0"}).
			PlanAgainst(replayState(t, l, r))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	before := plan(link(func(*netlink.Link) {}), route)
	for _, c := range []struct {
		name string
		l    *netlink.Link
		r    *netlink.Route
		want string // "" for no conflict
	}{
		{"same", link(func(*netlink.Link) {}), route, ""},
		{"counters", link(func(l *netlink.Link) { l.Stats = &netlink.LinkStats{RxPackets: 7} }), route, ""},
		{"carrier", link(func(l *netlink.Link) { l.Carrier = true }), route, ""},
		{"mtu", link(func(l *netlink.Link) { l.MTU = 1300 }), route, "mtu 1500 -> 1300"},
		{"alias", link(func(l *netlink.Link) { l.Alias = "x" }), route, `alias "" -> "x"`},
		{"route proto", link(func(*netlink.Link) {}), func() *netlink.Route { r := *route; r.Protocol = netlink.ProtoStatic; return &r }(),
			"proto boot -> static"},
	} {
		err := conflict(before, plan(c.l, c.r))
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v, want no conflict", c.name, err)
		case c.want != "" && (!errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want a conflict naming %q", c.name, err, c.want)
		}
	}
}
