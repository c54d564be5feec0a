package netlink_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"net"
	"net/netip"
	"os"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/internal/oracle"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// TestLinkGoldenAgainstIP decodes the captured dump (no kernel needed) and
// compares it with what `ip -j -d link show` printed for the same
// namespace at the same moment.
func TestLinkGoldenAgainstIP(t *testing.T) {
	data, err := os.ReadFile("testdata/link_dump.hex")
	if err != nil {
		t.Fatal(err)
	}
	var links []*netlink.Link
	for _, line := range strings.Fields(string(data)) {
		b, err := hex.DecodeString(line)
		if err != nil {
			t.Fatal(err)
		}
		u, err := netlink.DecodeUpdate(unix.RTM_NEWLINK, 0, b)
		if err != nil {
			t.Fatal(err)
		}
		links = append(links, u.Object.(*netlink.Link))
	}
	ipJSON, err := os.ReadFile("testdata/link_dump_ip.json")
	if err != nil {
		t.Fatal(err)
	}
	// ip printed tun1's owner (uid 1000) and group (gid 1001) with the
	// names the capturing machine's user database had: a user "cloudsdk"
	// and no group. Print them as ip would on this machine.
	owner, group := `"1000"`, `1001`
	if u, err := user.LookupId("1000"); err == nil {
		owner = strconv.Quote(u.Username)
	}
	if g, err := user.LookupGroupId("1001"); err == nil {
		group = strconv.Quote(g.Name)
	}
	ipJSON = bytes.Replace(ipJSON, []byte(`"user":"cloudsdk","group":1001`), []byte(`"user":`+owner+`,"group":`+group), 1)
	if err := oracle.CompareLinksJSON(ipJSON, links); err != nil {
		t.Fatal(err)
	}
	// The comparison must notice a difference.
	links[1].MTU++
	if err := oracle.CompareLinksJSON(ipJSON, links); err == nil || !strings.Contains(err.Error(), "mtu") {
		t.Fatalf("changed MTU not reported: %v", err)
	}
	links[1].MTU--
	for _, l := range links {
		if l.Name == "vx0" {
			l.Info.Data.(*netlink.Vxlan).ID++
		}
	}
	if err := oracle.CompareLinksJSON(ipJSON, links); err == nil || !strings.Contains(err.Error(), "info_data.id") {
		t.Fatalf("changed vxlan id not reported: %v", err)
	}
	if err := oracle.CompareLinksJSON(ipJSON, links[:2]); err == nil || !strings.Contains(err.Error(), "only in iproute2") {
		t.Fatalf("missing links not reported: %v", err)
	}
}

func linkDial(t *testing.T, ns *nstest.NS) *netlink.Conn {
	t.Helper()
	c, err := netlink.Dial(&netlink.Config{NetNS: ns.Name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// linkCheck compares the library's full dump of ns with ip's.
// The two reads may see two moments of what the kernel changes after the
// fact (operstate and carrier, see nstest.Eventually): they are retried
// for a while.
func linkCheck(t *testing.T, ns *nstest.NS, c *netlink.Conn) []*netlink.Link {
	t.Helper()
	var links []*netlink.Link
	err := nstest.Eventually(3*time.Second, func() error {
		var err error
		if links, err = c.Links(t.Context(), nil); err != nil {
			return err
		}
		return oracle.CompareLinks(ns, links)
	})
	if err != nil {
		t.Fatal(err)
	}
	return links
}

// linkIPObject returns ip's JSON object for one link, nil if there is none.
func linkIPObject(t *testing.T, ns *nstest.NS, name string) map[string]any {
	t.Helper()
	var links []map[string]any
	ns.IPJSON(&links, "-d", "link", "show")
	for _, l := range links {
		if l["ifname"] == name {
			return l
		}
	}
	return nil
}

func linkMust(t *testing.T, c *netlink.Conn, name string) *netlink.Link {
	t.Helper()
	l, err := c.LinkByName(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func linkNSFD(t *testing.T, ns *nstest.NS) int {
	t.Helper()
	f, err := os.Open(ns.Path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return int(f.Fd())
}

type linkTestCase struct {
	kind string
	// add creates the link under test named name with the library.
	add func(t *testing.T, ns *nstest.NS, c *netlink.Conn, name string)
	// check verifies kind data in ip's view right after add.
	check func(t *testing.T, ip map[string]any)
	// noMAC: the kernel cannot change its link layer address (tun, ifb).
	noMAC bool
	// noPort: it cannot be a bridge port (a bridge, a tun device).
	noPort bool
	// netnsLocal: the kernel refuses to move it (NETIF_F_NETNS_LOCAL).
	netnsLocal bool
}

func linkInfoData(ip map[string]any) map[string]any {
	info, _ := ip["linkinfo"].(map[string]any)
	data, _ := info["info_data"].(map[string]any)
	return data
}

func linkAdd(t *testing.T, c *netlink.Conn, l *netlink.Link) {
	t.Helper()
	if err := c.LinkAdd(t.Context(), l); err != nil {
		t.Fatal(err)
	}
}

var linkTestCases = []linkTestCase{
	{
		kind: "bridge",
		add: func(t *testing.T, ns *nstest.NS, c *netlink.Conn, name string) {
			linkAdd(t, c, &netlink.Link{Name: name, Info: &netlink.LinkInfo{Data: &netlink.Bridge{
				StpState: new(uint32(1)), ForwardDelay: new(uint32(400)), Priority: new(uint16(100)), AgeingTime: new(uint32(1000)),
			}}})
		},
		check: func(t *testing.T, ip map[string]any) {
			d := linkInfoData(ip)
			if d["stp_state"] != 1.0 || d["forward_delay"] != 400.0 || d["priority"] != 100.0 || d["ageing_time"] != 1000.0 {
				t.Errorf("bridge data %v", d)
			}
		},
		noPort: true, netnsLocal: true,
	},
	{
		kind: "veth",
		add: func(t *testing.T, ns *nstest.NS, c *netlink.Conn, name string) {
			linkAdd(t, c, &netlink.Link{Name: name, Info: &netlink.LinkInfo{Data: &netlink.Veth{
				Peer: &netlink.Link{Name: name + "p", MTU: 1400, Address: net.HardwareAddr{2, 0, 0, 0, 0, 0x77}},
			}}})
		},
		check: func(t *testing.T, ip map[string]any) {
			if ip["link"] == nil {
				t.Errorf("veth without peer: %v", ip)
			}
		},
	},
	{
		kind: "vxlan",
		add: func(t *testing.T, ns *nstest.NS, c *netlink.Conn, name string) {
			linkAdd(t, c, &netlink.Link{Name: name, Info: &netlink.LinkInfo{Data: &netlink.Vxlan{
				ID: 42, Local: netip.MustParseAddr("192.0.2.1"), Group: netip.MustParseAddr("198.51.100.1"),
				Port: 4789, TTL: 10, Learning: new(false),
			}}})
		},
		check: func(t *testing.T, ip map[string]any) {
			d := linkInfoData(ip)
			if d["id"] != 42.0 || d["local"] != "192.0.2.1" || d["remote"] != "198.51.100.1" || d["port"] != 4789.0 || d["learning"] != false {
				t.Errorf("vxlan data %v", d)
			}
		},
	},
	{
		kind: "macvlan",
		add: func(t *testing.T, ns *nstest.NS, c *netlink.Conn, name string) {
			ns.IP("link", "add", "lower0", "type", "veth", "peer", "name", "lower1")
			lower := linkMust(t, c, "lower0")
			linkAdd(t, c, &netlink.Link{Name: name, ParentIndex: lower.Index, Info: &netlink.LinkInfo{Data: &netlink.Macvlan{Mode: netlink.MacvlanBridge}}})
		},
		check: func(t *testing.T, ip map[string]any) {
			if d := linkInfoData(ip); d["mode"] != "bridge" || ip["link"] != "lower0" {
				t.Errorf("macvlan %v", ip)
			}
		},
	},
	{
		kind: "ifb",
		add: func(t *testing.T, ns *nstest.NS, c *netlink.Conn, name string) {
			linkAdd(t, c, &netlink.Link{Name: name, TxQueueLen: 64, Info: &netlink.LinkInfo{InfoKind: "ifb"}})
		},
		check: func(t *testing.T, ip map[string]any) {
			if ip["txqlen"] != 64.0 {
				t.Errorf("ifb txqlen %v", ip["txqlen"])
			}
		},
		noMAC: true,
	},
	{
		kind: "tun",
		add: func(t *testing.T, ns *nstest.NS, c *netlink.Conn, name string) {
			nstest.NeedTun(t)
			if err := netlink.CreateTuntap(ns.Name, name, &netlink.Tuntap{Type: netlink.TunType, VnetHdr: true, Owner: new(uint32(0))}); err != nil {
				t.Fatal(err)
			}
		},
		check: func(t *testing.T, ip map[string]any) {
			if d := linkInfoData(ip); d["type"] != "tun" || d["vnet_hdr"] != true || d["pi"] != false || d["persist"] != true || d["user"] != "root" {
				t.Errorf("tun data %v", d)
			}
		},
		noMAC: true, noPort: true,
	},
	{
		kind: "tap",
		add: func(t *testing.T, ns *nstest.NS, c *netlink.Conn, name string) {
			nstest.NeedTun(t)
			if err := netlink.CreateTuntap(ns.Name, name, &netlink.Tuntap{Type: netlink.TapType, MultiQueue: true, PI: true}); err != nil {
				t.Fatal(err)
			}
		},
		check: func(t *testing.T, ip map[string]any) {
			if d := linkInfoData(ip); d["type"] != "tap" || d["multi_queue"] != true || d["pi"] != true {
				t.Errorf("tap data %v", d)
			}
		},
	},
}

// TestLinkLifecycle runs every operation on every kind this kernel has:
// add, get by index and name, filtered dumps, set mtu, address, up, down,
// rename, alias (and its removal), txqlen, group, master and nomaster, move
// to another namespace, delete; after each step the library's dump must
// equal ip's.
func TestLinkLifecycle(t *testing.T) {
	for _, tc := range linkTestCases {
		t.Run(tc.kind, func(t *testing.T) {
			nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
				linkLifecycle(t, ns, tc)
			})
		})
	}
}

func linkLifecycle(t *testing.T, ns *nstest.NS, tc linkTestCase) {
	ctx := t.Context()
	c := linkDial(t, ns)
	ns.IP("link", "add", "brm", "type", "bridge")
	name := "t" + tc.kind
	tc.add(t, ns, c, name)
	links := linkCheck(t, ns, c)
	tc.check(t, linkIPObject(t, ns, name))

	// Get by name and by index.
	l := linkMust(t, c, name)
	byIndex, err := c.LinkByIndex(ctx, l.Index)
	if err != nil {
		t.Fatal(err)
	}
	if byIndex.Name != name || byIndex.Index != l.Index || byIndex.Info == nil || l.Info == nil || byIndex.Info.InfoKind != l.Info.InfoKind {
		t.Fatalf("by index %s, by name %s", byIndex, l)
	}
	wantKind := tc.kind
	if tc.kind == "tap" {
		wantKind = "tun"
	}
	if l.Info.InfoKind != wantKind {
		t.Errorf("kind %q, want %q", l.Info.InfoKind, wantKind)
	}
	if _, err := c.LinkByName(ctx, "nosuchlink"); !errors.Is(err, unix.ENODEV) {
		t.Errorf("LinkByName(nosuchlink) = %v, want ENODEV", err)
	}
	if _, err := c.LinkByIndex(ctx, 9999); !errors.Is(err, unix.ENODEV) {
		t.Errorf("LinkByIndex(9999) = %v, want ENODEV", err)
	}

	// Filtered dumps agree with filtering the full dump.
	for _, f := range []*netlink.LinkFilter{
		{InfoKind: wantKind}, {Index: l.Index}, {Name: name}, {InfoKind: "bridge"}, {InfoKind: "nosuchkind"}, {Index: 9999},
	} {
		linkCheckFilter(t, c, links, f)
	}

	step := func(what string, set *netlink.Link, verify func(ip map[string]any) bool) {
		t.Helper()
		set.Index = l.Index
		if err := c.LinkSet(ctx, set); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		linkCheck(t, ns, c)
		if ip := linkIPObject(t, ns, name); ip == nil || !verify(ip) {
			t.Fatalf("%s: ip shows %v", what, ip)
		}
	}
	step("mtu", &netlink.Link{MTU: 1280}, func(ip map[string]any) bool { return ip["mtu"] == 1280.0 })
	if tc.noMAC {
		err := c.LinkSet(ctx, &netlink.Link{Index: l.Index, Address: net.HardwareAddr{2, 0, 0, 0, 0, 0xaa}})
		if !errors.Is(err, unix.EOPNOTSUPP) {
			t.Fatalf("setting the address of a %s: %v, want EOPNOTSUPP", tc.kind, err)
		}
		if _, ipErr := ns.IPErr("link", "set", name, "address", "02:00:00:00:00:aa"); ipErr == nil {
			t.Fatalf("library failed with %v, but ip set the address", err)
		}
		linkCheck(t, ns, c)
	} else {
		step("address", &netlink.Link{Address: net.HardwareAddr{2, 0, 0, 0, 0, 0xaa}}, func(ip map[string]any) bool { return ip["address"] == "02:00:00:00:00:aa" })
	}
	hasFlag := func(ip map[string]any, f string) bool {
		flags, _ := ip["flags"].([]any)
		return slices.Contains(flags, any(f))
	}
	step("up", &netlink.Link{Flags: unix.IFF_UP}, func(ip map[string]any) bool { return hasFlag(ip, "UP") })
	step("down", &netlink.Link{Change: unix.IFF_UP}, func(ip map[string]any) bool { return !hasFlag(ip, "UP") })
	step("alias", &netlink.Link{Alias: "test alias"}, func(ip map[string]any) bool { return ip["ifalias"] == "test alias" })
	step("alias removal", &netlink.Link{Zero: netlink.ZeroAlias}, func(ip map[string]any) bool { return ip["ifalias"] == nil })
	step("txqlen", &netlink.Link{TxQueueLen: 77}, func(ip map[string]any) bool { return ip["txqlen"] == 77.0 })
	step("group", &netlink.Link{Group: 5}, func(ip map[string]any) bool { return ip["group"] == "5" })
	step("default group", &netlink.Link{Zero: netlink.ZeroGroup}, func(ip map[string]any) bool { return ip["group"] == "default" })
	oldName := name
	name = name + "-new"
	step("rename", &netlink.Link{Name: name}, func(ip map[string]any) bool { return ip["ifindex"] == float64(l.Index) })
	if linkIPObject(t, ns, oldName) != nil {
		t.Fatalf("%s still exists after the rename", oldName)
	}

	// Master and nomaster.
	brm := linkMust(t, c, "brm")
	if tc.noPort {
		err := c.LinkSet(ctx, &netlink.Link{Index: l.Index, Master: brm.Index})
		if err == nil {
			t.Fatalf("the kernel made a %s a bridge port", tc.kind)
		}
		_, ipErr := ns.IPErr("link", "set", name, "master", "brm")
		if ipErr == nil {
			t.Fatalf("library failed with %v, but ip enslaved %s", err, name)
		}
		t.Logf("a %s cannot be a bridge port: library %v; %v", tc.kind, err, ipErr)
	} else {
		step("master", &netlink.Link{Master: brm.Index}, func(ip map[string]any) bool { return ip["master"] == "brm" })
		linkCheckFilter(t, c, linkCheck(t, ns, c), &netlink.LinkFilter{Master: brm.Index})
		linkCheckFilter(t, c, linkCheck(t, ns, c), &netlink.LinkFilter{Master: brm.Index, InfoKind: wantKind})
		if ports, err := c.Links(ctx, &netlink.LinkFilter{Master: brm.Index}); err != nil || len(ports) != 1 || ports[0].Index != l.Index {
			t.Fatalf("ports of brm: %v, %v", ports, err)
		}
		step("nomaster", &netlink.Link{Zero: netlink.ZeroMaster}, func(ip map[string]any) bool { return ip["master"] == nil })
	}

	// Move to a second namespace by file descriptor.
	ns2 := nstest.New(t)
	c2 := linkDial(t, ns2)
	err = c.LinkSet(ctx, &netlink.Link{Index: l.Index, NetNSFD: linkNSFD(t, ns2)})
	if tc.netnsLocal {
		if !errors.Is(err, unix.EINVAL) {
			t.Fatalf("moving a %s: %v, want EINVAL", tc.kind, err)
		}
		if _, ipErr := ns.IPErr("link", "set", name, "netns", ns2.Name); ipErr == nil {
			t.Fatalf("library failed with %v, but ip moved %s", err, name)
		}
		linkCheck(t, ns, c)
	} else {
		if err != nil {
			t.Fatalf("netns move: %v", err)
		}
		linkCheck(t, ns, c)
		if linkIPObject(t, ns, name) != nil {
			t.Fatalf("%s still in %s after the move", name, ns.Name)
		}
		linkCheck(t, ns2, c2)
		moved := linkMust(t, c2, name)
		if linkIPObject(t, ns2, name) == nil {
			t.Fatalf("%s not in %s after the move", name, ns2.Name)
		}
		// Delete it there by name.
		if err := c2.LinkDel(ctx, &netlink.Link{Name: moved.Name}); err != nil {
			t.Fatal(err)
		}
		linkCheck(t, ns2, c2)
		if linkIPObject(t, ns2, name) != nil {
			t.Fatalf("%s still exists after delete", name)
		}
		return
	}

	// Delete by index.
	if err := c.LinkDel(ctx, &netlink.Link{Index: l.Index}); err != nil {
		t.Fatal(err)
	}
	linkCheck(t, ns, c)
	if linkIPObject(t, ns, name) != nil {
		t.Fatalf("%s still exists after delete", name)
	}
	if err := c.LinkDel(ctx, &netlink.Link{Index: l.Index}); !errors.Is(err, unix.ENODEV) {
		t.Errorf("second delete: %v, want ENODEV", err)
	}
}

func linkCheckFilter(t *testing.T, c *netlink.Conn, all []*netlink.Link, f *netlink.LinkFilter) {
	t.Helper()
	got, err := c.Links(t.Context(), f)
	if err != nil {
		t.Fatalf("filter %+v: %v", f, err)
	}
	var want []string
	for _, l := range all {
		kind := ""
		if l.Info != nil {
			kind = l.Info.InfoKind
		}
		if (f.InfoKind == "" || f.InfoKind == kind) && (f.Master == 0 || f.Master == l.Master) &&
			(f.Index == 0 || f.Index == l.Index) && (f.Name == "" || f.Name == l.Name) {
			want = append(want, l.Name)
		}
	}
	var names []string
	for _, l := range got {
		names = append(names, l.Name)
	}
	slices.Sort(names)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("filter %+v: got %v, want %v", f, names, want)
	}
}

// TestLinkReadIPCreated reads links that ip(8) created, of every kind this
// kernel has, and compares them, their gets and filtered dumps with ip's
// view.
func TestLinkReadIPCreated(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns2 := nstest.New(t)
		ns.Batch(
			"link add br0 type bridge stp_state 1 priority 7",
			"link add v0 type veth peer name v1",
			"link set v1 master br0",
			"link add vp0 type veth peer name vp1 netns "+ns2.Name,
			"link add vx4 type vxlan id 42 local 192.0.2.1 remote 198.51.100.1 dstport 4789 ttl 10 nolearning",
			"link add vx6 type vxlan id 7 group ff05::100 local 2001:db8::1 dev v0 dstport 4790",
			"link set vx4 master br0",
			"link add mv0 link v0 type macvlan mode private",
			"link add ifb0 type ifb",
			"link set br0 up alias bridge-alias",
			"link set v0 up mtu 1400",
			"link property add dev br0 altname bridge-alternative",
		)
		// tun/tap need /dev/net/tun, which a user namespace's root
		// usually cannot open (see TestLinkLifecycle for them).
		if nstest.CanTun() == nil {
			ns.Batch(
				"tuntap add tun0 mode tun user 0 pi",
				"tuntap add tap0 mode tap multi_queue vnet_hdr",
				"link set tap0 master br0",
			)
		}
		c := linkDial(t, ns)
		all := linkCheck(t, ns, c)
		linkCheck(t, ns2, linkDial(t, ns2))

		br := linkMust(t, c, "br0")
		for _, f := range []*netlink.LinkFilter{
			{InfoKind: "veth"}, {InfoKind: "vxlan"}, {InfoKind: "tun"}, {InfoKind: "bridge"}, {InfoKind: "macvlan"}, {InfoKind: "ifb"},
			{Master: br.Index}, {Master: br.Index, InfoKind: "veth"}, {Master: br.Index, InfoKind: "ifb"},
			{Name: "v1"}, {Index: br.Index}, {Index: br.Index, InfoKind: "veth"},
		} {
			linkCheckFilter(t, c, all, f)
		}
		for _, l := range all {
			// Each get is compared within a fresh dump: linkwatch may
			// still change operstate and carrier (see linkCheck).
			for _, get := range []struct {
				what string
				get  func() (*netlink.Link, error)
			}{
				{"LinkByName(" + l.Name + ")", func() (*netlink.Link, error) { return c.LinkByName(t.Context(), l.Name) }},
				{"LinkByIndex(" + strconv.Itoa(l.Index) + ")", func() (*netlink.Link, error) { return c.LinkByIndex(t.Context(), l.Index) }},
			} {
				err := nstest.Eventually(3*time.Second, func() error {
					got, err := get.get()
					if err != nil {
						return err
					}
					now, err := c.Links(t.Context(), nil)
					if err != nil {
						return err
					}
					return oracle.CompareLinks(ns, linkReplace(now, got))
				})
				if err != nil {
					t.Errorf("%s: %v", get.what, err)
				}
			}
		}
		// The alternative name finds the link too.
		if l := linkMust(t, c, "bridge-alternative"); l.Index != br.Index {
			t.Errorf("LinkByName(altname) = %s", l)
		}

		// LinkDump streams, and an error from the callback stops it.
		stop := errors.New("stop")
		n := 0
		err := c.LinkDump(t.Context(), nil, func(l *netlink.Link) error {
			n++
			if n == 2 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || n != 2 {
			t.Errorf("LinkDump with a failing callback: %v after %d links", err, n)
		}
		// The Conn still works after an aborted dump.
		linkCheck(t, ns, c)
	})
}

// linkReplace returns all with the link of l's index replaced by l.
func linkReplace(all []*netlink.Link, l *netlink.Link) []*netlink.Link {
	out := slices.Clone(all)
	for i := range out {
		if out[i].Index == l.Index {
			out[i] = l
		}
	}
	return out
}

// TestLinkVethPeerNetns creates a veth pair whose peer is born in another
// namespace, and moves a link by process id.
func TestLinkVethPeerNetns(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns2 := nstest.New(t)
		c, c2 := linkDial(t, ns), linkDial(t, ns2)
		linkAdd(t, c, &netlink.Link{Name: "va", MTU: 1450, Flags: unix.IFF_UP, Info: &netlink.LinkInfo{Data: &netlink.Veth{
			Peer: &netlink.Link{Name: "vb", MTU: 1450, NetNSFD: linkNSFD(t, ns2)},
		}}})
		linkCheck(t, ns, c)
		linkCheck(t, ns2, c2)
		va, vb := linkMust(t, c, "va"), linkMust(t, c2, "vb")
		if va.ParentIndex != vb.Index || vb.ParentIndex != va.Index || va.LinkNetNSID == nil || vb.LinkNetNSID == nil {
			t.Fatalf("va = %s\nvb = %s", va, vb)
		}
		if va.Flags&unix.IFF_UP == 0 || va.MTU != 1450 || vb.MTU != 1450 {
			t.Fatalf("va = %s\nvb = %s", va, vb)
		}

		// Move va into ns2 by the pid of a process that lives there.
		cmd := ns2.Start(t, "sleep", "60")
		if err := c.LinkSet(t.Context(), &netlink.Link{Index: va.Index, NetNSPID: cmd.Process.Pid}); err != nil {
			t.Fatal(err)
		}
		linkCheck(t, ns, c)
		all2 := linkCheck(t, ns2, c2)
		var names []string
		for _, l := range all2 {
			names = append(names, l.Name)
		}
		if !slices.Contains(names, "va") || !slices.Contains(names, "vb") {
			t.Fatalf("links in %s: %v", ns2.Name, names)
		}
		if linkIPObject(t, ns, "va") != nil {
			t.Fatal("va still in the first namespace")
		}
	})
}

// TestLinkSetKindData changes a bridge's kind data, as
// `ip link set DEV type bridge ...` does.
func TestLinkSetKindData(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c := linkDial(t, ns)
		linkAdd(t, c, &netlink.Link{Name: "br0", Info: &netlink.LinkInfo{InfoKind: "bridge"}})
		br := linkMust(t, c, "br0")
		if d := br.Info.Data.(*netlink.Bridge); *d.StpState != 0 || *d.HelloTime != 200 {
			t.Fatalf("new bridge %s", br)
		}
		err := c.LinkSet(t.Context(), &netlink.Link{Index: br.Index, Info: &netlink.LinkInfo{Data: &netlink.Bridge{
			StpState: new(uint32(1)), HelloTime: new(uint32(300)), McastSnooping: new(false),
		}}})
		if err != nil {
			t.Fatal(err)
		}
		linkCheck(t, ns, c)
		d := linkInfoData(linkIPObject(t, ns, "br0"))
		if d["stp_state"] != 1.0 || d["hello_time"] != 300.0 || d["mcast_snooping"] != 0.0 {
			t.Fatalf("ip shows %v", d)
		}
		// Replace changes an existing link and creates a missing one.
		if err := c.LinkReplace(t.Context(), &netlink.Link{Name: "br0", MTU: 1400, Info: &netlink.LinkInfo{Data: &netlink.Bridge{Priority: new(uint16(9))}}}); err != nil {
			t.Fatal(err)
		}
		if err := c.LinkReplace(t.Context(), &netlink.Link{Name: "br1", MTU: 1400, Info: &netlink.LinkInfo{InfoKind: "bridge"}}); err != nil {
			t.Fatal(err)
		}
		linkCheck(t, ns, c)
		if ip := linkIPObject(t, ns, "br0"); ip["mtu"] != 1400.0 || linkInfoData(ip)["priority"] != 9.0 || ip["ifindex"] != float64(br.Index) {
			t.Fatalf("br0 after replace: %v", ip)
		}
		if ip := linkIPObject(t, ns, "br1"); ip == nil || ip["mtu"] != 1400.0 {
			t.Fatalf("br1 after replace: %v", ip)
		}
		if err := c.LinkAdd(t.Context(), &netlink.Link{Name: "br1", Info: &netlink.LinkInfo{InfoKind: "bridge"}}); !errors.Is(err, unix.EEXIST) {
			t.Fatalf("adding an existing link: %v, want EEXIST", err)
		}

		// A read-modify-write of a decoded link, without its kind data
		// (this kernel reports vlan_filtering but refuses to set it).
		br = linkMust(t, c, "br0")
		br.MTU = 1300
		br.Info = nil
		if err := c.LinkSet(t.Context(), br); err != nil {
			t.Fatal(err)
		}
		linkCheck(t, ns, c)
	})
}

// TestLinkKindsMissing tries the kinds this kernel may lack; each is
// skipped with the kernel's answer when it does, and checked against ip
// when it does not.
func TestLinkKindsMissing(t *testing.T) {
	for _, tc := range []struct {
		kind string
		link func(lower int) *netlink.Link
	}{
		{"dummy", func(int) *netlink.Link { return &netlink.Link{Name: "d0", Info: &netlink.LinkInfo{InfoKind: "dummy"}} }},
		{"vlan", func(lower int) *netlink.Link {
			return &netlink.Link{Name: "vl0", ParentIndex: lower, Info: &netlink.LinkInfo{Data: &netlink.Vlan{ID: 100, Protocol: unix.ETH_P_8021AD}}}
		}},
		{"bond", func(int) *netlink.Link {
			return &netlink.Link{Name: "bo0", Info: &netlink.LinkInfo{Data: &netlink.Bond{Mode: new(netlink.BondActiveBackup), MIIMon: new(uint32(100))}}}
		}},
		{"vrf", func(int) *netlink.Link {
			return &netlink.Link{Name: "vrf0", Info: &netlink.LinkInfo{Data: &netlink.Vrf{Table: 10}}}
		}},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
				c := linkDial(t, ns)
				ns.IP("link", "add", "low0", "type", "veth", "peer", "name", "low1")
				l := tc.link(linkMust(t, c, "low0").Index)
				if err := c.LinkAdd(t.Context(), l); err != nil {
					if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EAFNOSUPPORT) {
						nstest.LacksKind(t, tc.kind, err)
					}
					t.Fatal(err)
				}
				linkCheck(t, ns, c)
				got := linkMust(t, c, l.Name)
				if got.Info == nil || got.Info.InfoKind != tc.kind {
					t.Fatalf("created %s", got)
				}
				if err := c.LinkDel(t.Context(), &netlink.Link{Name: l.Name}); err != nil {
					t.Fatal(err)
				}
				linkCheck(t, ns, c)
			})
		})
	}
}

// TestLinkInvalidNotSent checks that invalid requests reach no kernel.
func TestLinkInvalidNotSent(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c := linkDial(t, ns)
		before := linkCheck(t, ns, c)
		for _, l := range []*netlink.Link{
			{Name: "name-of-16-bytes", Info: &netlink.LinkInfo{InfoKind: "bridge"}},
			{Name: "a/b", Info: &netlink.LinkInfo{InfoKind: "bridge"}},
			{Name: "ok", Info: &netlink.LinkInfo{InfoKind: "bridge", Data: &netlink.Vxlan{ID: 1}}},
			{Name: "va", Info: &netlink.LinkInfo{Data: &netlink.Veth{Peer: &netlink.Link{Name: "bad peer"}}}},
			{Name: "t0", Info: &netlink.LinkInfo{Data: &netlink.Tuntap{Type: netlink.TunType}}},
		} {
			err := c.LinkAdd(t.Context(), l)
			if !errors.Is(err, netlink.ErrInvalid) && !errors.Is(err, netlink.ErrNotSupported) {
				t.Errorf("LinkAdd(%q) = %v", l.Name, err)
			}
		}
		if err := c.LinkSet(t.Context(), &netlink.Link{MTU: 1400}); !errors.Is(err, netlink.ErrInvalid) {
			t.Errorf("LinkSet without index = %v", err)
		}
		if _, err := c.LinkByName(t.Context(), strings.Repeat("n", 128)); !errors.Is(err, netlink.ErrInvalid) {
			t.Errorf("LinkByName(128 bytes) = %v", err)
		}
		if _, err := c.LinkByName(t.Context(), "a b"); !errors.Is(err, netlink.ErrInvalid) {
			t.Errorf("LinkByName(a b) = %v", err)
		}
		// 16 bytes can only be an alternative name: looked up, not found.
		if _, err := c.LinkByName(t.Context(), "name-of-16-bytes"); !errors.Is(err, unix.ENODEV) {
			t.Errorf("LinkByName(16 bytes) = %v", err)
		}
		after := linkCheck(t, ns, c)
		if len(after) != len(before) {
			t.Errorf("%d links before, %d after", len(before), len(after))
		}
		if err := netlink.CreateTuntap(ns.Name, "bad name", &netlink.Tuntap{Type: netlink.TunType}); !errors.Is(err, netlink.ErrInvalid) {
			t.Errorf("CreateTuntap(bad name) = %v", err)
		}
		if err := netlink.CreateTuntap(ns.Name, "t0", &netlink.Tuntap{}); !errors.Is(err, netlink.ErrInvalid) {
			t.Errorf("CreateTuntap(no type) = %v", err)
		}
		// An existing name is the kernel's EBUSY from TUNSETIFF on a
		// non-tun device.
		ns.IP("link", "add", "x0", "type", "ifb")
		if err := netlink.CreateTuntap(ns.Name, "x0", &netlink.Tuntap{Type: netlink.TapType}); err == nil {
			t.Error("CreateTuntap over an ifb succeeded")
		}
	})
}

// TestLinkNotifications checks that link changes arrive as decoded
// updates: a new link, a rename (same index, new name) and a delete.
func TestLinkNotifications(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c := linkDial(t, ns)
		mon, err := netlink.Dial(&netlink.Config{NetNS: ns.Name, Groups: netlink.GroupLink})
		if err != nil {
			t.Fatal(err)
		}
		defer mon.Close()
		wait := func(what string, match func(u netlink.Update, l *netlink.Link) bool) *netlink.Link {
			t.Helper()
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			var found *netlink.Link
			for found == nil {
				err := mon.ReceiveUpdates(ctx, 0, func(u netlink.Update) error {
					if l, ok := u.Object.(*netlink.Link); ok && found == nil && match(u, l) {
						found = l
					}
					return nil
				})
				if err != nil {
					t.Fatalf("waiting for %s: %v", what, err)
				}
			}
			return found
		}
		linkAdd(t, c, &netlink.Link{Name: "n0", Info: &netlink.LinkInfo{InfoKind: "ifb"}})
		added := wait("new link", func(u netlink.Update, l *netlink.Link) bool {
			return u.Type == unix.RTM_NEWLINK && l.Name == "n0"
		})
		if added.Info == nil || added.Info.InfoKind != "ifb" {
			t.Errorf("added %s", added)
		}
		if err := c.LinkSet(t.Context(), &netlink.Link{Index: added.Index, Name: "n1"}); err != nil {
			t.Fatal(err)
		}
		wait("rename", func(u netlink.Update, l *netlink.Link) bool {
			return u.Type == unix.RTM_NEWLINK && l.Index == added.Index && l.Name == "n1"
		})
		if err := c.LinkDel(t.Context(), &netlink.Link{Name: "n1"}); err != nil {
			t.Fatal(err)
		}
		wait("delete", func(u netlink.Update, l *netlink.Link) bool {
			return u.Deleted() && l.Index == added.Index
		})
	})
}
