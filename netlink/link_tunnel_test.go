package netlink

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// tunnelHex decodes hex with spaces, newlines and "|" separators.
func tunnelHex(t testing.TB, s string) []byte {
	t.Helper()
	s = strings.NewReplacer(" ", "", "\n", "", "\t", "", "|", "").Replace(s)
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tunnelGolden is IFLA_INFO_DATA built by hand from
// include/uapi/linux/if_tunnel.h and if_link.h: each line one attribute,
// length (little endian, header included) | type | payload padded to 4.
// Multi-byte keys, ports, flow info and GRE flags are big endian.
var tunnelGolden = []struct {
	name, kind string
	hex        string
	data       LinkData
}{
	{"gre", "gre", `
		0600 0200 | 2000 0000
		0600 0300 | 2000 0000
		0800 0400 | 00000005
		0800 0500 | 00000005
		0800 0600 | c0000201
		0800 0700 | c6336401
		0500 0800 | 40 000000
		0500 0900 | 10 000000
		0500 0a00 | 01 000000
		0500 1300 | 00 000000
		0800 1400 | 00000000
		0600 0e00 | 0000 0000
		0600 0f00 | 0000 0000
		0600 1000 | 0000 0000
		0600 1100 | 0000 0000
		0500 1600 | 00 000000`,
		&Gre{Kind: "gre", IFlags: GreKey, OFlags: GreKey, IKey: 5, OKey: 5,
			Local: netip.MustParseAddr("192.0.2.1"), Remote: netip.MustParseAddr("198.51.100.1"),
			TTL: 64, TOS: 0x10, PMTUDisc: new(true), IgnoreDF: new(false), ErspanVer: new(uint8(0))}},
	{"ip6erspan", "ip6erspan", `
		0800 0100 | 07000000
		0600 0200 | 0000 0000
		0600 0300 | 3000 0000
		0800 0400 | 00000000
		0800 0500 | 0000000c
		1400 0600 | 20010db8 00000000 00000000 00000001
		1400 0700 | 20010db8 00000000 00000000 00000004
		0500 0800 | 00 000000
		0500 0b00 | 04 000000
		0800 0c00 | 00012345
		0800 0d00 | 40000000
		0800 1400 | 2a000000
		0600 0e00 | 0100 0000
		0600 0f00 | 0100 0000
		0600 1000 | 0000 0000
		0600 1100 | 1a2a 0000
		0500 1600 | 02 000000
		0500 1700 | 01 000000
		0600 1800 | 0700 0000`,
		&Gre{Kind: "ip6erspan", Link: 7, OFlags: GreKey | GreSeq, OKey: 12,
			Local: netip.MustParseAddr("2001:db8::1"), Remote: netip.MustParseAddr("2001:db8::4"),
			EncapLimit: new(uint8(4)), FlowInfo: new(uint32(0x12345)), Flags: IP6TnlAllowLocalRemote, FwMark: 42,
			Encap:     TunnelEncap{Type: 1, Flags: 1, DPort: 6698},
			ErspanVer: new(uint8(2)), ErspanDir: new(uint8(1)), ErspanHwid: new(uint16(7))}},
	{"sit", "sit", `
		0800 0200 | c0000201
		0500 0400 | 20 000000
		0500 0500 | 00 000000
		0500 0900 | 29 000000
		0500 0a00 | 01 000000
		0600 0800 | 0100 0000
		1400 0b00 | 20020000 00000000 00000000 00000000
		0800 0c00 | c0000200
		0600 0d00 | 1000 0000
		0600 0e00 | 1800 0000
		0800 1400 | 00000000
		0600 0f00 | 0000 0000
		0600 1000 | 0000 0000
		0600 1100 | 0000 0000
		0600 1200 | 0000 0000`,
		&IPTun{Kind: "sit", Local: netip.MustParseAddr("192.0.2.1"), TTL: 32, Proto: new(uint8(41)), PMTUDisc: new(true),
			Flags: SitISATAP, SixRD: &IPTun6RD{Prefix: netip.MustParseAddr("2002::"), PrefixLen: 16,
				RelayPrefix: netip.MustParseAddr("192.0.2.0"), RelayPrefixLen: 24}}},
	{"ip6tnl", "ip6tnl", `
		1400 0200 | 20010db8 00000000 00000000 00000001
		1400 0300 | 20010db8 00000000 00000000 00000005
		0500 0400 | 40 000000
		0500 0900 | 29 000000
		0800 0800 | 01000000
		0500 0600 | 04 000000
		0800 0700 | 00000000
		0800 1400 | 00000000
		0600 0f00 | 0000 0000
		0600 1000 | 0000 0000
		0600 1100 | 0000 0000
		0600 1200 | 0000 0000
		0400 1300`,
		&IPTun{Kind: "ip6tnl", Local: netip.MustParseAddr("2001:db8::1"), Remote: netip.MustParseAddr("2001:db8::5"),
			TTL: 64, Proto: new(uint8(41)), Flags: IP6TnlIgnEncapLimit, EncapLimit: new(uint8(4)), FlowInfo: new(uint32(0)),
			CollectMetadata: true}},
	{"vti", "vti", `
		0800 0200 | 00000007
		0800 0300 | 00000008
		0800 0400 | c0000201
		0800 0500 | c6336406
		0800 0600 | 00000000`,
		&Vti{Kind: "vti", IKey: 7, OKey: 8, Local: netip.MustParseAddr("192.0.2.1"), Remote: netip.MustParseAddr("198.51.100.6")}},
	{"vti6", "vti6", `
		0800 0100 | 03000000
		0800 0200 | 00000009
		0800 0300 | 00000009
		1400 0500 | 20010db8 00000000 00000000 00000006
		0800 0600 | 05000000`,
		&Vti{Kind: "vti6", Link: 3, IKey: 9, OKey: 9, Remote: netip.MustParseAddr("2001:db8::6"), FwMark: 5}},
	{"geneve", "geneve", `
		0800 0100 | 64000000
		0800 0200 | c6336407
		0500 0300 | 00 000000
		0500 0400 | 10 000000
		0600 0500 | 17c1 0000
		0500 0800 | 00 000000
		0500 0d00 | 00 000000`,
		&Geneve{ID: 100, Remote: netip.MustParseAddr("198.51.100.7"), TOS: 0x10, Port: 6081, UDPCsum: new(false), DF: new(uint8(0))}},
	{"geneve6", "geneve", `
		0800 0100 | 05000000
		1400 0700 | 20010db8 00000000 00000000 00000007
		0500 0300 | 00 000000
		0500 0c00 | 01 000000
		0500 0400 | 00 000000
		0800 0b00 | 000abcde
		0400 0e00`,
		&Geneve{ID: 5, Remote: netip.MustParseAddr("2001:db8::7"), TTLInherit: true, Label: 0xabcde, InnerProtoInherit: true}},
}

// TestTunnelDataGolden decodes hand-built kind data into the expected
// value and encodes that value into the same bytes (attribute order
// included).
func TestTunnelDataGolden(t *testing.T) {
	for _, tt := range tunnelGolden {
		t.Run(tt.name, func(t *testing.T) {
			b := tunnelHex(t, tt.hex)
			d := newLinkData(tt.kind)
			if err := d.decode(b); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.data, d, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("decoded (-want +got):\n%s", diff)
			}
			if err := tt.data.validate(Add); err != nil {
				t.Errorf("validate: %v", err)
			}
			out, err := tt.data.encode(linkEncodeAdd)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, b) {
				t.Errorf("encoded\n%x\nwant\n%x", out, b)
			}
			if tt.data.InfoKind() != tt.kind {
				t.Errorf("InfoKind %q, want %q", tt.data.InfoKind(), tt.kind)
			}
			_ = d.(interface{ String() string }).String()
		})
	}
}

// TestTunnelDataMalformed: endpoints, keys and ports of the wrong length
// are ErrMalformed.
func TestTunnelDataMalformed(t *testing.T) {
	for _, tt := range []struct{ kind, hex string }{
		{"gre", "0700 0600 | c00002 00"},              // 3-byte local
		{"ip6gre", "0800 0700 | 20010db8"},            // IPv6 kind, but any length other than 4 or 16
		{"gre", "0500 0400 | 05 000000"},              // 1-byte ikey
		{"ipip", "0700 0800 | 010000 00"},             // 3-byte flags
		{"sit", "0800 0b00 | 20020000"},               // 4-byte 6rd prefix
		{"vti", "0600 0500 | c633 0000"},              // 2-byte remote
		{"geneve", "0800 0200 | 20010db8 | 0400"},     // trailing garbage
		{"geneve", "0500 0500 | 17 000000"},           // 1-byte port
		{"geneve", "0800 0700 | 20010db8"},            // 4-byte remote6
		{"ip6tnl", "0800 0700 | 0000 | 0600 0000 00"}, // truncated
	} {
		d := newLinkData(tt.kind)
		err := d.decode(tunnelHex(t, tt.hex))
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s %s: %v, want ErrMalformed", tt.kind, tt.hex, err)
		}
	}
}

// TestTunnelDataInvalid: the kernel's rules, checked before sending.
func TestTunnelDataInvalid(t *testing.T) {
	a4, a6 := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")
	for _, tt := range []struct {
		name string
		d    LinkData
	}{
		{"gre with an IPv6 local", &Gre{Local: a6}},
		{"ip6gre with an IPv4 remote", &Gre{Kind: "ip6gre", Remote: a4}},
		{"not a gre kind", &Gre{Kind: "vxlan"}},
		{"gre with erspan version 1", &Gre{ErspanVer: new(uint8(1))}},
		{"erspan version 3", &Gre{Kind: "erspan", ErspanVer: new(uint8(3))}},
		{"erspan index of 21 bits", &Gre{Kind: "erspan", ErspanIndex: new(uint32(1 << 20))}},
		{"erspan dir 2", &Gre{Kind: "ip6erspan", ErspanDir: new(uint8(2))}},
		{"erspan hwid of 7 bits", &Gre{Kind: "erspan", ErspanHwid: new(uint16(64))}},
		{"gre with flow info", &Gre{FlowInfo: new(uint32(1))}},
		{"ip6gre with pmtudisc", &Gre{Kind: "ip6gre", PMTUDisc: new(true)}},
		{"ipip with an IPv6 remote", &IPTun{Remote: a6}},
		{"ip6tnl with an IPv4 local", &IPTun{Kind: "ip6tnl", Local: a4}},
		{"ipip carrying IPv6", &IPTun{Proto: new(uint8(41))}},
		{"ip6tnl carrying MPLS", &IPTun{Kind: "ip6tnl", Proto: new(uint8(137))}},
		{"ipip with flags", &IPTun{Flags: 1}},
		{"sit with ip6tnl flags", &IPTun{Kind: "sit", Flags: 0x40}},
		{"sit isatap over ipip", &IPTun{Kind: "sit", Flags: SitISATAP, Proto: new(uint8(4))}},
		{"6rd on ipip", &IPTun{SixRD: &IPTun6RD{PrefixLen: 16}}},
		{"6rd over 64 bits", &IPTun{Kind: "sit", SixRD: &IPTun6RD{PrefixLen: 48, RelayPrefixLen: 8}}},
		{"6rd relay prefix of 33 bits", &IPTun{Kind: "sit", SixRD: &IPTun6RD{RelayPrefixLen: 33}}},
		{"not an iptun kind", &IPTun{Kind: "gre"}},
		{"vti with an IPv6 local", &Vti{Local: a6}},
		{"vti6 with an IPv4 remote", &Vti{Kind: "vti6", Remote: a4}},
		{"not a vti kind", &Vti{Kind: "xfrm"}},
		{"geneve id of 25 bits", &Geneve{ID: 1 << 24}},
		{"geneve label over IPv4", &Geneve{Remote: a4, Label: 1}},
		{"geneve label of 21 bits", &Geneve{Remote: a6, Label: 1 << 20}},
		{"geneve df 3", &Geneve{DF: new(uint8(3))}},
	} {
		op := LinkRequest(Add, &Link{Name: "t0", Info: &LinkInfo{Data: tt.d}})
		if err := op.Err(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", tt.name, err)
		}
	}
	// Defaults are valid: an empty value of each type, on add and set.
	for _, d := range []LinkData{&Gre{}, &Gre{Kind: "ip6gretap"}, &IPTun{}, &IPTun{Kind: "sit"}, &IPTun{Kind: "ip6tnl"}, &Vti{}, &Vti{Kind: "vti6"}, &Geneve{ID: 1}} {
		for _, v := range []Verb{Add, Set} {
			l := &Link{Name: "t0", Info: &LinkInfo{Data: d}}
			if v == Set {
				l = &Link{Index: 5, Info: &LinkInfo{Data: d}}
			}
			if err := LinkRequest(v, l).Err(); err != nil {
				t.Errorf("%s %T: %v", d.InfoKind(), d, err)
			}
		}
	}
}

// FuzzTunnelData: any bytes decode without panicking into an error that
// wraps ErrMalformed, or into a value that encodes and decodes to itself.
// Seeds: the golden data.
func FuzzTunnelData(f *testing.F) {
	kinds := []string{"gre", "gretap", "erspan", "ip6gre", "ip6gretap", "ip6erspan", "ipip", "sit", "ip6tnl", "vti", "vti6", "geneve"}
	for _, tt := range tunnelGolden {
		for i, k := range kinds {
			if k == tt.kind {
				f.Add(uint8(i), tunnelHex(f, tt.hex))
			}
		}
	}
	f.Fuzz(func(t *testing.T, k uint8, b []byte) {
		kind := kinds[int(k)%len(kinds)]
		d1 := newLinkData(kind)
		if err := d1.decode(b); err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		_ = d1.(interface{ String() string }).String()
		out, err := d1.encode(linkEncodeAll)
		if err != nil {
			return
		}
		d2 := newLinkData(kind)
		if err := d2.decode(out); err != nil {
			t.Fatalf("decode of encoded %s data: %v\n%x", kind, err, out)
		}
		if !reflect.DeepEqual(d1, d2) {
			t.Fatalf("round trip differs:\n%s", cmp.Diff(d1, d2, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })))
		}
	})
}
