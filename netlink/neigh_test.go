package netlink

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"reflect"
	"testing"

	"golang.org/x/sys/unix"
)

func neighMAC(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

// neighGolden are RTM_NEWNEIGH payloads captured from Linux 6.18 in a
// throwaway namespace, except where noted.
var neighGolden = []struct {
	name string
	hex  string
	want Neigh
}{{
	name: "arp 192.0.2.3 lladdr 02:00:00:00:00:03 nud stale",
	hex: `02000000 03000000 04000001 08000100 c0000203 0a000200 02000000 00030000
		08000400 00000000 14000300 70170000 00000000 00000000 00000000`,
	want: Neigh{Family: unix.AF_INET, Index: 3, State: unix.NUD_STALE, Type: unix.RTN_UNICAST,
		Dst: netip.MustParseAddr("192.0.2.3"), LLAddr: neighMAC("02:00:00:00:00:03"), Confirmed: 6000},
}, {
	name: "ndp 2001:db8::2 router nud reachable",
	hex: `0a000000 03000000 02008001 14000100 20010db8 00000000 00000000 00000002
		0a000200 02000000 00040000 08000400 00000000 14000300 00000000 00000000
		00000000 01000000`,
	want: Neigh{Family: unix.AF_INET6, Index: 3, State: unix.NUD_REACHABLE, Flags: unix.NTF_ROUTER, Type: unix.RTN_UNICAST,
		Dst: netip.MustParseAddr("2001:db8::2"), LLAddr: neighMAC("02:00:00:00:00:04"), RefCount: 1},
}, {
	name: "proxy 192.0.2.9",
	hex:  `02000000 03000000 00000801 08000100 c0000209`,
	want: Neigh{Family: unix.AF_INET, Index: 3, Flags: unix.NTF_PROXY, Type: unix.RTN_UNICAST, Dst: netip.MustParseAddr("192.0.2.9")},
}, {
	name: "fdb 02:00:00:00:00:aa dev veth1 master br0 static",
	hex: `07000000 02000000 40000000 0a000200 02000000 00aa0000 08000900 04000000
		08000f00 00000000 14000300 00000000 00000000 00000000 00000000`,
	want: Neigh{Family: unix.AF_BRIDGE, Index: 2, State: unix.NUD_NOARP, LLAddr: neighMAC("02:00:00:00:00:aa"), Master: 4},
}, {
	name: "fdb 33:33:00:00:00:01 dev veth1 self permanent",
	hex:  `07000000 02000000 80000200 0a000200 33330000 00010000`,
	want: Neigh{Family: unix.AF_BRIDGE, Index: 2, State: unix.NUD_PERMANENT, Flags: unix.NTF_SELF, LLAddr: neighMAC("33:33:00:00:00:01")},
}, {
	name: "fdb 00:00:00:00:00:00 dev vx0 self dst 203.0.113.7 permanent",
	hex: `07000000 05000000 c0000201 0a000200 00000000 00000000 08000100 cb007107
		14000300 00000000 00000000 00000000 00000000`,
	want: Neigh{Family: unix.AF_BRIDGE, Index: 5, State: unix.NUD_NOARP | unix.NUD_PERMANENT, Flags: unix.NTF_SELF, Type: 1,
		LLAddr: neighMAC("00:00:00:00:00:00"), Dst: netip.MustParseAddr("203.0.113.7")},
}, {
	name: "fdb 02:00:00:00:00:bb dev vx6 self dst 2001:db8::99 port 4790 vni 77",
	hex: `07000000 06000000 c0000201 0a000200 02000000 00bb0000 14000100 20010db8
		00000000 00000000 00000099 06000600 12b60000 08000700 4d000000 14000300
		00000000 00000000 00000000 00000000`,
	want: Neigh{Family: unix.AF_BRIDGE, Index: 6, State: unix.NUD_NOARP | unix.NUD_PERMANENT, Flags: unix.NTF_SELF, Type: 1,
		LLAddr: neighMAC("02:00:00:00:00:bb"), Dst: netip.MustParseAddr("2001:db8::99"), Port: 4790, VNI: 77},
}, {
	// Hand-made from linux/neighbour.h: every attribute this kernel did not
	// send above, and NDA_FDB_EXT_ATTRS (nested) kept as unknown.
	name: "synthetic fdb with via, vlan, netnsid 0, src_vni, protocol, nhid, ext flags",
	hex: `07000000 05000000 80000200
		0a000200 02000000 00010000
		08000100 cb007107
		06000500 0a000000
		06000600 12b50000
		08000700 2a000000
		08000800 03000000
		08000900 04000000
		08000a00 00000000
		08000b00 07000000
		05000c00 04000000
		08000d00 09000000
		0c000e80 05000100 01000000
		08000f00 02000000
		08000400 03000000`,
	want: Neigh{Family: unix.AF_BRIDGE, Index: 5, State: unix.NUD_PERMANENT, Flags: unix.NTF_SELF,
		LLAddr: neighMAC("02:00:00:00:00:01"), Dst: netip.MustParseAddr("203.0.113.7"), VLAN: 10, Port: 4789, VNI: 42,
		Via: 3, Master: 4, HasLinkNetNSID: true, SrcVNI: 7, Protocol: 4, NHID: 9, FlagsExt: NeighFlagExtLocked, Probes: 3,
		Unknown: []Attribute{{Type: 0x800e, Data: []byte{5, 0, 1, 0, 1, 0, 0, 0}}}},
}}

func TestNeighDecodeGolden(t *testing.T) {
	for _, g := range neighGolden {
		t.Run(g.name, func(t *testing.T) {
			b := addrHex(t, g.hex)
			var n Neigh
			if err := n.decode(b); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(n, g.want) {
				t.Fatalf("decode:\n got %+v\nwant %+v", n, g.want)
			}
			for i := range b {
				b[i] = 0xee
			}
			if !reflect.DeepEqual(n, g.want) {
				t.Fatalf("decoded entry aliases the input buffer: %+v", n)
			}
			roundTrip(t, &n)
		})
	}
}

func TestNeighDecodeMalformed(t *testing.T) {
	for name, h := range map[string]string{
		"short header":         "02000000 03000000 0400",
		"truncated attribute":  "02000000 03000000 04000001 08000100 c000",
		"dst of 3 bytes":       "02000000 03000000 04000001 07000100 c0000200",
		"short cacheinfo":      "02000000 03000000 04000001 08000300 00000000",
		"port of 4 bytes":      "07000000 03000000 04000000 08000600 00000000",
		"vlan of 4 bytes":      "07000000 03000000 04000000 08000500 00000000",
		"master of 2 bytes":    "07000000 03000000 04000000 06000900 00000000",
		"protocol of 2 bytes":  "07000000 03000000 04000000 06000c00 00000000",
		"netnsid of 1 byte":    "07000000 03000000 04000000 05000a00 00000000",
		"trailing three bytes": "07000000 03000000 04000000 000000",
	} {
		var n Neigh
		if err := n.decode(addrHex(t, h)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: got %v, want ErrMalformed", name, err)
		}
	}
}

func TestNeighString(t *testing.T) {
	for i, want := range map[int]string{
		0: "neigh 192.0.2.3 dev 3 lladdr 02:00:00:00:00:03 STALE",
		1: "neigh 2001:db8::2 dev 3 lladdr 02:00:00:00:00:04 router REACHABLE",
		2: "neigh 192.0.2.9 dev 3 proxy NONE",
		3: "fdb 02:00:00:00:00:aa dev 2 master 4",
		6: "fdb 02:00:00:00:00:bb dev 6 dst 2001:db8::99 port 4790 vni 77 self NOARP PERMANENT",
	} {
		var n Neigh
		if err := n.decode(addrHex(t, neighGolden[i].hex)); err != nil {
			t.Fatal(err)
		}
		if got := n.String(); got != want {
			t.Errorf("String:\n got %q\nwant %q", got, want)
		}
	}
	if (&Neigh{}).Kind() != KindNeigh {
		t.Error("Kind is not KindNeigh")
	}
}

// Request encodings, checked field by field against linux/neighbour.h
// (struct ndmsg: family, 3 pad bytes, s32 ifindex, u16 state, u8 flags, u8
// type) and iproute2's ipneigh_modify / bridge fdb_modify (state
// NUD_PERMANENT by default for ip neigh, NUD_NOARP for bridge fdb; NDA_PORT
// in network byte order).
func TestNeighOpGolden(t *testing.T) {
	for _, tc := range []struct {
		name  string
		verb  Verb
		n     Neigh
		typ   uint16
		flags uint16
		hex   string
	}{{
		name: "neigh add 192.0.2.2 lladdr 02:00:00:00:00:02 dev 3 (permanent by default)",
		verb: Add,
		n: Neigh{Family: unix.AF_INET, Index: 3, Dst: netip.MustParseAddr("192.0.2.2"), LLAddr: neighMAC("02:00:00:00:00:02"),
			Confirmed: 1, Used: 2, Updated: 3, RefCount: 4, Probes: 5, Unknown: []Attribute{{Type: 99}}},
		typ: unix.RTM_NEWNEIGH, flags: unix.NLM_F_CREATE | unix.NLM_F_EXCL,
		hex: `02000000 03000000 80000000
			08000100 c0000202
			0a000200 02000000 00020000`,
	}, {
		name: "neigh change 2001:db8::2 dev 3 lladdr 02:00:00:00:00:04 router nud stale",
		verb: Change,
		n: Neigh{Family: unix.AF_INET6, Index: 3, State: unix.NUD_STALE, Flags: unix.NTF_ROUTER,
			Dst: netip.MustParseAddr("2001:db8::2"), LLAddr: neighMAC("02:00:00:00:00:04")},
		typ: unix.RTM_NEWNEIGH, flags: unix.NLM_F_REPLACE,
		hex: `0a000000 03000000 04008000
			14000100 20010db8 00000000 00000000 00000002
			0a000200 02000000 00040000`,
	}, {
		name: "neigh del 2001:db8::2 dev 3",
		verb: Delete,
		n:    Neigh{Family: unix.AF_INET6, Index: 3, Dst: netip.MustParseAddr("2001:db8::2")},
		typ:  unix.RTM_DELNEIGH, flags: 0,
		hex: `0a000000 03000000 00000000
			14000100 20010db8 00000000 00000000 00000002`,
	}, {
		name: "fdb append 00:00:00:00:00:00 dev 5 self dst 203.0.113.7 port 4790 vni 77 via 3 permanent",
		verb: Append,
		n: Neigh{Family: unix.AF_BRIDGE, Index: 5, State: unix.NUD_PERMANENT, Flags: unix.NTF_SELF,
			LLAddr: neighMAC("00:00:00:00:00:00"), Dst: netip.MustParseAddr("203.0.113.7"), Port: 4790, VNI: 77, Via: 3},
		typ: unix.RTM_NEWNEIGH, flags: unix.NLM_F_CREATE | unix.NLM_F_APPEND,
		hex: `07000000 05000000 80000200
			08000100 cb007107
			0a000200 00000000 00000000
			06000600 12b60000
			08000700 4d000000
			08000800 03000000`,
	}, {
		name: "fdb replace 02:00:00:00:00:aa dev 2 master vlan 10 (static by default)",
		verb: Replace,
		n:    Neigh{Family: unix.AF_BRIDGE, Index: 2, Flags: unix.NTF_MASTER, LLAddr: neighMAC("02:00:00:00:00:aa"), VLAN: 10},
		typ:  unix.RTM_NEWNEIGH, flags: unix.NLM_F_CREATE | unix.NLM_F_REPLACE,
		hex: `07000000 02000000 40000400
			0a000200 02000000 00aa0000
			06000500 0a000000`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			op := NeighRequest(tc.verb, &tc.n)
			if op.Err() != nil {
				t.Fatal(op.Err())
			}
			if op.typ != tc.typ || op.flags != tc.flags {
				t.Errorf("type %d flags %#x, want %d %#x", op.typ, op.flags, tc.typ, tc.flags)
			}
			if want := addrHex(t, tc.hex); !reflect.DeepEqual(op.body, want) {
				t.Errorf("body\n got %x\nwant %x", op.body, want)
			}
		})
	}
}

func TestNeighOpInvalid(t *testing.T) {
	dst4 := netip.MustParseAddr("192.0.2.2")
	dst6 := netip.MustParseAddr("2001:db8::2")
	mac := neighMAC("02:00:00:00:00:02")
	for _, tc := range []struct {
		name string
		verb Verb
		n    *Neigh
	}{
		{"nil entry", Add, nil},
		{"missing ifindex", Add, &Neigh{Family: unix.AF_INET, Dst: dst4, LLAddr: mac}},
		{"ARP without dst", Add, &Neigh{Family: unix.AF_INET, Index: 1, LLAddr: mac}},
		{"NDP without dst", Delete, &Neigh{Family: unix.AF_INET6, Index: 1}},
		{"family mismatch v4", Add, &Neigh{Family: unix.AF_INET, Index: 1, Dst: dst6}},
		{"family mismatch v6", Add, &Neigh{Family: unix.AF_INET6, Index: 1, Dst: dst4}},
		{"unknown family", Add, &Neigh{Family: 99, Index: 1, Dst: dst4}},
		{"zero family", Add, &Neigh{Index: 1, Dst: dst4}},
		{"IPv4-mapped dst", Add, &Neigh{Family: unix.AF_INET6, Index: 1, Dst: netip.MustParseAddr("::ffff:192.0.2.2")}},
		{"zoned dst", Add, &Neigh{Family: unix.AF_INET6, Index: 1, Dst: netip.MustParseAddr("fe80::1%eth0")}},
		{"lladdr of 33 bytes", Add, &Neigh{Family: unix.AF_INET, Index: 1, Dst: dst4, LLAddr: make(net.HardwareAddr, 33)}},
		{"FDB attributes on ARP", Add, &Neigh{Family: unix.AF_INET, Index: 1, Dst: dst4, VLAN: 5}},
		{"append on ARP", Append, &Neigh{Family: unix.AF_INET, Index: 1, Dst: dst4, LLAddr: mac}},
		{"FDB without lladdr", Add, &Neigh{Family: unix.AF_BRIDGE, Index: 1}},
		{"FDB lladdr of 8 bytes", Add, &Neigh{Family: unix.AF_BRIDGE, Index: 1, LLAddr: make(net.HardwareAddr, 8)}},
		{"FDB vlan 4095", Add, &Neigh{Family: unix.AF_BRIDGE, Index: 1, LLAddr: mac, VLAN: 4095}},
		{"FDB vni beyond 24 bits", Add, &Neigh{Family: unix.AF_BRIDGE, Index: 1, LLAddr: mac, VNI: 1 << 24}},
		{"verb set", Set, &Neigh{Family: unix.AF_INET, Index: 1, Dst: dst4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			op := NeighRequest(tc.verb, tc.n)
			if !errors.Is(op.Err(), ErrInvalid) {
				t.Fatalf("Err() = %v, want ErrInvalid", op.Err())
			}
			if op.body != nil {
				t.Errorf("invalid op has a body: %x", op.body)
			}
			if err := (&Conn{}).Do(context.Background(), op); !errors.Is(err, ErrInvalid) {
				t.Errorf("Do = %v, want ErrInvalid", err)
			}
		})
	}
}

// Invalid filters and get keys fail before anything is sent: a Conn
// without a socket would crash on a send.
func TestNeighDumpGetInvalid(t *testing.T) {
	ctx := context.Background()
	c := &Conn{}
	for name, f := range map[string]*NeighFilter{
		"family":       {Family: 99},
		"index":        {Index: -1},
		"master":       {Master: -2},
		"proxy on FDB": {Family: unix.AF_BRIDGE, Proxy: true},
	} {
		if err := c.NeighDump(ctx, f, func(*Neigh) error { return nil }); !errors.Is(err, ErrInvalid) {
			t.Errorf("NeighDump %s: %v, want ErrInvalid", name, err)
		}
	}
	for name, k := range map[string]*Neigh{
		"nil":            nil,
		"no index":       {Family: unix.AF_INET, Dst: netip.MustParseAddr("192.0.2.1")},
		"no dst":         {Family: unix.AF_INET, Index: 1},
		"dst family":     {Family: unix.AF_INET6, Index: 1, Dst: netip.MustParseAddr("192.0.2.1")},
		"FDB no lladdr":  {Family: unix.AF_BRIDGE, Index: 1},
		"FDB no index":   {Family: unix.AF_BRIDGE, LLAddr: neighMAC("02:00:00:00:00:01")},
		"unknown family": {Family: 3, Index: 1},
	} {
		if _, err := c.NeighGet(ctx, k); !errors.Is(err, ErrInvalid) {
			t.Errorf("NeighGet %s: %v, want ErrInvalid", name, err)
		}
	}
	for name, f := range map[string]*AddrFilter{"family": {Family: unix.AF_BRIDGE}, "index": {Index: -1}} {
		if err := c.AddrDump(ctx, f, func(*Addr) error { return nil }); !errors.Is(err, ErrInvalid) {
			t.Errorf("AddrDump %s: %v, want ErrInvalid", name, err)
		}
	}
}

func TestNeighStateNames(t *testing.T) {
	if got := NeighStateNames(0); !reflect.DeepEqual(got, []string{"NONE"}) {
		t.Errorf("0: %v", got)
	}
	if got := NeighStateNames(unix.NUD_NOARP | unix.NUD_PERMANENT | 0x100); !reflect.DeepEqual(got, []string{"NOARP", "PERMANENT", "0x100"}) {
		t.Errorf("noarp|permanent|0x100: %v", got)
	}
	if got := NeighFlagNames(unix.NTF_SELF | unix.NTF_ROUTER | NeighFlagSticky); !reflect.DeepEqual(got, []string{"self", "sticky", "router"}) {
		t.Errorf("flags: %v", got)
	}
}

func FuzzDecodeNeigh(f *testing.F) {
	for _, g := range neighGolden {
		f.Add(addrHex(f, g.hex))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var n Neigh
		if err := n.decode(b); err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		_ = n.String()
		roundTrip(t, &n)
	})
}
