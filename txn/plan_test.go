package txn

import (
	"errors"
	"iter"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// memState is a State in memory, for planning without a kernel.
type memState struct {
	links  []*netlink.Link
	addrs  []*netlink.Addr
	routes []*netlink.Route
	neighs []*netlink.Neigh
	rules  []*netlink.Rule
}

func (m *memState) LinkByName(n string) (*netlink.Link, error) {
	for _, l := range m.links {
		if l.Name == n {
			return l, nil
		}
	}
	return nil, ipdb.ErrNotFound
}
func (m *memState) LinkByIndex(i int) (*netlink.Link, error) {
	for _, l := range m.links {
		if l.Index == i {
			return l, nil
		}
	}
	return nil, ipdb.ErrNotFound
}
func (m *memState) AddrsOf(i int) iter.Seq[*netlink.Addr] {
	return func(y func(*netlink.Addr) bool) {
		for _, a := range m.addrs {
			if a.Index == i && !y(a) {
				return
			}
		}
	}
}
func (m *memState) RoutesTo(t uint32, d netip.Prefix) iter.Seq[*netlink.Route] {
	return func(y func(*netlink.Route) bool) {
		for _, r := range m.routes {
			if r.Table == t && r.Dst == d && !y(r) {
				return
			}
		}
	}
}
func (m *memState) RoutesInTable(f uint8, t uint32) iter.Seq[*netlink.Route] {
	return func(y func(*netlink.Route) bool) {
		for _, r := range m.routes {
			if r.Family == f && r.Table == t && !y(r) {
				return
			}
		}
	}
}
func (m *memState) RoutesOf(i int) iter.Seq[*netlink.Route] {
	return func(y func(*netlink.Route) bool) {
		for _, r := range m.routes {
			if int(r.OIF) == i && !y(r) {
				return
			}
		}
	}
}
func (m *memState) NeighsOf(i int) iter.Seq[*netlink.Neigh] {
	return func(y func(*netlink.Neigh) bool) {
		for _, n := range m.neighs {
			if n.Index == i && !y(n) {
				return
			}
		}
	}
}
func (m *memState) Rules() iter.Seq[*netlink.Rule] { return slices.Values(m.rules) }

func TestPlanDiff(t *testing.T) {
	st := &memState{
		links: []*netlink.Link{{Index: 2, Name: "v0", MTU: 1500, Flags: unix.IFF_UP, Info: &netlink.LinkInfo{Kind: "veth"}}},
		addrs: []*netlink.Addr{{Family: unix.AF_INET, Index: 2, Prefix: netip.MustParsePrefix("192.0.2.1/24")},
			{Family: unix.AF_INET, Index: 2, Prefix: netip.MustParsePrefix("192.0.2.50/24")}},
		routes: []*netlink.Route{{Family: unix.AF_INET, Table: 300, Dst: netip.MustParsePrefix("198.51.100.0/24"),
			Gateway: netip.MustParseAddr("192.0.2.2"), OIF: 2, Type: netlink.RouteUnicast, Protocol: netlink.ProtoBoot}},
	}
	tx := New(nil, nil, nil).
		Link(LinkSpec{Name: "v0", MTU: u32(1400)}).
		Link(LinkSpec{Name: "br0", Info: &netlink.LinkInfo{Kind: "bridge"}, Up: bptr(true)}).
		AddrSet(AddrSetSpec{Link: "v0", Addrs: []AddrSpec{{Prefix: netip.MustParsePrefix("192.0.2.1/24")}}}).
		Addr(AddrSpec{Link: "br0", Prefix: netip.MustParsePrefix("203.0.113.1/24")}).
		Route(RouteSpec{Dst: netip.MustParsePrefix("198.51.100.0/24"), Table: 300, Gateway: netip.MustParseAddr("192.0.2.2")}).
		Route(RouteSpec{Dst: netip.MustParsePrefix("203.0.113.0/25"), Table: 300, Gateway: netip.MustParseAddr("203.0.113.2"), Dev: "br0"})
	plan, err := tx.PlanAgainst(st)
	if err != nil {
		t.Fatal(err)
	}
	want := `- addr 192.0.2.50/24 dev v0
+ link br0 type bridge
~ link v0 mtu 1500 -> 1400
~ link br0 up
+ addr 203.0.113.1/24 dev br0
+ route 203.0.113.0/25 via 203.0.113.2 dev br0 table 300
`
	if got := plan.String(); got != want {
		t.Errorf("plan:\n%s\nwant:\n%s", got, want)
	}
	if s := plan.Summary(); !strings.Contains(s, "+1 link") || !strings.Contains(s, "+1 route") {
		t.Errorf("summary %q", s)
	}

	// Satisfied specs: an empty plan.
	same := New(nil, nil, nil).Link(LinkSpec{Name: "v0", MTU: u32(1500), Up: bptr(true)}).
		Route(RouteSpec{Dst: netip.MustParsePrefix("198.51.100.0/24"), Table: 300, Gateway: netip.MustParseAddr("192.0.2.2"), Dev: "v0"})
	if p, err := same.PlanAgainst(st); err != nil || !p.Empty() {
		t.Errorf("plan of satisfied specs: %v %v", p, err)
	}

	// Changed gateway: a replace. Absent route: a delete.
	ch := New(nil, nil, nil).Route(RouteSpec{Dst: netip.MustParsePrefix("198.51.100.0/24"), Table: 300, Gateway: netip.MustParseAddr("192.0.2.3")})
	if p, _ := ch.PlanAgainst(st); p.String() != "~ route 198.51.100.0/24 via 192.0.2.3 table 300\n" {
		t.Errorf("replace plan: %q", p.String())
	}
	del := New(nil, nil, nil).Route(RouteSpec{Dst: netip.MustParsePrefix("198.51.100.0/24"), Table: 300, Absent: true})
	if p, _ := del.PlanAgainst(st); p.String() != "- route 198.51.100.0/24 via 192.0.2.2 dev v0 table 300\n" {
		t.Errorf("delete plan: %q", p.String())
	}

	// Bad input.
	for name, bad := range map[string]*Txn{
		"unknown link":    New(nil, nil, nil).Addr(AddrSpec{Link: "nope", Prefix: netip.MustParsePrefix("192.0.2.9/24")}),
		"host bits":       New(nil, nil, nil).Route(RouteSpec{Dst: netip.MustParsePrefix("192.0.2.1/24"), Dev: "v0"}),
		"no kind":         New(nil, nil, nil).Link(LinkSpec{Name: "new0"}),
		"long name":       New(nil, nil, nil).Link(LinkSpec{Name: "abcdefghijklmnopq", Info: &netlink.LinkInfo{Kind: "bridge"}}),
		"kind mismatch":   New(nil, nil, nil).Link(LinkSpec{Name: "v0", Info: &netlink.LinkInfo{Kind: "bridge"}}),
		"no next hop":     New(nil, nil, nil).Route(RouteSpec{Dst: netip.MustParsePrefix("198.51.100.0/24")}),
		"removed link":    New(nil, nil, nil).Link(LinkSpec{Name: "v0", Absent: true}).Addr(AddrSpec{Link: "v0", Prefix: netip.MustParsePrefix("192.0.2.9/24")}),
		"neigh no lladdr": New(nil, nil, nil).Neigh(NeighSpec{Link: "v0", Dst: netip.MustParseAddr("192.0.2.9")}),
	} {
		if _, err := bad.PlanAgainst(st); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", name, err)
		}
	}
}
