package netlink

import (
	"context"
	"encoding/hex"
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// addrHex decodes hex with spaces and newlines for readability.
func addrHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// addrGolden are RTM_NEWADDR payloads captured from Linux 6.18 in a
// throwaway namespace (`ip addr add` as in each name), except where noted.
var addrGolden = []struct {
	name string
	hex  string
	want Addr
}{{
	name: "inet 192.0.2.1/24 brd + label veth0:lbl metric 33",
	hex: `02188000 03000000 08000100 c0000201 08000200 c0000201 08000400 c00002ff
		0e000300 76657468 303a6c62 6c000000 08000800 80000000 08000900 21000000
		14000600 ffffffff ffffffff d4d90000 d4d90000`,
	want: Addr{
		Family: unix.AF_INET, Index: 3, Prefix: netip.MustParsePrefix("192.0.2.1/24"),
		Broadcast: netip.MustParseAddr("192.0.2.255"), Label: "veth0:lbl", Flags: unix.IFA_F_PERMANENT,
		Metric: 33, ValidLifetime: LifetimeForever, PreferredLifetime: LifetimeForever,
		Created: 0xd9d4, Updated: 0xd9d4,
	},
}, {
	name: "inet 198.51.100.1 peer 198.51.100.2/32",
	hex: `02208000 03000000 08000100 c6336402 08000200 c6336401 0a000300 76657468
		30000000 08000800 80000000 14000600 ffffffff ffffffff d4d90000 d4d90000`,
	want: Addr{
		Family: unix.AF_INET, Index: 3, Prefix: netip.MustParsePrefix("198.51.100.1/32"),
		Peer: netip.MustParseAddr("198.51.100.2"), Label: "veth0", Flags: unix.IFA_F_PERMANENT,
		ValidLifetime: LifetimeForever, PreferredLifetime: LifetimeForever, Created: 0xd9d4, Updated: 0xd9d4,
	},
}, {
	name: "inet6 link-local, tentative, proto kernel_ll",
	hex: `0a40c0fd 02000000 14000100 fe800000 00000000 e03a62ff fe49d389 14000600
		ffffffff ffffffff d4d90000 d4d90000 08000800 c0000000 05000b00 03000000`,
	want: Addr{
		Family: unix.AF_INET6, Index: 2, Prefix: netip.MustParsePrefix("fe80::e03a:62ff:fe49:d389/64"),
		Scope: unix.RT_SCOPE_LINK, Flags: unix.IFA_F_TENTATIVE | unix.IFA_F_PERMANENT, Proto: AddrProtoKernelLL,
		ValidLifetime: LifetimeForever, PreferredLifetime: LifetimeForever, Created: 0xd9d4, Updated: 0xd9d4,
	},
}, {
	name: "inet6 2001:db8:1::1/64 nodad home mngtmpaddr (IFA_FLAGS beyond 8 bits)",
	hex: `0a409200 03000000 14000100 20010db8 00010000 00000000 00000001 14000600
		ffffffff ffffffff d4d90000 d4d90000 08000800 92010000`,
	want: Addr{
		Family: unix.AF_INET6, Index: 3, Prefix: netip.MustParsePrefix("2001:db8:1::1/64"),
		Flags:         unix.IFA_F_NODAD | unix.IFA_F_HOMEADDRESS | unix.IFA_F_PERMANENT | unix.IFA_F_MANAGETEMPADDR,
		ValidLifetime: LifetimeForever, PreferredLifetime: LifetimeForever, Created: 0xd9d4, Updated: 0xd9d4,
	},
}, {
	name: "inet6 2001:db8::1/64 nodad noprefixroute valid_lft 3600 preferred_lft 1800",
	hex: `0a400200 03000000 14000100 20010db8 00000000 00000000 00000001 14000600
		08070000 100e0000 d4d90000 d4d90000 08000800 02020000`,
	want: Addr{
		Family: unix.AF_INET6, Index: 3, Prefix: netip.MustParsePrefix("2001:db8::1/64"),
		Flags:         unix.IFA_F_NODAD | unix.IFA_F_NOPREFIXROUTE,
		ValidLifetime: 3600, PreferredLifetime: 1800, Created: 0xd9d4, Updated: 0xd9d4,
	},
}, {
	// Hand-made: IFA_ANYCAST, and IFA_TARGET_NETNSID and a nested type 0x3f
	// kept as unknown attributes.
	name: "synthetic anycast and unknown attributes",
	hex: `0a400000 03000000 14000100 20010db8 00000000 00000000 00000001 14000500
		20010db8 00000000 00000000 00000000 08000a00 05000000 08003f80 01020304`,
	want: Addr{
		Family: unix.AF_INET6, Index: 3, Prefix: netip.MustParsePrefix("2001:db8::1/64"),
		Anycast: netip.MustParseAddr("2001:db8::"),
		Unknown: []Attribute{{Type: unix.IFA_TARGET_NETNSID, Data: []byte{5, 0, 0, 0}}, {Type: 0x803f, Data: []byte{1, 2, 3, 4}}},
	},
}}

func TestAddrDecodeGolden(t *testing.T) {
	for _, g := range addrGolden {
		t.Run(g.name, func(t *testing.T) {
			b := addrHex(t, g.hex)
			var a Addr
			if err := a.decode(b); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a, g.want) {
				t.Fatalf("decode:\n got %+v\nwant %+v", a, g.want)
			}
			// Every byte the kernel sent must be decoded from the receive
			// buffer, not aliased: scribbling over it changes nothing.
			for i := range b {
				b[i] = 0xee
			}
			if !reflect.DeepEqual(a, g.want) {
				t.Fatalf("decoded address aliases the input buffer: %+v", a)
			}
			roundTrip(t, &a)
		})
	}
}

func TestAddrDecodeMalformed(t *testing.T) {
	for name, h := range map[string]string{
		"short header":           "0218800003",
		"truncated attribute":    "02180000 03000000 08000100 c000",
		"address of 5 bytes":     "02180000 03000000 09000200 c0000201 01000000",
		"prefix length 33":       "02210000 03000000 08000200 c0000201",
		"short cacheinfo":        "02180000 03000000 08000600 01000000",
		"IFA_FLAGS of 2 bytes":   "02180000 03000000 06000800 01000000",
		"metric of 1 byte":       "02180000 03000000 05000900 01000000",
		"attribute past the end": "02180000 03000000 10000100 c0000201",
	} {
		var a Addr
		err := a.decode(addrHex(t, h))
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: got %v, want ErrMalformed", name, err)
		}
	}
}

func TestAddrString(t *testing.T) {
	var a Addr
	if err := a.decode(addrHex(t, addrGolden[0].hex)); err != nil {
		t.Fatal(err)
	}
	const want = "inet 192.0.2.1/24 brd 192.0.2.255 metric 33 scope global permanent veth0:lbl dev 3 valid_lft forever preferred_lft forever"
	if got := a.String(); got != want {
		t.Errorf("String:\n got %q\nwant %q", got, want)
	}
	a = Addr{Family: unix.AF_INET6, Index: 2, Prefix: netip.MustParsePrefix("2001:db8::1/64"), Peer: netip.MustParseAddr("2001:db8::2"), Flags: unix.IFA_F_SECONDARY | 0x10000, Scope: 200}
	const want6 = "inet6 2001:db8::1 peer 2001:db8::2/64 scope site temporary 0x10000 dev 2"
	if got := a.String(); got != want6 {
		t.Errorf("String:\n got %q\nwant %q", got, want6)
	}
	if a.Kind() != KindAddr {
		t.Errorf("Kind %v", a.Kind())
	}
}

// Request encodings, checked field by field against linux/if_addr.h
// (struct ifaddrmsg: family, prefixlen, flags, scope, u32 index) and
// iproute2's ipaddr_modify (IFA_LOCAL, then IFA_ADDRESS = peer or local;
// IFA_FLAGS only when flags exceed 8 bits; IFA_CACHEINFO only with
// lifetimes).
func TestAddrOpGolden(t *testing.T) {
	for _, tc := range []struct {
		name  string
		verb  Verb
		addr  Addr
		typ   uint16
		flags uint16
		hex   string
	}{{
		name: "add 192.0.2.1/24 brd 192.0.2.255 label veth0:lbl metric 33 dev 3",
		verb: Add,
		addr: Addr{Index: 3, Prefix: netip.MustParsePrefix("192.0.2.1/24"), Broadcast: netip.MustParseAddr("192.0.2.255"),
			Label: "veth0:lbl", Metric: 33, Created: 7, Updated: 8, Unknown: []Attribute{{Type: 99, Data: []byte{1}}}},
		typ: unix.RTM_NEWADDR, flags: unix.NLM_F_CREATE | unix.NLM_F_EXCL,
		hex: `02180000 03000000
			08000200 c0000201
			08000100 c0000201
			08000400 c00002ff
			0e000300 76657468 303a6c62 6c000000
			08000900 21000000`,
	}, {
		name: "replace 2001:db8::1/64 nodad noprefixroute valid_lft 3600 preferred_lft 1800 proto 4",
		verb: Replace,
		addr: Addr{Family: unix.AF_INET6, Index: 3, Prefix: netip.MustParsePrefix("2001:db8::1/64"),
			Flags: unix.IFA_F_NODAD | unix.IFA_F_NOPREFIXROUTE, ValidLifetime: 3600, PreferredLifetime: 1800, Proto: 4},
		typ: unix.RTM_NEWADDR, flags: unix.NLM_F_CREATE | unix.NLM_F_REPLACE,
		hex: `0a400200 03000000
			14000200 20010db8 00000000 00000000 00000001
			14000100 20010db8 00000000 00000000 00000001
			14000600 08070000 100e0000 00000000 00000000
			08000800 02020000
			05000b00 04000000`,
	}, {
		name: "change 2001:db8::1/64 scope link dev 5",
		verb: Change,
		addr: Addr{Index: 5, Prefix: netip.MustParsePrefix("2001:db8::1/64"), Scope: unix.RT_SCOPE_LINK, Flags: unix.IFA_F_NODAD},
		typ:  unix.RTM_NEWADDR, flags: unix.NLM_F_REPLACE,
		hex: `0a4002fd 05000000
			14000200 20010db8 00000000 00000000 00000001
			14000100 20010db8 00000000 00000000 00000001`,
	}, {
		name: "del 198.51.100.1 peer 198.51.100.2/32 dev 3",
		verb: Delete,
		addr: Addr{Index: 3, Prefix: netip.MustParsePrefix("198.51.100.1/32"), Peer: netip.MustParseAddr("198.51.100.2")},
		typ:  unix.RTM_DELADDR, flags: 0,
		hex: `02200000 03000000
			08000200 c6336401
			08000100 c6336402`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			op := AddrRequest(tc.verb, &tc.addr)
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

func TestAddrOpInvalid(t *testing.T) {
	p4 := netip.MustParsePrefix("192.0.2.1/24")
	p6 := netip.MustParsePrefix("2001:db8::1/64")
	for _, tc := range []struct {
		name string
		verb Verb
		addr *Addr
	}{
		{"nil address", Add, nil},
		{"missing ifindex", Add, &Addr{Prefix: p4}},
		{"negative ifindex", Add, &Addr{Index: -1, Prefix: p4}},
		{"invalid prefix", Add, &Addr{Index: 1}},
		{"prefix length out of range", Add, &Addr{Index: 1, Prefix: netip.PrefixFrom(netip.MustParseAddr("192.0.2.1"), 33)}},
		{"family mismatch with prefix", Add, &Addr{Family: unix.AF_INET6, Index: 1, Prefix: p4}},
		{"peer of other family", Add, &Addr{Index: 1, Prefix: p4, Peer: netip.MustParseAddr("2001:db8::2")}},
		{"broadcast of other family", Add, &Addr{Index: 1, Prefix: p4, Broadcast: netip.MustParseAddr("2001:db8::ff")}},
		{"broadcast on IPv6", Add, &Addr{Index: 1, Prefix: p6, Broadcast: netip.MustParseAddr("2001:db8::ff")}},
		{"IPv4-mapped prefix", Add, &Addr{Index: 1, Prefix: netip.MustParsePrefix("::ffff:192.0.2.1/120")}},
		{"label too long", Add, &Addr{Index: 1, Prefix: p4, Label: "eth0:0123456789a"}},
		{"label with NUL", Add, &Addr{Index: 1, Prefix: p4, Label: "eth0\x00x"}},
		{"label on IPv6", Add, &Addr{Index: 1, Prefix: p6, Label: "eth0:1"}},
		{"preferred above valid", Replace, &Addr{Index: 1, Prefix: p6, ValidLifetime: 10, PreferredLifetime: 20}},
		{"preferred without valid", Add, &Addr{Index: 1, Prefix: p6, PreferredLifetime: 20}},
		{"verb set", Set, &Addr{Index: 1, Prefix: p4}},
		{"verb append", Append, &Addr{Index: 1, Prefix: p4}},
		{"unknown verb", Verb(77), &Addr{Index: 1, Prefix: p4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			op := AddrRequest(tc.verb, tc.addr)
			if !errors.Is(op.Err(), ErrInvalid) {
				t.Fatalf("Err() = %v, want ErrInvalid", op.Err())
			}
			var oe *OpError
			if !errors.As(op.Err(), &oe) {
				t.Fatalf("%T is not an *OpError", op.Err())
			}
			if op.body != nil {
				t.Errorf("invalid op has a body: %x", op.body)
			}
			// A Conn without a socket would crash on any send: Do must
			// return before sending.
			if err := (&Conn{}).Do(context.Background(), op); !errors.Is(err, ErrInvalid) {
				t.Errorf("Do = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestAddrFilterMatch(t *testing.T) {
	a := &Addr{Family: unix.AF_INET, Index: 3, Label: "eth0:1", Scope: unix.RT_SCOPE_HOST}
	for _, tc := range []struct {
		f    *AddrFilter
		want bool
	}{
		{nil, true},
		{&AddrFilter{}, true},
		{&AddrFilter{Family: unix.AF_INET, Index: 3, Label: "eth0:1", Scope: unix.RT_SCOPE_HOST, HasScope: true}, true},
		{&AddrFilter{Family: unix.AF_INET6}, false},
		{&AddrFilter{Index: 4}, false},
		{&AddrFilter{Label: "eth0"}, false},
		{&AddrFilter{HasScope: true}, false},
		{&AddrFilter{Scope: unix.RT_SCOPE_LINK}, true}, // Scope ignored without HasScope
	} {
		if got := tc.f.match(a); got != tc.want {
			t.Errorf("%+v.match = %v, want %v", tc.f, got, tc.want)
		}
	}
}

func FuzzDecodeAddr(f *testing.F) {
	for _, g := range addrGolden {
		f.Add(addrHex(f, g.hex))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var a Addr
		if err := a.decode(b); err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		_ = a.String()
		roundTrip(t, &a)
	})
}
