package netlink

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	nl "github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// routeHexLines reads one message payload per line of a testdata file.
// The route and rule files are RTM_NEWROUTE / RTM_NEWRULE payloads dumped
// from a 6.18 kernel in a throwaway namespace set up with routeIP(8) (veth pair
// v1 = ifindex 2, v0 = ifindex 3; see the commands in route_linux_test.go's
// goldenRouteSetup and rule_linux_test.go's goldenRuleSetup).
func routeHexLines(t testing.TB, name string) [][]byte {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 1<<20), 1<<20)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		b, err := hex.DecodeString(line)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, b)
	}
	return out
}

func routeHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func routePfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func routeIP(s string) netip.Addr    { return netip.MustParseAddr(s) }

func TestRouteSize(t *testing.T) {
	if n := unsafe.Sizeof(Route{}); n > 144 {
		t.Errorf("sizeof(Route) = %d, want <= 144", n)
	}
}

func TestRouteDecodeGolden(t *testing.T) {
	msgs := routeHexLines(t, "testdata/route_dump.hex")
	if len(msgs) != 20 {
		t.Fatalf("%d messages, want 20", len(msgs))
	}
	routes := make([]*Route, len(msgs))
	for i, b := range msgs {
		r := new(Route)
		if err := r.decode(b); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		routes[i] = r
		roundTrip(t, r)
	}

	want := map[int]*Route{
		0: {Family: unix.AF_INET, Dst: routePfx("198.51.100.0/24"), Gateway: routeIP("192.0.2.2"), OIF: 3,
			Table: 300, Priority: 7, Protocol: ProtoStatic, Type: RouteUnicast,
			Extra: &RouteExtra{Flow: 5, Metrics: &RouteMetrics{Lock: 1 << unix.RTAX_MTU, MTU: 1400,
				AdvMSS: 1360, HopLimit: 64, InitCwnd: 10, CCAlgo: "cubic"}}},
		1: {Family: unix.AF_INET, Dst: routePfx("198.51.100.48/28"), Table: 300, Protocol: ProtoBoot, Type: RouteThrow},
		2: {Family: unix.AF_INET, Dst: routePfx("198.51.100.64/26"), Table: 70000, Protocol: ProtoBoot, Type: RouteProhibit},
		3: {Family: unix.AF_INET, Dst: routePfx("203.0.113.128/25"), Table: 1000, Protocol: ProtoBoot, Type: RouteBlackhole},
		4: {Family: unix.AF_INET, Dst: routePfx("192.0.2.0/24"), OIF: 3, Table: unix.RT_TABLE_MAIN, PrefSrc: routeIP("192.0.2.1"),
			Protocol: ProtoKernel, Scope: ScopeLink, Type: RouteUnicast},
		5: {Family: unix.AF_INET, Dst: routePfx("198.51.100.16/28"), Gateway: routeIP("2001:db8::2"), OIF: 3,
			Table: unix.RT_TABLE_MAIN, Protocol: ProtoBoot, Type: RouteUnicast},
		6: {Family: unix.AF_INET, Dst: routePfx("198.51.100.32/28"), OIF: 3, PrefSrc: routeIP("192.0.2.1"), TOS: 0x10,
			Table: unix.RT_TABLE_MAIN, Protocol: ProtoBoot, Scope: ScopeLink, Type: RouteUnicast},
		8: {Family: unix.AF_INET, Dst: routePfx("203.0.113.0/24"), Table: unix.RT_TABLE_MAIN, Protocol: ProtoBoot,
			Type: RouteUnicast, Multipath: []RouteHop{
				{Gateway: routeIP("192.0.2.2"), IfIndex: 3, Hops: 1},
				{Gateway: routeIP("192.0.2.3"), IfIndex: 3},
			}},
		9: {Family: unix.AF_INET, Dst: routePfx("192.0.2.1/32"), OIF: 3, Table: unix.RT_TABLE_LOCAL, PrefSrc: routeIP("192.0.2.1"),
			Protocol: ProtoKernel, Scope: ScopeHost, Type: RouteLocal},
		12: {Family: unix.AF_INET6, Dst: routePfx("2001:db8:1::/48"), Table: unix.RT_TABLE_MAIN, Priority: 1024,
			Protocol: ProtoBoot, Type: RouteUnicast, Multipath: []RouteHop{
				{Gateway: routeIP("2001:db8::2"), IfIndex: 3},
				{Gateway: routeIP("2001:db8::3"), IfIndex: 3, Hops: 2},
			}},
		13: {Family: unix.AF_INET6, Dst: routePfx("2001:db8:2::/48"), Gateway: routeIP("2001:db8::2"), OIF: 3,
			Table: unix.RT_TABLE_MAIN, Priority: 1024, Protocol: ProtoBoot, Type: RouteUnicast, Pref: PrefHigh,
			Extra: &RouteExtra{Src: routePfx("2001:db8:3::/48")}},
		14: {Family: unix.AF_INET6, Dst: routePfx("2001:db8:4::/48"), OIF: 3, Table: unix.RT_TABLE_MAIN, Priority: 1024,
			Protocol: ProtoBoot, Type: RouteUnicast, Extra: &RouteExtra{CacheInfo: RouteCacheInfo{Expires: 30000}}},
		18: {Family: unix.AF_INET6, Dst: routePfx("ff00::/8"), OIF: 2, Table: unix.RT_TABLE_LOCAL, Priority: 256,
			Protocol: ProtoKernel, Type: RouteMulticast},
	}
	for i, w := range want {
		if !reflect.DeepEqual(routes[i], w) {
			t.Errorf("message %d:\n got %#v\nwant %#v", i, routes[i], w)
		}
	}
	// The multipath hops and extra blocks must not share the receive
	// buffer: scribbling over the input leaves decoded routes intact.
	for _, b := range msgs {
		for i := range b {
			b[i] = 0xee
		}
	}
	if !reflect.DeepEqual(routes[0], want[0]) || !reflect.DeepEqual(routes[12], want[12]) {
		t.Error("decoded routes alias the input buffer")
	}
}

func TestRouteString(t *testing.T) {
	msgs := routeHexLines(t, "testdata/route_dump.hex")
	want := map[int]string{
		0:  "198.51.100.0/24 via 192.0.2.2 dev #3 table 300 proto static metric 7 mtu 1400 advmss 1360 hoplimit 64 initcwnd 10 congctl cubic",
		2:  "prohibit 198.51.100.64/26 table 70000",
		4:  "192.0.2.0/24 dev #3 proto kernel scope link src 192.0.2.1",
		8:  "203.0.113.0/24 nexthop via 192.0.2.2 dev #3 weight 2 nexthop via 192.0.2.3 dev #3 weight 1",
		9:  "local 192.0.2.1 dev #3 table local proto kernel scope host src 192.0.2.1",
		13: "2001:db8:2::/48 from 2001:db8:3::/48 via 2001:db8::2 dev #3 metric 1024 pref high",
	}
	for i, w := range want {
		var r Route
		if err := r.decode(msgs[i]); err != nil {
			t.Fatal(err)
		}
		if got := r.String(); got != w {
			t.Errorf("message %d: %q, want %q", i, got, w)
		}
	}
	def := &Route{Family: unix.AF_INET, Dst: routePfx("0.0.0.0/0"), Gateway: routeIP("192.0.2.254"), Table: 254, Protocol: ProtoBoot}
	if got := def.String(); got != "default via 192.0.2.254" {
		t.Errorf("default route: %q", got)
	}
}

func TestRouteRoundTripSynthetic(t *testing.T) {
	for _, r := range []*Route{
		{Family: unix.AF_INET, Dst: routePfx("192.0.2.0/24"), Table: 5, Extra: &RouteExtra{
			IIF: 4, Mark: 9, UID: 1000, NHID: 12, EncapType: unix.LWTUNNEL_ENCAP_MPLS, MPLSEncap: &MPLSEncap{Labels: []uint32{20}},
			Unknown: []Attribute{{Type: unix.RTA_TTL_PROPAGATE, Data: []byte{1}}},
			Metrics: &RouteMetrics{Window: 1, RTT: 2, RTTVar: 3, SSThresh: 4, CWnd: 5, Reordering: 6, Features: 1,
				RTOMin: 7, InitRwnd: 8, QuickAck: 1, FastOpenNoCookie: 1, Unknown: []Attribute{{Type: 40, Data: []byte{1, 0, 0, 0}}}},
			CacheInfo: RouteCacheInfo{1, 2, -3, 4, 5, 6, 7, 8}}},
		{Family: unix.AF_INET, Dst: routePfx("192.0.2.0/24"), Multipath: []RouteHop{
			{Gateway: routeIP("2001:db8::1"), IfIndex: 2, Flags: unix.RTNH_F_ONLINK, EncapType: unix.LWTUNNEL_ENCAP_SEG6, Encap: []byte{1, 2, 3, 4},
				Unknown: []Attribute{{Type: unix.RTA_FLOW, Data: []byte{5, 0, 0, 0}}}},
		}},
		{Family: unix.AF_INET, Dst: routePfx("192.0.2.0/24"), Multipath: []RouteHop{}},
		// Multicast routing (RTNL_FAMILY_IPMR is decoded; 7 is not): addresses stay raw.
		{Family: 7, Protocol: ProtoStatic, Extra: &RouteExtra{RawDstLen: 20,
			Unknown: []Attribute{{Type: unix.RTA_DST, Data: []byte{0, 6, 0x41, 0}}, {Type: unix.RTA_VIA, Data: []byte{2, 0, 192, 0, 2, 1}}}}},
	} {
		roundTrip(t, r)
	}
}

func TestRouteDecodeMalformed(t *testing.T) {
	good := routeHexLines(t, "testdata/route_dump.hex")[0]
	for name, b := range map[string][]byte{
		"short header":     good[:11],
		"truncated attr":   good[:len(good)-3],
		"attr len too big": append(append([]byte{}, good[:12]...), 0xff, 0x00, 0x01, 0x00),
		"attr len < 4":     append(append([]byte{}, good[:12]...), 0x02, 0x00, 0x01, 0x00),
		"dst wrong size":   append(append([]byte{}, good[:12]...), 0x06, 0x00, 0x01, 0x00, 1, 2, 0, 0),
		"oif wrong size":   append(append([]byte{}, good[:12]...), 0x06, 0x00, 0x04, 0x00, 1, 2, 0, 0),
		"dst_len > 32":     append([]byte{2, 33}, good[2:12]...),
		"bad multipath":    append(append([]byte{}, good[:12]...), 0x0c, 0x00, 0x09, 0x00, 0x40, 0, 0, 0, 0, 0, 0, 0),
		"short multipath":  append(append([]byte{}, good[:12]...), 0x08, 0x00, 0x09, 0x00, 0x04, 0, 0, 0),
		"bad metrics":      append(append([]byte{}, good[:12]...), 0x0c, 0x00, 0x08, 0x00, 0x06, 0, 2, 0, 1, 2, 0, 0),
		"bad cacheinfo":    append(append([]byte{}, good[:12]...), 0x08, 0x00, 0x0c, 0x00, 1, 2, 3, 4),
	} {
		var r Route
		if err := r.decode(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
}

var routeSink *Route

func TestRouteDecodeAllocs(t *testing.T) {
	msgs := routeHexLines(t, "testdata/route_dump.hex")
	for _, tc := range []struct {
		i    int
		want float64
	}{
		{4, 1},  // plain IPv4 route: the Route only
		{10, 1}, // IPv6 route with cache info and pref: still the Route only
		{8, 2},  // multipath: plus the next hop slice
		{13, 2}, // source route: plus the Extra block
	} {
		b := msgs[tc.i]
		got := testing.AllocsPerRun(100, func() {
			r := new(Route)
			if err := r.decode(b); err != nil {
				t.Fatal(err)
			}
			routeSink = r
		})
		if got != tc.want {
			t.Errorf("message %d: %v allocations per decode, want %v", tc.i, got, tc.want)
		}
	}
}

func TestRouteOpGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		verb Verb
		r    *Route
		want string
		typ  uint16
	}{{
		// rtmsg: AF_INET, dst_len 24, src_len 0, tos 0, table 252 (compat,
		// the id is in RTA_TABLE), proto boot, scope universe, unicast,
		// flags 0; RTA_TABLE 300; RTA_DST; RTA_OIF 3; RTA_GATEWAY;
		// RTA_PRIORITY 7; RTA_METRICS { RTAX_MTU 1400 }.
		name: "v4 table 300 with metrics", verb: Add, typ: unix.RTM_NEWROUTE,
		r: &Route{Dst: routePfx("198.51.100.0/24"), Gateway: routeIP("192.0.2.2"), OIF: 3, Table: 300, Priority: 7,
			Extra: &RouteExtra{Metrics: &RouteMetrics{MTU: 1400}}},
		want: "02180000 fc030001 00000000  08000f00 2c010000  08000100 c6336400  08000400 03000000" +
			"08000500 c0000202  08000600 07000000  0c000800 08000200 78050000",
	}, {
		// Link route: scope link inferred as ip does; table main in both
		// places.
		name: "v4 link route", verb: Replace, typ: unix.RTM_NEWROUTE,
		r:    &Route{Dst: routePfx("192.0.2.0/24"), OIF: 3, Protocol: ProtoStatic},
		want: "02180000 fe04fd01 00000000  08000f00 fe000000  08000100 c0000200  08000400 03000000",
	}, {
		// Default route: no RTA_DST, as ip sends it.
		name: "v4 default", verb: Append, typ: unix.RTM_NEWROUTE,
		r:    &Route{Dst: routePfx("0.0.0.0/0"), Gateway: routeIP("192.0.2.254")},
		want: "02000000 fe030001 00000000  08000f00 fe000000  08000500 c00002fe",
	}, {
		name: "blackhole table 1000", verb: Add, typ: unix.RTM_NEWROUTE,
		r:    &Route{Dst: routePfx("203.0.113.128/25"), Type: RouteBlackhole, Table: 1000},
		want: "02190000 fc030006 00000000  08000f00 e8030000  08000100 cb007180",
	}, {
		// RTA_MULTIPATH with two struct rtnexthop {len 28, flags 0,
		// hops 0 and 2, ifindex 3} each followed by RTA_GATEWAY.
		name: "v6 multipath", verb: Add, typ: unix.RTM_NEWROUTE,
		r: &Route{Dst: routePfx("2001:db8:1::/48"), Multipath: []RouteHop{
			{Gateway: routeIP("2001:db8::2"), IfIndex: 3}, {Gateway: routeIP("2001:db8::3"), IfIndex: 3, Hops: 2}}},
		want: "0a300000 fe030001 00000000  08000f00 fe000000  14000100 20010db8 00010000 00000000 00000000" +
			"3c000900  1c000000 03000000 14000500 20010db8 00000000 00000000 00000002" +
			"          1c000002 03000000 14000500 20010db8 00000000 00000000 00000003",
	}, {
		// IPv6 gateway of an IPv4 route goes in RTA_VIA {AF_INET6, addr};
		// the kernel's dead/linkdown flags are not sent, onlink is.
		name: "v4 via inet6", verb: Add, typ: unix.RTM_NEWROUTE,
		r: &Route{Dst: routePfx("198.51.100.16/28"), Gateway: routeIP("2001:db8::2"), OIF: 3,
			Flags: unix.RTNH_F_ONLINK | unix.RTNH_F_LINKDOWN | unix.RTNH_F_DEAD},
		want: "021c0000 fe030001 04000000  08000f00 fe000000  08000100 c6336410  08000400 03000000" +
			"16001200 0a0020010db8 00000000 00000000 00000002 0000",
	}, {
		// IPv6 source route with preference high (RTA_PREF 1).
		name: "v6 from, pref high", verb: Add, typ: unix.RTM_NEWROUTE,
		r: &Route{Dst: routePfx("2001:db8:2::/48"), Gateway: routeIP("2001:db8::2"), Pref: PrefHigh,
			Extra: &RouteExtra{Src: routePfx("2001:db8:3::/48")}},
		want: "0a303000 fe030001 00000000  08000f00 fe000000  14000100 20010db8 00020000 00000000 00000000" +
			"14000200 20010db8 00030000 00000000 00000000  14000500 20010db8 00000000 00000000 00000002" +
			"05001400 01000000",
	}, {
		// Delete: table main, protocol and type 0 (any), scope nowhere
		// (any), as ip route del sends it.
		name: "delete", verb: Delete, typ: unix.RTM_DELROUTE,
		r:    &Route{Dst: routePfx("192.0.2.0/24")},
		want: "02180000 fe00ff00 00000000  08000f00 fe000000  08000100 c0000200",
	}, {
		// Delete of a decoded route keeps its fields as match criteria and
		// leaves out what only the kernel reports (cache info).
		name: "delete decoded v6", verb: Delete, typ: unix.RTM_DELROUTE,
		r: &Route{Family: unix.AF_INET6, Dst: routePfx("2001:db8:4::/48"), OIF: 3, Table: 254, Priority: 1024,
			Protocol: ProtoBoot, Type: RouteUnicast, Extra: &RouteExtra{CacheInfo: RouteCacheInfo{Expires: 30000}}},
		want: "0a300000 fe03ff01 00000000  08000f00 fe000000  14000100 20010db8 00040000 00000000 00000000" +
			"08000400 03000000  08000600 00040000",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			op := RouteRequest(tc.verb, tc.r)
			if op.Err() != nil {
				t.Fatal(op.Err())
			}
			if want := routeHex(t, tc.want); string(op.body) != string(want) {
				t.Errorf("body\n got %x\nwant %x", op.body, want)
			}
			if op.typ != tc.typ || op.flags != tc.verb.flags() {
				t.Errorf("type %d flags %#x, want %d %#x", op.typ, op.flags, tc.typ, tc.verb.flags())
			}
		})
	}
}

func TestRouteGetRequestGolden(t *testing.T) {
	// rtmsg: AF_INET, dst_len 32, src_len 32, flags RTM_F_LOOKUP_TABLE;
	// RTA_DST, RTA_SRC, RTA_OIF 3, RTA_MARK 7, RTA_UID 1000, RTA_IP_PROTO 6,
	// RTA_SPORT 1024 and RTA_DPORT 443 in network byte order.
	b, err := routeGetRequest(routeIP("192.0.2.5"), &RouteGetOptions{Src: routeIP("192.0.2.1"), OIF: 3, Mark: 7,
		UID: 1000, IPProto: 6, SPort: 1024, DPort: 443})
	if err != nil {
		t.Fatal(err)
	}
	want := routeHex(t, "02202000 00000000 00100000  08000100 c0000205  08000200 c0000201  08000400 03000000"+
		"08001000 07000000  08001900 e8030000  05001b00 06000000  06001c00 04000000  06001d00 01bb0000")
	if string(b) != string(want) {
		t.Errorf("\n got %x\nwant %x", b, want)
	}
	b, err = routeGetRequest(routeIP("2001:db8::5"), &RouteGetOptions{FibMatch: true})
	if err != nil {
		t.Fatal(err)
	}
	want = routeHex(t, "0a800000 00000000 00200000  14000100 20010db8 00000000 00000000 00000005")
	if string(b) != string(want) {
		t.Errorf("\n got %x\nwant %x", b, want)
	}
	if _, err := routeGetRequest(routeIP("2001:db8::5"), &RouteGetOptions{Src: routeIP("192.0.2.1")}); !errors.Is(err, ErrInvalid) {
		t.Errorf("family mismatch: %v", err)
	}
	if _, err := routeGetRequest(netip.Addr{}, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("no destination: %v", err)
	}
}

func TestRouteDumpRequest(t *testing.T) {
	// Strict dump filter: family, protocol and type in the header; table
	// and oif as attributes (the header table is only a hint).
	f := &RouteFilter{Family: unix.AF_INET6, Table: 1000, Protocol: ProtoStatic, Type: RouteUnicast, OIF: 3}
	want := routeHex(t, "0a000000 fc040001 00000000  08000f00 e8030000  08000400 03000000")
	if got := f.dumpRequest(); string(got) != string(want) {
		t.Errorf("\n got %x\nwant %x", got, want)
	}
	if got := (*RouteFilter)(nil).dumpRequest(); string(got) != string(make([]byte, 12)) {
		t.Errorf("nil filter: %x", got)
	}
}

func TestRouteFilterMatch(t *testing.T) {
	r := &Route{Family: unix.AF_INET, Dst: routePfx("192.0.2.0/24"), Table: 300, Protocol: ProtoStatic, Type: RouteUnicast,
		Multipath: []RouteHop{{IfIndex: 4}, {IfIndex: 5}}}
	for _, tc := range []struct {
		f    *RouteFilter
		want bool
	}{
		{nil, true},
		{&RouteFilter{}, true},
		{&RouteFilter{Family: unix.AF_INET6}, false},
		{&RouteFilter{Table: 300}, true},
		{&RouteFilter{Table: 254}, false},
		{&RouteFilter{Protocol: ProtoKernel}, false},
		{&RouteFilter{Type: RouteBlackhole}, false},
		{&RouteFilter{OIF: 5}, true},
		{&RouteFilter{OIF: 6}, false},
		{&RouteFilter{Dst: routePfx("192.0.2.0/24")}, true},
		{&RouteFilter{Dst: routePfx("192.0.2.0/25")}, false},
	} {
		if got := tc.f.Match(r); got != tc.want {
			t.Errorf("%+v: %v, want %v", tc.f, got, tc.want)
		}
	}
}

func TestRouteOpInvalid(t *testing.T) {
	for name, tc := range map[string]struct {
		v Verb
		r *Route
	}{
		"nil":                      {Add, nil},
		"no dst":                   {Add, &Route{OIF: 1}},
		"host bits":                {Add, &Route{Dst: routePfx("192.0.2.1/24"), OIF: 1}},
		"host bits on delete":      {Delete, &Route{Dst: routePfx("2001:db8::1/64")}},
		"family vs dst":            {Add, &Route{Family: unix.AF_INET6, Dst: routePfx("192.0.2.0/24"), OIF: 1}},
		"v4 gateway on v6":         {Add, &Route{Dst: routePfx("2001:db8::/64"), Gateway: routeIP("192.0.2.1")}},
		"prefsrc family":           {Add, &Route{Dst: routePfx("192.0.2.0/24"), OIF: 1, PrefSrc: routeIP("2001:db8::1")}},
		"src family":               {Add, &Route{Dst: routePfx("2001:db8::/64"), OIF: 1, Extra: &RouteExtra{Src: routePfx("192.0.2.0/24")}}},
		"src host bits":            {Add, &Route{Dst: routePfx("2001:db8::/64"), OIF: 1, Extra: &RouteExtra{Src: routePfx("2001:db8::1/64")}}},
		"unicast without nexthop":  {Add, &Route{Dst: routePfx("192.0.2.0/24")}},
		"blackhole with oif":       {Add, &Route{Dst: routePfx("192.0.2.0/24"), Type: RouteBlackhole, OIF: 1}},
		"unreachable with gateway": {Add, &Route{Dst: routePfx("192.0.2.0/24"), Type: RouteUnreachable, Gateway: routeIP("192.0.2.1")}},
		"hop without gw or dev":    {Add, &Route{Dst: routePfx("192.0.2.0/24"), Multipath: []RouteHop{{Gateway: routeIP("192.0.2.1")}, {Hops: 1}}}},
		"hop v4 gw on v6":          {Add, &Route{Dst: routePfx("2001:db8::/64"), Multipath: []RouteHop{{Gateway: routeIP("192.0.2.1")}}}},
		"type out of range":        {Add, &Route{Dst: routePfx("192.0.2.0/24"), OIF: 1, Type: 200}},
		"bad pref":                 {Add, &Route{Dst: routePfx("2001:db8::/64"), OIF: 1, Pref: 2}},
		"mtu":                      {Add, &Route{Dst: routePfx("192.0.2.0/24"), OIF: 1, Extra: &RouteExtra{Metrics: &RouteMetrics{MTU: 70000}}}},
		"hoplimit":                 {Add, &Route{Dst: routePfx("192.0.2.0/24"), OIF: 1, Extra: &RouteExtra{Metrics: &RouteMetrics{HopLimit: 256}}}},
		"advmss":                   {Add, &Route{Dst: routePfx("192.0.2.0/24"), OIF: 1, Extra: &RouteExtra{Metrics: &RouteMetrics{AdvMSS: 1 << 16}}}},
		"features":                 {Add, &Route{Dst: routePfx("192.0.2.0/24"), OIF: 1, Extra: &RouteExtra{Metrics: &RouteMetrics{Features: 1 << 20}}}},
		"lock bit 0":               {Add, &Route{Dst: routePfx("192.0.2.0/24"), OIF: 1, Extra: &RouteExtra{Metrics: &RouteMetrics{Lock: 1}}}},
		"congctl name":             {Add, &Route{Dst: routePfx("192.0.2.0/24"), OIF: 1, Extra: &RouteExtra{Metrics: &RouteMetrics{CCAlgo: strings.Repeat("x", 16)}}}},
		"set verb":                 {Set, &Route{Dst: routePfx("192.0.2.0/24"), OIF: 1}},
		"unknown verb":             {Verb(42), &Route{Dst: routePfx("192.0.2.0/24"), OIF: 1}},
		"huge multipath": {Add, &Route{Dst: routePfx("192.0.2.0/24"),
			Multipath: make([]RouteHop, 3000)}}, // each hop has IfIndex 0 and no gw: invalid anyway
	} {
		op := RouteRequest(tc.v, tc.r)
		if !errors.Is(op.Err(), ErrInvalid) {
			t.Errorf("%s: Err() = %v, want ErrInvalid", name, op.Err())
			continue
		}
		var oe *OpError
		if !errors.As(op.Err(), &oe) {
			t.Errorf("%s: %T is not an *OpError", name, op.Err())
		}
		// A nil Conn would panic if anything were sent.
		if err := (*Conn)(nil).Do(context.Background(), op); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Do = %v", name, err)
		}
	}
	// A multipath attribute over 64 KiB cannot be encoded.
	hops := make([]RouteHop, 3000)
	for i := range hops {
		hops[i] = RouteHop{Gateway: routeIP("2001:db8::1"), IfIndex: 1}
	}
	if op := RouteRequest(Add, &Route{Dst: routePfx("2001:db8::/64"), Multipath: hops}); !errors.Is(op.Err(), ErrInvalid) {
		t.Errorf("oversized multipath: %v", op.Err())
	}
}

func FuzzDecodeRoute(f *testing.F) {
	for _, b := range routeHexLines(f, "testdata/route_dump.hex") {
		f.Add(b)
	}
	for _, g := range mplsGolden {
		f.Add(routeHex(f, g.hex))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Route
		if err := r.decode(b); err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		_ = r.String()
		out, err := r.marshal()
		if err != nil {
			return // e.g. an attribute grown past 64 KiB
		}
		var again Route
		if err := again.decode(out); err != nil {
			t.Fatalf("decode(marshal(r)): %v\nr = %#v", err, &r)
		}
		if !reflect.DeepEqual(&r, &again) {
			t.Fatalf("round trip changed the route:\n got %#v\nwant %#v", &again, &r)
		}
	})
}

// bgpRoute is a typical full-table route: a /24 via a gateway, protocol
// bgp, metric 20, in the main table, as the kernel sends it.
func bgpRoute(t testing.TB) []byte {
	r := &Route{Family: unix.AF_INET, Dst: routePfx("203.0.113.0/24"), Gateway: routeIP("192.0.2.2"), OIF: 3,
		Table: unix.RT_TABLE_MAIN, Priority: 20, Protocol: ProtoBGP, Type: RouteUnicast}
	b, err := r.marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// BenchmarkRouteDecode decodes a typical full-table route into a fresh
// Route, as a dump does.
func BenchmarkRouteDecode(b *testing.B) {
	msg := bgpRoute(b)
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var sink *Route
	for b.Loop() {
		r := new(Route)
		if err := r.decode(msg); err != nil {
			b.Fatal(err)
		}
		sink = r
	}
	runtime.ReadMemStats(&after)
	_ = sink
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "routes/s")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N), "B/route")
}

// BenchmarkRouteDecodeMdlayher is the same walk over the attributes with
// github.com/mdlayher/netlink's AttributeDecoder, which allocates the
// decoder and a copy of every attribute: the reason for attrDecoder.
func BenchmarkRouteDecodeMdlayher(b *testing.B) {
	msg := bgpRoute(b)
	b.ReportAllocs()
	for b.Loop() {
		r := new(Route)
		ad, err := nl.NewAttributeDecoder(msg[rtmsgLen:])
		if err != nil {
			b.Fatal(err)
		}
		for ad.Next() {
			switch ad.Type() {
			case unix.RTA_DST:
				r.Dst = netip.PrefixFrom(addrFromSlice(ad.Bytes()), 24)
			case unix.RTA_GATEWAY:
				r.Gateway = addrFromSlice(ad.Bytes())
			case unix.RTA_OIF:
				r.OIF = ad.Uint32()
			case unix.RTA_TABLE:
				r.Table = ad.Uint32()
			case unix.RTA_PRIORITY:
				r.Priority = ad.Uint32()
			}
		}
		if err := ad.Err(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "routes/s")
}

func ExampleRoute_String() {
	r := &Route{Family: unix.AF_INET, Dst: netip.MustParsePrefix("198.51.100.0/24"),
		Gateway: netip.MustParseAddr("192.0.2.1"), Table: 300, Protocol: ProtoStatic, Priority: 10}
	fmt.Println(r)
	// Output: 198.51.100.0/24 via 192.0.2.1 table 300 proto static metric 10
}

// TestRouteRequestOverNexthop: a route read from the kernel over a nexthop
// object carries the hops it expands to; a request built from it (a delete,
// as txn and the command send) leaves them out, as the kernel refuses them
// next to RTA_NH_ID.
func TestRouteRequestOverNexthop(t *testing.T) {
	r := &Route{Family: unix.AF_INET, Table: unix.RT_TABLE_MAIN, Dst: netip.MustParsePrefix("203.0.113.0/24"),
		Gateway: netip.MustParseAddr("192.0.2.2"), OIF: 3, Extra: &RouteExtra{NHID: 100},
		Multipath: []RouteHop{{Gateway: netip.MustParseAddr("192.0.2.3"), IfIndex: 3}}}
	for _, v := range []Verb{Delete, Replace} {
		req := RouteRequest(v, r)
		if req.Err() != nil {
			t.Fatalf("%s: %v", v, req.Err())
		}
		var nhid bool
		d := newAttrDecoder(req.body[rtmsgLen:])
		for d.Next() {
			switch d.Type() {
			case unix.RTA_GATEWAY, unix.RTA_OIF, unix.RTA_MULTIPATH, unix.RTA_VIA:
				t.Errorf("%s request carries attribute %d next to the nexthop id", v, d.Type())
			case rtaNHID:
				nhid = d.Uint32() == 100
			}
		}
		if !nhid {
			t.Errorf("%s request lacks RTA_NH_ID 100", v)
		}
	}
	// Decoding what the kernel sends keeps the hops.
	b, err := r.marshal()
	if err != nil {
		t.Fatal(err)
	}
	var back Route
	if err := back.decode(b); err != nil || back.OIF != 3 || len(back.Multipath) != 1 {
		t.Errorf("kernel form: %+v, %v", back, err)
	}
}
