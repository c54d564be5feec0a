package main

import (
	"net"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/netlink"
)

// TestTCFlowerEntries: flower and matchall entries in tc's words become
// the options tc would send, with the masks the kernel reports for keys
// given without one; flags, flowid, indev and actions as for u32 and
// bpf.
func TestTCFlowerEntries(t *testing.T) {
	ss := mustSpecs(t, `
filters:
  - {dev: v0, parent: ingress, protocol: ip, pref: 1, handle: 1, kind: flower, skip_hw: true, flowid: "1:10", indev: v1,
     match: ["dst_port 80", "ip_proto tcp", "dst_ip 192.0.2.0/24", "src_ip 198.51.100.1", "dst_mac 02:00:00:00:00:01/24", "src_port 1024/0xfc00"],
     actions: ["gact drop"]}
  - {dev: v0, parent: ingress, protocol: 802.1Q, pref: 2, handle: 1, kind: flower,
     match: ["vlan_id 100", "vlan_prio 3", "vlan_ethtype ipv6", "ip_proto udp", "src_ip 2001:db8::/32"]}
  - {dev: v0, parent: egress, protocol: all, pref: 3, handle: 2, kind: matchall, skip_sw: true, actions: ["mirred egress mirror dev v1"]}
  - {dev: v0, parent: ingress, protocol: all, pref: 4, handle: 1, kind: flower, match: ["src_mac 02:00:00:00:00:02"]}
`)
	full := uint16(0xffff)
	want := []netlink.FilterOptions{
		&netlink.Flower{ClassID: netlink.NewHandle(1, 0x10), Indev: "v1", EthType: unix.ETH_P_IP, Flags: netlink.TCClsFlagsSkipHW,
			DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMACMask: net.HardwareAddr{0xff, 0xff, 0xff, 0, 0, 0},
			IPProto: netlink.Ptr[uint8](unix.IPPROTO_TCP), Dst: netip.MustParsePrefix("192.0.2.0/24"), Src: netip.MustParsePrefix("198.51.100.1/32"),
			DstPort: netlink.Ptr[uint16](80), DstPortMask: &full, SrcPort: netlink.Ptr[uint16](1024), SrcPortMask: netlink.Ptr[uint16](0xfc00),
			Actions: netlink.TCActions{{Options: &netlink.Gact{TCActionGen: netlink.TCActionGen{Action: netlink.TCActShot}}}}},
		&netlink.Flower{EthType: unix.ETH_P_8021Q, VlanID: netlink.Ptr[uint16](100), VlanPrio: netlink.Ptr[uint8](3), VlanEthType: unix.ETH_P_IPV6,
			IPProto: netlink.Ptr[uint8](unix.IPPROTO_UDP), Src: netip.MustParsePrefix("2001:db8::/32"), Actions: netlink.TCActions{}},
		&netlink.Matchall{Flags: netlink.TCClsFlagsSkipSW},
		&netlink.Flower{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, SrcMACMask: net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, Actions: netlink.TCActions{}},
	}
	if len(ss.filters) != len(want) {
		t.Fatalf("filters: %+v", ss.filters)
	}
	for i, w := range want {
		got := ss.filters[i].Options
		if m, ok := got.(*netlink.Matchall); ok {
			if len(m.Actions) != 1 || reflect.TypeOf(m.Actions[0].Options) != reflect.TypeFor[*netlink.Mirred]() || ss.filters[i].MirredDevs[0] != "v1" {
				t.Errorf("matchall actions: %#v %v", m.Actions[0], ss.filters[i].MirredDevs)
			}
			c := *m
			c.Actions = nil
			got = &c
		}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("filter %d:\n got %#v\nwant %#v", i, got, w)
		}
		if !ss.filters[i].Exact {
			t.Errorf("filter %d is not exact", i)
		}
	}

	// Bad entries: an error naming the line, in tc's terms.
	entry := func(protocol, kind, rest string) string {
		return "filters:\n  - {dev: v0, parent: ingress, protocol: " + protocol + ", pref: 1, handle: 1, kind: " + kind + ", " + rest + "}\n"
	}
	for text, want := range map[string]string{
		entry("ip", "flower", `match: ["ip_proto tcp", "dport 80"]`):                   `line 2: bad flower match "dport 80" (want a key and its value, the key one of dst_mac, src_mac,`,
		entry("ip", "flower", `match: ["ip_proto"]`):                                   `bad flower match "ip_proto" (want a key and its value`,
		entry("ip", "flower", `match: ["ip_proto tcp", "ip_proto udp"]`):               `flower match "ip_proto udp": ip_proto given twice`,
		entry("all", "flower", `match: ["ip_proto tcp"]`):                              `flower match "ip_proto tcp": ip_proto needs protocol ip or ipv6`,
		entry("arp", "flower", `match: ["dst_ip 192.0.2.1"]`):                          `dst_ip needs protocol ip or ipv6`,
		entry("ipv6", "flower", `match: ["dst_ip 192.0.2.1"]`):                         `192.0.2.1/32 is not of the family of protocol ipv6`,
		entry("ip", "flower", `match: ["dst_ip 192.0.2.1/24"]`):                        `192.0.2.1/24 has host bits set (want 192.0.2.0/24)`,
		entry("ip", "flower", `match: ["dst_ip 192.0.2.300"]`):                         `bad address "192.0.2.300"`,
		entry("ip", "flower", `match: ["dst_port 80"]`):                                `dst_port needs ip_proto tcp, udp or sctp`,
		entry("ip", "flower", `match: ["ip_proto icmp", "dst_port 80"]`):               `dst_port needs ip_proto tcp, udp or sctp`,
		entry("ip", "flower", `match: ["ip_proto tcp", "dst_port 80-90"]`):             `bad port "80-90" (want a number from 0 to 65535, with an optional /MASK; ranges are not taken)`,
		entry("ip", "flower", `match: ["ip_proto tcp", "dst_port 70000"]`):             `bad port "70000"`,
		entry("ip", "flower", `match: ["ip_proto tcp", "dst_port 80/0"]`):              `bad port mask "0"`,
		entry("ip", "flower", `match: ["ip_proto bogus"]`):                             `bad ip_proto "bogus" (want tcp, udp, sctp, icmp, icmpv6 or a number from 0 to 255)`,
		entry("ip", "flower", `match: ["vlan_id 5"]`):                                  `vlan_id needs protocol 802.1Q or 802.1ad`,
		entry("802.1Q", "flower", `match: ["vlan_id 4096"]`):                           `bad vlan_id "4096" (want 0 to 4095)`,
		entry("802.1Q", "flower", `match: ["vlan_prio 8"]`):                            `bad vlan_prio "8" (want 0 to 7)`,
		entry("802.1Q", "flower", `match: ["vlan_ethtype bogus"]`):                     `bad vlan_ethtype "bogus"`,
		entry("802.1Q", "flower", `match: ["ip_proto tcp"]`):                           `ip_proto needs protocol ip or ipv6 (with 802.1Q or 802.1ad, vlan_ethtype ip or ipv6)`,
		entry("802.1ad", "flower", `match: ["vlan_ethtype ip", "src_ip 2001:db8::1"]`): `2001:db8::1/128 is not of the family of protocol ip`,
		entry("all", "flower", `match: ["dst_mac 02:00:00:00:00"]`):                    `bad MAC address "02:00:00:00:00"`,
		entry("all", "flower", `match: ["dst_mac 02:00:00:00:00:01/49"]`):              `bad MAC mask length "49" (want 0 to 48)`,
		entry("all", "flower", `match: ["dst_mac 02:00:00:00:00:01/zz"]`):              `bad MAC mask "zz"`,
		entry("all", "flower", `skip_hw: true, skip_sw: true`):                         `skip_hw and skip_sw exclude each other`,
		entry("all", "flower", `bytecode: "1,6 0 0 0"`):                                `filter flower takes no "bytecode" (its options: match, flowid, indev, skip_hw, skip_sw, actions)`,
		entry("all", "flower", `actions: ["bogus"]`):                                   `action "bogus"`,
		entry("all", "matchall", `match: ["ip_proto tcp"]`):                            `filter matchall takes no "match"`,
		entry("all", "matchall", `indev: v1`):                                          `filter matchall takes no "indev"`,
		entry("all", "matchall", `skip_hw: true, skip_sw: true`):                       `skip_hw and skip_sw exclude each other`,
		entry("all", "bpf", `bytecode: "1,6 0 0 0", skip_hw: true, skip_sw: true`):     `skip_hw and skip_sw exclude each other`,
		entry("all", "u32", `match: ["u32 0 0 at 0"], indev: v1`):                      `filter u32 takes no "indev"`,
		entry("all", "flow", `match: ["ip_proto tcp"]`):                                `kind "flow" is not one the state file takes in filters (want bpf, flower, matchall or u32)`,
	} {
		_, err := stateSpecs(text)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", text, err, want)
		}
	}
}
