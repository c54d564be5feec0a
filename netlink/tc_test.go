package netlink

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// tcTestMsg is struct tcmsg followed by attributes, built by hand
// (include/uapi/linux/rtnetlink.h): family, two pad fields, ifindex,
// handle, parent, info.
func tcTestMsg(index int32, handle, parent, info uint32, attrs ...[]byte) []byte {
	b := []byte{unix.AF_UNSPEC, 0, 0, 0}
	b = binary.NativeEndian.AppendUint32(b, uint32(index))
	b = binary.NativeEndian.AppendUint32(b, handle)
	b = binary.NativeEndian.AppendUint32(b, parent)
	b = binary.NativeEndian.AppendUint32(b, info)
	for _, a := range attrs {
		b = append(b, a...)
	}
	return b
}

func tcTestStr(s string) []byte { return append([]byte(s), 0) }

func tcTestU64(v uint64) []byte { return binary.NativeEndian.AppendUint64(nil, v) }

// tcTestStats2 is a TCA_STATS2 as gnet_stats_copy_basic, _rate_est and
// _queue write it: BASIC (16 bytes with padding), RATE_EST, QUEUE, APP.
func tcTestStats2(bytes uint64, pkts uint32, app []byte) []byte {
	basic := append(tcTestU64(bytes), nhTestU32(pkts)...)
	basic = append(basic, 0, 0, 0, 0)
	queue := bytes2(nhTestU32(3), nhTestU32(1500), nhTestU32(7), nhTestU32(1), nhTestU32(9))
	inner := bytes2(
		nhTestAttr(tcaStatsBasic, basic),
		nhTestAttr(tcaStatsRateEst, bytes2(nhTestU32(125000), nhTestU32(100))),
		nhTestAttr(tcaStatsQueue, queue),
	)
	if app != nil {
		inner = append(inner, nhTestAttr(tcaStatsApp, app)...)
	}
	return nhTestAttr(unix.TCA_STATS2, inner)
}

func bytes2(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

var qdiscGolden = []struct {
	name string
	msg  []byte
	want *Qdisc
}{
	{
		"noqueue without options",
		tcTestMsg(1, 0, 0xffffffff, 2,
			nhTestAttr(unix.TCA_KIND, tcTestStr("noqueue")),
			nhTestAttr(unix.TCA_HW_OFFLOAD, []byte{0})),
		&Qdisc{Index: 1, Parent: HandleRoot, TCKind: "noqueue", Refcnt: 2},
	},
	{
		"clsact with an empty options nest and blocks",
		tcTestMsg(4, 0xffff0000, 0xfffffff1, 1,
			nhTestAttr(unix.TCA_KIND, tcTestStr("clsact")),
			nhTestAttr(unix.TCA_OPTIONS, nil),
			nhTestAttr(unix.TCA_INGRESS_BLOCK, nhTestU32(21)),
			nhTestAttr(unix.TCA_EGRESS_BLOCK, nhTestU32(22)),
			nhTestAttr(unix.TCA_HW_OFFLOAD, []byte{0})),
		&Qdisc{Index: 4, Handle: NewHandle(0xffff, 0), Parent: HandleIngress, TCKind: "clsact",
			Options: &Clsact{}, IngressBlock: 21, EgressBlock: 22, Refcnt: 1},
	},
	{
		"unknown kind raw, offloaded, statistics and a size table",
		tcTestMsg(3, 0x10000, 0xffffffff, 3,
			nhTestAttr(unix.TCA_KIND, tcTestStr("zzq")),
			nhTestAttr(unix.TCA_OPTIONS, bytes2(nhTestAttr(1, nhTestU32(5)), nhTestAttr(2, []byte{1, 2}))),
			nhTestAttr(unix.TCA_HW_OFFLOAD, []byte{1}),
			tcTestStats2(1<<40, 9, []byte{0xaa, 0xbb, 0xcc, 0xdd}),
			nhTestAttr(unix.TCA_STAB|unix.NLA_F_NESTED, nhTestAttr(1, make([]byte, 24)))),
		&Qdisc{Index: 3, Handle: NewHandle(1, 0), Parent: HandleRoot, TCKind: "zzq",
			Options:   &RawTCOptions{Kind: "zzq", Data: bytes2(nhTestAttr(1, nhTestU32(5)), nhTestAttr(2, []byte{1, 2}))},
			HWOffload: true, Refcnt: 3,
			Stats: &TCStats{Bytes: 1 << 40, Packets: 9, RateBytes: 125000, RatePackets: 100, Qlen: 3, Backlog: 1500,
				Drops: 7, Requeues: 1, Overlimits: 9, App: []byte{0xaa, 0xbb, 0xcc, 0xdd},
				Attrs: []Attribute{{Type: unix.TCA_STATS2, Data: tcTestStats2(1<<40, 9, []byte{0xaa, 0xbb, 0xcc, 0xdd})[4:]}}},
			Unknown: []Attribute{{Type: unix.TCA_STAB | unix.NLA_F_NESTED, Data: nhTestAttr(1, make([]byte, 24))}}},
	},
}

// TestQdiscGolden decodes hand-built qdisc messages, checks every field,
// checks that encoding gives the same bytes back, and pushes them through
// DecodeUpdate.
func TestQdiscGolden(t *testing.T) {
	for _, tc := range qdiscGolden {
		t.Run(tc.name, func(t *testing.T) {
			q := new(Qdisc)
			if err := q.decode(tc.msg); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(q, tc.want) {
				t.Fatalf("decode:\n got %+v\nwant %+v", q, tc.want)
			}
			b, err := q.marshal()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, tc.msg) {
				t.Fatalf("marshal:\n got %x\nwant %x", b, tc.msg)
			}
			roundTrip(t, q)
			u, err := DecodeUpdate(unix.RTM_DELQDISC, 0, tc.msg)
			if err != nil || !u.Deleted() || !reflect.DeepEqual(u.Object, tc.want) {
				t.Fatalf("DecodeUpdate(RTM_DELQDISC): %+v, %v", u, err)
			}
		})
	}
}

var classGolden = []struct {
	name string
	msg  []byte
	want *Class
}{
	{
		"unknown kind with leaf, old statistics and xstats",
		tcTestMsg(5, 0x10010, 0xffffffff, 0x100000,
			nhTestAttr(unix.TCA_KIND, tcTestStr("zzq")),
			nhTestAttr(unix.TCA_OPTIONS, nhTestAttr(1, nhTestU32(77))),
			nhTestAttr(unix.TCA_STATS, bytes2(tcTestU64(1000), nhTestU32(10), nhTestU32(2), nhTestU32(3), nhTestU32(4),
				nhTestU32(5), nhTestU32(6), nhTestU32(7), nhTestU32(0))),
			nhTestAttr(unix.TCA_XSTATS, []byte{9, 9, 9, 9})),
		&Class{Index: 5, Handle: NewHandle(1, 0x10), Parent: HandleRoot, TCKind: "zzq", Leaf: NewHandle(0x10, 0),
			Options: &RawTCOptions{Kind: "zzq", Data: nhTestAttr(1, nhTestU32(77))},
			Stats: &TCStats{Bytes: 1000, Packets: 10, Drops: 2, Overlimits: 3, RateBytes: 4, RatePackets: 5, Qlen: 6, Backlog: 7,
				App: []byte{9, 9, 9, 9},
				Attrs: []Attribute{
					{Type: unix.TCA_STATS, Data: bytes2(tcTestU64(1000), nhTestU32(10), nhTestU32(2), nhTestU32(3), nhTestU32(4),
						nhTestU32(5), nhTestU32(6), nhTestU32(7), nhTestU32(0))},
					{Type: unix.TCA_XSTATS, Data: []byte{9, 9, 9, 9}},
				}}},
	},
}

// TestClassGolden: as TestQdiscGolden, for classes.
func TestClassGolden(t *testing.T) {
	for _, tc := range classGolden {
		t.Run(tc.name, func(t *testing.T) {
			c := new(Class)
			if err := c.decode(tc.msg); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c, tc.want) {
				t.Fatalf("decode:\n got %+v\nwant %+v", c, tc.want)
			}
			b, err := c.marshal()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, tc.msg) {
				t.Fatalf("marshal:\n got %x\nwant %x", b, tc.msg)
			}
			roundTrip(t, c)
			u, err := DecodeUpdate(unix.RTM_NEWTCLASS, 0, tc.msg)
			if err != nil || u.Deleted() || !reflect.DeepEqual(u.Object, tc.want) {
				t.Fatalf("DecodeUpdate(RTM_NEWTCLASS): %+v, %v", u, err)
			}
		})
	}
}

var filterGolden = []struct {
	name string
	msg  []byte
	want *Filter
}{
	{
		"the message for a whole priority",
		tcTestMsg(3, 0, 0x10000, 1<<16|uint32(htons(unix.ETH_P_IP)),
			nhTestAttr(unix.TCA_KIND, tcTestStr("u32")),
			nhTestAttr(unix.TCA_CHAIN, nhTestU32(0))),
		&Filter{Index: 3, Parent: NewHandle(1, 0), Priority: 1, Protocol: unix.ETH_P_IP, TCKind: "u32"},
	},
	{
		"unknown kind in chain 7 of a shared block",
		tcTestMsg(-1, 0x2, 42, 0xc000<<16|uint32(htons(unix.ETH_P_ALL)),
			nhTestAttr(unix.TCA_KIND, tcTestStr("zzf")),
			nhTestAttr(unix.TCA_CHAIN, nhTestU32(7)),
			nhTestAttr(unix.TCA_OPTIONS, nhTestAttr(3, nhTestU32(0x10001)))),
		&Filter{Block: 42, Priority: 0xc000, Protocol: unix.ETH_P_ALL, Handle: 2, Chain: 7, TCKind: "zzf",
			Options: &RawTCOptions{Kind: "zzf", Data: nhTestAttr(3, nhTestU32(0x10001))}},
	},
	{
		"clsact egress with a warning",
		tcTestMsg(9, 1, 0xfffffff3, 0x100<<16|uint32(htons(unix.ETH_P_IPV6)),
			nhTestAttr(unix.TCA_KIND, tcTestStr("zzf")),
			nhTestAttr(unix.TCA_CHAIN, nhTestU32(0)),
			nhTestAttr(unix.TCA_OPTIONS, nil),
			nhTestAttr(unix.TCA_EXT_WARN_MSG, tcTestStr("careful"))),
		&Filter{Index: 9, Parent: HandleEgressBlock, Priority: 0x100, Protocol: unix.ETH_P_IPV6, Handle: 1, TCKind: "zzf",
			Options: &RawTCOptions{Kind: "zzf"}, Warning: "careful"},
	},
}

// TestFilterGolden: as TestQdiscGolden, for filters; tcm_info carries the
// priority and the protocol in network order.
func TestFilterGolden(t *testing.T) {
	for _, tc := range filterGolden {
		t.Run(tc.name, func(t *testing.T) {
			f := new(Filter)
			if err := f.decode(tc.msg); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(f, tc.want) {
				t.Fatalf("decode:\n got %+v\nwant %+v", f, tc.want)
			}
			b, err := f.marshal()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, tc.msg) {
				t.Fatalf("marshal:\n got %x\nwant %x", b, tc.msg)
			}
			roundTrip(t, f)
			u, err := DecodeUpdate(unix.RTM_NEWTFILTER, 0, tc.msg)
			if err != nil || u.Deleted() || !reflect.DeepEqual(u.Object, tc.want) {
				t.Fatalf("DecodeUpdate(RTM_NEWTFILTER): %+v, %v", u, err)
			}
		})
	}
	// The protocol's bytes on the wire are in network order: 0x0800 is
	// 08 00 in the low half of tcm_info whatever the host's order.
	b, err := (&Filter{Index: 1, Priority: 2, Protocol: unix.ETH_P_IP, TCKind: "u32"}).marshal()
	if err != nil {
		t.Fatal(err)
	}
	info := b[16:20]
	lo := info[:2]
	if binary.NativeEndian.Uint16(info[2:]) != 2 && binary.NativeEndian.Uint32(info)>>16 != 2 {
		t.Errorf("priority not in tcm_info's upper half: %x", info)
	}
	if binary.NativeEndian.Uint32(info)&0xffff != uint32(binary.NativeEndian.Uint16([]byte{8, 0})) {
		t.Errorf("protocol not in network order: %x", lo)
	}
}

// TestTCMalformed: truncated headers, attributes of the wrong size,
// missing kinds and bad statistics are ErrMalformed errors, not panics.
func TestTCMalformed(t *testing.T) {
	kind := nhTestAttr(unix.TCA_KIND, tcTestStr("htb"))
	for _, tc := range []struct {
		name string
		msg  []byte
	}{
		{"short header", make([]byte, 19)},
		{"no kind", tcTestMsg(1, 0, 0, 0)},
		{"truncated attribute", append(tcTestMsg(1, 0, 0, 0, kind), 8, 0, 1)},
		{"short basic statistics", tcTestMsg(1, 0, 0, 0, kind, nhTestAttr(unix.TCA_STATS2, nhTestAttr(tcaStatsBasic, make([]byte, 8))))},
		{"short queue statistics", tcTestMsg(1, 0, 0, 0, kind, nhTestAttr(unix.TCA_STATS2, nhTestAttr(tcaStatsQueue, make([]byte, 16))))},
		{"short old statistics", tcTestMsg(1, 0, 0, 0, kind, nhTestAttr(unix.TCA_STATS, make([]byte, 20)))},
		{"bad nested statistics", tcTestMsg(1, 0, 0, 0, kind, nhTestAttr(unix.TCA_STATS2, []byte{9, 0, 1}))},
	} {
		for _, typ := range []uint16{unix.RTM_NEWQDISC, unix.RTM_NEWTCLASS, unix.RTM_NEWTFILTER} {
			if _, err := DecodeUpdate(typ, 0, tc.msg); !errors.Is(err, ErrMalformed) {
				t.Errorf("%s as type %d: %v", tc.name, typ, err)
			}
		}
	}
	// Blocks are qdiscs' attributes; other kinds keep them unknown.
	shortBlock := tcTestMsg(1, 0, 0, 0, kind, nhTestAttr(unix.TCA_INGRESS_BLOCK, []byte{1}))
	if _, err := DecodeUpdate(unix.RTM_NEWQDISC, 0, shortBlock); !errors.Is(err, ErrMalformed) {
		t.Errorf("short block: %v", err)
	}
	short := tcTestMsg(1, 0, 0, 0, nhTestAttr(unix.TCA_KIND, tcTestStr("u32")), nhTestAttr(unix.TCA_CHAIN, []byte{1, 2}))
	if _, err := DecodeUpdate(unix.RTM_NEWTFILTER, 0, short); !errors.Is(err, ErrMalformed) {
		t.Errorf("short chain: %v", err)
	}
}

// TestHandle: tc's notation both ways (print_tc_classid, get_tc_classid).
func TestHandle(t *testing.T) {
	for _, tc := range []struct {
		h    Handle
		text string
	}{
		{HandleRoot, "root"},
		{HandleNone, "none"},
		{NewHandle(1, 0x10), "1:10"},
		{NewHandle(1, 0), "1:"},
		{NewHandle(0, 0x10), ":10"},
		{HandleIngress, "ffff:fff1"},
		{HandleIngressBlock, "ffff:fff2"},
		{HandleEgressBlock, "ffff:fff3"},
		{NewHandle(0xffff, 0), "ffff:"},
		{NewHandle(0xabcd, 0xef), "abcd:ef"},
	} {
		if got := tc.h.String(); got != tc.text {
			t.Errorf("%#x.String() = %q, want %q", uint32(tc.h), got, tc.text)
		}
		if got, err := ParseHandle(tc.text); err != nil || got != tc.h {
			t.Errorf("ParseHandle(%q) = %#x, %v", tc.text, uint32(got), err)
		}
		b, _ := tc.h.MarshalText()
		var h Handle
		if err := h.UnmarshalText(b); err != nil || h != tc.h {
			t.Errorf("text round trip of %s: %s, %v", tc.h, h, err)
		}
	}
	for text, want := range map[string]Handle{
		"ingress": HandleIngress, "clsact": HandleIngress, "10": 0x10, "fffffff2": HandleIngressBlock,
		"ABC:1": NewHandle(0xabc, 1), "0:0": 0, "001:0010": NewHandle(1, 0x10),
	} {
		if got, err := ParseHandle(text); err != nil || got != want {
			t.Errorf("ParseHandle(%q) = %s, %v; want %s", text, got, err, want)
		}
	}
	for _, bad := range []string{"", ":", "1:2:3", "10000:", ":10000", "x:1", "1:y", "0x1:", "+1:", "-1", "1_0:", "100000000", "egress", " 1:", "800::800"} {
		if h, err := ParseHandle(bad); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "tc handle") {
			t.Errorf("ParseHandle(%q) = %s, %v; want an ErrInvalid error", bad, h, err)
		}
	}
	if h := NewHandle(0x1234, 0x5678); h.Major() != 0x1234 || h.Minor() != 0x5678 || uint32(h) != 0x12345678 {
		t.Errorf("NewHandle: %#x", uint32(h))
	}
}

// TestTCProtocol: tc's protocol names both ways.
func TestTCProtocol(t *testing.T) {
	for p, s := range map[uint16]string{unix.ETH_P_ALL: "all", unix.ETH_P_IP: "ip", unix.ETH_P_IPV6: "ipv6", 0x88cc: "LLDP", 0x1234: "[4660]"} {
		if got := TCProtocolString(p); got != s {
			t.Errorf("TCProtocolString(%#x) = %q", p, got)
		}
		if got, err := ParseTCProtocol(s); err != nil || got != p {
			t.Errorf("ParseTCProtocol(%q) = %#x, %v", s, got, err)
		}
	}
	if _, err := ParseTCProtocol("ipx9"); !errors.Is(err, ErrInvalid) {
		t.Errorf("ParseTCProtocol(ipx9): %v", err)
	}
}

// tcRequestBytes returns a request's type, flags and body, or fails.
func tcRequestBytes(t *testing.T, r Request) (uint16, uint16, []byte) {
	t.Helper()
	if r.Err() != nil {
		t.Fatalf("%s: %v", r, r.Err())
	}
	return r.typ, r.flags, r.body
}

// TestTCRequestBytes checks the message types, the flags of each verb (tc's:
// none for change) and what each request sends.
func TestTCRequestBytes(t *testing.T) {
	raw := &RawTCOptions{Kind: "pfifo", Data: nhTestU32(50)}
	q := &Qdisc{Index: 3, Handle: NewHandle(0x10, 0), Parent: NewHandle(1, 0x10), Options: raw,
		Refcnt: 9, HWOffload: true, Stats: &TCStats{Attrs: []Attribute{{Type: unix.TCA_XSTATS, Data: []byte{1, 2, 3, 4}}}}, Warning: "w"}
	wantQ := tcTestMsg(3, 0x100000, 0x10010, 0,
		nhTestAttr(unix.TCA_KIND, tcTestStr("pfifo")),
		nhTestAttr(unix.TCA_OPTIONS, nhTestU32(50)))
	for v, flags := range map[Verb]uint16{
		Add:     unix.NLM_F_CREATE | unix.NLM_F_EXCL,
		Replace: unix.NLM_F_CREATE | unix.NLM_F_REPLACE,
		Change:  0,
	} {
		typ, fl, body := tcRequestBytes(t, QdiscRequest(v, q))
		if typ != unix.RTM_NEWQDISC || fl != flags || !bytes.Equal(body, wantQ) {
			t.Errorf("qdisc %s: type %d flags %#x body\n%x\nwant\n%x", v, typ, fl, body, wantQ)
		}
	}
	typ, fl, body := tcRequestBytes(t, QdiscRequest(Delete, q))
	if want := tcTestMsg(3, 0x100000, 0x10010, 0, nhTestAttr(unix.TCA_KIND, tcTestStr("pfifo"))); typ != unix.RTM_DELQDISC || fl != 0 || !bytes.Equal(body, want) {
		t.Errorf("qdisc delete: type %d flags %#x body %x", typ, fl, body)
	}

	c := &Class{Index: 3, Handle: NewHandle(1, 0x10), Parent: NewHandle(1, 0), Leaf: NewHandle(0x10, 0),
		Options: &RawTCOptions{Kind: "htb", Data: []byte{}}}
	typ, fl, body = tcRequestBytes(t, ClassRequest(Change, c))
	if want := tcTestMsg(3, 0x10010, 0x10000, 0, nhTestAttr(unix.TCA_KIND, tcTestStr("htb")), nhTestAttr(unix.TCA_OPTIONS, nil)); typ != unix.RTM_NEWTCLASS || fl != 0 || !bytes.Equal(body, want) {
		t.Errorf("class change: type %d flags %#x body %x", typ, fl, body)
	}
	typ, _, body = tcRequestBytes(t, ClassRequest(Delete, c))
	if want := tcTestMsg(3, 0x10010, 0x10000, 0); typ != unix.RTM_DELTCLASS || !bytes.Equal(body, want) {
		t.Errorf("class delete: type %d body %x", typ, body)
	}

	f := &Filter{Index: 3, Parent: NewHandle(1, 0), Priority: 5, Protocol: unix.ETH_P_IP, Handle: 0x801, Chain: 2,
		Options: &RawTCOptions{Kind: "zzf", Data: nhTestU32(1)}, Warning: "w"}
	info := uint32(5)<<16 | uint32(htons(unix.ETH_P_IP))
	typ, fl, body = tcRequestBytes(t, FilterRequest(Replace, f))
	if want := tcTestMsg(3, 0x801, 0x10000, info, nhTestAttr(unix.TCA_KIND, tcTestStr("zzf")), nhTestAttr(unix.TCA_CHAIN, nhTestU32(2)),
		nhTestAttr(unix.TCA_OPTIONS, nhTestU32(1))); typ != unix.RTM_NEWTFILTER || fl != unix.NLM_F_CREATE|unix.NLM_F_REPLACE || !bytes.Equal(body, want) {
		t.Errorf("filter replace: type %d flags %#x body\n%x\nwant\n%x", typ, fl, body, want)
	}
	typ, _, body = tcRequestBytes(t, FilterRequest(Delete, f))
	if want := tcTestMsg(3, 0x801, 0x10000, info, nhTestAttr(unix.TCA_KIND, tcTestStr("zzf")), nhTestAttr(unix.TCA_CHAIN, nhTestU32(2))); typ != unix.RTM_DELTFILTER || !bytes.Equal(body, want) {
		t.Errorf("filter delete: type %d body\n%x\nwant\n%x", typ, body, want)
	}
	// Chain 0 is not sent in requests; a shared block's filter sends the
	// magic ifindex and the block in tcm_parent.
	_, _, body = tcRequestBytes(t, FilterRequest(Add, &Filter{Block: 42, Protocol: unix.ETH_P_ALL, TCKind: "zzf"}))
	if want := tcTestMsg(-1, 0, 42, uint32(htons(unix.ETH_P_ALL)), nhTestAttr(unix.TCA_KIND, tcTestStr("zzf"))); !bytes.Equal(body, want) {
		t.Errorf("block filter add:\n%x\nwant\n%x", body, want)
	}
	// Flush of a chain.
	_, _, body = tcRequestBytes(t, FilterRequest(Delete, &Filter{Index: 3, Parent: HandleIngressBlock}))
	if want := tcTestMsg(3, 0, 0xfffffff2, 0); !bytes.Equal(body, want) {
		t.Errorf("filter flush:\n%x\nwant\n%x", body, want)
	}
}

// TestTCRequestInvalid: each of the kernel's rules FilterRequest,
// ClassRequest and QdiscRequest check gives an ErrInvalid error, and
// nothing is built.
func TestTCRequestInvalid(t *testing.T) {
	raw := func(k string) *RawTCOptions { return &RawTCOptions{Kind: k} }
	for _, tc := range []struct {
		name string
		r    Request
	}{
		{"nil qdisc", QdiscRequest(Add, nil)},
		{"qdisc without link", QdiscRequest(Add, &Qdisc{Parent: HandleRoot, TCKind: "pfifo"})},
		{"qdisc without kind", QdiscRequest(Add, &Qdisc{Index: 1, Parent: HandleRoot})},
		{"qdisc without parent", QdiscRequest(Replace, &Qdisc{Index: 1, TCKind: "pfifo"})},
		{"qdisc handle with a minor", QdiscRequest(Add, &Qdisc{Index: 1, Handle: NewHandle(1, 1), Parent: HandleRoot, TCKind: "pfifo"})},
		{"qdisc kind and options disagree", QdiscRequest(Add, &Qdisc{Index: 1, Parent: HandleRoot, TCKind: "pfifo", Options: raw("bfifo")})},
		{"ingress at root", QdiscRequest(Add, &Qdisc{Index: 1, Parent: HandleRoot, TCKind: "ingress"})},
		{"clsact with handle 1:", QdiscRequest(Add, &Qdisc{Index: 1, Handle: NewHandle(1, 0), Parent: HandleIngress, TCKind: "clsact"})},
		{"pfifo at ingress", QdiscRequest(Add, &Qdisc{Index: 1, Parent: HandleIngress, TCKind: "pfifo"})},
		{"ingress block on htb", QdiscRequest(Add, &Qdisc{Index: 1, Parent: HandleRoot, TCKind: "htb", IngressBlock: 1})},
		{"egress block on ingress", QdiscRequest(Add, &Qdisc{Index: 1, Parent: HandleIngress, TCKind: "ingress", EgressBlock: 1})},
		{"qdisc change without handle or parent", QdiscRequest(Change, &Qdisc{Index: 1, TCKind: "pfifo"})},
		{"qdisc delete without parent", QdiscRequest(Delete, &Qdisc{Index: 1, Handle: NewHandle(1, 0)})},
		{"qdisc append", QdiscRequest(Append, &Qdisc{Index: 1, Parent: HandleRoot, TCKind: "pfifo"})},
		{"nil class", ClassRequest(Add, nil)},
		{"class without link", ClassRequest(Add, &Class{Handle: NewHandle(1, 1), Options: raw("htb")})},
		{"class without minor", ClassRequest(Add, &Class{Index: 1, Handle: NewHandle(1, 0), Options: raw("htb")})},
		{"class majors differ", ClassRequest(Add, &Class{Index: 1, Handle: NewHandle(1, 1), Parent: NewHandle(2, 0), Options: raw("htb")})},
		{"class without options", ClassRequest(Replace, &Class{Index: 1, Handle: NewHandle(1, 1), Parent: NewHandle(1, 0), TCKind: "htb"})},
		{"class set", ClassRequest(Set, &Class{Index: 1, Handle: NewHandle(1, 1), Options: raw("htb")})},
		{"nil filter", FilterRequest(Add, nil)},
		{"filter without link or block", FilterRequest(Add, &Filter{Protocol: 3, TCKind: "u32"})},
		{"filter with link and block", FilterRequest(Add, &Filter{Index: 1, Block: 2, Protocol: 3, TCKind: "u32"})},
		{"block filter with parent", FilterRequest(Add, &Filter{Block: 2, Parent: NewHandle(1, 0), Protocol: 3, TCKind: "u32"})},
		{"negative link", FilterRequest(Add, &Filter{Index: -1, Protocol: 3, TCKind: "u32"})},
		{"chain above limit", FilterRequest(Add, &Filter{Index: 1, Protocol: 3, TCKind: "u32", Chain: 1 << 28})},
		{"filter without kind", FilterRequest(Add, &Filter{Index: 1, Protocol: 3})},
		{"filter without protocol", FilterRequest(Replace, &Filter{Index: 1, TCKind: "u32"})},
		{"filter change without priority", FilterRequest(Change, &Filter{Index: 1, Handle: 1, TCKind: "u32"})},
		{"filter change without handle", FilterRequest(Change, &Filter{Index: 1, Priority: 1, TCKind: "u32"})},
		{"flush with protocol", FilterRequest(Delete, &Filter{Index: 1, Protocol: 3})},
		{"flush with kind", FilterRequest(Delete, &Filter{Index: 1, TCKind: "u32"})},
		{"filter kind and options disagree", FilterRequest(Add, &Filter{Index: 1, Protocol: 3, TCKind: "u32", Options: raw("bpf")})},
	} {
		if err := tc.r.Err(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", tc.name, err)
		} else if tc.r.body != nil {
			t.Errorf("%s: a body was built", tc.name)
		}
	}
}

// TestTCStable: Stable drops exactly the volatile values.
func TestTCStable(t *testing.T) {
	q := &Qdisc{Index: 1, Handle: NewHandle(1, 0), Parent: HandleRoot, TCKind: "htb", Refcnt: 2, Stats: &TCStats{Bytes: 5}, Warning: "x"}
	if s := q.Stable(); s == q || s.Refcnt != 0 || s.Stats != nil || s.Warning != "" || s.TCKind != "htb" || q.Refcnt != 2 {
		t.Errorf("Qdisc.Stable: %+v (original %+v)", s, q)
	}
	if s := (&Qdisc{Index: 1}).Stable(); s.Index != 1 {
		t.Errorf("Qdisc.Stable without volatile values: %+v", s)
	}
	c := &Class{Index: 1, Handle: NewHandle(1, 1), Leaf: NewHandle(2, 0), Stats: &TCStats{}}
	if s := c.Stable(); s.Leaf != 0 || s.Stats != nil || c.Leaf == 0 || s.Handle != c.Handle {
		t.Errorf("Class.Stable: %+v", s)
	}
	f := &Filter{Index: 1, Priority: 1, Warning: "x"}
	if s := f.Stable(); s.Warning != "" || f.Warning == "" || s.Priority != 1 {
		t.Errorf("Filter.Stable: %+v", s)
	}
}

// TestTCString: the objects' text in tc's words.
func TestTCString(t *testing.T) {
	for _, tc := range []struct {
		o    Object
		want string
	}{
		{&Qdisc{Index: 3, Handle: NewHandle(1, 0), Parent: HandleRoot, TCKind: "htb", Refcnt: 2}, "qdisc htb 1: dev #3 root refcnt 2"},
		{&Qdisc{Index: 1, Parent: HandleRoot, TCKind: "noqueue", Refcnt: 2}, "qdisc noqueue 0: dev #1 root refcnt 2"},
		{&Qdisc{Index: 1, Parent: NewHandle(1, 0x10), Options: &Fifo{Kind: "bfifo", Limit: 3000}}, "qdisc bfifo 0: dev #1 parent 1:10 limit 3000b"},
		{&Qdisc{Index: 3, Handle: NewHandle(0xffff, 0), Parent: HandleIngress, TCKind: "clsact", IngressBlock: 7}, "qdisc clsact ffff: dev #3 parent ffff:fff1 ingress_block 7"},
		{&Class{Index: 3, Handle: NewHandle(1, 0x10), Parent: NewHandle(1, 0), TCKind: "htb", Leaf: NewHandle(0x10, 0)}, "class htb 1:10 dev #3 parent 1: leaf 10:"},
		{&Filter{Index: 3, Parent: NewHandle(1, 0), Priority: 1, Protocol: unix.ETH_P_IP, TCKind: "u32", Handle: 0x800}, "filter dev #3 parent 1: protocol ip pref 1 u32 chain 0 handle 0x800"},
		{&Filter{Block: 4, Priority: 2, Protocol: unix.ETH_P_ALL, TCKind: "bpf", Chain: 1}, "filter block 4 protocol all pref 2 bpf chain 1"},
	} {
		if got := tc.o.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}

// FuzzQdiscDecode: any input decodes or fails with ErrMalformed, never
// panics, and what decodes encodes and decodes again to the same value.
func FuzzQdiscDecode(f *testing.F) {
	for _, tc := range qdiscGolden {
		f.Add(tc.msg)
	}
	tcFuzzSeeds(f, KindQdisc)
	f.Fuzz(func(t *testing.T, b []byte) {
		q := new(Qdisc)
		if err := q.decode(b); err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error not ErrMalformed: %v", err)
			}
			return
		}
		_ = q.String()
		tcFuzzAgain(t, q)
	})
}

// FuzzClassDecode: as FuzzQdiscDecode, for classes.
func FuzzClassDecode(f *testing.F) {
	for _, tc := range classGolden {
		f.Add(tc.msg)
	}
	tcFuzzSeeds(f, KindClass)
	f.Fuzz(func(t *testing.T, b []byte) {
		c := new(Class)
		if err := c.decode(b); err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error not ErrMalformed: %v", err)
			}
			return
		}
		_ = c.String()
		tcFuzzAgain(t, c)
	})
}

// FuzzFilterDecode: as FuzzQdiscDecode, for filters.
func FuzzFilterDecode(f *testing.F) {
	for _, tc := range filterGolden {
		f.Add(tc.msg)
	}
	tcFuzzSeeds(f, KindFilter)
	f.Fuzz(func(t *testing.T, b []byte) {
		fl := new(Filter)
		if err := fl.decode(b); err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error not ErrMalformed: %v", err)
			}
			return
		}
		_ = fl.String()
		tcFuzzAgain(t, fl)
	})
}

// tcFuzzSeeds adds a message for each option golden of object kind k, so
// that the fuzzer starts inside every kind's codec.
func tcFuzzSeeds(f *testing.F, k Kind) {
	for _, tc := range tcOptionsGolden {
		if tc.object == k {
			f.Add(tcTestMsg(3, 0x10000, 0xffffffff, 0, nhTestAttr(unix.TCA_KIND, tcTestStr(tc.kind)), nhTestAttr(unix.TCA_OPTIONS, tc.b)))
		}
	}
	// The option codecs of the kinds this kernel lacks (tc_optcodec_test.go).
	for _, goldens := range tcOptGoldenAll() {
		for _, g := range goldens {
			var object Kind
			switch g.opts.(type) {
			case QdiscOptions:
				object = KindQdisc
			case ClassOptions:
				object = KindClass
			case FilterOptions:
				object = KindFilter
			}
			if object == k {
				f.Add(tcTestMsg(3, 0x10000, 0xffffffff, 0, nhTestAttr(unix.TCA_KIND, tcTestStr(g.opts.TCKind())), nhTestAttr(unix.TCA_OPTIONS, g.data)))
			}
		}
	}
}

// tcFuzzAgain encodes a decoded object and decodes it again: the result
// must be the same object (the encoding may differ from the input, whose
// attribute order and duplicates are free).
func tcFuzzAgain[T any, P interface {
	*T
	decode([]byte) error
	marshal() ([]byte, error)
}](t *testing.T, x P) {
	b, err := x.marshal()
	if err != nil {
		return // e.g. an attribute too long to encode again
	}
	again := P(new(T))
	if err := again.decode(b); err != nil {
		t.Fatalf("decode(marshal(x)): %v", err)
	}
	b2, err := again.marshal()
	if err != nil || !bytes.Equal(b, b2) {
		t.Fatalf("marshal not stable: %v\n%x\n%x", err, b, b2)
	}
}
