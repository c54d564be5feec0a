package netlink_test

// Live tests of the link kinds that this host's kernel may lack: dummy,
// vlan, bond, vrf, ipvlan, macvtap, the IPv4 and IPv6 tunnels, geneve,
// wireguard and xfrm. Each skips with the kernel's answer where the kind is
// missing, and fails instead where nstest.AllKindsEnv is set, as in the
// full kernel that .ci/vm/run.sh boots.

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/internal/oracle"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// linkAddOrLacks adds l, ending the test through nstest.LacksKind when the
// kernel has no links of its kind.
func linkAddOrLacks(t *testing.T, c *netlink.Conn, kind string, l *netlink.Link) {
	t.Helper()
	if err := c.LinkAdd(t.Context(), l); err != nil {
		if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EAFNOSUPPORT) {
			nstest.LacksKind(t, kind, err)
		}
		t.Fatal(err)
	}
}

// linkLower makes the veth pair lower0/lower1, up (a vlan cannot go up
// on a lower link that is down: ENETDOWN), and returns lower0's index.
func linkLower(t *testing.T, ns *nstest.NS, c *netlink.Conn) int {
	t.Helper()
	ns.Batch("link add lower0 type veth peer name lower1", "link set lower0 up", "link set lower1 up")
	return linkMust(t, c, "lower0").Index
}

// linkFullKernelCases run through linkLifecycle, as linkTestCases do.
var linkFullKernelCases = []struct {
	name string
	linkTestCase
}{
	{"dummy", linkTestCase{
		kind: "dummy",
		add: func(t *testing.T, ns *nstest.NS, c *netlink.Conn, name string) {
			linkAddOrLacks(t, c, "dummy", &netlink.Link{Name: name, Info: &netlink.LinkInfo{InfoKind: "dummy"}})
		},
		check: func(t *testing.T, ip map[string]any) {},
	}},
	{"vlan-802.1Q", linkTestCase{
		kind: "vlan",
		add: func(t *testing.T, ns *nstest.NS, c *netlink.Conn, name string) {
			lower := linkLower(t, ns, c)
			linkAddOrLacks(t, c, "vlan", &netlink.Link{Name: name, ParentIndex: lower, Info: &netlink.LinkInfo{Data: &netlink.Vlan{ID: 100}}})
		},
		check: func(t *testing.T, ip map[string]any) {
			if d := linkInfoData(ip); d["protocol"] != "802.1Q" || d["id"] != 100.0 || ip["link"] != "lower0" {
				t.Errorf("vlan %v", ip)
			}
		},
	}},
	{"vlan-802.1ad", linkTestCase{
		kind: "vlan",
		add: func(t *testing.T, ns *nstest.NS, c *netlink.Conn, name string) {
			lower := linkLower(t, ns, c)
			linkAddOrLacks(t, c, "vlan", &netlink.Link{Name: name, ParentIndex: lower, Info: &netlink.LinkInfo{Data: &netlink.Vlan{
				ID: 4094, Protocol: unix.ETH_P_8021AD, Flags: 0, FlagsMask: 1, // reorder_hdr off
			}}})
		},
		check: func(t *testing.T, ip map[string]any) {
			d := linkInfoData(ip)
			flags, _ := d["flags"].([]any)
			if d["protocol"] != "802.1ad" || d["id"] != 4094.0 || slices.Contains(flags, any("REORDER_HDR")) {
				t.Errorf("vlan data %v", d)
			}
		},
	}},
	{"bond", linkTestCase{
		kind: "bond",
		add: func(t *testing.T, ns *nstest.NS, c *netlink.Conn, name string) {
			linkAddOrLacks(t, c, "bond", &netlink.Link{Name: name, Info: &netlink.LinkInfo{Data: &netlink.Bond{
				Mode: new(netlink.BondActiveBackup), MIIMon: new(uint32(100)), UpDelay: new(uint32(200)), MinLinks: new(uint32(1)),
			}}})
		},
		check: func(t *testing.T, ip map[string]any) {
			if d := linkInfoData(ip); d["mode"] != "active-backup" || d["miimon"] != 100.0 || d["updelay"] != 200.0 || d["min_links"] != 1.0 {
				t.Errorf("bond data %v", d)
			}
		},
		netnsLocal: true,
	}},
	{"vrf", linkTestCase{
		kind: "vrf",
		add: func(t *testing.T, ns *nstest.NS, c *netlink.Conn, name string) {
			linkAddOrLacks(t, c, "vrf", &netlink.Link{Name: name, Info: &netlink.LinkInfo{Data: &netlink.Vrf{Table: 10}}})
		},
		check: func(t *testing.T, ip map[string]any) {
			if d := linkInfoData(ip); d["table"] != 10.0 {
				t.Errorf("vrf data %v", d)
			}
		},
		noPort: true, netnsLocal: true,
	}},
	{"ipvlan", linkTestCase{
		kind: "ipvlan",
		add: func(t *testing.T, ns *nstest.NS, c *netlink.Conn, name string) {
			lower := linkLower(t, ns, c)
			linkAddOrLacks(t, c, "ipvlan", &netlink.Link{Name: name, ParentIndex: lower, Info: &netlink.LinkInfo{InfoKind: "ipvlan"}})
		},
		check: func(t *testing.T, ip map[string]any) {
			if d := linkInfoData(ip); d["mode"] != "l3" || ip["link"] != "lower0" {
				t.Errorf("ipvlan %v", ip)
			}
		},
		noMAC: true, noPort: true,
	}},
	{"macvtap", linkTestCase{
		kind: "macvtap",
		add: func(t *testing.T, ns *nstest.NS, c *netlink.Conn, name string) {
			lower := linkLower(t, ns, c)
			linkAddOrLacks(t, c, "macvtap", &netlink.Link{Name: name, ParentIndex: lower, Info: &netlink.LinkInfo{InfoKind: "macvtap"}})
		},
		check: func(t *testing.T, ip map[string]any) {
			if d := linkInfoData(ip); d["mode"] != "vepa" || ip["link"] != "lower0" {
				t.Errorf("macvtap %v", ip)
			}
		},
		noPort: true,
	}},
}

// TestLinkLifecycleFullKernel runs TestLinkLifecycle's steps on the kinds
// this host may lack.
func TestLinkLifecycleFullKernel(t *testing.T) {
	for _, tc := range linkFullKernelCases {
		t.Run(tc.name, func(t *testing.T) {
			nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
				linkLifecycle(t, ns, tc.linkTestCase)
			})
		})
	}
}

// TestLinkKindsRoundTrip creates a link of each kind with ip, reads it
// with the library (which must agree with ip about every link, the
// kernel's fallback tunnel devices included), deletes it, creates it again
// from the decoded object alone, and checks that ip shows the same link:
// kind data this package has no type for survives the round trip as raw
// attributes. (Not macvtap: its dump holds IFLA_MACVLAN_BC_QUEUE_LEN_USED,
// which the kernel's policy rejects in requests, and this package keeps
// macvtap's data raw.)
func TestLinkKindsRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		kind  string
		lower bool // needs the veth lower0
		args  string
	}{
		{"dummy", false, "type dummy"},
		{"vlan", true, "link lower0 type vlan protocol 802.1ad id 200 gvrp on"},
		// Only the attributes netlink.Bond has fields for: its other
		// IFLA_BOND_* attributes (ad_select, ...) are kept in Unknown,
		// which is never sent, so a bond created again from a decoded
		// one loses them.
		{"bond", false, "type bond mode 802.3ad miimon 100 updelay 200 min_links 1 lacp_rate fast xmit_hash_policy layer3+4"},
		{"vrf", false, "type vrf table 4000"},
		{"ipvlan", true, "link lower0 type ipvlan mode l2 bridge"},
		{"ipvtap", true, "link lower0 type ipvtap mode l3 private"},
		{"gre", false, "type gre local 192.0.2.1 remote 198.51.100.1 ttl 64 key 5 tos 0x10"},
		{"gretap", false, "type gretap local 192.0.2.1 remote 198.51.100.2 ikey 6 okey 7 nopmtudisc"},
		{"erspan", false, "type erspan local 192.0.2.1 remote 198.51.100.3 seq key 10 erspan_ver 1 erspan 123"},
		{"ip6gre", false, "type ip6gre local 2001:db8::1 remote 2001:db8::2 hoplimit 64 key 11"},
		{"ip6gretap", false, "type ip6gretap local 2001:db8::1 remote 2001:db8::3 flowlabel 0x12345"},
		{"ip6erspan", false, "type ip6erspan local 2001:db8::1 remote 2001:db8::4 seq key 12 erspan_ver 2 erspan_dir egress erspan_hwid 7"},
		{"ipip", false, "type ipip local 192.0.2.1 remote 198.51.100.4 ttl 32"},
		{"sit", false, "type sit local 192.0.2.1 remote 198.51.100.5 ttl 32 mode any"},
		{"ip6tnl", false, "type ip6tnl local 2001:db8::1 remote 2001:db8::5 mode ip6ip6 encaplimit none"},
		{"vti", false, "type vti local 192.0.2.1 remote 198.51.100.6 ikey 7 okey 8"},
		{"vti6", false, "type vti6 local 2001:db8::1 remote 2001:db8::6 key 9"},
		// Not ttl: the kernel reports IFLA_GENEVE_TTL_INHERIT (0) beside
		// IFLA_GENEVE_TTL, and when a request holds both, ignores the
		// TTL (geneve_nl2info), so raw data sent back loses it.
		{"geneve", false, "type geneve id 100 remote 198.51.100.7 tos 0x10 dstport 6081 noudpcsum"},
		{"wireguard", false, "type wireguard"},
		{"xfrm", true, "type xfrm dev lower0 if_id 42"},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
				c := linkDial(t, ns)
				if tc.lower {
					linkLower(t, ns, c)
				}
				name := "rt-" + tc.kind
				args := append([]string{"link", "add", name}, strings.Fields(tc.args)...)
				if _, err := ns.IPErr(args...); err != nil {
					if strings.Contains(err.Error(), "Unknown device type") || strings.Contains(err.Error(), "not supported") {
						nstest.LacksKind(t, tc.kind, err)
					}
					t.Fatal(err)
				}
				linkCheck(t, ns, c)
				l := linkMust(t, c, name)
				if l.Info == nil || l.Info.InfoKind != tc.kind {
					t.Fatalf("%s read as %s", tc.kind, l)
				}
				before := linkRoundTripView(linkIPObject(t, ns, name))

				if err := c.LinkDel(t.Context(), &netlink.Link{Index: l.Index}); err != nil {
					t.Fatal(err)
				}
				linkCheck(t, ns, c)
				again := &netlink.Link{Name: l.Name, ParentIndex: l.ParentIndex, Info: &netlink.LinkInfo{InfoKind: l.Info.InfoKind, Data: l.Info.Data}}
				if err := c.LinkAdd(t.Context(), again); err != nil {
					t.Fatalf("creating %s again from %s: %v", name, l, err)
				}
				linkCheck(t, ns, c)
				if after := linkRoundTripView(linkIPObject(t, ns, name)); after != before {
					t.Errorf("ip before the round trip:\n%s\nafter:\n%s", before, after)
				}
			})
		})
	}
}

// linkRoundTripView is what a link created again from its decoded kind data
// must have in common with the original, as ip -j -d prints it.
func linkRoundTripView(ip map[string]any) string {
	view := map[string]any{}
	for _, k := range []string{"ifname", "mtu", "min_mtu", "max_mtu", "link", "link_type", "linkinfo"} {
		view[k] = ip[k]
	}
	b, _ := json.MarshalIndent(view, "", "  ")
	return string(b)
}

// TestLinkBondSlaves enslaves two veths to a bond and checks the ports'
// slave kind and the bond's view against ip, and the release.
func TestLinkBondSlaves(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c := linkDial(t, ns)
		linkAddOrLacks(t, c, "bond", &netlink.Link{Name: "bo0", Info: &netlink.LinkInfo{Data: &netlink.Bond{
			Mode: new(netlink.BondActiveBackup), MIIMon: new(uint32(100)),
		}}})
		ns.IP("link", "add", "s0", "type", "veth", "peer", "name", "s0p")
		ns.IP("link", "add", "s1", "type", "veth", "peer", "name", "s1p")
		bond := linkMust(t, c, "bo0")
		for _, s := range []string{"s0", "s1"} {
			if err := c.LinkSet(t.Context(), &netlink.Link{Index: linkMust(t, c, s).Index, Master: bond.Index}); err != nil {
				t.Fatalf("enslave %s: %v", s, err)
			}
		}
		if err := c.LinkSet(t.Context(), &netlink.Link{Index: bond.Index, Flags: unix.IFF_UP}); err != nil {
			t.Fatal(err)
		}
		linkCheck(t, ns, c)
		for _, s := range []string{"s0", "s1"} {
			l := linkMust(t, c, s)
			if l.Master != bond.Index || l.Info == nil || l.Info.InfoSlaveKind != "bond" || len(l.Info.SlaveData) == 0 {
				t.Errorf("%s: %s, slave kind %q", s, l, l.Info.InfoSlaveKind)
			}
			ip := linkIPObject(t, ns, s)
			info, _ := ip["linkinfo"].(map[string]any)
			if info["info_slave_kind"] != "bond" || info["info_slave_data"] == nil {
				t.Errorf("ip shows %s as %v", s, info)
			}
		}
		linkCheckFilter(t, c, linkCheck(t, ns, c), &netlink.LinkFilter{Master: bond.Index})
		// Release one port.
		if err := c.LinkSet(t.Context(), &netlink.Link{Index: linkMust(t, c, "s1").Index, Zero: netlink.ZeroMaster}); err != nil {
			t.Fatal(err)
		}
		linkCheck(t, ns, c)
		if l := linkMust(t, c, "s1"); l.Master != 0 || (l.Info != nil && l.Info.InfoSlaveKind != "") {
			t.Errorf("released s1: %s", l)
		}
	})
}

// TestLinkVrfTableAndRules creates a VRF, enslaves a link with an address
// and checks that the kernel's l3mdev rule, the VRF's table and its local
// routes read by the library equal ip's.
func TestLinkVrfTableAndRules(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c := linkDial(t, ns)
		linkAddOrLacks(t, c, "vrf", &netlink.Link{Name: "vrf0", Flags: unix.IFF_UP, Info: &netlink.LinkInfo{Data: &netlink.Vrf{Table: 1010}}})
		ns.Batch(
			"link add p0 type veth peer name p1",
			"link set p0 master vrf0 up",
			"link set p1 up",
			"addr add 192.0.2.1/24 dev p0",
			"addr add 2001:db8::1/64 dev p0 nodad",
			"route add 198.51.100.0/24 via 192.0.2.254 vrf vrf0",
		)
		linkCheck(t, ns, c)
		vrf := linkMust(t, c, "vrf0")
		if d, ok := vrf.Info.Data.(*netlink.Vrf); !ok || d.Table != 1010 {
			t.Fatalf("vrf0 data %v", vrf.Info.Data)
		}
		if p0 := linkMust(t, c, "p0"); p0.Master != vrf.Index || p0.Info.InfoSlaveKind != "vrf" {
			t.Errorf("p0: %s", p0)
		}
		rules, err := c.Rules(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := oracle.CompareRules(ns, rules); err != nil {
			t.Fatal(err)
		}
		// The kernel adds one for IPv4 and IPv6 (and for the multicast
		// routing families where it has several multicast tables).
		l3mdev := 0
		for _, r := range rules {
			if r.L3MDev != 0 && (r.Family == unix.AF_INET || r.Family == unix.AF_INET6) {
				l3mdev++
			}
		}
		if l3mdev != 2 {
			t.Errorf("%d IPv4 and IPv6 l3mdev rules, want one per family:\n%v", l3mdev, rules)
		}
		if err := nstest.Eventually(3*time.Second, func() error {
			routes, err := c.Routes(t.Context(), nil)
			if err != nil {
				return err
			}
			return oracle.CompareRoutes(ns, routes)
		}); err != nil {
			t.Fatal(err)
		}
		table, err := c.RoutesInTable(t.Context(), unix.AF_INET, 1010)
		if err != nil {
			t.Fatal(err)
		}
		var dsts []string
		for _, r := range table {
			dsts = append(dsts, r.Dst.String())
		}
		for _, want := range []string{"192.0.2.0/24", "192.0.2.1/32", "198.51.100.0/24"} {
			if !slices.Contains(dsts, want) {
				t.Errorf("table 1010 lacks %s: %v", want, dsts)
			}
		}
	})
}

// TestLinkBridgeVlanFiltering turns VLAN filtering on and off on a bridge,
// with its protocol and default PVID, and compares with ip after each
// step.
func TestLinkBridgeVlanFiltering(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c := linkDial(t, ns)
		linkAddOrLacks(t, c, "bridge vlan_filtering", &netlink.Link{Name: "br0", Info: &netlink.LinkInfo{Data: &netlink.Bridge{
			VlanFiltering: new(true), VlanProtocol: new(uint16(unix.ETH_P_8021AD)), DefaultPVID: new(uint16(10)),
		}}})
		linkCheck(t, ns, c)
		if d := linkInfoData(linkIPObject(t, ns, "br0")); d["vlan_filtering"] != 1.0 || d["vlan_protocol"] != "802.1ad" || d["vlan_default_pvid"] != 10.0 {
			t.Fatalf("ip shows %v", d)
		}
		br := linkMust(t, c, "br0")
		if d := br.Info.Data.(*netlink.Bridge); d.VlanFiltering == nil || !*d.VlanFiltering || *d.VlanProtocol != unix.ETH_P_8021AD || *d.DefaultPVID != 10 {
			t.Fatalf("library reads %s", br)
		}
		err := c.LinkSet(t.Context(), &netlink.Link{Index: br.Index, Info: &netlink.LinkInfo{Data: &netlink.Bridge{
			VlanFiltering: new(false), VlanProtocol: new(uint16(unix.ETH_P_8021Q)),
		}}})
		if err != nil {
			t.Fatal(err)
		}
		linkCheck(t, ns, c)
		if d := linkInfoData(linkIPObject(t, ns, "br0")); d["vlan_filtering"] != 0.0 || d["vlan_protocol"] != "802.1Q" || d["vlan_default_pvid"] != 10.0 {
			t.Fatalf("ip shows %v", d)
		}
	})
}
