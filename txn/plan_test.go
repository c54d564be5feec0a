package txn

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// replayState returns the snapshot of a database that has applied objs
// as one batch of kernel notifications, through ipdb's Replay: the same
// keys, indexes and comparisons as a live database. It fails the test if
// the database refuses an object.
func replayState(t testing.TB, objs ...netlink.Object) *ipdb.Snapshot {
	t.Helper()
	r, err := ipdb.NewReplay()
	if err != nil {
		t.Fatal(err)
	}
	batch := make([]netlink.Update, len(objs))
	for i, o := range objs {
		var typ uint16
		switch o.Kind() {
		case netlink.KindLink:
			typ = unix.RTM_NEWLINK
		case netlink.KindAddr:
			typ = unix.RTM_NEWADDR
		case netlink.KindRoute:
			typ = unix.RTM_NEWROUTE
		case netlink.KindNeigh, netlink.KindFDB:
			typ = unix.RTM_NEWNEIGH
		case netlink.KindRule:
			typ = unix.RTM_NEWRULE
		case netlink.KindNexthop:
			typ = unix.RTM_NEWNEXTHOP
		case netlink.KindQdisc:
			typ = unix.RTM_NEWQDISC
		case netlink.KindClass:
			typ = unix.RTM_NEWTCLASS
		case netlink.KindFilter:
			typ = unix.RTM_NEWTFILTER
		default:
			t.Fatalf("replayState: no message type for kind %s", o.Kind())
		}
		batch[i] = netlink.Update{Type: typ, Object: o}
	}
	r.Apply(batch)
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if n := r.Events(); n != uint64(len(objs)) {
		t.Fatalf("replayState: %d of %d objects applied", n, len(objs))
	}
	return r.Snapshot()
}

func TestPlanDiff(t *testing.T) {
	st := replayState(t,
		&netlink.Link{Index: 2, Name: "v0", MTU: 1500, Flags: unix.IFF_UP, Info: &netlink.LinkInfo{InfoKind: "veth"}},
		&netlink.Addr{Family: unix.AF_INET, Index: 2, Prefix: netip.MustParsePrefix("192.0.2.1/24")},
		&netlink.Addr{Family: unix.AF_INET, Index: 2, Prefix: netip.MustParsePrefix("192.0.2.50/24")},
		&netlink.Route{Family: unix.AF_INET, Table: 300, Dst: netip.MustParsePrefix("198.51.100.0/24"),
			Gateway: netip.MustParseAddr("192.0.2.2"), OIF: 2, Type: netlink.RouteUnicast, Protocol: netlink.ProtoBoot},
	)
	tx := New(nil, nil, nil).
		Link(LinkSpec{Name: "v0", MTU: u32(1400)}).
		Link(LinkSpec{Name: "br0", Info: &netlink.LinkInfo{InfoKind: "bridge"}, Up: bptr(true)}).
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
+ link br0 up
+ addr 203.0.113.1/24 dev br0
+ route 203.0.113.0/25 via 203.0.113.2 dev br0 table 300
`
	if got := plan.String(); got != want {
		t.Errorf("plan:\n%s\nwant:\n%s", got, want)
	}
	// br0 up is part of br0's creation (+), v0's MTU a change (~).
	if s := plan.Summary(); !strings.Contains(s, "+2 link") || !strings.Contains(s, "~1 link") || !strings.Contains(s, "+1 route") {
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
	if p, _ := ch.PlanAgainst(st); p.String() != "~ route 198.51.100.0/24 via 192.0.2.3 table 300: via 192.0.2.2 -> 192.0.2.3\n" {
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
		"long name":       New(nil, nil, nil).Link(LinkSpec{Name: "abcdefghijklmnopq", Info: &netlink.LinkInfo{InfoKind: "bridge"}}),
		"kind mismatch":   New(nil, nil, nil).Link(LinkSpec{Name: "v0", Info: &netlink.LinkInfo{InfoKind: "bridge"}}),
		"no next hop":     New(nil, nil, nil).Route(RouteSpec{Dst: netip.MustParsePrefix("198.51.100.0/24")}),
		"removed link":    New(nil, nil, nil).Link(LinkSpec{Name: "v0", Absent: true}).Addr(AddrSpec{Link: "v0", Prefix: netip.MustParsePrefix("192.0.2.9/24")}),
		"neigh no lladdr": New(nil, nil, nil).Neigh(NeighSpec{Link: "v0", Dst: netip.MustParseAddr("192.0.2.9")}),
	} {
		if _, err := bad.PlanAgainst(st); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", name, err)
		}
	}
}

// A large route set is planned with one merge over the tables instead of
// a lookup per spec; both must give the same plan, whatever the order of
// the specs.
func TestPlanManyRoutesMatchesOneByOne(t *testing.T) {
	objs := []netlink.Object{&netlink.Link{Index: 2, Name: "v0", Flags: unix.IFF_UP}}
	gw := netip.MustParseAddr("192.0.2.2")
	var specs []RouteSpec
	for i := range 800 {
		dst := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), 32)
		table := uint32(254 + 46*(i%2)) // main and 300
		if i%5 != 0 {                   // a fifth are missing
			objs = append(objs, &netlink.Route{Family: unix.AF_INET, Dst: dst, Table: table, Gateway: gw, OIF: 2, Type: netlink.RouteUnicast, Protocol: netlink.ProtoBoot})
		}
		if i%7 == 0 { // the same destination at another metric
			objs = append(objs, &netlink.Route{Family: unix.AF_INET, Dst: dst, Table: table, Priority: 5, Gateway: gw, OIF: 2, Type: netlink.RouteUnicast, Protocol: netlink.ProtoBoot})
		}
		spec := RouteSpec{Dst: dst, Table: table, Gateway: gw, Dev: "v0"}
		switch {
		case i%3 == 0:
			spec.Gateway = netip.MustParseAddr("192.0.2.3") // changed
		case i%11 == 0:
			spec.Absent = true
		}
		specs = append(specs, spec)
		if i%13 == 0 {
			specs = append(specs, RouteSpec{Dst: dst, Table: table, Priority: 5, Gateway: gw, Dev: "v0", Absent: i%2 == 0})
		}
	}
	six := netip.MustParsePrefix("2001:db8:1::/48")
	objs = append(objs, &netlink.Route{Family: unix.AF_INET6, Dst: six, Table: 254, Priority: 1024, Gateway: netip.MustParseAddr("2001:db8::2"), OIF: 2, Type: netlink.RouteUnicast, Protocol: netlink.ProtoBoot})
	specs = append(specs, RouteSpec{Dst: six, Gateway: netip.MustParseAddr("2001:db8::3"), Dev: "v0"})
	st := replayState(t, objs...)
	for _, order := range []string{"sorted", "reversed", "shuffled"} {
		in := slices.Clone(specs)
		switch order {
		case "reversed":
			slices.Reverse(in)
		case "shuffled":
			for i := range in { // a fixed permutation
				j := (i * 7919) % len(in)
				in[i], in[j] = in[j], in[i]
			}
		}
		many := New(nil, nil, nil).Routes(in...)
		plan, err := many.PlanAgainst(st)
		if err != nil {
			t.Fatal(err)
		}
		var got, want []string
		for _, o := range plan.Steps {
			got = append(got, o.String())
		}
		for _, s := range in {
			p, err := New(nil, nil, nil).Route(s).PlanAgainst(st)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range p.Steps {
				want = append(want, o.String())
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if len(want) < 300 || !slices.Equal(got, want) {
			t.Fatalf("%s: %d steps planned together, %d one by one:\n%v\n%v", order, len(got), len(want), got, want)
		}
	}
}
