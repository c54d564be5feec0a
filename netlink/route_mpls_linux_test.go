package netlink_test

import (
	"context"
	"errors"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/internal/oracle"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// mplsRoutes dumps the MPLS routes of c.
func mplsRoutes(t *testing.T, c *netlink.Conn) map[uint32]*netlink.Route {
	t.Helper()
	rs, err := c.Routes(context.Background(), &netlink.RouteFilter{Family: unix.AF_MPLS})
	if err != nil {
		t.Fatal(err)
	}
	out := map[uint32]*netlink.Route{}
	for _, r := range rs {
		l, ok := r.MPLSLabel()
		if !ok {
			t.Fatalf("non-MPLS route in an MPLS dump: %v", r)
		}
		out[l] = r
	}
	return out
}

// TestMPLSRoutesLive adds MPLS routes with ip and with the library and
// checks that each side reads what the other wrote; then MPLS
// encapsulation of IPv4 and IPv6 routes and of multipath hops.
func TestMPLSRoutesLive(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c, v0, _ := routeSetup(t, ns)
		ns.NeedMPLS(t, 1000)
		ctx := context.Background()

		// ip writes, the library reads.
		mplsIP(ns, "route add 100 as to 200/300 via inet 192.0.2.2 dev v0 proto static",
			"route add 101 ttl-propagate disabled nexthop as to 201 via inet6 2001:db8::2 dev v0 nexthop via inet 192.0.2.3 dev v0",
			"route add 102 dev v0 ttl-propagate enabled")
		got := mplsRoutes(t, c)
		want := map[uint32]string{
			100: "100 as to 200/300 via inet 192.0.2.2 dev #V proto static",
			101: "101 ttl-propagate disabled nexthop as to 201 via inet6 2001:db8::2 dev #V nexthop via inet 192.0.2.3 dev #V",
			102: "102 dev #V ttl-propagate enabled",
		}
		if len(got) != len(want) {
			t.Fatalf("%d MPLS routes, want %d: %v", len(got), len(want), got)
		}
		for l, w := range want {
			w = strings.ReplaceAll(w, "#V", "#"+itoa(v0))
			if r := got[l]; r == nil || r.String() != w {
				t.Errorf("label %d: %v, want %q", l, r, w)
			}
		}
		if x := got[100].Extra; x.RawDstLen != 20 || got[100].Table != unix.RT_TABLE_MAIN || got[100].Type != netlink.RouteUnicast {
			t.Errorf("label 100 header: %+v %+v", got[100], x)
		}

		// The library writes, ip reads.
		r := &netlink.Route{Family: unix.AF_MPLS, Gateway: netip.MustParseAddr("2001:db8::3"), OIF: v0, Protocol: netlink.ProtoBGP,
			Extra: &netlink.RouteExtra{Label: 110, NewDst: []uint32{16, 17, 18}}}
		if err := c.RouteAdd(ctx, r); err != nil {
			t.Fatal(err)
		}
		if err := c.RouteAdd(ctx, r); !errors.Is(err, unix.EEXIST) {
			t.Errorf("second add: %v, want EEXIST", err)
		}
		if err := c.RouteAppend(ctx, r); !errors.Is(err, netlink.ErrInvalid) {
			t.Errorf("append: %v, want ErrInvalid", err)
		}
		mp := &netlink.Route{Family: unix.AF_MPLS, Multipath: []netlink.RouteHop{
			{IfIndex: v0, Gateway: netip.MustParseAddr("192.0.2.4"), NewDst: []uint32{300}},
			{IfIndex: v0, Gateway: netip.MustParseAddr("192.0.2.5")}},
			Extra: &netlink.RouteExtra{Label: 111, TTLPropagate: netlink.MPLSTTLPropEnabled}}
		if err := c.RouteAdd(ctx, mp); err != nil {
			t.Fatal(err)
		}
		for l, w := range map[string]string{
			"110": "110 as to 16/17/18 via inet6 2001:db8::3 dev v0 proto bgp",
			"111": "111 ttl-propogate enabled", // sic: iproute2 prints "propogate"
		} {
			if out := strings.Join(strings.Fields(ns.IP("-f", "mpls", "route", "show", l)), " "); !strings.HasPrefix(out, w) {
				t.Errorf("ip -f mpls route show %s: %q, want prefix %q", l, out, w)
			}
		}
		got = mplsRoutes(t, c)
		if g := got[111]; g == nil || len(g.Multipath) != 2 || !reflect.DeepEqual(g.Multipath[0].NewDst, []uint32{300}) ||
			g.Multipath[1].Gateway != netip.MustParseAddr("192.0.2.5") {
			t.Errorf("label 111 read back: %v", g)
		}

		// Replace swaps the whole entry (one route per label); Change needs one.
		r.Extra.NewDst, r.Gateway = nil, netip.MustParseAddr("192.0.2.9")
		if err := c.RouteReplace(ctx, r); err != nil {
			t.Fatal(err)
		}
		if g := mplsRoutes(t, c)[110]; g == nil || g.Extra.NewDst != nil || g.Gateway != r.Gateway {
			t.Errorf("after replace: %v", g)
		}
		if err := c.RouteChange(ctx, &netlink.Route{Family: unix.AF_MPLS, OIF: v0, Extra: &netlink.RouteExtra{Label: 999}}); !errors.Is(err, unix.ENOENT) {
			t.Errorf("change of a missing label: %v, want ENOENT", err)
		}
		// A label at or above platform_labels is the kernel's to refuse.
		if err := c.RouteAdd(ctx, &netlink.Route{Family: unix.AF_MPLS, OIF: v0, Extra: &netlink.RouteExtra{Label: 1000}}); !errors.Is(err, unix.EINVAL) {
			t.Errorf("label 1000 of 1000 platform labels: %v, want EINVAL", err)
		}
		if err := c.RouteDel(ctx, &netlink.Route{Family: unix.AF_MPLS, Extra: &netlink.RouteExtra{Label: 110}}); err != nil {
			t.Fatal(err)
		}
		if out := ns.IP("-f", "mpls", "route", "show"); strings.Contains(out, "110 ") {
			t.Errorf("110 still there after delete:\n%s", out)
		}

		// MPLS encapsulation of IP routes: ip writes, the library reads ...
		ns.Batch("route add 198.51.100.0/24 encap mpls 200/300 ttl 10 via 192.0.2.2 dev v0",
			"route add 2001:db8:5::/64 nexthop encap mpls 40 via 2001:db8::2 dev v0 nexthop encap mpls 41/42 via 2001:db8::3 dev v0")
		ip4, err := c.Routes(ctx, &netlink.RouteFilter{Family: unix.AF_INET, Dst: rp("198.51.100.0/24")})
		if err != nil || len(ip4) != 1 {
			t.Fatalf("198.51.100.0/24: %v %v", ip4, err)
		}
		if x := ip4[0].Extra; x == nil || x.EncapType != unix.LWTUNNEL_ENCAP_MPLS || x.Encap != nil ||
			!reflect.DeepEqual(x.MPLSEncap, &netlink.MPLSEncap{Labels: []uint32{200, 300}, TTL: 10}) {
			t.Errorf("IPv4 encap: %+v", x)
		}
		ip6, err := c.Routes(ctx, &netlink.RouteFilter{Family: unix.AF_INET6, Dst: rp("2001:db8:5::/64")})
		if err != nil || len(ip6) == 0 {
			t.Fatalf("2001:db8:5::/64: %v %v", ip6, err)
		}
		var labels [][]uint32
		for _, r := range ip6 { // one route with hops, or siblings
			hops := r.Multipath
			if len(hops) == 0 && r.Extra != nil && r.Extra.MPLSEncap != nil {
				labels = append(labels, r.Extra.MPLSEncap.Labels)
			}
			for _, h := range hops {
				if h.MPLSEncap == nil {
					t.Errorf("hop without MPLS encap: %+v", h)
					continue
				}
				labels = append(labels, h.MPLSEncap.Labels)
			}
		}
		if !reflect.DeepEqual(labels, [][]uint32{{40}, {41, 42}}) {
			t.Errorf("IPv6 hop encaps: %v", labels)
		}

		// ... and the library writes, ip reads.
		for _, r := range []*netlink.Route{
			{Dst: rp("203.0.113.0/24"), Gateway: netip.MustParseAddr("192.0.2.2"), OIF: v0,
				Extra: &netlink.RouteExtra{MPLSEncap: &netlink.MPLSEncap{Labels: []uint32{16, 17}, TTL: 5}}},
			{Dst: rp("203.0.113.0/25"), Table: 10, Multipath: []netlink.RouteHop{
				{Gateway: netip.MustParseAddr("192.0.2.3"), IfIndex: v0, MPLSEncap: &netlink.MPLSEncap{Labels: []uint32{50}}},
				{Gateway: netip.MustParseAddr("192.0.2.4"), IfIndex: v0}}},
			{Dst: rp("2001:db8:6::/64"), Gateway: netip.MustParseAddr("2001:db8::2"), OIF: v0,
				Extra: &netlink.RouteExtra{MPLSEncap: &netlink.MPLSEncap{Labels: []uint32{60}}}},
		} {
			if err := c.RouteAdd(ctx, r); err != nil {
				t.Fatalf("%v: %v", r, err)
			}
		}
		for args, w := range map[string]string{
			"route show 203.0.113.0/24":          "encap mpls 16/17 ttl 5 via 192.0.2.2",
			"route show table 10 203.0.113.0/25": "encap mpls 50 via 192.0.2.3",
			"-6 route show 2001:db8:6::/64":      "encap mpls 60 via 2001:db8::2",
		} {
			if out := strings.Join(strings.Fields(ns.IP(strings.Fields(args)...)), " "); !strings.Contains(out, w) {
				t.Errorf("ip %s: %q, want %q in it", args, out, w)
			}
		}
		routeCheck(t, c, ns)
		if err := oracle.CompareMPLSRoutes(ns, mplsSlice(mplsRoutes(t, c))); err != nil {
			t.Error(err)
		}
		// What ip -j prints (for the renderers of cmd/ipdb).
		t.Logf("ip -j -f mpls route show: %s", ns.IP("-j", "-f", "mpls", "route", "show"))
		t.Logf("ip -j route show table all: %s", ns.IP("-j", "route", "show", "table", "all"))
		t.Logf("ip -j -6 route show: %s", ns.IP("-j", "-6", "route", "show"))
	})
}

func mplsSlice(m map[uint32]*netlink.Route) []*netlink.Route {
	var out []*netlink.Route
	for _, r := range m {
		out = append(out, r)
	}
	return out
}

// TestMPLSNotifications checks that MPLS route changes arrive on
// RTNLGRP_MPLS_ROUTE and decode: an add, a replace (NLM_F_REPLACE) and a
// delete.
func TestMPLSNotifications(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		_, v0, _ := routeSetup(t, ns)
		ns.NeedMPLS(t, 200)
		mc, err := netlink.Dial(&netlink.Config{NetNS: ns.Name, Groups: netlink.GroupMPLSRoute})
		if err != nil {
			t.Fatal(err)
		}
		defer mc.Close()
		mplsIP(ns, "route add 100 as to 200 via inet 192.0.2.2 dev v0",
			"route replace 100 via inet 192.0.2.3 dev v0", "route del 100")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var got []netlink.Update
		for len(got) < 3 {
			err := mc.ReceiveUpdates(ctx, 0, func(u netlink.Update) error {
				if r, ok := u.Object.(*netlink.Route); ok && r.IsMPLS() {
					got = append(got, u)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		want := []struct {
			del bool
			s   string
		}{{false, "100 as to 200 via inet 192.0.2.2 dev #"}, {false, "100 via inet 192.0.2.3 dev #"}, {true, "100 via inet 192.0.2.3 dev #"}}
		for i, w := range want {
			if got[i].Deleted() != w.del || got[i].Object.String() != w.s+itoa(v0) {
				t.Errorf("notification %d: deleted %v %q, want %v %q", i, got[i].Deleted(), got[i].Object, w.del, w.s+itoa(v0))
			}
		}
	})
}

func itoa(i uint32) string { return strconv.FormatUint(uint64(i), 10) }

// mplsIP runs each line with `ip -f mpls` in ns (ip -batch takes no
// family per line).
func mplsIP(ns *nstest.NS, lines ...string) {
	for _, l := range lines {
		ns.IP(append([]string{"-f", "mpls"}, strings.Fields(l)...)...)
	}
}
