package txn

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/netlink"
)

// TestDuplicateSpecs: two specs of one object, of any kind, are refused
// with a SpecError naming the second and, in Others, the first; specs of
// different objects pass.
func TestDuplicateSpecs(t *testing.T) {
	p := netip.MustParsePrefix
	a := netip.MustParseAddr
	for _, c := range []struct {
		name        string
		ss          specSet
		kind        netlink.Kind
		index, then int
	}{
		{"links", specSet{links: []LinkSpec{{Name: "a"}, {Name: "b"}, {Name: "a"}}}, netlink.KindLink, 2, 0},
		{"nexthops", specSet{nexthops: []NexthopSpec{{ID: 1, Blackhole: true}, {ID: 1, Blackhole: true}}}, netlink.KindNexthop, 1, 0},
		{"addrs", specSet{addrs: []AddrSpec{{Link: "v0", Prefix: p("192.0.2.1/24")}, {Link: "v0", Prefix: p("192.0.2.1/24")}}}, netlink.KindAddr, 1, 0},
		{"IPv6 addrs of two lengths", specSet{addrs: []AddrSpec{{Link: "v0", Prefix: p("2001:db8::1/64")}, {Link: "v0", Prefix: p("2001:db8::1/80")}}}, netlink.KindAddr, 1, 0},
		{"routes", specSet{routes: []RouteSpec{{Dst: p("198.51.100.0/24"), Dev: "v0"}, {Dst: p("203.0.113.0/24"), Dev: "v0"}, {Dst: p("198.51.100.0/24"), Dev: "v1", Table: 254}}}, netlink.KindRoute, 2, 0},
		{"IPv6 metric 0 is 1024", specSet{routes: []RouteSpec{{Dst: p("2001:db8::/64"), Dev: "v0"}, {Dst: p("2001:db8::/64"), Dev: "v0", Priority: 1024}}}, netlink.KindRoute, 1, 0},
		{"neighs", specSet{neighs: []NeighSpec{{Link: "v0", Dst: a("192.0.2.7")}, {Link: "v0", Dst: a("192.0.2.7"), Absent: true}}}, netlink.KindNeigh, 1, 0},
		{"rules", specSet{rules: []RuleSpec{{Rule: netlink.Rule{Priority: 100, Table: 100}}, {Rule: netlink.Rule{Priority: 100, Table: 100}}}}, netlink.KindRule, 1, 0},
	} {
		err := checkDuplicates(&c.ss)
		if c.kind == netlink.KindLink || c.kind == netlink.KindNexthop {
			err = c.ss.validate()
		}
		var se *SpecError
		if !errors.As(err, &se) || se.Kind != c.kind || se.Index != c.index || len(se.Others) != 1 || se.Others[0] != c.then ||
			!strings.Contains(err.Error(), "two specs") || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %#v (%v)", c.name, se, err)
		}
	}
	for _, ss := range []specSet{
		{addrs: []AddrSpec{{Link: "v0", Prefix: p("192.0.2.1/24")}, {Link: "v0", Prefix: p("192.0.2.1/25")}, {Link: "v1", Prefix: p("192.0.2.1/24")}}},
		{routes: []RouteSpec{{Dst: p("198.51.100.0/24"), Dev: "v0"}, {Dst: p("198.51.100.0/24"), Dev: "v0", Priority: 10},
			{Dst: p("198.51.100.0/24"), Dev: "v0", Table: 100}, {Dst: p("198.51.100.0/24"), Dev: "v0", TOS: 0x10}}},
		{neighs: []NeighSpec{{Link: "v0", Dst: a("192.0.2.7")}, {Link: "v1", Dst: a("192.0.2.7")}}},
		{rules: []RuleSpec{{Rule: netlink.Rule{Priority: 100, Table: 100}}, {Rule: netlink.Rule{Priority: 100, Table: 101}}}},
	} {
		if err := checkDuplicates(&ss); err != nil {
			t.Errorf("distinct specs refused: %v", err)
		}
	}
}
