package txn

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

func mplsRouteObj(label uint32, as []uint32, via string, oif uint32) *netlink.Route {
	r := &netlink.Route{Family: unix.AF_MPLS, Table: unix.RT_TABLE_MAIN, Protocol: netlink.ProtoBoot,
		Type: netlink.RouteUnicast, OIF: oif, Extra: &netlink.RouteExtra{Label: label, NewDst: as, RawDstLen: 20}}
	if via != "" {
		r.Gateway = netip.MustParseAddr(via)
	}
	return r
}

func TestMPLSPlan(t *testing.T) {
	st := replayState(t,
		&netlink.Link{Index: 2, Name: "v0", MTU: 1500, Flags: unix.IFF_UP, Info: &netlink.LinkInfo{InfoKind: "veth"}},
		&netlink.Link{Index: 3, Name: "v1", MTU: 1500, Flags: unix.IFF_UP, Info: &netlink.LinkInfo{InfoKind: "veth"}},
		mplsRouteObj(100, []uint32{200}, "192.0.2.2", 2),
		mplsRouteObj(101, nil, "192.0.2.3", 2),
		mplsRouteObj(102, []uint32{300, 301}, "2001:db8::2", 3),
		&netlink.Route{Family: unix.AF_INET, Table: unix.RT_TABLE_MAIN, Dst: netip.MustParsePrefix("198.51.100.0/24"),
			Gateway: netip.MustParseAddr("192.0.2.2"), OIF: 2, Type: netlink.RouteUnicast, Protocol: netlink.ProtoBoot,
			Extra: &netlink.RouteExtra{EncapType: unix.LWTUNNEL_ENCAP_MPLS, MPLSEncap: &netlink.MPLSEncap{Labels: []uint32{500}}}},
	)
	via2 := netip.MustParseAddr("192.0.2.2")
	tx := New(nil, nil, nil).
		// Holds: no step.
		MPLSRoute(MPLSRouteSpec{Label: 100, As: []uint32{200}, Via: via2, Dev: "v0"}).
		// Other outgoing labels and TTL propagation.
		MPLSRoute(MPLSRouteSpec{Label: 101, As: []uint32{201, 202}, Via: netip.MustParseAddr("192.0.2.3"),
			TTLPropagate: netlink.MPLSTTLPropDisabled}).
		MPLSRoute(MPLSRouteSpec{Label: 102, Absent: true}).
		MPLSRoute(MPLSRouteSpec{Label: 103, Absent: true}). // none: no step
		MPLSRoute(MPLSRouteSpec{Label: 104, Protocol: netlink.RouteProtocol(unix.RTPROT_STATIC), Multipath: []MPLSHopSpec{
			{As: []uint32{400}, Via: via2, Dev: "v0"}, {Via: netip.MustParseAddr("2001:db8::9"), Dev: "v1"}}}).
		Route(RouteSpec{Dst: netip.MustParsePrefix("198.51.100.0/24"), Gateway: via2, Dev: "v0",
			MPLSEncap: &netlink.MPLSEncap{Labels: []uint32{500, 501}, TTL: 9}}).
		Route(RouteSpec{Dst: netip.MustParsePrefix("203.0.113.0/24"), Multipath: []RouteHopSpec{
			{Gateway: via2, Dev: "v0", MPLSEncap: &netlink.MPLSEncap{Labels: []uint32{600}}}, {Dev: "v1"}}})
	plan, err := tx.PlanAgainst(st)
	if err != nil {
		t.Fatal(err)
	}
	want := `- route mpls 102 as to 300/301 via inet6 2001:db8::2 dev v1
~ route 198.51.100.0/24 encap mpls 500/501 ttl 9 via 192.0.2.2 dev v0: encap mpls 500 -> mpls 500/501 ttl 9
+ route 203.0.113.0/24 nexthop encap mpls 600 via 192.0.2.2 dev v0 nexthop dev v1
~ route mpls 101 as to 201/202 via inet 192.0.2.3: as to (none) -> 201/202, ttl-propagate default -> disabled
+ route mpls 104 nexthop as to 400 via inet 192.0.2.2 dev v0 nexthop via inet6 2001:db8::9 dev v1 proto static
`
	if got := plan.String(); got != want {
		t.Errorf("plan:\n%s\nwant:\n%s", got, want)
	}
	// Each step's request: what the kernel gets.
	r := &resolver{st: st, names: map[string]int{}, gone: map[string]bool{}}
	for _, s := range plan.Steps {
		req, err := s.build(r)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if err := req.Err(); err != nil {
			t.Errorf("%s: request: %v", s, err)
		}
	}

	// The state the plan makes holds every spec.
	after := replayState(t,
		&netlink.Link{Index: 2, Name: "v0", MTU: 1500, Flags: unix.IFF_UP, Info: &netlink.LinkInfo{InfoKind: "veth"}},
		&netlink.Link{Index: 3, Name: "v1", MTU: 1500, Flags: unix.IFF_UP, Info: &netlink.LinkInfo{InfoKind: "veth"}},
		mplsRouteObj(100, []uint32{200}, "192.0.2.2", 2),
		func() *netlink.Route {
			r := mplsRouteObj(101, []uint32{201, 202}, "192.0.2.3", 2)
			r.Extra.TTLPropagate = netlink.MPLSTTLPropDisabled
			return r
		}(),
		func() *netlink.Route {
			r := mplsRouteObj(104, nil, "", 0)
			r.Protocol = netlink.RouteProtocol(unix.RTPROT_STATIC)
			r.Multipath = []netlink.RouteHop{{NewDst: []uint32{400}, Gateway: via2, IfIndex: 2},
				{Gateway: netip.MustParseAddr("2001:db8::9"), IfIndex: 3}}
			return r
		}(),
		&netlink.Route{Family: unix.AF_INET, Table: unix.RT_TABLE_MAIN, Dst: netip.MustParsePrefix("198.51.100.0/24"),
			Gateway: via2, OIF: 2, Type: netlink.RouteUnicast, Protocol: netlink.ProtoBoot,
			Extra: &netlink.RouteExtra{EncapType: unix.LWTUNNEL_ENCAP_MPLS, MPLSEncap: &netlink.MPLSEncap{Labels: []uint32{500, 501}, TTL: 9}}},
		&netlink.Route{Family: unix.AF_INET, Table: unix.RT_TABLE_MAIN, Dst: netip.MustParsePrefix("203.0.113.0/24"),
			Type: netlink.RouteUnicast, Protocol: netlink.ProtoBoot, Multipath: []netlink.RouteHop{
				{Gateway: via2, IfIndex: 2, EncapType: unix.LWTUNNEL_ENCAP_MPLS, MPLSEncap: &netlink.MPLSEncap{Labels: []uint32{600}}},
				{IfIndex: 3}}},
	)
	plan2, err := tx.PlanAgainst(after)
	if err != nil {
		t.Fatal(err)
	}
	if !plan2.Empty() {
		t.Errorf("plan on the result:\n%s", plan2)
	}

	// The rollback of the specs, planned on the result, brings back the
	// pre-image: planning it on the pre-image gives nothing.
	rb := restoreSpecs(st, after, &tx.specs)
	p, err := newPlanner(after, rb, false)
	if err != nil {
		t.Fatal(err)
	}
	back, err := p.plan()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("rollback plan:\n%s", back)
	p, err = newPlanner(st, rb, false)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := p.plan(); err != nil || !again.Empty() {
		t.Errorf("rollback specs on the pre-image: %v\n%s", err, again)
	}
}

// TestMPLSPlanReplaceKeepsProtocol: a spec without a protocol keeps the
// route's when it replaces it.
func TestMPLSPlanReplaceKeepsProtocol(t *testing.T) {
	have := mplsRouteObj(100, []uint32{200}, "192.0.2.2", 2)
	have.Protocol = netlink.RouteProtocol(unix.RTPROT_STATIC)
	st := replayState(t,
		&netlink.Link{Index: 2, Name: "v0", MTU: 1500, Flags: unix.IFF_UP, Info: &netlink.LinkInfo{InfoKind: "veth"}},
		have)
	tx := New(nil, nil, nil).MPLSRoute(MPLSRouteSpec{Label: 100, As: []uint32{201}, Dev: "v0", Via: netip.MustParseAddr("192.0.2.2")})
	plan, err := tx.PlanAgainst(st)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Steps) != 1 || plan.Steps[0].Action != Modify {
		t.Fatalf("plan:\n%s", plan)
	}
	r := &resolver{st: st, names: map[string]int{}, gone: map[string]bool{}}
	rt, err := r.mplsRoute(&tx.specs.mplsRoutes[0], have)
	if err != nil {
		t.Fatal(err)
	}
	if rt.Protocol != netlink.RouteProtocol(unix.RTPROT_STATIC) || rt.OIF != 2 {
		t.Errorf("request route %v, want protocol static on v0", rt)
	}
}

func TestMPLSValidate(t *testing.T) {
	via := netip.MustParseAddr("192.0.2.2")
	long := make([]uint32, netlink.MPLSMaxNewLabels+1)
	for i := range long {
		long[i] = 100
	}
	dst := netip.MustParsePrefix("198.51.100.0/24")
	for _, c := range []struct {
		name  string
		mpls  *MPLSRouteSpec
		route *RouteSpec
		want  string
	}{
		{"reserved label", &MPLSRouteSpec{Label: 15, Via: via}, nil, "label 15 (want 16 to 1048575"},
		{"label too big", &MPLSRouteSpec{Label: 1 << 20, Via: via}, nil, "label 1048576"},
		{"no next hop", &MPLSRouteSpec{Label: 100}, nil, "needs a via address, a dev or next hops"},
		{"implicit null", &MPLSRouteSpec{Label: 100, Via: via, As: []uint32{3}}, nil, "implicit null label 3"},
		{"label above 20 bits", &MPLSRouteSpec{Label: 100, Via: via, As: []uint32{1 << 20}}, nil, "label 1048576 above"},
		{"too many labels", &MPLSRouteSpec{Label: 100, Via: via, As: long}, nil, "31 labels, at most 30"},
		{"ttl-propagate", &MPLSRouteSpec{Label: 100, Via: via, TTLPropagate: 3}, nil, "ttl-propagate 3"},
		{"both", &MPLSRouteSpec{Label: 100, Via: via, Multipath: []MPLSHopSpec{{Via: via}}}, nil, "both a next hop"},
		{"empty hop", &MPLSRouteSpec{Label: 100, Multipath: []MPLSHopSpec{{As: []uint32{20}}}}, nil, "next hop 1 needs"},
		{"zone", &MPLSRouteSpec{Label: 100, Via: netip.MustParseAddr("fe80::1%v0")}, nil, "plain IPv4 or IPv6"},
		{"bad dev", &MPLSRouteSpec{Label: 100, Dev: "a/b"}, nil, "bad link name"},
		{"encap no labels", nil, &RouteSpec{Dst: dst, Gateway: via, MPLSEncap: &netlink.MPLSEncap{}}, "no labels"},
		{"encap null", nil, &RouteSpec{Dst: dst, Gateway: via, MPLSEncap: &netlink.MPLSEncap{Labels: []uint32{3}}}, "implicit null"},
		{"encap nhid", nil, &RouteSpec{Dst: dst, NHID: 5, MPLSEncap: &netlink.MPLSEncap{Labels: []uint32{30}}}, "nhid 5"},
		{"encap blackhole", nil, &RouteSpec{Dst: dst, Type: netlink.RouteBlackhole, MPLSEncap: &netlink.MPLSEncap{Labels: []uint32{30}}}, "blackhole route"},
		{"encap multipath", nil, &RouteSpec{Dst: dst, Multipath: []RouteHopSpec{{Gateway: via}}, MPLSEncap: &netlink.MPLSEncap{Labels: []uint32{30}}}, "each next hop"},
		{"hop encap", nil, &RouteSpec{Dst: dst, Multipath: []RouteHopSpec{{Gateway: via, MPLSEncap: &netlink.MPLSEncap{Labels: long}}}}, "next hop 1: encap mpls: 31 labels"},
	} {
		tx := New(nil, nil, nil)
		if c.mpls != nil {
			tx.MPLSRoute(*c.mpls)
		} else {
			tx.Route(*c.route)
		}
		_, err := tx.PlanAgainst(replayState(t))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want ErrInvalid with %q", c.name, err, c.want)
		}
		var se *SpecError
		if errors.As(err, &se) && (se.Kind != netlink.KindRoute || se.MPLS != (c.mpls != nil)) {
			t.Errorf("%s: SpecError %+v", c.name, se)
		}
	}
	// One label twice.
	_, err := New(nil, nil, nil).MPLSRoute(MPLSRouteSpec{Label: 100, Via: via}).
		MPLSRoute(MPLSRouteSpec{Label: 100, Absent: true}).PlanAgainst(replayState(t))
	var se *SpecError
	if !errors.As(err, &se) || !se.MPLS || se.Index != 1 || !strings.Contains(err.Error(), "given twice") {
		t.Errorf("label twice: %v", err)
	}
}
