package netlink_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/internal/oracle"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// routeSetup makes v0/v1 (a veth pair, up, IPv6 DAD off so that nothing
// changes under a comparison) with 192.0.2.1/24 and 2001:db8::1/64 on v0,
// and returns a Conn in ns and the indexes of v0 and v1.
func routeSetup(t testing.TB, ns *nstest.NS) (*netlink.Conn, uint32, uint32) {
	t.Helper()
	err := ns.Do(func() error {
		for _, f := range []string{"all", "default"} {
			if err := os.WriteFile("/proc/sys/net/ipv6/conf/"+f+"/accept_dad", []byte("0"), 0o644); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("disable DAD: %v", err)
	}
	ns.Batch("link add v0 type veth peer name v1", "link set v0 up", "link set v1 up",
		"addr add 192.0.2.1/24 dev v0", "addr add 2001:db8::1/64 dev v0 nodad")
	c, err := netlink.Dial(&netlink.Config{NetNS: ns.Name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, uint32(ns.Ifindex("v0")), uint32(ns.Ifindex("v1"))
}

// routeCheck dumps every route with the library and compares the full
// tables with ip's; it returns the dump. A difference is retried for a
// while, since the kernel may still be adding link-local routes.
func routeCheck(t *testing.T, c *netlink.Conn, ns *nstest.NS) []*netlink.Route {
	t.Helper()
	var err error
	for try := 0; try < 20; try++ {
		if try > 0 {
			time.Sleep(100 * time.Millisecond)
		}
		var got []*netlink.Route
		got, err = c.Routes(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err = oracle.CompareRoutes(ns, got); err == nil {
			return got
		}
	}
	t.Fatal(err)
	return nil
}

func routeFind(routes []*netlink.Route, table uint32, dst string) []*netlink.Route {
	var out []*netlink.Route
	for _, r := range routes {
		if r.Table == table && r.Dst == netip.MustParsePrefix(dst) {
			out = append(out, r)
		}
	}
	return out
}

func rp(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func ra(s string) netip.Addr   { return netip.MustParseAddr(s) }

// goldenRouteSetup is how testdata/route_dump.hex was made (with a veth
// pair and addresses as in routeSetup).
var goldenRouteSetup = []string{
	"route add 198.51.100.0/24 via 192.0.2.2 table 300 proto static metric 7 mtu lock 1400 advmss 1360 initcwnd 10 hoplimit 64 congctl cubic realm 5",
	"route add 203.0.113.0/24 nexthop via 192.0.2.2 weight 2 nexthop via 192.0.2.3",
	"route add blackhole 203.0.113.128/25 table 1000",
	"route add unreachable 198.51.100.128/25",
	"route add prohibit 198.51.100.64/26 table 70000",
	"route add 2001:db8:1::/48 nexthop via 2001:db8::2 dev v0 nexthop via 2001:db8::3 dev v0 weight 3",
	"route add 2001:db8:2::/48 from 2001:db8:3::/48 via 2001:db8::2 pref high",
	"route add 198.51.100.16/28 via inet6 2001:db8::2 dev v0",
	"route add 198.51.100.32/28 dev v0 scope link tos 0x10 src 192.0.2.1",
	"route add throw 198.51.100.48/28 table 300",
	"route add 2001:db8:4::/48 dev v0 expires 300",
}

// TestRouteDumpMatchesIP reads routes made with ip and compares them, and
// every kernel-side filter, with ip's view.
func TestRouteDumpMatchesIP(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c, v0, v1 := routeSetup(t, ns)
		ns.Batch(goldenRouteSetup...)
		ns.Batch(
			"route add 198.51.100.0/24 via 192.0.2.9 table 1000 proto bgp metric 20",
			"route add 2001:db8:5::/48 via 2001:db8::2 table 300 mtu 1280 initcwnd 20",
			"route add blackhole 2001:db8:6::/48",
			"route add unreachable 2001:db8:7::/48 table 1000",
			"route add prohibit 2001:db8:8::/48",
			"route add 192.0.2.128/25 dev v1",
			"route append 198.51.100.200/32 via 192.0.2.2",
			"route append 198.51.100.200/32 via 192.0.2.3",
		)
		all := routeCheck(t, c, ns)

		// The local table and the kernel's routes for addresses are there.
		if len(routeFind(all, unix.RT_TABLE_LOCAL, "192.0.2.1/32")) != 1 || len(routeFind(all, unix.RT_TABLE_LOCAL, "192.0.2.255/32")) != 1 {
			t.Error("local and broadcast routes for 192.0.2.1/24 missing")
		}
		if rs := routeFind(all, 70000, "198.51.100.64/26"); len(rs) != 1 || rs[0].Type != netlink.RouteProhibit {
			t.Errorf("prohibit route in table 70000: %v", rs)
		}
		if rs := routeFind(all, unix.RT_TABLE_MAIN, "198.51.100.200/32"); len(rs) != 2 {
			t.Errorf("appended routes: %v", rs)
		}
		m := routeFind(all, 300, "198.51.100.0/24")
		if len(m) != 1 || m[0].Extra == nil || m[0].Extra.Metrics == nil || m[0].Extra.Metrics.MTU != 1400 ||
			m[0].Extra.Metrics.Lock != 1<<unix.RTAX_MTU || m[0].Extra.Metrics.CCAlgo != "cubic" {
			t.Errorf("metrics route: %v", m)
		}

		// The oracle notices a change in any compared field, and a
		// missing or extra route.
		for i, mutate := range []func(r *netlink.Route){
			func(r *netlink.Route) { r.Gateway = ra("192.0.2.7") },
			func(r *netlink.Route) { r.Table++ },
			func(r *netlink.Route) { r.Priority++ },
			func(r *netlink.Route) { r.Protocol++ },
			func(r *netlink.Route) { r.Scope = netlink.ScopeLink },
			func(r *netlink.Route) { r.Type = netlink.RouteLocal },
			func(r *netlink.Route) { r.OIF = v1 },
			func(r *netlink.Route) { r.Flags |= unix.RTNH_F_ONLINK },
			func(r *netlink.Route) { r.Dst = rp("198.51.100.0/25") },
			func(r *netlink.Route) {
				x := *r.Extra
				m := *x.Metrics
				m.AdvMSS++
				x.Metrics = &m
				r.Extra = &x
			},
			func(r *netlink.Route) {
				x := *r.Extra
				x.Flow = 6
				r.Extra = &x
			},
		} {
			mutated := slices.Clone(all)
			for j, r := range all {
				if r.Table == 300 && r.Dst == rp("198.51.100.0/24") {
					c := *r
					mutate(&c)
					mutated[j] = &c
				}
			}
			if oracle.CompareRoutes(ns, mutated) == nil {
				t.Errorf("mutation %d not detected", i)
			}
		}
		for i, mutate := range []func(r *netlink.Route){
			func(r *netlink.Route) { r.Multipath[0].Hops++ },
			func(r *netlink.Route) { r.Multipath[1].Gateway = ra("2001:db8::9") },
			func(r *netlink.Route) { r.Multipath[1].IfIndex = v1 },
			func(r *netlink.Route) { r.Pref = netlink.PrefLow },
		} {
			mutated := slices.Clone(all)
			for j, r := range all {
				if r.Dst == rp("2001:db8:1::/48") {
					c := *r
					c.Multipath = slices.Clone(r.Multipath)
					mutate(&c)
					mutated[j] = &c
				}
			}
			if oracle.CompareRoutes(ns, mutated) == nil {
				t.Errorf("multipath mutation %d not detected", i)
			}
		}
		if oracle.CompareRoutes(ns, all[1:]) == nil {
			t.Error("missing route not detected")
		}
		if oracle.CompareRoutes(ns, append(slices.Clone(all), all[0])) == nil {
			t.Error("extra route not detected")
		}

		ctx := context.Background()
		for _, f := range []*netlink.RouteFilter{
			{Table: unix.RT_TABLE_MAIN},
			{Table: 300},
			{Table: 1000},
			{Table: 70000},
			{Table: unix.RT_TABLE_LOCAL, Family: unix.AF_INET6},
			{Family: unix.AF_INET},
			{Family: unix.AF_INET6},
			{Protocol: netlink.ProtoKernel},
			{Protocol: netlink.ProtoBGP, Family: unix.AF_INET},
			{Type: netlink.RouteBlackhole},
			{Type: netlink.RouteUnicast, Family: unix.AF_INET6, Table: 300},
			{OIF: v1},
			{OIF: v0, Family: unix.AF_INET},
			{Dst: rp("198.51.100.0/24")},
			{Table: 4242},                         // no such table
			{Table: 4242, Family: unix.AF_INET},   // ENOENT from the kernel
			{Table: 4242, Family: unix.AF_INET6},  // ENOENT from the kernel
			{Type: netlink.RouteNAT, Table: 300},  // nothing matches
			{Protocol: 99, Family: unix.AF_INET6}, // nothing matches
		} {
			got, err := c.Routes(ctx, f)
			if err != nil {
				t.Errorf("%+v: %v", f, err)
				continue
			}
			var want []*netlink.Route
			for _, r := range all {
				if f.Match(r) {
					want = append(want, r)
				}
			}
			if len(got) != len(want) {
				t.Errorf("%+v: %d routes, want %d", f, len(got), len(want))
				continue
			}
			for i := range got {
				if got[i].String() != want[i].String() {
					t.Errorf("%+v: route %d is %v, want %v", f, i, got[i], want[i])
				}
			}
			if (f.Table == unix.RT_TABLE_MAIN || f.Table == 300 || f.OIF == v1) && f.Type != netlink.RouteNAT {
				if len(got) == 0 {
					t.Errorf("%+v: no routes", f)
				}
			}
		}
		inTable, err := c.RoutesInTable(ctx, unix.AF_INET, 300)
		if err != nil || len(inTable) != 2 {
			t.Errorf("RoutesInTable(inet, 300) = %v, %v", inTable, err)
		}

		// Streaming stops at the callback's error.
		stop := errors.New("stop")
		n := 0
		err = c.RouteDump(ctx, nil, func(r *netlink.Route) error {
			n++
			if n == 3 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || n != 3 {
			t.Errorf("RouteDump stop: %v after %d", err, n)
		}
		// The Conn is still usable after the abandoned dump.
		if _, err := c.Routes(ctx, &netlink.RouteFilter{Table: 300}); err != nil {
			t.Errorf("dump after abandoned dump: %v", err)
		}
	})
}

// TestRouteOps adds, appends, replaces, changes and deletes routes with the
// library and checks the kernel's tables with ip after each step.
func TestRouteOps(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c, v0, v1 := routeSetup(t, ns)
		ctx := context.Background()
		ns.IP("addr", "add", "198.51.100.254/24", "dev", "v1")
		routeCheck(t, c, ns)

		steps := []struct {
			name string
			do   func() error
			// check, if set, looks at the dump after the step.
			check func(all []*netlink.Route) error
		}{
			{"add main", func() error {
				return c.RouteAdd(ctx, &netlink.Route{Dst: rp("203.0.113.0/25"), Gateway: ra("192.0.2.2"), Priority: 10})
			}, nil},
			{"add table 300 with metrics", func() error {
				return c.RouteAdd(ctx, &netlink.Route{Dst: rp("203.0.113.0/24"), Gateway: ra("192.0.2.2"), OIF: v0,
					Table: 300, Protocol: netlink.ProtoStatic, Extra: &netlink.RouteExtra{Metrics: &netlink.RouteMetrics{
						MTU: 1400, AdvMSS: 1360, InitCwnd: 10, InitRwnd: 20, HopLimit: 32, Window: 65535, Reordering: 5,
						Lock: 1 << unix.RTAX_MTU, CCAlgo: "reno"}}})
			}, func(all []*netlink.Route) error {
				rs := routeFind(all, 300, "203.0.113.0/24")
				if len(rs) != 1 || rs[0].Extra.Metrics.InitRwnd != 20 || rs[0].Extra.Metrics.Lock != 1<<unix.RTAX_MTU {
					return fmt.Errorf("got %v", rs)
				}
				return nil
			}},
			{"add table 1000 v6", func() error {
				return c.RouteAdd(ctx, &netlink.Route{Dst: rp("2001:db8:100::/48"), Gateway: ra("2001:db8::2"), Table: 1000,
					Priority: 5, Pref: netlink.PrefLow})
			}, nil},
			{"add table 100000 v4 link route", func() error {
				return c.RouteAdd(ctx, &netlink.Route{Dst: rp("203.0.113.128/25"), OIF: v1, Table: 100000,
					PrefSrc: ra("198.51.100.254")})
			}, func(all []*netlink.Route) error {
				rs := routeFind(all, 100000, "203.0.113.128/25")
				if len(rs) != 1 || rs[0].Scope != netlink.ScopeLink {
					return fmt.Errorf("got %v", rs)
				}
				return nil
			}},
			{"add v4 multipath", func() error {
				return c.RouteAdd(ctx, &netlink.Route{Dst: rp("198.51.100.0/25"), Multipath: []netlink.RouteHop{
					{Gateway: ra("192.0.2.2"), IfIndex: v0, Hops: 2},
					{Gateway: ra("192.0.2.3")},
					{IfIndex: v1},
				}})
			}, nil},
			{"add v6 multipath", func() error {
				return c.RouteAdd(ctx, &netlink.Route{Dst: rp("2001:db8:200::/48"), Multipath: []netlink.RouteHop{
					{Gateway: ra("2001:db8::2"), IfIndex: v0},
					{Gateway: ra("2001:db8::3"), IfIndex: v0, Hops: 4},
				}})
			}, func(all []*netlink.Route) error {
				rs := routeFind(all, unix.RT_TABLE_MAIN, "2001:db8:200::/48")
				if len(rs) != 1 || len(rs[0].Multipath) != 2 || rs[0].Multipath[1].Weight() != 5 {
					return fmt.Errorf("got %v", rs)
				}
				return nil
			}},
			{"add blackhole, unreachable, prohibit, throw", func() error {
				for i, typ := range []netlink.RouteType{netlink.RouteBlackhole, netlink.RouteUnreachable, netlink.RouteProhibit, netlink.RouteThrow} {
					if err := c.RouteAdd(ctx, &netlink.Route{Dst: rp(fmt.Sprintf("198.51.100.%d/30", 128+4*i)), Type: typ, Table: 300}); err != nil {
						return err
					}
					if err := c.RouteAdd(ctx, &netlink.Route{Dst: rp(fmt.Sprintf("2001:db8:30%d::/48", i)), Type: typ}); err != nil {
						return err
					}
				}
				return nil
			}, nil},
			{"add v4 via inet6", func() error {
				return c.RouteAdd(ctx, &netlink.Route{Dst: rp("198.51.100.144/28"), Gateway: ra("2001:db8::2"), OIF: v0})
			}, nil},
			{"add v6 source route", func() error {
				return c.RouteAdd(ctx, &netlink.Route{Dst: rp("2001:db8:400::/48"), Gateway: ra("2001:db8::2"),
					Extra: &netlink.RouteExtra{Src: rp("2001:db8:500::/48")}})
			}, nil},
			{"add onlink, tos, realms", func() error {
				return c.RouteAdd(ctx, &netlink.Route{Dst: rp("198.51.100.160/28"), Gateway: ra("203.0.113.1"), OIF: v0,
					Flags: unix.RTNH_F_ONLINK, TOS: 0x10, Extra: &netlink.RouteExtra{Flow: 3<<16 | 4}})
			}, nil},
			{"add existing fails with EEXIST", func() error {
				err := c.RouteAdd(ctx, &netlink.Route{Dst: rp("203.0.113.0/25"), Gateway: ra("192.0.2.3"), Priority: 10})
				if !errors.Is(err, unix.EEXIST) {
					return fmt.Errorf("err = %v, want EEXIST", err)
				}
				return nil
			}, nil},
			{"append next hop", func() error {
				if err := c.RouteAdd(ctx, &netlink.Route{Dst: rp("203.0.113.64/26"), Gateway: ra("192.0.2.2")}); err != nil {
					return err
				}
				return c.RouteAppend(ctx, &netlink.Route{Dst: rp("203.0.113.64/26"), Gateway: ra("192.0.2.3")})
			}, func(all []*netlink.Route) error {
				if rs := routeFind(all, unix.RT_TABLE_MAIN, "203.0.113.64/26"); len(rs) != 2 {
					return fmt.Errorf("got %v", rs)
				}
				return nil
			}},
			{"delete one appended route by gateway", func() error {
				return c.RouteDel(ctx, &netlink.Route{Dst: rp("203.0.113.64/26"), Gateway: ra("192.0.2.3")})
			}, func(all []*netlink.Route) error {
				if rs := routeFind(all, unix.RT_TABLE_MAIN, "203.0.113.64/26"); len(rs) != 1 || rs[0].Gateway != ra("192.0.2.2") {
					return fmt.Errorf("got %v", rs)
				}
				return nil
			}},
			{"replace gateway", func() error {
				return c.RouteReplace(ctx, &netlink.Route{Dst: rp("203.0.113.0/25"), Gateway: ra("192.0.2.4"), Priority: 10})
			}, func(all []*netlink.Route) error {
				if rs := routeFind(all, unix.RT_TABLE_MAIN, "203.0.113.0/25"); len(rs) != 1 || rs[0].Gateway != ra("192.0.2.4") {
					return fmt.Errorf("got %v", rs)
				}
				return nil
			}},
			{"replace creates", func() error {
				return c.RouteReplace(ctx, &netlink.Route{Dst: rp("2001:db8:600::/48"), OIF: v1})
			}, nil},
			{"change metrics", func() error {
				return c.RouteChange(ctx, &netlink.Route{Dst: rp("203.0.113.0/24"), Gateway: ra("192.0.2.3"), Table: 300,
					Protocol: netlink.ProtoStatic, Extra: &netlink.RouteExtra{Metrics: &netlink.RouteMetrics{MTU: 1300}}})
			}, func(all []*netlink.Route) error {
				rs := routeFind(all, 300, "203.0.113.0/24")
				if len(rs) != 1 || rs[0].Gateway != ra("192.0.2.3") || rs[0].Extra.Metrics.MTU != 1300 {
					return fmt.Errorf("got %v", rs)
				}
				return nil
			}},
			{"change missing fails", func() error {
				err := c.RouteChange(ctx, &netlink.Route{Dst: rp("203.0.113.200/29"), Gateway: ra("192.0.2.3")})
				if err == nil {
					return errors.New("no error")
				}
				var oe *netlink.OpError
				if !errors.As(err, &oe) || oe.Op != "change" {
					return fmt.Errorf("err = %#v", err)
				}
				return nil
			}, nil},
			{"delete decoded routes", func() error {
				all, err := c.Routes(ctx, &netlink.RouteFilter{Table: 300})
				if err != nil {
					return err
				}
				for _, r := range all {
					if err := c.RouteDel(ctx, r); err != nil {
						return err
					}
				}
				return nil
			}, func(all []*netlink.Route) error {
				if rs := slices.DeleteFunc(slices.Clone(all), func(r *netlink.Route) bool { return r.Table != 300 }); len(rs) != 0 {
					return fmt.Errorf("left in table 300: %v", rs)
				}
				return nil
			}},
			{"delete v6 multipath, table 1000, v6 blackhole", func() error {
				for _, r := range []*netlink.Route{
					{Dst: rp("2001:db8:200::/48")},
					{Dst: rp("2001:db8:100::/48"), Table: 1000},
					{Dst: rp("2001:db8:300::/48"), Type: netlink.RouteBlackhole},
				} {
					if err := c.RouteDel(ctx, r); err != nil {
						return err
					}
				}
				return nil
			}, nil},
			{"delete missing fails with ESRCH", func() error {
				err := c.RouteDel(ctx, &netlink.Route{Dst: rp("203.0.113.200/29")})
				if !errors.Is(err, unix.ESRCH) {
					return fmt.Errorf("err = %v, want ESRCH", err)
				}
				return nil
			}, nil},
			{"pipeline", func() error {
				var ops []netlink.Request
				for i := 0; i < 50; i++ {
					ops = append(ops, netlink.RouteRequest(netlink.Add, &netlink.Route{
						Dst: netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}), 32), Gateway: ra("192.0.2.2"), Table: 2000}))
				}
				ops = append(ops, netlink.RouteRequest(netlink.Add, &netlink.Route{Dst: rp("198.51.100.0/32"), Gateway: ra("192.0.2.2"), Table: 2000}))
				errs := c.Pipeline(ctx, ops)
				if errs == nil || !errors.Is(errs[50], unix.EEXIST) {
					return fmt.Errorf("errs = %v", errs)
				}
				for _, err := range errs[:50] {
					if err != nil {
						return err
					}
				}
				return nil
			}, func(all []*netlink.Route) error {
				n := 0
				for _, r := range all {
					if r.Table == 2000 {
						n++
					}
				}
				if n != 50 {
					return fmt.Errorf("%d routes in table 2000", n)
				}
				return nil
			}},
		}
		for _, s := range steps {
			if err := s.do(); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			all := routeCheck(t, c, ns)
			if s.check != nil {
				if err := s.check(all); err != nil {
					t.Fatalf("%s: %v", s.name, err)
				}
			}
		}
	})
}

// TestRouteGet compares RouteGet with `ip route get`.
func TestRouteGet(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c, v0, _ := routeSetup(t, ns)
		ctx := context.Background()
		ns.Batch("route add 198.51.100.0/24 via 192.0.2.2 realms 3/4",
			"route add 203.0.113.0/24 via 192.0.2.3 table 300",
			"rule add fwmark 7 table 300",
			"route add 2001:db8:1::/48 via 2001:db8::2 metric 5")
		for _, tc := range []struct {
			dst   string
			opts  *netlink.RouteGetOptions
			args  []string
			table uint32
		}{
			{"198.51.100.9", nil, []string{"198.51.100.9"}, unix.RT_TABLE_MAIN},
			{"192.0.2.1", nil, []string{"192.0.2.1"}, unix.RT_TABLE_LOCAL},
			{"198.51.100.9", &netlink.RouteGetOptions{Src: ra("192.0.2.1"), Mark: 5, UID: 7, IPProto: unix.IPPROTO_TCP, DPort: 80},
				[]string{"198.51.100.9", "from", "192.0.2.1", "mark", "5", "uid", "7", "ipproto", "tcp", "dport", "80"}, unix.RT_TABLE_MAIN},
			{"203.0.113.9", &netlink.RouteGetOptions{Mark: 7}, []string{"203.0.113.9", "mark", "7"}, 300},
			{"198.51.100.9", &netlink.RouteGetOptions{OIF: v0}, []string{"198.51.100.9", "oif", "v0"}, unix.RT_TABLE_MAIN},
			{"2001:db8:1::9", nil, []string{"2001:db8:1::9"}, unix.RT_TABLE_MAIN},
		} {
			got, err := c.RouteGet(ctx, ra(tc.dst), tc.opts)
			if err != nil {
				t.Errorf("RouteGet %s: %v", tc.dst, err)
				continue
			}
			if err := oracle.CompareRouteGet(ns, got, tc.args...); err != nil {
				t.Error(err)
			}
			if got.Table != tc.table {
				t.Errorf("RouteGet %s: table %d, want %d", tc.dst, got.Table, tc.table)
			}
		}
		// fibmatch returns the FIB entry itself.
		got, err := c.RouteGet(ctx, ra("198.51.100.9"), &netlink.RouteGetOptions{FibMatch: true})
		if err != nil || got.Dst != rp("198.51.100.0/24") || got.Gateway != ra("192.0.2.2") {
			t.Errorf("fibmatch: %v, %v", got, err)
		}
		// No route: the kernel's errno.
		if _, err := c.RouteGet(ctx, ra("203.0.113.9"), nil); !errors.Is(err, unix.ENETUNREACH) {
			t.Errorf("unroutable: %v, want ENETUNREACH", err)
		}
		if _, err := c.RouteGet(ctx, netip.Addr{}, nil); !errors.Is(err, netlink.ErrInvalid) {
			t.Errorf("no address: %v", err)
		}
	})
}

var benchRoutes = flag.Int("routes", 100000, "routes for BenchmarkRouteDump")

// BenchmarkRouteDump dumps and decodes -routes IPv4 routes from a
// throwaway namespace. The peer comparison lives in bench/.
func BenchmarkRouteDump(b *testing.B) {
	ns := nstest.New(b)
	c, _, _ := routeSetup(b, ns)
	// Only documentation prefixes: 512 host routes per table, in as many
	// tables as it takes.
	lines := make([]string, 0, *benchRoutes)
	for i := 0; i < *benchRoutes; i++ {
		net := "198.51.100"
		if i&256 != 0 {
			net = "203.0.113"
		}
		lines = append(lines, fmt.Sprintf("route add %s.%d/32 via 192.0.2.2 proto bgp table %d", net, i&255, 1000+i/512))
	}
	ns.Batch(lines...)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	total := 0
	for b.Loop() {
		n := 0
		err := c.RouteDump(ctx, nil, func(r *netlink.Route) error {
			n++
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if n < *benchRoutes {
			b.Fatalf("%d routes", n)
		}
		total += n
	}
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "routes/s")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(total), "B/route")
}
