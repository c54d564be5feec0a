package netlink_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/internal/oracle"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// neighAll dumps ARP/NDP, proxy and FDB entries: what oracle.CompareNeighs
// compares against.
func neighAll(t *testing.T, c *netlink.Conn) []*netlink.Neigh {
	t.Helper()
	ctx := context.Background()
	var all []*netlink.Neigh
	for _, f := range []*netlink.NeighFilter{nil, {Proxy: true}, {Family: unix.AF_BRIDGE}} {
		got, err := c.Neighs(ctx, f)
		if err != nil {
			t.Fatalf("Neighs(%+v): %v", f, err)
		}
		all = append(all, got...)
	}
	return all
}

// neighCheck compares the library's view with ip and bridge, retrying
// while the kernel settles (multicast NDP entries appear as links come up,
// reachable entries go stale).
func neighCheck(t *testing.T, c *netlink.Conn, ns *nstest.NS) []*netlink.Neigh {
	t.Helper()
	var err error
	for try := 0; try < 30; try++ {
		if try > 0 {
			time.Sleep(100 * time.Millisecond)
		}
		got := neighAll(t, c)
		if err = oracle.CompareNeighs(ns, got); err == nil {
			return got
		}
	}
	t.Fatal(err)
	return nil
}

func neighFind(l []*netlink.Neigh, family uint8, index int, dst string, mac string) *netlink.Neigh {
	for _, n := range l {
		if n.Family != family || n.Index != index {
			continue
		}
		if dst != "" && n.Dst != netip.MustParseAddr(dst) {
			continue
		}
		if dst == "" && n.Dst.IsValid() {
			continue
		}
		if mac != "" && n.LLAddr.String() != mac {
			continue
		}
		return n
	}
	return nil
}

func neighParseMAC(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

// neighBridge runs `bridge -n NS args...`.
func neighBridge(t *testing.T, ns *nstest.NS, args ...string) {
	t.Helper()
	out, err := exec.Command("bridge", append([]string{"-n", ns.Name}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("bridge %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

func TestNeighLiveARPNDP(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c, veth0, veth1 := addrSetup(t, ns)
		ctx := context.Background()
		ns.Batch(
			"neigh add 192.0.2.2 lladdr 02:00:00:00:00:02 dev veth0 nud permanent",
			"neigh add 192.0.2.3 lladdr 02:00:00:00:00:03 dev veth0 nud stale",
			"neigh add 192.0.2.4 lladdr 02:00:00:00:00:04 dev veth1 nud noarp",
			"neigh add 2001:db8::2 lladdr 02:00:00:00:00:05 dev veth0 nud stale router",
			"neigh add proxy 192.0.2.9 dev veth0",
			"neigh add proxy 2001:db8::9 dev veth1",
		)
		got := neighCheck(t, c, ns)
		for _, w := range []netlink.Neigh{
			{Family: unix.AF_INET, Index: veth0, Dst: netip.MustParseAddr("192.0.2.2"), LLAddr: neighParseMAC("02:00:00:00:00:02"), State: unix.NUD_PERMANENT},
			{Family: unix.AF_INET, Index: veth0, Dst: netip.MustParseAddr("192.0.2.3"), LLAddr: neighParseMAC("02:00:00:00:00:03"), State: unix.NUD_STALE},
			{Family: unix.AF_INET, Index: veth1, Dst: netip.MustParseAddr("192.0.2.4"), LLAddr: neighParseMAC("02:00:00:00:00:04"), State: unix.NUD_NOARP},
			{Family: unix.AF_INET6, Index: veth0, Dst: netip.MustParseAddr("2001:db8::2"), LLAddr: neighParseMAC("02:00:00:00:00:05"), State: unix.NUD_STALE, Flags: unix.NTF_ROUTER},
			{Family: unix.AF_INET, Index: veth0, Dst: netip.MustParseAddr("192.0.2.9"), Flags: unix.NTF_PROXY},
			{Family: unix.AF_INET6, Index: veth1, Dst: netip.MustParseAddr("2001:db8::9"), Flags: unix.NTF_PROXY},
		} {
			n := neighFind(got, w.Family, w.Index, w.Dst.String(), "")
			if n == nil || n.LLAddr.String() != w.LLAddr.String() || n.State != w.State || n.Flags != w.Flags {
				t.Errorf("%s:\n got %+v\nwant %+v", w.String(), n, w)
			}
		}

		// Library writes, checked with ip after each.
		arp := &netlink.Neigh{Family: unix.AF_INET, Index: veth0, Dst: netip.MustParseAddr("192.0.2.20"), LLAddr: neighParseMAC("02:00:00:00:00:20")}
		if err := c.NeighAdd(ctx, arp); err != nil {
			t.Fatal(err)
		}
		got = neighCheck(t, c, ns)
		if n := neighFind(got, unix.AF_INET, veth0, "192.0.2.20", "02:00:00:00:00:20"); n == nil || n.State != unix.NUD_PERMANENT {
			t.Fatalf("after add: %+v", n)
		}
		if err := c.NeighAdd(ctx, arp); !errors.Is(err, unix.EEXIST) {
			t.Fatalf("second add: %v, want EEXIST", err)
		}
		arp.LLAddr, arp.State = neighParseMAC("02:00:00:00:00:21"), unix.NUD_STALE
		if err := c.NeighReplace(ctx, arp); err != nil {
			t.Fatal(err)
		}
		got = neighCheck(t, c, ns)
		if n := neighFind(got, unix.AF_INET, veth0, "192.0.2.20", "02:00:00:00:00:21"); n == nil || n.State != unix.NUD_STALE {
			t.Fatalf("after replace: %+v", n)
		}

		ndp := &netlink.Neigh{Family: unix.AF_INET6, Index: veth1, Dst: netip.MustParseAddr("2001:db8::20"), LLAddr: neighParseMAC("02:00:00:00:00:22"), State: unix.NUD_STALE}
		if err := c.NeighAdd(ctx, ndp); err != nil {
			t.Fatal(err)
		}
		ndp.Flags, ndp.State = unix.NTF_ROUTER, unix.NUD_PERMANENT
		if err := c.NeighChange(ctx, ndp); err != nil {
			t.Fatal(err)
		}
		got = neighCheck(t, c, ns)
		if n := neighFind(got, unix.AF_INET6, veth1, "2001:db8::20", "02:00:00:00:00:22"); n == nil || n.State != unix.NUD_PERMANENT || n.Flags&unix.NTF_ROUTER == 0 {
			t.Fatalf("after change: %+v", n)
		}
		missing := &netlink.Neigh{Family: unix.AF_INET6, Index: veth1, Dst: netip.MustParseAddr("2001:db8::77"), LLAddr: neighParseMAC("02:00:00:00:00:77")}
		if err := c.NeighChange(ctx, missing); !errors.Is(err, unix.ENOENT) {
			t.Fatalf("change of a missing entry: %v, want ENOENT", err)
		}

		// Proxy entries.
		proxy := &netlink.Neigh{Family: unix.AF_INET, Index: veth1, Dst: netip.MustParseAddr("192.0.2.30"), Flags: unix.NTF_PROXY}
		if err := c.NeighAdd(ctx, proxy); err != nil {
			t.Fatal(err)
		}
		got = neighCheck(t, c, ns)
		if neighFind(got, unix.AF_INET, veth1, "192.0.2.30", "") == nil {
			t.Fatal("proxy entry not dumped")
		}

		// Get.
		n, err := c.NeighGet(ctx, &netlink.Neigh{Family: unix.AF_INET, Index: veth0, Dst: netip.MustParseAddr("192.0.2.2")})
		if err != nil {
			t.Fatal(err)
		}
		if n.LLAddr.String() != "02:00:00:00:00:02" || n.State != unix.NUD_PERMANENT || n.Index != veth0 {
			t.Fatalf("NeighGet: %+v", n)
		}
		n, err = c.NeighGet(ctx, &netlink.Neigh{Family: unix.AF_INET, Index: veth1, Dst: netip.MustParseAddr("192.0.2.30"), Flags: unix.NTF_PROXY})
		if err != nil {
			t.Fatal(err)
		}
		if n.Flags&unix.NTF_PROXY == 0 || n.Dst != proxy.Dst {
			t.Fatalf("NeighGet proxy: %+v", n)
		}
		if _, err := c.NeighGet(ctx, &netlink.Neigh{Family: unix.AF_INET, Index: veth0, Dst: netip.MustParseAddr("192.0.2.99")}); !errors.Is(err, unix.ENOENT) {
			t.Fatalf("NeighGet of a missing entry: %v, want ENOENT", err)
		}

		for _, d := range []*netlink.Neigh{arp, ndp, proxy} {
			if err := c.NeighDel(ctx, d); err != nil {
				t.Fatalf("del %s: %v", d, err)
			}
			if neighFind(neighCheck(t, c, ns), d.Family, d.Index, d.Dst.String(), "") != nil {
				t.Fatalf("%s still there after delete", d)
			}
		}
		if err := c.NeighDel(ctx, arp); !errors.Is(err, unix.ENOENT) {
			t.Fatalf("deleting a missing entry: %v, want ENOENT", err)
		}
	})
}

func TestNeighLiveFilter(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c, veth0, veth1 := addrSetup(t, ns)
		ctx := context.Background()
		ns.Batch(
			"link add br0 type bridge", "link set veth1 master br0",
			"neigh add 192.0.2.2 lladdr 02:00:00:00:00:02 dev veth0 nud permanent",
			"neigh add 192.0.2.3 lladdr 02:00:00:00:00:03 dev veth0 nud stale",
			"neigh add 192.0.2.4 lladdr 02:00:00:00:00:04 dev veth1 nud permanent",
			"neigh add 2001:db8::2 lladdr 02:00:00:00:00:05 dev veth1 nud stale",
		)
		br0 := ns.Ifindex("br0")
		neighCheck(t, c, ns)
		for _, tc := range []struct {
			name string
			f    netlink.NeighFilter
			want []string // dst addresses, in any order; nil means check keep only
			keep func(*netlink.Neigh) bool
		}{
			{"index", netlink.NeighFilter{Index: veth0}, []string{"192.0.2.2", "192.0.2.3"}, func(n *netlink.Neigh) bool { return n.Index == veth0 }},
			{"master", netlink.NeighFilter{Master: br0}, []string{"192.0.2.4", "2001:db8::2"}, func(n *netlink.Neigh) bool { return n.Index == veth1 }},
			{"state", netlink.NeighFilter{State: unix.NUD_STALE}, []string{"192.0.2.3", "2001:db8::2"}, func(n *netlink.Neigh) bool { return n.State == unix.NUD_STALE }},
			{"family and index", netlink.NeighFilter{Family: unix.AF_INET6, Index: veth1}, nil, func(n *netlink.Neigh) bool {
				return n.Family == unix.AF_INET6 && n.Index == veth1
			}},
		} {
			if tc.name == "master" && !c.StrictCheck() {
				continue
			}
			got, err := c.Neighs(ctx, &tc.f)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			seen := map[string]bool{}
			for _, n := range got {
				if !tc.keep(n) {
					t.Errorf("%s: %s does not match", tc.name, n)
				}
				seen[n.Dst.String()] = true
			}
			for _, w := range tc.want {
				if !seen[w] {
					t.Errorf("%s: %s missing from %v", tc.name, w, got)
				}
			}
			if tc.want == nil && len(got) == 0 {
				t.Errorf("%s: nothing dumped", tc.name)
			}
		}
	})
}

func TestNeighLiveFDB(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c, veth0, veth1 := addrSetup(t, ns)
		ctx := context.Background()
		// nstest.HaveKind cannot probe vxlan, which needs an id.
		if _, err := ns.IPErr("link", "add", "vx0", "type", "vxlan", "id", "42", "dstport", "4789", "local", "192.0.2.1", "nolearning"); err != nil {
			if strings.Contains(err.Error(), "Unknown device type") || strings.Contains(err.Error(), "not supported") {
				t.Skipf("kernel has no vxlan links: %v", err)
			}
			t.Fatal(err)
		}
		ns.Batch("link add br0 type bridge", "link set br0 up", "link set veth1 master br0")
		br0, vx0 := ns.Ifindex("br0"), ns.Ifindex("vx0")
		neighBridge(t, ns, "fdb", "add", "02:00:00:00:00:aa", "dev", "veth1", "master", "static")
		neighBridge(t, ns, "fdb", "add", "00:00:00:00:00:00", "dev", "vx0", "self", "dst", "203.0.113.7", "permanent")
		neighBridge(t, ns, "fdb", "add", "02:00:00:00:00:ab", "dev", "vx0", "self", "dst", "203.0.113.8", "port", "4790", "vni", "77", "via", "veth0", "permanent")
		got := neighCheck(t, c, ns)
		if n := neighFind(got, unix.AF_BRIDGE, veth1, "", "02:00:00:00:00:aa"); n == nil || n.Master != br0 || n.State != unix.NUD_NOARP {
			t.Errorf("bridge port entry: %+v", n)
		}
		if n := neighFind(got, unix.AF_BRIDGE, vx0, "203.0.113.8", "02:00:00:00:00:ab"); n == nil || n.Port != 4790 || n.VNI != 77 ||
			n.Via != veth0 || n.Flags&unix.NTF_SELF == 0 {
			t.Errorf("vxlan entry: %+v", n)
		}

		// Library writes on the bridge port (master) and on the vxlan (self).
		port := &netlink.Neigh{Family: unix.AF_BRIDGE, Index: veth1, Flags: unix.NTF_MASTER, LLAddr: neighParseMAC("02:00:00:00:00:bb")}
		if err := c.NeighAdd(ctx, port); err != nil {
			t.Fatal(err)
		}
		got = neighCheck(t, c, ns)
		if n := neighFind(got, unix.AF_BRIDGE, veth1, "", "02:00:00:00:00:bb"); n == nil || n.Master != br0 || n.State != unix.NUD_NOARP {
			t.Fatalf("after add: %+v", n)
		}
		if err := c.NeighAdd(ctx, port); !errors.Is(err, unix.EEXIST) {
			t.Fatalf("second add: %v, want EEXIST", err)
		}
		port.State = unix.NUD_PERMANENT
		if err := c.NeighReplace(ctx, port); err != nil {
			t.Fatal(err)
		}
		if n := neighFind(neighCheck(t, c, ns), unix.AF_BRIDGE, veth1, "", "02:00:00:00:00:bb"); n == nil || n.State&unix.NUD_PERMANENT == 0 {
			t.Fatalf("after replace: %+v", n)
		}

		flood1 := &netlink.Neigh{Family: unix.AF_BRIDGE, Index: vx0, Flags: unix.NTF_SELF, State: unix.NUD_PERMANENT,
			LLAddr: neighParseMAC("00:00:00:00:00:00"), Dst: netip.MustParseAddr("203.0.113.9")}
		flood2 := &netlink.Neigh{Family: unix.AF_BRIDGE, Index: vx0, Flags: unix.NTF_SELF, State: unix.NUD_PERMANENT,
			LLAddr: neighParseMAC("00:00:00:00:00:00"), Dst: netip.MustParseAddr("203.0.113.10"), Port: 4791, VNI: 99, Via: veth0}
		if err := c.NeighAppend(ctx, flood1); err != nil {
			t.Fatal(err)
		}
		if err := c.NeighAppend(ctx, flood2); err != nil {
			t.Fatal(err)
		}
		got = neighCheck(t, c, ns)
		for _, w := range []*netlink.Neigh{flood1, flood2} {
			n := neighFind(got, unix.AF_BRIDGE, vx0, w.Dst.String(), "00:00:00:00:00:00")
			if n == nil || n.Port != w.Port || n.VNI != w.VNI || n.Via != w.Via {
				t.Errorf("appended remote %s: %+v", w.Dst, n)
			}
		}

		// Filters: by port, by bridge, by state.
		byPort, err := c.Neighs(ctx, &netlink.NeighFilter{Family: unix.AF_BRIDGE, Index: veth1})
		if err != nil {
			t.Fatal(err)
		}
		if len(byPort) == 0 || neighFind(byPort, unix.AF_BRIDGE, veth1, "", "02:00:00:00:00:aa") == nil {
			t.Errorf("FDB of veth1: %v", byPort)
		}
		for _, n := range byPort {
			if n.Index != veth1 {
				t.Errorf("FDB of veth1 has %s", n)
			}
		}
		if c.StrictCheck() {
			byBridge, err := c.Neighs(ctx, &netlink.NeighFilter{Family: unix.AF_BRIDGE, Master: br0})
			if err != nil {
				t.Fatal(err)
			}
			if neighFind(byBridge, unix.AF_BRIDGE, veth1, "", "02:00:00:00:00:bb") == nil {
				t.Errorf("FDB of br0 lacks the port entry: %v", byBridge)
			}
			for _, n := range byBridge {
				if n.Index == vx0 || n.Index == veth0 {
					t.Errorf("FDB of br0 has %s", n)
				}
			}
		}
		static, err := c.Neighs(ctx, &netlink.NeighFilter{Family: unix.AF_BRIDGE, State: unix.NUD_NOARP})
		if err != nil {
			t.Fatal(err)
		}
		if neighFind(static, unix.AF_BRIDGE, veth1, "", "02:00:00:00:00:aa") == nil {
			t.Errorf("static FDB entries: %v", static)
		}
		for _, n := range static {
			if n.State&unix.NUD_NOARP == 0 {
				t.Errorf("state filter kept %s", n)
			}
		}

		// Get an FDB entry from the bridge.
		g, err := c.NeighGet(ctx, &netlink.Neigh{Family: unix.AF_BRIDGE, LLAddr: neighParseMAC("02:00:00:00:00:aa"), Master: br0})
		if err != nil {
			t.Fatal(err)
		}
		if g.Index != veth1 || g.Master != br0 {
			t.Errorf("NeighGet FDB: %+v", g)
		}

		for _, d := range []*netlink.Neigh{port, flood1, flood2} {
			if err := c.NeighDel(ctx, d); err != nil {
				t.Fatalf("del %s: %v", d, err)
			}
			dst := ""
			if d.Dst.IsValid() {
				dst = d.Dst.String()
			}
			if n := neighFind(neighCheck(t, c, ns), d.Family, d.Index, dst, d.LLAddr.String()); n != nil {
				t.Fatalf("%s still there after delete: %+v", d, n)
			}
		}
		if err := c.NeighDel(ctx, port); !errors.Is(err, unix.ENOENT) {
			t.Fatalf("deleting a missing FDB entry: %v, want ENOENT", err)
		}
	})
}

// The oracle is a real check: it reports a changed, a missing and an extra
// entry, for ARP/NDP and the FDB.
func TestNeighLiveOracleDetectsDifferences(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c, veth0, veth1 := addrSetup(t, ns)
		ns.Batch(
			"link add br0 type bridge", "link set veth1 master br0",
			"neigh add 192.0.2.2 lladdr 02:00:00:00:00:02 dev veth0 nud permanent",
			"neigh add proxy 192.0.2.9 dev veth0",
		)
		neighBridge(t, ns, "fdb", "add", "02:00:00:00:00:aa", "dev", "veth1", "master", "static")
		got := neighCheck(t, c, ns)
		arp := neighFind(got, unix.AF_INET, veth0, "192.0.2.2", "")
		fdb := neighFind(got, unix.AF_BRIDGE, veth1, "", "02:00:00:00:00:aa")
		if arp == nil || fdb == nil {
			t.Fatalf("entries not dumped: %v", got)
		}
		for name, mutate := range map[string]func(*netlink.Neigh, *netlink.Neigh) bool{
			"arp lladdr":   func(a, _ *netlink.Neigh) bool { a.LLAddr = neighParseMAC("02:00:00:00:00:99"); return true },
			"arp state":    func(a, _ *netlink.Neigh) bool { a.State = unix.NUD_STALE; return true },
			"arp router":   func(a, _ *netlink.Neigh) bool { a.Flags |= unix.NTF_ROUTER; return true },
			"arp index":    func(a, _ *netlink.Neigh) bool { a.Index = veth1; return true },
			"fdb master":   func(_, f *netlink.Neigh) bool { f.Master = 0; return true },
			"fdb state":    func(_, f *netlink.Neigh) bool { f.State = unix.NUD_PERMANENT; return true },
			"fdb self":     func(_, f *netlink.Neigh) bool { f.Flags |= unix.NTF_SELF; return true },
			"fdb dst":      func(_, f *netlink.Neigh) bool { f.Dst = netip.MustParseAddr("203.0.113.1"); return true },
			"fdb vni":      func(_, f *netlink.Neigh) bool { f.VNI = 5; return true },
			"fdb vlan":     func(_, f *netlink.Neigh) bool { f.VLAN = 5; return true },
			"missing arp":  func(_, _ *netlink.Neigh) bool { return false },
			"missing fdb":  func(_, _ *netlink.Neigh) bool { return false },
			"extra arp":    func(_, _ *netlink.Neigh) bool { return true },
			"missing both": func(_, _ *netlink.Neigh) bool { return false },
		} {
			var l []*netlink.Neigh
			for _, n := range got {
				cp := *n
				l = append(l, &cp)
			}
			var a, f *netlink.Neigh
			for _, n := range l {
				if n.Family == arp.Family && n.Index == arp.Index && n.Dst == arp.Dst {
					a = n
				}
				if n.Family == unix.AF_BRIDGE && n.Index == fdb.Index && n.LLAddr.String() == fdb.LLAddr.String() {
					f = n
				}
			}
			if !mutate(a, f) {
				var keep []*netlink.Neigh
				for _, n := range l {
					if (n == a && name != "missing fdb") || (n == f && name != "missing arp") {
						continue
					}
					keep = append(keep, n)
				}
				l = keep
			}
			if name == "extra arp" {
				l = append(l, &netlink.Neigh{Family: unix.AF_INET, Index: veth0, Dst: netip.MustParseAddr("192.0.2.77"), State: unix.NUD_PERMANENT})
			}
			if err := oracle.CompareNeighs(ns, l); err == nil {
				t.Errorf("%s: oracle found no difference", name)
			} else {
				t.Logf("%s: %v", name, err)
			}
		}
	})
}

// TestNeighTables reads the kernel's neighbour tables and compares the
// counters with `ip -s ntable` (which reads the same dump), and checks
// that a neighbour entry's creation shows in Allocs.
func TestNeighTables(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link add v0 type veth peer name v1", "link set v0 up")
		c, err := netlink.Dial(&netlink.Config{NetNS: ns.Name})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		ctx := context.Background()
		before, err := c.NeighTables(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var arp *netlink.NeighTable
		for i := range before {
			if before[i].Name == "arp_cache" {
				arp = &before[i]
			}
		}
		if arp == nil || arp.Family != unix.AF_INET {
			t.Fatalf("no arp_cache among %+v", before)
		}
		ns.IP("neigh", "add", "192.0.2.9", "lladdr", "02:00:00:00:00:09", "dev", "v0", "nud", "permanent")
		after, err := c.NeighTables(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range after {
			if a.Name == "arp_cache" && a.Allocs <= arp.Allocs {
				t.Errorf("arp_cache allocs %d -> %d after adding an entry", arp.Allocs, a.Allocs)
			}
		}
		// ip reads the same counters later: never fewer allocations.
		out := ns.IP("-s", "ntable", "show", "name", "arp_cache")
		var ipAllocs uint64
		if i := strings.Index(out, "allocs "); i < 0 {
			t.Fatalf("ip -s ntable: %s", out)
		} else if _, err := fmt.Sscan(out[i+len("allocs "):], &ipAllocs); err != nil {
			t.Fatalf("ip -s ntable: %v: %s", err, out)
		}
		for _, a := range after {
			if a.Name == "arp_cache" && (a.Allocs > ipAllocs || a.Entries == 0) {
				t.Errorf("arp_cache: ours allocs %d entries %d, ip's allocs %d read later", a.Allocs, a.Entries, ipAllocs)
			}
		}
	})
}
