package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/netlink"
)

// Flower and matchall filter entries, in tc's words (tc-flower(8),
// tc-matchall(8)):
//
//	filters:
//	  - {dev: v0, parent: ingress, protocol: ip, pref: 1, handle: 1, kind: flower,
//	     match: ["ip_proto tcp", "dst_ip 192.0.2.0/24", "dst_port 80"], skip_hw: true,
//	     actions: ["gact drop"]}
//	  - {dev: v0, parent: ingress, protocol: 802.1Q, pref: 2, handle: 1, kind: flower,
//	     match: ["vlan_id 100", "vlan_ethtype ipv6", "src_ip 2001:db8::/32"], flowid: "1:10"}
//	  - {dev: v0, parent: egress, protocol: all, pref: 3, handle: 1, kind: matchall,
//	     actions: ["mirred egress mirror dev v1"]}
//
// Each match is one of flower's keys and its value; the keys follow tc's
// rules (f_flower.c): the filter's protocol is the ethertype matched
// (none for all); vlan_id, vlan_prio and vlan_ethtype need protocol
// 802.1Q or 802.1ad, and then vlan_ethtype is the ethertype the IP keys
// need; ip_proto needs ip or ipv6; an address's family is the ethertype's;
// ports need ip_proto tcp, udp or sctp. A MAC address or port without a
// mask matches exactly (the kernel reports the full mask, which the entry
// therefore holds).

// flowerKeys are the match keys a flower entry takes.
var flowerKeys = []string{"dst_mac", "src_mac", "vlan_id", "vlan_prio", "vlan_ethtype", "ip_proto", "dst_ip", "src_ip", "dst_port", "src_port"}

// clsFlags returns a classifier's flags for skip_hw and skip_sw
// (TCA_CLS_FLAGS_SKIP_HW, _SKIP_SW), which exclude each other.
func (e *filterYAML) clsFlags() (uint32, error) {
	if e.SkipHW && e.SkipSW {
		return 0, errors.New("skip_hw and skip_sw exclude each other (a filter must run somewhere)")
	}
	var f uint32
	if e.SkipHW {
		f |= netlink.TCClsFlagsSkipHW
	}
	if e.SkipSW {
		f |= netlink.TCClsFlagsSkipSW
	}
	return f, nil
}

// flower reads a flower entry's keys (protocol is the filter's).
func (e *filterYAML) flower(protocol uint16, class netlink.Handle) (*netlink.Flower, error) {
	o := &netlink.Flower{ClassID: class, Indev: e.Indev}
	if protocol != unix.ETH_P_ALL {
		o.EthType = protocol
	}
	vlan := protocol == unix.ETH_P_8021Q || protocol == unix.ETH_P_8021AD
	seen := map[string]bool{}
	type kv struct{ key, val, text string }
	var keys []kv
	for _, m := range e.Match {
		f := strings.Fields(m)
		if len(f) != 2 || !slices.Contains(flowerKeys, f[0]) {
			return nil, fmt.Errorf("bad flower match %q (want a key and its value, the key one of %s)", m, strings.Join(flowerKeys, ", "))
		}
		if seen[f[0]] {
			return nil, fmt.Errorf("flower match %q: %s given twice", m, f[0])
		}
		seen[f[0]] = true
		keys = append(keys, kv{f[0], f[1], m})
	}
	// vlan_ethtype and ip_proto first: the other keys depend on them.
	slices.SortStableFunc(keys, func(a, b kv) int {
		rank := func(k string) int {
			switch k {
			case "vlan_ethtype":
				return 0
			case "ip_proto":
				return 1
			}
			return 2
		}
		return rank(a.key) - rank(b.key)
	})
	ipType := func() uint16 {
		if vlan {
			return o.VlanEthType
		}
		return o.EthType
	}
	for _, k := range keys {
		bad := func(format string, a ...any) error {
			return fmt.Errorf("flower match %q: %s", k.text, fmt.Sprintf(format, a...))
		}
		needVlan := func() error {
			if !vlan {
				return bad("%s needs protocol 802.1Q or 802.1ad", k.key)
			}
			return nil
		}
		switch k.key {
		case "dst_mac", "src_mac":
			a, m, err := parseMACMask(k.val)
			if err != nil {
				return nil, bad("%v", err)
			}
			if k.key == "dst_mac" {
				o.DstMAC, o.DstMACMask = a, m
			} else {
				o.SrcMAC, o.SrcMACMask = a, m
			}
		case "vlan_id":
			if err := needVlan(); err != nil {
				return nil, err
			}
			v, err := strconv.ParseUint(k.val, 0, 16)
			if err != nil || v > 4095 {
				return nil, bad("bad vlan_id %q (want 0 to 4095)", k.val)
			}
			o.VlanID = netlink.Ptr(uint16(v))
		case "vlan_prio":
			if err := needVlan(); err != nil {
				return nil, err
			}
			v, err := strconv.ParseUint(k.val, 0, 8)
			if err != nil || v > 7 {
				return nil, bad("bad vlan_prio %q (want 0 to 7)", k.val)
			}
			o.VlanPrio = netlink.Ptr(uint8(v))
		case "vlan_ethtype":
			if err := needVlan(); err != nil {
				return nil, err
			}
			p, err := netlink.ParseTCProtocol(k.val)
			if err != nil || p == unix.ETH_P_ALL {
				return nil, bad("bad vlan_ethtype %q (want an ethertype as tc names it: ip, ipv6, arp, ...; or a number)", k.val)
			}
			o.VlanEthType = p
		case "ip_proto":
			if t := ipType(); t != unix.ETH_P_IP && t != unix.ETH_P_IPV6 {
				return nil, bad("ip_proto needs protocol ip or ipv6 (with 802.1Q or 802.1ad, vlan_ethtype ip or ipv6)")
			}
			p, ok := ipProtos[strings.ToLower(k.val)]
			if !ok {
				v, err := strconv.ParseUint(k.val, 0, 8)
				if err != nil {
					return nil, bad("bad ip_proto %q (want tcp, udp, sctp, icmp, icmpv6 or a number from 0 to 255)", k.val)
				}
				p = uint8(v)
			}
			o.IPProto = netlink.Ptr(p)
		case "dst_ip", "src_ip":
			p, err := parseFlowerPrefix(k.val)
			if err != nil {
				return nil, bad("%v", err)
			}
			switch t := ipType(); {
			case t == unix.ETH_P_IP && p.Addr().Is4(), t == unix.ETH_P_IPV6 && p.Addr().Is6():
			case t == unix.ETH_P_IP || t == unix.ETH_P_IPV6:
				return nil, bad("%s is not of the family of protocol %s", p, netlink.TCProtocolArg(t))
			default:
				return nil, bad("%s needs protocol ip or ipv6 (with 802.1Q or 802.1ad, vlan_ethtype ip or ipv6)", k.key)
			}
			if k.key == "dst_ip" {
				o.Dst = p
			} else {
				o.Src = p
			}
		case "dst_port", "src_port":
			if o.IPProto == nil || (*o.IPProto != unix.IPPROTO_TCP && *o.IPProto != unix.IPPROTO_UDP && *o.IPProto != unix.IPPROTO_SCTP) {
				return nil, bad("%s needs ip_proto tcp, udp or sctp", k.key)
			}
			v, m, err := parsePortMask(k.val)
			if err != nil {
				return nil, bad("%v", err)
			}
			if k.key == "dst_port" {
				o.DstPort, o.DstPortMask = &v, &m
			} else {
				o.SrcPort, o.SrcPortMask = &v, &m
			}
		}
	}
	var err error
	if o.Flags, err = e.clsFlags(); err != nil {
		return nil, err
	}
	return o, nil
}

// parseMACMask reads "MAC" or "MAC/MASK", MASK a MAC address or a length
// from 0 to 48 (tc's flower_parse_eth_addr); no mask is the full one.
func parseMACMask(s string) (net.HardwareAddr, net.HardwareAddr, error) {
	a, ms, hasMask := strings.Cut(s, "/")
	mac, err := net.ParseMAC(a)
	if err != nil || len(mac) != 6 {
		return nil, nil, fmt.Errorf("bad MAC address %q (want aa:bb:cc:dd:ee:ff[/MASK])", s)
	}
	mask := net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	if hasMask {
		if n, err := strconv.ParseUint(ms, 10, 8); err == nil {
			if n > 48 {
				return nil, nil, fmt.Errorf("bad MAC mask length %q (want 0 to 48)", ms)
			}
			mask = make(net.HardwareAddr, 6)
			for i := range int(n) {
				mask[i/8] |= 0x80 >> (i % 8)
			}
		} else if m, err := net.ParseMAC(ms); err == nil && len(m) == 6 {
			mask = m
		} else {
			return nil, nil, fmt.Errorf("bad MAC mask %q (want a MAC address or a length from 0 to 48)", ms)
		}
	}
	return mac, mask, nil
}

// parseFlowerPrefix reads an address or a prefix without host bits (the
// kernel keeps the bits as given, and a dump could not say the prefix).
func parseFlowerPrefix(s string) (netip.Prefix, error) {
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return p, fmt.Errorf("bad address %q (want an IPv4 or IPv6 address or prefix)", s)
	}
	if p != p.Masked() {
		return p, fmt.Errorf("%s has host bits set (want %s)", s, p.Masked())
	}
	return p, nil
}

// parsePortMask reads "PORT" or "PORT/MASK" (numbers in C notation); no
// mask is the full one, 0xffff.
func parsePortMask(s string) (uint16, uint16, error) {
	ps, ms, hasMask := strings.Cut(s, "/")
	p, err := strconv.ParseUint(ps, 0, 16)
	if err != nil {
		return 0, 0, fmt.Errorf("bad port %q (want a number from 0 to 65535, with an optional /MASK; ranges are not taken)", s)
	}
	m := uint64(0xffff)
	if hasMask {
		if m, err = strconv.ParseUint(ms, 0, 16); err != nil || m == 0 {
			return 0, 0, fmt.Errorf("bad port mask %q (want a number from 1 to 0xffff)", ms)
		}
	}
	return uint16(p), uint16(m), nil
}

// matchall reads a matchall entry: its flowid, flags and actions.
func (e *filterYAML) matchall(class netlink.Handle) (*netlink.Matchall, error) {
	if len(e.Match) > 0 {
		return nil, errors.New("a matchall filter takes no match (it matches every packet)")
	}
	o := &netlink.Matchall{ClassID: class}
	var err error
	o.Flags, err = e.clsFlags()
	return o, err
}
