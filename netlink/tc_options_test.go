package netlink

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// tcTestRatespec is struct tc_ratespec by hand: cell_log, linklayer,
// overhead, cell_align, mpu, rate.
func tcTestRatespec(cellLog, linklayer uint8, overhead uint16, cellAlign int16, mpu uint16, rate uint32) []byte {
	b := []byte{cellLog, linklayer}
	b = binary.NativeEndian.AppendUint16(b, overhead)
	b = binary.NativeEndian.AppendUint16(b, uint16(cellAlign))
	b = binary.NativeEndian.AppendUint16(b, mpu)
	return binary.NativeEndian.AppendUint32(b, rate)
}

func tcTestBE32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// tcOptionsGolden holds the TCA_OPTIONS payload of each kind as the kernel
// sends it (the dump functions named), built by hand, and its decoded
// value.
var tcOptionsGolden = []struct {
	name   string
	object Kind
	kind   string
	b      []byte
	want   TCOptions
}{
	{"pfifo (fifo_dump)", KindQdisc, "pfifo", nhTestU32(50), &Fifo{Kind: "pfifo", Limit: 50}},
	{"bfifo", KindQdisc, "bfifo", nhTestU32(3000), &Fifo{Kind: "bfifo", Limit: 3000}},
	{"pfifo_fast (pfifo_fast_dump)", KindQdisc, "pfifo_fast",
		bytes2(nhTestU32(3), []byte{1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1}),
		&PfifoFast{Bands: 3, Priomap: [16]uint8{1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1}}},
	{"ingress", KindQdisc, "ingress", nil, &Ingress{}},
	{"clsact with an unknown attribute", KindQdisc, "clsact", nhTestAttr(5, nhTestU32(1)), &Clsact{Unknown: []Attribute{{Type: 5, Data: nhTestU32(1)}}}},
	{"htb (htb_dump)", KindQdisc, "htb",
		bytes2(nhTestAttr(tcaHTBInit, bytes2(nhTestU32(0x30011), nhTestU32(5), nhTestU32(0x10), nhTestU32(0), nhTestU32(12))),
			nhTestAttr(tcaHTBDirectQlen, nhTestU32(1000))),
		&HTB{Version: 0x30011, Rate2Quantum: 5, Default: 0x10, DirectPackets: 12, DirectQlen: 1000}},
	{"htb offloaded", KindQdisc, "htb",
		bytes2(nhTestAttr(tcaHTBInit, bytes2(nhTestU32(0x30011), nhTestU32(10), nhTestU32(0), nhTestU32(0), nhTestU32(0))),
			nhTestAttr(tcaHTBDirectQlen, nhTestU32(0)), nhTestAttr(tcaHTBOffload, nil)),
		&HTB{Version: 0x30011, Rate2Quantum: 10, Offload: true}},
	{"htb class (htb_dump_class)", KindClass, "htb",
		nhTestAttr(tcaHTBParms, bytes2(tcTestRatespec(0, 1, 0, 0, 0, 125000), tcTestRatespec(0, 1, 4, 0, 64, 250000),
			nhTestU32(200000), nhTestU32(100000), nhTestU32(25000), nhTestU32(0), nhTestU32(3))),
		&HTBClass{Rate: 125000, Ceil: 250000, RateSpec: RateSpec{Linklayer: 1}, CeilSpec: RateSpec{Linklayer: 1, Overhead: 4, MPU: 64},
			Buffer: 200000 * 64 * time.Nanosecond, Cbuffer: 100000 * 64 * time.Nanosecond, Quantum: 25000, Prio: 3}},
	{"htb class with 64-bit rates", KindClass, "htb",
		bytes2(nhTestAttr(tcaHTBParms, bytes2(tcTestRatespec(0, 1, 0, 0, 0, 0xffffffff), tcTestRatespec(0, 1, 0, 0, 0, 0xffffffff),
			nhTestU32(10), nhTestU32(20), nhTestU32(200000), nhTestU32(1), nhTestU32(0))),
			nhTestAttr(tcaHTBRate64, tcTestU64(6250000000)), nhTestAttr(tcaHTBCeil64, tcTestU64(12500000000))),
		&HTBClass{Rate: 6250000000, Ceil: 12500000000, RateSpec: RateSpec{Linklayer: 1}, CeilSpec: RateSpec{Linklayer: 1},
			Buffer: 640 * time.Nanosecond, Cbuffer: 1280 * time.Nanosecond, Quantum: 200000, Level: 1}},
	{"tbf (tbf_dump) with peak rate", KindQdisc, "tbf",
		nhTestAttr(tcaTBFParms, bytes2(tcTestRatespec(0, 1, 0, 0, 0, 125000), tcTestRatespec(0, 1, 0, 0, 0, 250000),
			nhTestU32(16500), nhTestU32(1280000), nhTestU32(100000))),
		&TBF{Rate: 125000, RateSpec: RateSpec{Linklayer: 1}, Peakrate: 250000, PeakSpec: RateSpec{Linklayer: 1}, Limit: 16500,
			Buffer: 1280000 * 64 * time.Nanosecond, Mtu: 100000 * 64 * time.Nanosecond}},
	{"tbf with a 64-bit rate", KindQdisc, "tbf",
		bytes2(nhTestAttr(tcaTBFParms, bytes2(tcTestRatespec(0, 1, 0, 0, 0, 0xffffffff), make([]byte, 12),
			nhTestU32(30000), nhTestU32(250), nhTestU32(0))),
			nhTestAttr(tcaTBFRate64, tcTestU64(6250000000))),
		&TBF{Rate: 6250000000, RateSpec: RateSpec{Linklayer: 1}, Limit: 30000, Buffer: 250 * 64 * time.Nanosecond}},
	{"u32 hash table (u32_dump)", KindFilter, "u32", nhTestAttr(tcaU32Divisor, nhTestU32(1)), &U32{Divisor: 1}},
	{"u32 key node", KindFilter, "u32",
		bytes2(nhTestAttr(tcaU32Sel, bytes2([]byte{1, 0, 2, 0}, []byte{0, 0}, nhTestU16(0), nhTestU16(0), nhTestU16(0), tcTestBE32(0),
			tcTestBE32(0xffffff00), tcTestBE32(0xc0000200), nhTestU32(16), nhTestU32(0),
			tcTestBE32(0x00ff0000), tcTestBE32(0x00060000), nhTestU32(8), nhTestU32(0))),
			nhTestAttr(tcaU32Hash, nhTestU32(0x80000000)),
			nhTestAttr(tcaU32Classid, nhTestU32(0x10010)),
			nhTestAttr(tcaU32Flags, nhTestU32(TCClsFlagsNotInHW))),
		&U32{Sel: &U32Sel{Flags: 1, Keys: []U32Key{{Mask: 0xffffff00, Val: 0xc0000200, Off: 16}, {Mask: 0xff0000, Val: 0x60000, Off: 8}}},
			Hash: 0x80000000, ClassID: NewHandle(1, 0x10), Flags: TCClsFlagsNotInHW}},
	{"u32 link with indev and counters", KindFilter, "u32",
		bytes2(nhTestAttr(tcaU32Sel, bytes2([]byte{0, 2, 0, 0}, []byte{0x0f, 0}, nhTestU16(0), nhTestU16(0xfffe), nhTestU16(12), tcTestBE32(0xff))),
			nhTestAttr(tcaU32Hash, nhTestU32(0x80000000)),
			nhTestAttr(tcaU32Link, nhTestU32(0x100000)),
			nhTestAttr(tcaU32Indev, tcTestStr("v0")),
			nhTestAttr(tcaU32Pcnt, make([]byte, 16))),
		&U32{Sel: &U32Sel{Offshift: 2, Offmask: 0x0f00, Offoff: -2, Hoff: 12, Hmask: 0xff}, Hash: 0x80000000, Link: 0x100000,
			Indev: "v0", Pcnt: make([]byte, 16)}},
	{"bpf classic (cls_bpf_dump_bpf_info)", KindFilter, "bpf",
		bytes2(nhTestAttr(tcaBPFClassid, nhTestU32(0x10001)),
			nhTestAttr(tcaBPFOpsLen, nhTestU16(2)),
			nhTestAttr(tcaBPFOps, bytes2(nhTestU16(0x28), []byte{0, 0}, nhTestU32(12), nhTestU16(6), []byte{0, 0}, nhTestU32(0xffff))),
			nhTestAttr(tcaBPFFlagsGen, nhTestU32(TCClsFlagsNotInHW))),
		&BPFFilter{ClassID: NewHandle(1, 1), Ops: []BPFInstruction{{Code: 0x28, K: 12}, {Code: 6, K: 0xffff}}, GenFlags: TCClsFlagsNotInHW}},
	{"bpf eBPF (cls_bpf_dump_ebpf_info), direct action", KindFilter, "bpf",
		bytes2(nhTestAttr(tcaBPFName, tcTestStr("prog.o:[tc]")),
			nhTestAttr(tcaBPFID, nhTestU32(42)),
			nhTestAttr(tcaBPFTag, []byte{1, 2, 3, 4, 5, 6, 7, 8}),
			nhTestAttr(tcaBPFFlags, nhTestU32(1))),
		&BPFFilter{Name: "prog.o:[tc]", ID: 42, Tag: []byte{1, 2, 3, 4, 5, 6, 7, 8}, DirectAction: true}},
}

// TestTCOptionsGolden decodes each kind's options, compares every field,
// encodes them back to the same bytes, and pushes a whole message of each
// through its object's decoder and DecodeUpdate.
func TestTCOptionsGolden(t *testing.T) {
	for _, tc := range tcOptionsGolden {
		t.Run(tc.name, func(t *testing.T) {
			var o TCOptions
			var err error
			switch tc.object {
			case KindQdisc:
				o, err = decodeTCOptions(qdiscOptionTypes, tc.kind, tc.b, func(r *RawTCOptions) QdiscOptions { return r })
			case KindClass:
				o, err = decodeTCOptions(classOptionTypes, tc.kind, tc.b, func(r *RawTCOptions) ClassOptions { return r })
			default:
				o, err = decodeTCOptions(filterOptionTypes, tc.kind, tc.b, func(r *RawTCOptions) FilterOptions { return r })
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(o, tc.want) {
				t.Fatalf("decode:\n got %#v\nwant %#v", o, tc.want)
			}
			if o.TCKind() != tc.kind {
				t.Errorf("TCKind() = %q", o.TCKind())
			}
			b, err := o.encodeOptions(false)
			if err != nil || !bytes.Equal(b, tc.b) {
				t.Fatalf("encode: %v\n got %x\nwant %x", err, b, tc.b)
			}
			if s, ok := o.(interface{ String() string }); ok {
				_ = s.String()
			}
			msg := tcTestMsg(3, 0x10000, 0xffffffff, 0, nhTestAttr(unix.TCA_KIND, tcTestStr(tc.kind)), nhTestAttr(unix.TCA_OPTIONS, tc.b))
			var typ uint16
			switch tc.object {
			case KindQdisc:
				msg = append(msg, nhTestAttr(unix.TCA_HW_OFFLOAD, []byte{0})...)
				typ = unix.RTM_NEWQDISC
				roundTrip(t, &Qdisc{Index: 3, Handle: NewHandle(1, 0), Parent: HandleRoot, TCKind: tc.kind, Options: o.(QdiscOptions)})
			case KindClass:
				typ = unix.RTM_NEWTCLASS
				roundTrip(t, &Class{Index: 3, Handle: NewHandle(1, 0), Parent: HandleRoot, TCKind: tc.kind, Options: o.(ClassOptions)})
			default:
				msg = tcTestMsg(3, 0x10000, 0xffffffff, 0, nhTestAttr(unix.TCA_KIND, tcTestStr(tc.kind)), nhTestAttr(unix.TCA_CHAIN, nhTestU32(0)), nhTestAttr(unix.TCA_OPTIONS, tc.b))
				typ = unix.RTM_NEWTFILTER
				roundTrip(t, &Filter{Index: 3, Parent: NewHandle(1, 0), Handle: 0x10000, TCKind: tc.kind, Options: o.(FilterOptions)})
			}
			u, err := DecodeUpdate(typ, 0, msg)
			if err != nil {
				t.Fatal(err)
			}
			var got TCOptions
			switch x := u.Object.(type) {
			case *Qdisc:
				got = x.Options
			case *Class:
				got = x.Options
			case *Filter:
				got = x.Options
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("DecodeUpdate options: %#v", got)
			}
		})
	}
}

// TestTCOptionsMalformed: options of the wrong size or shape are
// ErrMalformed errors of the whole message.
func TestTCOptionsMalformed(t *testing.T) {
	for _, tc := range []struct {
		name string
		typ  uint16
		kind string
		b    []byte
	}{
		{"short fifo", unix.RTM_NEWQDISC, "pfifo", []byte{1, 2}},
		{"long pfifo_fast", unix.RTM_NEWQDISC, "pfifo_fast", make([]byte, 24)},
		{"htb without init", unix.RTM_NEWQDISC, "htb", nhTestAttr(tcaHTBDirectQlen, nhTestU32(1))},
		{"short htb init", unix.RTM_NEWQDISC, "htb", nhTestAttr(tcaHTBInit, make([]byte, 16))},
		{"htb class without parms", unix.RTM_NEWTCLASS, "htb", nhTestAttr(tcaHTBRate64, tcTestU64(1))},
		{"short htb parms", unix.RTM_NEWTCLASS, "htb", nhTestAttr(tcaHTBParms, make([]byte, 40))},
		{"short htb rate64", unix.RTM_NEWTCLASS, "htb", bytes2(nhTestAttr(tcaHTBParms, make([]byte, 44)), nhTestAttr(tcaHTBRate64, nhTestU32(1)))},
		{"tbf without parms", unix.RTM_NEWQDISC, "tbf", nil},
		{"short tbf parms", unix.RTM_NEWQDISC, "tbf", nhTestAttr(tcaTBFParms, make([]byte, 32))},
		{"u32 selector shorter than its keys", unix.RTM_NEWTFILTER, "u32", nhTestAttr(tcaU32Sel, bytes2([]byte{0, 0, 2, 0}, make([]byte, 12+16)))},
		{"short u32 selector", unix.RTM_NEWTFILTER, "u32", nhTestAttr(tcaU32Sel, make([]byte, 8))},
		{"short u32 classid", unix.RTM_NEWTFILTER, "u32", nhTestAttr(tcaU32Classid, []byte{1})},
		{"bpf ops not whole", unix.RTM_NEWTFILTER, "bpf", bytes2(nhTestAttr(tcaBPFOpsLen, nhTestU16(1)), nhTestAttr(tcaBPFOps, make([]byte, 7)))},
		{"bpf ops length mismatch", unix.RTM_NEWTFILTER, "bpf", bytes2(nhTestAttr(tcaBPFOpsLen, nhTestU16(2)), nhTestAttr(tcaBPFOps, make([]byte, 8)))},
		{"bpf ops without length", unix.RTM_NEWTFILTER, "bpf", nhTestAttr(tcaBPFOps, make([]byte, 8))},
		{"bpf unknown flag", unix.RTM_NEWTFILTER, "bpf", nhTestAttr(tcaBPFFlags, nhTestU32(2))},
	} {
		msg := tcTestMsg(1, 0, 0, 0, nhTestAttr(unix.TCA_KIND, tcTestStr(tc.kind)), nhTestAttr(unix.TCA_OPTIONS, tc.b))
		if _, err := DecodeUpdate(tc.typ, 0, msg); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// TestTCOptionsRequests checks what requests send for the typed kinds:
// htb's version 3 and r2q default, tc's default bursts, 64-bit rates,
// only the skip flags, a descriptor for eBPF; and the kinds' rules.
func TestTCOptionsRequests(t *testing.T) {
	opts := func(r Request) []byte {
		t.Helper()
		if r.Err() != nil {
			t.Fatalf("%s: %v", r, r.Err())
		}
		d := newAttrDecoder(r.body[tcmsgLen:])
		for d.Next() {
			if d.Type() == unix.TCA_OPTIONS {
				return d.Bytes()
			}
		}
		t.Fatalf("%s: no options", r)
		return nil
	}
	got := opts(QdiscRequest(Add, &Qdisc{Index: 1, Parent: HandleRoot, Options: &HTB{Version: 0x30011, Default: 0x10, DirectPackets: 99}}))
	want := nhTestAttr(tcaHTBInit, bytes2(nhTestU32(3), nhTestU32(10), nhTestU32(0x10), nhTestU32(0), nhTestU32(0)))
	if !bytes.Equal(got, want) {
		t.Errorf("htb request:\n got %x\nwant %x", got, want)
	}
	got = opts(ClassRequest(Add, &Class{Index: 1, Handle: NewHandle(1, 1), Parent: NewHandle(1, 0), Options: &HTBClass{Rate: 6250000000, Level: 3}}))
	c := new(HTBClass)
	if err := c.decodeOptions(got); err != nil {
		t.Fatal(err)
	}
	// tc's default burst, 1606 bytes at 50 Gbit/s, is a quarter of a
	// microsecond, which tc_calc_xmittime truncates to 0: tc makes this
	// class with "burst 0b" too (read with tc 6.1).
	if c.Rate != 6250000000 || c.Ceil != 6250000000 || c.Level != 0 || c.Burst() != 0 || c.Cburst() != 0 {
		t.Errorf("htb class request: %+v burst %d", c, c.Burst())
	}
	got = opts(ClassRequest(Add, &Class{Index: 1, Handle: NewHandle(1, 1), Parent: NewHandle(1, 0), Options: &HTBClass{Rate: 125000}}))
	if err := c.decodeOptions(got); err != nil || c.Burst() != 1600 || c.Cburst() != 1600 {
		t.Errorf("htb class request at 1 Mbit/s: %+v burst %d, %v", c, c.Burst(), err)
	}
	got = opts(FilterRequest(Add, &Filter{Index: 1, Protocol: unix.ETH_P_ALL, Options: &BPFFilter{FD: 7, Name: "p", ID: 3, Tag: []byte{1}, DirectAction: true, GenFlags: TCClsFlagsSkipHW | TCClsFlagsNotInHW}}))
	// tc/f_bpf.c: the program, then FLAGS_GEN and FLAGS.
	want = bytes2(nhTestAttr(tcaBPFFD, nhTestU32(7)), nhTestAttr(tcaBPFName, tcTestStr("p")), nhTestAttr(tcaBPFFlagsGen, nhTestU32(TCClsFlagsSkipHW)), nhTestAttr(tcaBPFFlags, nhTestU32(1)))
	if !bytes.Equal(got, want) {
		t.Errorf("bpf eBPF request:\n got %x\nwant %x", got, want)
	}
	got = opts(FilterRequest(Add, &Filter{Index: 1, Protocol: unix.ETH_P_IP, Options: &U32{Sel: &U32Sel{}, Flags: TCClsFlagsInHW, Pcnt: []byte{1}}}))
	if want := nhTestAttr(tcaU32Sel, make([]byte, 16)); !bytes.Equal(got, want) {
		t.Errorf("u32 request:\n got %x\nwant %x", got, want)
	}

	for _, tc := range []struct {
		name string
		r    Request
	}{
		{"fifo of another kind", QdiscRequest(Add, &Qdisc{Index: 1, Parent: HandleRoot, Options: &Fifo{Kind: "sfifo"}})},
		{"pfifo_fast options", QdiscRequest(Add, &Qdisc{Index: 1, Parent: HandleRoot, Options: &PfifoFast{Bands: 3}})},
		{"htb class without rate", ClassRequest(Add, &Class{Index: 1, Handle: NewHandle(1, 1), Options: &HTBClass{}})},
		{"htb class ceil below rate", ClassRequest(Add, &Class{Index: 1, Handle: NewHandle(1, 1), Options: &HTBClass{Rate: 10, Ceil: 5}})},
		{"htb class prio 8", ClassRequest(Add, &Class{Index: 1, Handle: NewHandle(1, 1), Options: &HTBClass{Rate: 10, Prio: 8}})},
		{"htb class negative buffer", ClassRequest(Add, &Class{Index: 1, Handle: NewHandle(1, 1), Options: &HTBClass{Rate: 10, Buffer: -1}})},
		{"tbf without rate", QdiscRequest(Add, &Qdisc{Index: 1, Parent: HandleRoot, Options: &TBF{Buffer: time.Millisecond, Limit: 1}})},
		{"tbf without buffer", QdiscRequest(Add, &Qdisc{Index: 1, Parent: HandleRoot, Options: &TBF{Rate: 1000, Limit: 1}})},
		{"tbf without limit", QdiscRequest(Add, &Qdisc{Index: 1, Parent: HandleRoot, Options: &TBF{Rate: 1000, Buffer: time.Second}})},
		{"tbf peak below rate", QdiscRequest(Add, &Qdisc{Index: 1, Parent: HandleRoot, Options: &TBF{Rate: 1000, Buffer: time.Second, Limit: 1, Peakrate: 500, Mtu: time.Second}})},
		{"tbf peak without mtu", QdiscRequest(Add, &Qdisc{Index: 1, Parent: HandleRoot, Options: &TBF{Rate: 1000, Buffer: time.Second, Limit: 1, Peakrate: 5000}})},
		{"u32 without selector", FilterRequest(Add, &Filter{Index: 1, Protocol: 3, Options: &U32{ClassID: 1}})},
		{"u32 divisor 3", FilterRequest(Add, &Filter{Index: 1, Protocol: 3, Options: &U32{Divisor: 3}})},
		{"u32 divisor 512", FilterRequest(Add, &Filter{Index: 1, Protocol: 3, Options: &U32{Divisor: 512}})},
		{"u32 table with classid", FilterRequest(Add, &Filter{Index: 1, Protocol: 3, Options: &U32{Divisor: 2, ClassID: 1}})},
		{"u32 both skips", FilterRequest(Add, &Filter{Index: 1, Protocol: 3, Options: &U32{Sel: &U32Sel{}, Flags: 3}})},
		{"bpf without program", FilterRequest(Add, &Filter{Index: 1, Protocol: 3, Options: &BPFFilter{}})},
		{"bpf ops and fd", FilterRequest(Add, &Filter{Index: 1, Protocol: 3, Options: &BPFFilter{FD: 3, Ops: []BPFInstruction{{}}}})},
		{"bpf empty ops", FilterRequest(Add, &Filter{Index: 1, Protocol: 3, Options: &BPFFilter{Ops: []BPFInstruction{}}})},
		{"bpf too long", FilterRequest(Add, &Filter{Index: 1, Protocol: 3, Options: &BPFFilter{Ops: make([]BPFInstruction, 4097)}})},
	} {
		if err := tc.r.Err(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// TestU32Handle: tc's u32 handle notation both ways.
func TestU32Handle(t *testing.T) {
	for h, s := range map[uint32]string{0x80000000: "800:", 0x80000800: "800::800", 0x00102003: "1:2:3", 0x80001000: "800:1", 0: "0"} {
		if got := U32Handle(h); got != s {
			t.Errorf("U32Handle(%#x) = %q, want %q", h, got, s)
		}
		if got, err := ParseU32Handle(s); err != nil || got != h {
			t.Errorf("ParseU32Handle(%q) = %#x, %v", s, got, err)
		}
	}
	for _, bad := range []string{"", "1000:", ":100:", "1:2:3:4", "x:", "::1000"} {
		if _, err := ParseU32Handle(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseU32Handle(%q): %v", bad, err)
		}
	}
}

// TestTCStableOptions: the counters inside htb's and u32's options are
// volatile.
func TestTCStableOptions(t *testing.T) {
	q := &Qdisc{Index: 1, TCKind: "htb", Options: &HTB{Rate2Quantum: 10, DirectPackets: 5}}
	if s := q.Stable(); s.Options.(*HTB).DirectPackets != 0 || s.Options.(*HTB).Rate2Quantum != 10 || q.Options.(*HTB).DirectPackets != 5 {
		t.Errorf("htb: %+v", s.Options)
	}
	f := &Filter{Index: 1, TCKind: "u32", Options: &U32{Divisor: 1, Pcnt: []byte{1}}}
	if s := f.Stable(); s.Options.(*U32).Pcnt != nil || f.Options.(*U32).Pcnt == nil {
		t.Errorf("u32: %+v", s.Options)
	}
}

// TestTBFBuffer: a burst in bytes turns into the buffer the kernel
// reports for tc's "burst" (psched_l2t_ns, truncated to ticks), which
// gives it back or less by at most a tick's worth; 10kb at 3 Mbit/s is
// tc's 426666 ticks (27.306624 ms, read from tc 6.1 on a live tbf).
func TestTBFBuffer(t *testing.T) {
	for _, tc := range []struct {
		rate  uint64
		burst uint32
	}{{125000, 10240}, {375000, 10240}, {6250000000, 100000}, {1, 1}} {
		o := &TBF{Rate: tc.rate, Buffer: TBFBuffer(tc.rate, tc.burst)}
		tick := tc.rate*uint64(pschedTick)/1e9 + 1
		if o.Buffer%pschedTick != 0 || o.Burst() > uint64(tc.burst) || o.Burst()+tick < uint64(tc.burst) {
			t.Errorf("rate %d burst %d: buffer %s gives %d", tc.rate, tc.burst, o.Buffer, o.Burst())
		}
	}
	if got := TBFBuffer(375000, 10240); got != 426666*pschedTick {
		t.Errorf("TBFBuffer(3mbit, 10kb) = %v, want tc's 426666 ticks", got)
	}
}
