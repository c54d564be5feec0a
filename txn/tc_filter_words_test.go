package txn

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/netlink"
)

// TestFilterWords: the plan prints each filter kind txn knows as `tc
// filter add ... KIND` takes it (f_u32.c, f_bpf.c, f_flower.c,
// f_matchall.c, f_basic.c), and its actions as tc's "action ...".
func TestFilterWords(t *testing.T) {
	node := uint32(0x80000800)
	mirred := netlink.TCActions{{Options: &netlink.Mirred{TCActionGen: netlink.TCActionGen{Action: netlink.TCActStolen}, Eaction: netlink.MirredEgressRedirect, Ifindex: 9}}}
	for _, c := range []struct {
		name     string
		protocol uint16
		handle   uint32
		o        netlink.FilterOptions
		want     string
	}{
		{"u32 ip", unix.ETH_P_IP, node, &netlink.U32{ClassID: netlink.NewHandle(1, 0x10), Hash: 0x80000000, Sel: &netlink.U32Sel{Flags: 1, Keys: []netlink.U32Key{
			{Mask: 0xffffff00, Val: 0xc0000200, Off: 16}, {Mask: 0xffffffff, Val: 0xc6336407, Off: 12},
			{Mask: 0x00ff0000, Val: 0x00060000, Off: 8}, {Mask: 0xffffffff, Val: 0x005001bb, Off: 20}, {Mask: 0x0000ffff, Val: 53, Off: 20}}}},
			"match ip dst 192.0.2.0/24 match ip src 198.51.100.7/32 match ip protocol 6 0xff match ip sport 80 0xffff match ip dport 443 0xffff " +
				"match ip dport 53 0xffff flowid 1:10"},
		{"u32 not ip", unix.ETH_P_ALL, node, &netlink.U32{Sel: &netlink.U32Sel{Flags: 1, Keys: []netlink.U32Key{{}}}, Actions: mirred},
			"match u32 0x00000000 0x00000000 at 0"},
		{"u32 ip, no prefix", unix.ETH_P_IP, node, &netlink.U32{Sel: &netlink.U32Sel{Keys: []netlink.U32Key{
			{Mask: 0xff00ff00, Val: 0xc0000200, Off: 16}, {Mask: 0xff, Val: 1, Off: 8}, {Mask: 0xffff, Val: 22, Off: 0, OffMask: 0xf}}}},
			"match u32 0xc0000200 0xff00ff00 at 16 match u32 0x00000001 0x000000ff at 8 match u32 0x00000016 0x0000ffff at nexthdr+0"},
		{"u32 terminal", unix.ETH_P_IP, node, &netlink.U32{Sel: &netlink.U32Sel{Flags: 1, Keys: []netlink.U32Key{{Mask: 0xffffff00, Val: 0xc0000200, Off: 16}}}},
			"match ip dst 192.0.2.0/24 terminal"},
		{"u32 not terminal", unix.ETH_P_IP, node, &netlink.U32{ClassID: netlink.NewHandle(1, 1), Sel: &netlink.U32Sel{Keys: []netlink.U32Key{{Mask: 0xffffff00, Val: 0xc0000200, Off: 16}}}},
			"match ip dst 192.0.2.0/24 terminal off flowid 1:1"},
		{"u32 offset, hashkey, link, ht, skip_hw", unix.ETH_P_IP, 0x80000801, &netlink.U32{Hash: 0x00100000, Link: 0x00200000, Flags: netlink.TCClsFlagsSkipHW | 8,
			Sel: &netlink.U32Sel{Flags: u32VarOffset | u32Eat, Offoff: 0, Offmask: 0x0f00, Offshift: 6, Hoff: 16, Hmask: 0xff, Keys: []netlink.U32Key{{Mask: 0x00ff0000, Val: 0x00110000, Off: 8}}}},
			"ht 1: match ip protocol 17 0xff offset at 0 mask 0x0f00 shift 6 eat hashkey mask 0x000000ff at 16 link 2: skip_hw"},
		{"u32 table", unix.ETH_P_IP, 0x00100000, &netlink.U32{Divisor: 256}, "divisor 256"},
		{"bpf", unix.ETH_P_ALL, 1, &netlink.BPFFilter{ClassID: netlink.NewHandle(1, 0x20), Ops: []netlink.BPFInstruction{{Code: 6, K: 0xffff}}},
			"bytecode '1,6 0 0 65535' flowid 1:20"},
		{"bpf name", unix.ETH_P_ALL, 1, &netlink.BPFFilter{Name: "prog.o:[classifier]", FD: 7, DirectAction: true, GenFlags: netlink.TCClsFlagsSkipHW},
			"name prog.o:[classifier] fd 7 direct-action skip_hw"},
		{"bpf id", unix.ETH_P_ALL, 1, &netlink.BPFFilter{Name: "prog.o:[classifier]", FD: 7, ID: 42, Tag: []byte{1, 2, 3, 4, 5, 6, 7, 8}, DirectAction: true},
			"name prog.o:[classifier] id 42 direct-action"},
		{"bpf id, no name", unix.ETH_P_ALL, 1, &netlink.BPFFilter{ID: 42, ClassID: netlink.NewHandle(1, 0x20)}, "id 42 flowid 1:20"},
		{"flower", unix.ETH_P_IP, 1, &netlink.Flower{ClassID: netlink.NewHandle(1, 1), Indev: "v0", EthType: unix.ETH_P_IP,
			DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, SrcMACMask: net.HardwareAddr{0xff, 0xff, 0xff, 0, 0, 0},
			IPProto: netlink.Ptr(uint8(unix.IPPROTO_TCP)), Dst: netip.MustParsePrefix("192.0.2.0/24"), Src: netip.MustParsePrefix("198.51.100.1/32"),
			DstPort: netlink.Ptr(uint16(80)), SrcPort: netlink.Ptr(uint16(0x1000)), SrcPortMask: netlink.Ptr(uint16(0xf000)), Flags: netlink.TCClsFlagsSkipSW},
			"classid 1:1 indev v0 skip_sw dst_mac 02:00:00:00:00:01 src_mac 02:00:00:00:00:02/ff:ff:ff:00:00:00 ip_proto tcp " +
				"dst_ip 192.0.2.0/24 src_ip 198.51.100.1/32 dst_port 80 src_port 4096/0xf000"},
		{"flower vlan", unix.ETH_P_8021Q, 1, &netlink.Flower{EthType: unix.ETH_P_8021Q, VlanID: netlink.Ptr(uint16(10)), VlanPrio: netlink.Ptr(uint8(3)), VlanEthType: unix.ETH_P_IPV6},
			"vlan_id 10 vlan_prio 3 vlan_ethtype ipv6"},
		{"matchall", unix.ETH_P_ALL, 1, &netlink.Matchall{ClassID: netlink.NewHandle(1, 2), Flags: netlink.TCClsFlagsSkipHW, Actions: mirred}, "classid 1:2 skip_hw"},
		{"basic", unix.ETH_P_ALL, 1, &netlink.Basic{ClassID: netlink.NewHandle(1, 3), Ematches: []byte{1, 2}}, "match ematch-tree 0102 classid 1:3"},
	} {
		if got := filterWords(c.protocol, c.handle, c.o); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}

	s := FilterSpec{Dev: "v0", Parent: netlink.NewHandle(0xffff, 0), Priority: 1, Protocol: unix.ETH_P_ALL, Handle: node,
		Options: &netlink.U32{Sel: &netlink.U32Sel{Flags: 1, Keys: []netlink.U32Key{{}}}, Actions: mirred}}
	names := func(_ int, ifindex uint32) string {
		if ifindex == 9 {
			return "ifb0"
		}
		return ""
	}
	if got, want := s.describe(names), "filter dev v0 parent ffff: protocol all pref 1 chain 0 handle 800::800 u32 match u32 0x00000000 0x00000000 at 0 action mirred egress redirect dev ifb0"; got != want {
		t.Errorf("describe:\n got %q\nwant %q", got, want)
	}
}

// TestFilterWordsChange: a changed filter's plan line says what changes
// in tc's words, clause by clause; a clause the spec leaves out is the
// kernel's (not a change) unless the spec is exact.
func TestFilterWordsChange(t *testing.T) {
	u32 := func(dst uint32, class netlink.Handle) *netlink.U32 {
		return &netlink.U32{ClassID: class, Sel: &netlink.U32Sel{Flags: 1, Keys: []netlink.U32Key{{Mask: 0xffffff00, Val: dst, Off: 16}}}}
	}
	have := u32(0xc0000200, netlink.NewHandle(1, 0x10))
	have.Hash = 0x80000000
	for _, c := range []struct {
		want  netlink.FilterOptions
		exact bool
		out   string
	}{
		{u32(0xc6336400, netlink.NewHandle(1, 0x10)), false, ": match ip dst 192.0.2.0/24 -> match ip dst 198.51.100.0/24"},
		{u32(0xc0000200, netlink.NewHandle(1, 0x20)), false, ": flowid 1:10 -> flowid 1:20"},
		{u32(0xc0000200, netlink.NewHandle(1, 0x10)), false, ""},
		{&netlink.U32{Sel: &netlink.U32Sel{Flags: 1, Keys: []netlink.U32Key{{Mask: 0xffffff00, Val: 0xcb007100, Off: 16}}}}, false,
			": match ip dst 192.0.2.0/24 -> match ip dst 203.0.113.0/24"},
		{&netlink.U32{Hash: 0x80000000, Sel: &netlink.U32Sel{Flags: 1, Keys: []netlink.U32Key{{Mask: 0xffffff00, Val: 0xc0000200, Off: 16}}}}, true,
			": flowid 1:10 -> (none)"},
	} {
		if got := filterOptionsChanges(unix.ETH_P_IP, 0x80000800, c.want, have, c.exact).String(); got != c.out {
			t.Errorf("%s (exact %v):\n got %q\nwant %q", filterWords(unix.ETH_P_IP, 0x80000800, c.want), c.exact, got, c.out)
		}
	}
}

// TestActionWordsBPF: the bpf action prints its classic bytecode as tc
// takes it, and its verdict.
func TestActionWordsBPF(t *testing.T) {
	var ops []byte
	for _, in := range []netlink.BPFInstruction{{Code: 40, K: 12}, {Code: 6, K: 65535}} {
		ops = binary.NativeEndian.AppendUint16(ops, in.Code)
		ops = append(ops, in.Jt, in.Jf)
		ops = binary.NativeEndian.AppendUint32(ops, in.K)
	}
	a := netlink.TCActions{{Options: &netlink.ActBPF{TCActionGen: netlink.TCActionGen{Action: netlink.TCActPipe}, Ops: ops}}}
	if got, want := actionsWords(a, nil), "action bpf bytecode '2,40 0 0 12,6 0 0 65535' pipe"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
