package main

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// TestMPLSRenderGolden: MPLS routes as `ip -j -f mpls route show`
// (iproute2 6.1, in the guest) prints them and MPLS encapsulations of IP routes as `ip -j route show` does
// (the encapsulation's labels are a second "dst" key, as ip writes them).
func TestMPLSRenderGolden(t *testing.T) {
	a := netip.MustParseAddr
	names := newLinkNames(nil)
	names.m[3] = linkRef{name: "v0"}
	names.m[4] = linkRef{name: "w0"}
	for _, tt := range []struct {
		name string
		r    *netlink.Route
		want string
	}{
		{"swap", &netlink.Route{Family: unix.AF_MPLS, Gateway: a("192.0.2.2"), OIF: 3, Protocol: netlink.ProtoStatic, Table: 254,
			Type: netlink.RouteUnicast, Extra: &netlink.RouteExtra{Label: 100, NewDst: []uint32{200, 300}}},
			`{"dst":"100","to":"200/300","via":{"family":"inet","host":"192.0.2.2"},"dev":"v0","protocol":"static","flags":[]}`},
		{"multipath", &netlink.Route{Family: unix.AF_MPLS, Protocol: netlink.ProtoBoot, Multipath: []netlink.RouteHop{
			{IfIndex: 3, Gateway: a("2001:db8::2"), NewDst: []uint32{201}},
			{IfIndex: 4, Gateway: a("192.0.2.3"), Flags: unix.RTNH_F_DEAD | unix.RTNH_F_LINKDOWN}},
			Extra: &netlink.RouteExtra{Label: 101, TTLPropagate: netlink.MPLSTTLPropDisabled}},
			`{"dst":"101","flags":[],"ttl-propogate":false,"nexthops":[` +
				`{"to":"201","via":{"family":"inet6","host":"2001:db8::2"},"dev":"v0","flags":[]},` +
				`{"via":{"family":"inet","host":"192.0.2.3"},"dev":"w0","flags":["dead","linkdown"]}]}`},
		{"ipv4 encap", &netlink.Route{Family: unix.AF_INET, Dst: netip.MustParsePrefix("203.0.113.0/24"), Gateway: a("192.0.2.2"),
			OIF: 3, Table: 254, Protocol: netlink.ProtoBoot, Type: netlink.RouteUnicast,
			Extra: &netlink.RouteExtra{EncapType: unix.LWTUNNEL_ENCAP_MPLS, MPLSEncap: &netlink.MPLSEncap{Labels: []uint32{16, 17}, TTL: 5}}},
			`{"dst":"203.0.113.0/24","encap":"mpls","dst":"16/17","ttl":5,"gateway":"192.0.2.2","dev":"v0","flags":[]}`},
		{"hop encap", &netlink.Route{Family: unix.AF_INET, Dst: netip.MustParsePrefix("203.0.113.128/25"), Table: 254,
			Protocol: netlink.ProtoBoot, Type: netlink.RouteUnicast, Multipath: []netlink.RouteHop{
				{IfIndex: 3, Gateway: a("192.0.2.2"), EncapType: unix.LWTUNNEL_ENCAP_MPLS, MPLSEncap: &netlink.MPLSEncap{Labels: []uint32{18}}},
				{IfIndex: 4, Gateway: a("198.51.100.2"), EncapType: unix.LWTUNNEL_ENCAP_SEG6, Encap: []byte{1, 2, 3, 4}}}},
			`{"dst":"203.0.113.128/25","flags":[],"nexthops":[` +
				`{"encap":"mpls","dst":"18","gateway":"192.0.2.2","dev":"v0","weight":1,"flags":[]},` +
				`{"encap":"seg6","gateway":"198.51.100.2","dev":"w0","weight":1,"flags":[]}]}`},
	} {
		var buf bytes.Buffer
		j := newJSONOut(&buf)
		writeRoute(j, tt.r, names)
		j.flush()
		if got := buf.String(); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

// TestMPLSWords: monitor's text of MPLS routes and encapsulations, in ip
// monitor's words, and a change line naming what changed.
func TestMPLSWords(t *testing.T) {
	a := netip.MustParseAddr
	names := newLinkNames(nil)
	names.m[3] = linkRef{name: "v0"}
	names.m[4] = linkRef{name: "w0"}
	swap := &netlink.Route{Family: unix.AF_MPLS, Gateway: a("192.0.2.2"), OIF: 3, Protocol: netlink.ProtoStatic, Table: 254,
		Type: netlink.RouteUnicast, Extra: &netlink.RouteExtra{Label: 100, NewDst: []uint32{200, 300}, TTLPropagate: netlink.MPLSTTLPropDisabled}}
	multi := &netlink.Route{Family: unix.AF_MPLS, Protocol: netlink.ProtoBoot, Table: 254, Type: netlink.RouteUnicast,
		Multipath: []netlink.RouteHop{{IfIndex: 3, Gateway: a("2001:db8::2"), NewDst: []uint32{201}}, {IfIndex: 4, Flags: unix.RTNH_F_LINKDOWN}},
		Extra:     &netlink.RouteExtra{Label: 101}}
	encap := &netlink.Route{Family: unix.AF_INET, Dst: netip.MustParsePrefix("203.0.113.0/24"), Gateway: a("192.0.2.2"),
		OIF: 3, Table: 254, Protocol: netlink.ProtoBoot, Type: netlink.RouteUnicast,
		Extra: &netlink.RouteExtra{EncapType: unix.LWTUNNEL_ENCAP_MPLS, MPLSEncap: &netlink.MPLSEncap{Labels: []uint32{16, 17}, TTL: 5}}}
	for _, c := range []struct {
		r    *netlink.Route
		want string
	}{
		{swap, "100 as to 200/300 via inet 192.0.2.2 dev v0 proto static ttl-propogate disabled"},
		{multi, "101 nexthop as to 201 via inet6 2001:db8::2 dev v0 nexthop dev w0 linkdown"},
		{encap, "203.0.113.0/24 encap mpls 16/17 ttl 5 via 192.0.2.2 dev v0"},
	} {
		if got := routeWords(c.r, names).text(); got != c.want {
			t.Errorf("got  %q\nwant %q", got, c.want)
		}
	}
	moved := *swap
	moved.OIF, moved.Gateway = 4, a("198.51.100.2")
	if got, visible := changeText(routeWords(swap, names), routeWords(&moved, names)); !visible ||
		got != "100 via inet 192.0.2.2 -> inet 198.51.100.2, dev v0 -> w0" {
		t.Errorf("change %q (visible %v)", got, visible)
	}
}
