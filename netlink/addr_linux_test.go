package netlink_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/internal/oracle"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// addrSetup makes veth0/veth1 (up, no IPv6 DAD so that flags do not change
// under the comparison) and returns a Conn in ns and the two indexes.
func addrSetup(t *testing.T, ns *nstest.NS) (*netlink.Conn, int, int) {
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
	ns.Batch("link add veth0 type veth peer name veth1", "link set veth0 up", "link set veth1 up")
	c, err := netlink.Dial(&netlink.Config{NetNS: ns.Name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, ns.Ifindex("veth0"), ns.Ifindex("veth1")
}

// addrCheck dumps all addresses with the library and compares them with
// ip; it returns the dump. The kernel may still be settling (an IPv6
// address leaves the tentative state between the two reads), so a
// difference is retried for a while before it fails the test.
func addrCheck(t *testing.T, c *netlink.Conn, ns *nstest.NS) []*netlink.Addr {
	t.Helper()
	var err error
	for try := 0; try < 30; try++ {
		if try > 0 {
			time.Sleep(100 * time.Millisecond)
		}
		var got []*netlink.Addr
		got, err = c.Addrs(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err = oracle.CompareAddrs(ns, got); err == nil {
			return got
		}
	}
	t.Fatal(err)
	return nil
}

func addrFind(addrs []*netlink.Addr, prefix string) *netlink.Addr {
	p := netip.MustParsePrefix(prefix)
	for _, a := range addrs {
		if a.Prefix == p {
			return a
		}
	}
	return nil
}

func TestAddrLiveReadIP(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c, veth0, _ := addrSetup(t, ns)
		ns.Batch(
			"addr add 192.0.2.1/24 brd + dev veth0 label veth0:lbl metric 33",
			"addr add 192.0.2.2/24 dev veth0",
			"addr add 198.51.100.1 peer 198.51.100.2/32 dev veth0 scope link",
			"addr add 2001:db8::1/64 dev veth0 nodad valid_lft 3600 preferred_lft 1800 noprefixroute",
			"addr add 2001:db8:1::1/64 dev veth0 home mngtmpaddr",
			"addr add 203.0.113.1/32 dev lo",
		)
		got := addrCheck(t, c, ns)
		want := map[string]netlink.Addr{
			"192.0.2.1/24": {Family: unix.AF_INET, Index: veth0, Broadcast: netip.MustParseAddr("192.0.2.255"), Label: "veth0:lbl",
				Metric: 33, Flags: unix.IFA_F_PERMANENT},
			"192.0.2.2/24": {Family: unix.AF_INET, Index: veth0, Label: "veth0", Flags: unix.IFA_F_PERMANENT | unix.IFA_F_SECONDARY},
			"198.51.100.1/32": {Family: unix.AF_INET, Index: veth0, Peer: netip.MustParseAddr("198.51.100.2"), Label: "veth0",
				Scope: unix.RT_SCOPE_LINK, Flags: unix.IFA_F_PERMANENT},
			"2001:db8::1/64":   {Family: unix.AF_INET6, Index: veth0, Flags: unix.IFA_F_NODAD | unix.IFA_F_NOPREFIXROUTE},
			"2001:db8:1::1/64": {Family: unix.AF_INET6, Index: veth0, Flags: unix.IFA_F_PERMANENT | unix.IFA_F_HOMEADDRESS | unix.IFA_F_MANAGETEMPADDR},
		}
		for p, w := range want {
			a := addrFind(got, p)
			if a == nil {
				t.Fatalf("%s not dumped", p)
			}
			if a.Family != w.Family || a.Index != w.Index || a.Broadcast != w.Broadcast || a.Peer != w.Peer ||
				a.Label != w.Label || a.Metric != w.Metric || a.Scope != w.Scope || a.Flags != w.Flags {
				t.Errorf("%s:\n got %+v\nwant %+v", p, a, w)
			}
		}
		if a := addrFind(got, "2001:db8::1/64"); a.ValidLifetime > 3600 || a.ValidLifetime < 3500 || a.PreferredLifetime > 1800 || a.PreferredLifetime < 1700 {
			t.Errorf("lifetimes %d/%d, want about 3600/1800", a.ValidLifetime, a.PreferredLifetime)
		}
		if a := addrFind(got, "203.0.113.1/32"); a == nil || a.Scope != unix.RT_SCOPE_UNIVERSE || a.Label != "lo" {
			t.Errorf("lo address: %+v", a)
		}
	})
}

func TestAddrLiveOps(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c, veth0, veth1 := addrSetup(t, ns)
		ctx := context.Background()

		v4 := &netlink.Addr{Index: veth1, Prefix: netip.MustParsePrefix("203.0.113.1/24"),
			Broadcast: netip.MustParseAddr("203.0.113.255"), Label: "veth1:x", Metric: 10}
		if err := c.AddrAdd(ctx, v4); err != nil {
			t.Fatal(err)
		}
		got := addrCheck(t, c, ns)
		if a := addrFind(got, "203.0.113.1/24"); a == nil || a.Label != "veth1:x" || a.Metric != 10 || a.Broadcast != v4.Broadcast {
			t.Fatalf("after add: %+v", a)
		}
		if err := c.AddrAdd(ctx, v4); !errors.Is(err, unix.EEXIST) {
			t.Fatalf("second add: %v, want EEXIST", err)
		}

		v6 := &netlink.Addr{Index: veth0, Prefix: netip.MustParsePrefix("2001:db8:5::1/64"),
			Flags:         unix.IFA_F_NODAD | unix.IFA_F_NOPREFIXROUTE | unix.IFA_F_HOMEADDRESS | unix.IFA_F_MANAGETEMPADDR,
			ValidLifetime: 1000, PreferredLifetime: 500, Metric: 7}
		if err := c.AddrAdd(ctx, v6); err != nil {
			t.Fatal(err)
		}
		addrCheck(t, c, ns)

		// Replace: new lifetimes and metric, as `ip addr replace` does.
		v6.ValidLifetime, v6.PreferredLifetime, v6.Metric = 2000, 100, 9
		if err := c.AddrReplace(ctx, v6); err != nil {
			t.Fatal(err)
		}
		got = addrCheck(t, c, ns)
		if a := addrFind(got, "2001:db8:5::1/64"); a == nil || a.Metric != 9 || a.ValidLifetime < 1990 || a.PreferredLifetime > 100 {
			t.Fatalf("after replace: %+v", a)
		}

		// Change: a permanent address again, with the deprecated-free default.
		v6.ValidLifetime, v6.PreferredLifetime = netlink.LifetimeForever, netlink.LifetimeForever
		if err := c.AddrChange(ctx, v6); err != nil {
			t.Fatal(err)
		}
		got = addrCheck(t, c, ns)
		if a := addrFind(got, "2001:db8:5::1/64"); a == nil || a.ValidLifetime != netlink.LifetimeForever || a.Flags&unix.IFA_F_PERMANENT == 0 {
			t.Fatalf("after change: %+v", a)
		}

		// Point-to-point and a deprecated address (preferred 0).
		peer := &netlink.Addr{Index: veth0, Prefix: netip.MustParsePrefix("198.51.100.5/32"), Peer: netip.MustParseAddr("198.51.100.6"),
			Scope: unix.RT_SCOPE_LINK}
		dep := &netlink.Addr{Index: veth0, Prefix: netip.MustParsePrefix("2001:db8:6::1/64"), Flags: unix.IFA_F_NODAD,
			ValidLifetime: 600, PreferredLifetime: 0}
		if errs := c.Pipeline(ctx, []netlink.Request{netlink.AddrRequest(netlink.Add, peer), netlink.AddrRequest(netlink.Add, dep)}); errs != nil {
			t.Fatal(errs)
		}
		got = addrCheck(t, c, ns)
		if a := addrFind(got, "198.51.100.5/32"); a == nil || a.Peer != peer.Peer || a.Scope != unix.RT_SCOPE_LINK {
			t.Fatalf("peer address: %+v", a)
		}
		if a := addrFind(got, "2001:db8:6::1/64"); a == nil || a.Flags&unix.IFA_F_DEPRECATED == 0 {
			t.Fatalf("deprecated address: %+v", a)
		}

		// ip sees what the library wrote.
		var links []struct {
			AddrInfo []struct {
				Local   string `json:"local"`
				Address string `json:"address"`
				Label   string `json:"label"`
			} `json:"addr_info"`
		}
		ns.IPJSON(&links, "addr", "show", "dev", "veth1")
		if len(links) != 1 || len(links[0].AddrInfo) == 0 || links[0].AddrInfo[0].Local != "203.0.113.1" || links[0].AddrInfo[0].Label != "veth1:x" {
			t.Fatalf("ip addr show dev veth1: %+v", links)
		}

		for _, a := range []*netlink.Addr{v4, v6, peer, dep} {
			if err := c.AddrDel(ctx, a); err != nil {
				t.Fatalf("del %s: %v", a, err)
			}
			if addrFind(addrCheck(t, c, ns), a.Prefix.String()) != nil {
				t.Fatalf("%s still there after delete", a.Prefix)
			}
		}
		if err := c.AddrDel(ctx, v4); !errors.Is(err, unix.EADDRNOTAVAIL) {
			t.Fatalf("deleting a missing address: %v, want EADDRNOTAVAIL", err)
		}
		var oe *netlink.OpError
		if err := c.AddrDel(ctx, v6); !errors.As(err, &oe) || oe.Op != "del" {
			t.Fatalf("error %v is not an *OpError of del", err)
		}
	})
}

func TestAddrLiveFilter(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c, veth0, veth1 := addrSetup(t, ns)
		ctx := context.Background()
		if !c.StrictCheck() {
			t.Log("no strict checking: the index filter runs in userspace only")
		}
		ns.Batch(
			"addr add 192.0.2.1/24 dev veth0 label veth0:a",
			"addr add 192.0.2.2/24 dev veth0",
			"addr add 198.51.100.1/24 dev veth1",
			"addr add 2001:db8::1/64 dev veth1 nodad",
			"addr add 127.0.0.2/8 dev lo",
		)
		all, err := c.Addrs(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			f    netlink.AddrFilter
			keep func(*netlink.Addr) bool
		}{
			{"index", netlink.AddrFilter{Index: veth1}, func(a *netlink.Addr) bool { return a.Index == veth1 }},
			{"family inet6", netlink.AddrFilter{Family: unix.AF_INET6}, func(a *netlink.Addr) bool { return a.Family == unix.AF_INET6 }},
			{"family inet and index", netlink.AddrFilter{Family: unix.AF_INET, Index: veth0}, func(a *netlink.Addr) bool {
				return a.Family == unix.AF_INET && a.Index == veth0
			}},
			{"label", netlink.AddrFilter{Label: "veth0:a"}, func(a *netlink.Addr) bool { return a.Label == "veth0:a" }},
			{"scope link", netlink.AddrFilter{Scope: unix.RT_SCOPE_LINK, HasScope: true}, func(a *netlink.Addr) bool { return a.Scope == unix.RT_SCOPE_LINK }},
			{"scope host", netlink.AddrFilter{Scope: unix.RT_SCOPE_HOST, HasScope: true}, func(a *netlink.Addr) bool { return a.Scope == unix.RT_SCOPE_HOST }},
		} {
			got, err := c.Addrs(ctx, &tc.f)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			var want []string
			for _, a := range all {
				if tc.keep(a) {
					want = append(want, a.String())
				}
			}
			var gotS []string
			for _, a := range got {
				gotS = append(gotS, a.String())
			}
			if len(want) == 0 || !addrEqualStrings(gotS, want) {
				t.Errorf("%s:\n got %q\nwant %q", tc.name, gotS, want)
			}
		}

		// The streaming dump stops at the callback's error and returns it.
		stop := errors.New("stop")
		n := 0
		err = c.AddrDump(ctx, nil, func(*netlink.Addr) error { n++; return stop })
		if !errors.Is(err, stop) || n != 1 {
			t.Fatalf("AddrDump with a failing callback: %v after %d calls", err, n)
		}
		// The Conn is usable afterwards.
		addrCheck(t, c, ns)

	})
}

func addrEqualStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The oracle is a real check: it reports a changed, a missing and an extra
// address.
func TestAddrLiveOracleDetectsDifferences(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c, veth0, _ := addrSetup(t, ns)
		ns.IP("addr", "add", "192.0.2.1/24", "dev", "veth0", "valid_lft", "100", "preferred_lft", "50")
		got := addrCheck(t, c, ns)
		i := -1
		for j, a := range got {
			if a.Prefix == netip.MustParsePrefix("192.0.2.1/24") {
				i = j
			}
		}
		if i < 0 {
			t.Fatal("address not dumped")
		}
		for name, mutate := range map[string]func([]*netlink.Addr) []*netlink.Addr{
			"label":     func(l []*netlink.Addr) []*netlink.Addr { l[i].Label = "veth0:z"; return l },
			"flags":     func(l []*netlink.Addr) []*netlink.Addr { l[i].Flags |= unix.IFA_F_NOPREFIXROUTE; return l },
			"permanent": func(l []*netlink.Addr) []*netlink.Addr { l[i].Flags |= unix.IFA_F_PERMANENT; return l },
			"lifetime":  func(l []*netlink.Addr) []*netlink.Addr { l[i].ValidLifetime += 60; return l },
			"metric":    func(l []*netlink.Addr) []*netlink.Addr { l[i].Metric = 5; return l },
			"peer":      func(l []*netlink.Addr) []*netlink.Addr { l[i].Peer = netip.MustParseAddr("192.0.2.7"); return l },
			"broadcast": func(l []*netlink.Addr) []*netlink.Addr { l[i].Broadcast = netip.MustParseAddr("192.0.2.255"); return l },
			"scope":     func(l []*netlink.Addr) []*netlink.Addr { l[i].Scope = unix.RT_SCOPE_HOST; return l },
			"missing":   func(l []*netlink.Addr) []*netlink.Addr { return append(l[:i:i], l[i+1:]...) },
			"extra": func(l []*netlink.Addr) []*netlink.Addr {
				return append(l, &netlink.Addr{Family: unix.AF_INET, Index: veth0, Prefix: netip.MustParsePrefix("192.0.2.3/24")})
			},
		} {
			l := make([]*netlink.Addr, len(got))
			for j, a := range got {
				cp := *a
				l[j] = &cp
			}
			if err := oracle.CompareAddrs(ns, mutate(l)); err == nil {
				t.Errorf("%s: oracle found no difference", name)
			} else {
				t.Logf("%s: %v", name, err)
			}
		}
	})
}

// The IFA_* payload of a live RTM_NEWADDR notification decodes as the dump
// does.
func TestAddrLiveNotification(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		_, veth0, _ := addrSetup(t, ns)
		mc, err := netlink.Dial(&netlink.Config{NetNS: ns.Name, Groups: netlink.GroupIPv4Addr})
		if err != nil {
			t.Fatal(err)
		}
		defer mc.Close()
		ns.IP("addr", "add", "192.0.2.9/24", "dev", "veth0", "label", "veth0:n")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var got *netlink.Addr
		for got == nil {
			err := mc.ReceiveUpdates(ctx, 0, func(u netlink.Update) error {
				if a, ok := u.Object.(*netlink.Addr); ok && u.Type == unix.RTM_NEWADDR {
					got = a
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if got.Prefix != netip.MustParsePrefix("192.0.2.9/24") || got.Index != veth0 || got.Label != "veth0:n" {
			t.Fatalf("notification: %+v", got)
		}
		b, _ := json.Marshal(got)
		t.Logf("%s", b)
	})
}
