package netlink

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"
)

// tcTestGen is tc_gen: index, capab, action, refcnt, bindcnt.
func tcTestGen(index uint32, action int32, ref, bind int32) []byte {
	return tcU32s(index, 0, uint32(action), uint32(ref), uint32(bind))
}

// tcTestTM is a struct tcf_t: install, lastuse, expires, firstuse.
var tcTestTM = bytes2(tcU64(100), tcU64(50), tcU64(0), tcU64(60))

var gactGolden = []tcOptGolden{
	{
		name: "dump: gact drop index 1 bound once, with its times",
		data: bytes2(
			nhTestAttr(tcaGactParms, tcTestGen(1, TCActShot, 1, 1)), // PARMS: tc_gen
			nhTestAttr(tcaGactTM, tcTestTM),                         // TM: tcf_t
		),
		opts: &Gact{TCActionGen: TCActionGen{Index: 1, Action: TCActShot, Refcnt: 1, Bindcnt: 1}, TM: tcTestTM},
	},
	{
		name:    "tc ... action gact drop random determ pass 10",
		request: true,
		data: bytes2(
			nhTestAttr(tcaGactParms, tcTestGen(0, TCActShot, 0, 0)),
			nhTestAttr(tcaGactProb, bytes2(tcU16(GactProbDeterm), tcU16(10), tcU32s(uint32(TCActOK)))), // ptype, pval, paction
		),
		opts: &Gact{TCActionGen: TCActionGen{Action: TCActShot}, Prob: &GactProb{Type: GactProbDeterm, Value: 10, Action: TCActOK}},
	},
}

var mirredGolden = []tcOptGolden{
	{
		name: "dump: egress redirect to link 5, stolen",
		data: bytes2(
			nhTestAttr(tcaMirredParms, bytes2(tcTestGen(3, TCActStolen, 1, 1), tcU32s(MirredEgressRedirect, 5))), // tc_gen, eaction, ifindex
			nhTestAttr(tcaMirredTM, tcTestTM),
		),
		opts: &Mirred{TCActionGen: TCActionGen{Index: 3, Action: TCActStolen, Refcnt: 1, Bindcnt: 1},
			Eaction: MirredEgressRedirect, Ifindex: 5, TM: tcTestTM},
	},
	{
		name:    "tc ... action mirred ingress mirror blockid 7",
		request: true,
		data: bytes2(
			nhTestAttr(tcaMirredParms, bytes2(tcTestGen(0, TCActPipe, 0, 0), tcU32s(MirredIngressMirror, 0))),
			nhTestAttr(tcaMirredBlockID, tcU32s(7)),
		),
		opts: &Mirred{TCActionGen: TCActionGen{Action: TCActPipe}, Eaction: MirredIngressMirror, BlockID: 7},
	},
}

// tcTestPoliceRtab is tc's rate table for 125000 bytes/s with cell_log 3:
// a cell of (i+1)*8 bytes takes (i+1)*8/125000 s = (i+1)*1000 ticks of
// 64 ns. tc truncates (tc_core_time2tick takes whole microseconds, and
// the ticks are truncated again), so where the double arithmetic falls
// just short of a whole microsecond (1992 and 2008 bytes) the entry is a
// microsecond, 16 ticks, less. The table is tc 6.1's own, read from its
// request with strace (an earlier version of this table rounded four
// entries up, as a ceiling would, which tc does not).
func tcTestPoliceRtab() []byte {
	var t []uint32
	for i := uint32(0); i < 256; i++ {
		v := (i + 1) * 1000
		if i == 248 || i == 250 {
			v -= 16 // 1992 bytes: 15935.999999999998 us, truncated
		}
		t = append(t, v)
	}
	return tcU32s(t...)
}

var policeGolden = []tcOptGolden{
	{
		name:     "tc ... action police rate 1mbit burst 10k conform-exceed drop/pass",
		request:  true,
		noDecode: true, // the request carries tc's cell log and cell align
		data: bytes2(
			nhTestAttr(tcaPoliceTBF, bytes2(
				tcU32s(0, uint32(TCActShot), 0, 1280000, 0), // index, action (exceed), limit, burst (ticks of 10240 bytes), mtu
				[]byte{3, 1}, tcU16(0), tcU16(0xffff), tcU16(0), tcU32s(125000), // rate: cell_log, linklayer, overhead, cell_align -1, mpu, rate
				make([]byte, tcRatespecLen), // peakrate
				tcU32s(0, 0, 0),             // refcnt, bindcnt, capab
			)),
			nhTestAttr(tcaPoliceRate, tcTestPoliceRtab()), // the rate table qdisc_get_rtab wants
		),
		opts: &Police{Action: TCActShot, Burst: TCXmitTime(125000, 10240), Rate: 125000},
	},
	{
		name: "dump: a 40 Gbit/s rate in RATE64, conform pipe, avrate absent",
		data: bytes2(
			tcU64Attr(tcaPoliceRate64, 5000000000), // RATE64: bytes/s
			nhTestAttr(tcaPoliceTBF, bytes2(
				tcU32s(9, uint32(TCActReclassify), 0, 640, 1500),
				[]byte{0, 1}, tcU16(0), tcU16(0), tcU16(0), tcU32s(^uint32(0)), // rate ~0: see RATE64
				make([]byte, tcRatespecLen),
				tcU32s(1, 1, 0),
			)),
			nhTestAttr(tcaPoliceResult, tcU32s(uint32(TCActPipe))), // RESULT: conform verdict
			nhTestAttr(tcaPoliceTM, tcTestTM),
		),
		opts: &Police{Index: 9, Action: TCActReclassify, Burst: 640, MTU: 1500,
			Rate: 5000000000, RateSpec: RateSpec{Linklayer: LinklayerEthernet}, Refcnt: 1, Bindcnt: 1,
			Conform: Ptr(TCActPipe), TM: tcTestTM},
	},
}

var actBPFGolden = []tcOptGolden{
	{
		name:     "tc ... action bpf obj prog.o sec action: FD, NAME, PARMS",
		request:  true,
		noDecode: true, // the fd is never reported; decoding it is checked below
		data: bytes2(
			nhTestAttr(tcaActBPFFD, tcU32s(7)),
			nhTestAttr(tcaActBPFName, tcTestStr("prog.o:[action]")),
			nhTestAttr(tcaActBPFParms, tcTestGen(0, TCActPipe, 0, 0)),
		),
		opts: &ActBPF{TCActionGen: TCActionGen{Action: TCActPipe}, FD: 7, Name: "prog.o:[action]"},
	},
	{
		name: "dump: PARMS, NAME, ID, TAG, TM",
		data: bytes2(
			nhTestAttr(tcaActBPFParms, tcTestGen(2, TCActPipe, 1, 1)),
			nhTestAttr(tcaActBPFName, tcTestStr("prog.o:[action]")),
			nhTestAttr(tcaActBPFID, tcU32s(42)),
			nhTestAttr(tcaActBPFTag, []byte{1, 2, 3, 4, 5, 6, 7, 8}),
			nhTestAttr(tcaActBPFTM, tcTestTM),
		),
		opts: &ActBPF{TCActionGen: TCActionGen{Index: 2, Action: TCActPipe, Refcnt: 1, Bindcnt: 1},
			Name: "prog.o:[action]", ID: 42, Tag: []byte{1, 2, 3, 4, 5, 6, 7, 8}, TM: tcTestTM},
	},
	{
		name: "dump of classic bytecode: PARMS, OPS_LEN, OPS",
		data: bytes2(
			nhTestAttr(tcaActBPFParms, tcTestGen(4, TCActOK, 1, 0)),
			nhTestAttr(tcaActBPFOpsLen, tcU16(1)),
			nhTestAttr(tcaActBPFOps, []byte{0x06, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}), // ret #-1
		),
		opts: &ActBPF{TCActionGen: TCActionGen{Index: 4, Refcnt: 1}, Ops: []byte{0x06, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}},
	},
}

func TestGactOptions(t *testing.T) {
	runTCOptGolden(t, gactGolden)
	runTCOptMalformed(t, func() TCOptions { return new(Gact) }, map[string][]byte{
		"no parms":    nhTestAttr(tcaGactTM, tcTestTM),
		"short parms": nhTestAttr(tcaGactParms, tcU32s(1, 2)),
		"short prob":  bytes2(nhTestAttr(tcaGactParms, tcTestGen(0, 0, 0, 0)), nhTestAttr(tcaGactProb, tcU32s(1))),
		"short tm":    bytes2(nhTestAttr(tcaGactParms, tcTestGen(0, 0, 0, 0)), nhTestAttr(tcaGactTM, tcU32s(1))),
	})
	runTCOptInvalid(t, map[string]TCOptions{
		"verdict 9":      &Gact{TCActionGen: TCActionGen{Action: 9}},
		"random type 3":  &Gact{Prob: &GactProb{Type: 3, Value: 1}},
		"random value 0": &Gact{Prob: &GactProb{Type: GactProbNetrand}},
	})
	if err := (&Gact{TCActionGen: TCActionGen{Action: TCActGotoChain | 5}}).validateOptions(Add); err != nil {
		t.Errorf("goto chain 5 refused: %v", err)
	}
	if got := gactGolden[1].opts.(*Gact).String(); got != "action drop random type determ pass val 10" {
		t.Errorf("String() = %q", got)
	}
}

func TestMirredOptions(t *testing.T) {
	runTCOptGolden(t, mirredGolden)
	runTCOptMalformed(t, func() TCOptions { return new(Mirred) }, map[string][]byte{
		"no parms":      nhTestAttr(tcaMirredBlockID, tcU32s(1)),
		"v0-size parms": nhTestAttr(tcaMirredParms, tcTestGen(0, 0, 0, 0)),
		"short blockid": bytes2(nhTestAttr(tcaMirredParms, make([]byte, 28)), nhTestAttr(tcaMirredBlockID, tcU16(1))),
	})
	runTCOptInvalid(t, map[string]TCOptions{
		"no eaction":        &Mirred{Ifindex: 1},
		"eaction 5":         &Mirred{Eaction: 5, Ifindex: 1},
		"no target":         &Mirred{Eaction: MirredEgressRedirect},
		"device and block":  &Mirred{Eaction: MirredEgressRedirect, Ifindex: 1, BlockID: 2},
		"verdict not known": &Mirred{Eaction: MirredEgressRedirect, Ifindex: 1, TCActionGen: TCActionGen{Action: 99}},
	})
	if got := mirredGolden[0].opts.(*Mirred).String(); got != "(Egress Redirect to device #5) stolen index 3" {
		t.Errorf("String() = %q", got)
	}
}

func TestPoliceOptions(t *testing.T) {
	runTCOptGolden(t, policeGolden)
	if got := TCXmitTime(125000, 10240); got != 1280000 {
		t.Errorf("TCXmitTime(1mbit, 10k) = %d, want 1280000 ticks", got)
	}
	// TCXmitTime truncates tc's way, to whole microseconds and then to
	// ticks: it is short of the duration transmitTime gives by less than
	// a microsecond and a tick. tc's buffer of 10kb at 3mbit, read with
	// strace, is 426656 ticks.
	for _, c := range []struct{ rate, size uint64 }{{125000, 10240}, {1 << 33, 1500}, {1000, 1}, {12500000, 64000}, {375000, 10240}} {
		ticks := TCXmitTime(c.rate, c.size)
		d := transmitTime(c.rate, uint32(c.size))
		if diff := d - ticksToDuration(ticks); diff < 0 || diff >= time.Microsecond+pschedTick {
			t.Errorf("TCXmitTime(%d, %d) = %d ticks, transmitTime %v", c.rate, c.size, ticks, d)
		}
	}
	if got := TCXmitTime(375000, 10240); got != 426656 {
		t.Errorf("TCXmitTime(3mbit, 10kb) = %d, want tc's 426656 ticks", got)
	}
	if got := policeGolden[0].opts.(*Police).String(); got != "rate 125000Bps burst 10240b mtu 0 action drop" {
		t.Errorf("String() = %q", got)
	}
	// A 64-bit rate in a request: the struct's rate is ~0 and RATE64 follows the table.
	b, err := (&Police{Rate: 1 << 33, Burst: 100, MTU: 9000}).encodeOptions(true)
	if err != nil {
		t.Fatal(err)
	}
	var p Police
	if err := p.decodeOptions(b); err != nil || p.Rate != 1<<33 || p.RateSpec.CellLog != 6 || p.MTU != 9000 {
		t.Errorf("64-bit request decoded as %d %+v, %v; want rate 2^33, cell_log 6 (9000>>6 < 256)", p.Rate, p.RateSpec, err)
	}
	runTCOptMalformed(t, func() TCOptions { return new(Police) }, map[string][]byte{
		"no tbf":            nhTestAttr(tcaPoliceAvrate, tcU32s(1)),
		"short tbf":         nhTestAttr(tcaPoliceTBF, make([]byte, 52)),
		"short rate table":  bytes2(nhTestAttr(tcaPoliceTBF, make([]byte, 56)), nhTestAttr(tcaPoliceRate, make([]byte, 1020))),
		"u32 rate64":        bytes2(nhTestAttr(tcaPoliceTBF, make([]byte, 56)), nhTestAttr(tcaPoliceRate64, tcU32s(1))),
		"u64 result":        bytes2(nhTestAttr(tcaPoliceTBF, make([]byte, 56)), tcU64Attr(tcaPoliceResult, 1)),
		"truncated nesting": nhTestAttr(tcaPoliceTBF, make([]byte, 56))[:30],
	})
	runTCOptInvalid(t, map[string]TCOptions{
		"nothing to police":         &Police{},
		"rate without burst":        &Police{Rate: 1000},
		"rate and avrate":           &Police{Rate: 1000, Burst: 1, AvRate: 5},
		"packet rate without burst": &Police{PktRate: 10},
		"packet and byte rate":      &Police{PktRate: 10, PktBurst: 1, Rate: 1000, Burst: 1},
		"peakrate without mtu":      &Police{Rate: 1000, Burst: 1, PeakRate: 2000},
		"conform goto chain":        &Police{AvRate: 5, Conform: Ptr(TCActGotoChain | 1)},
		"exceed verdict unknown":    &Police{AvRate: 5, Action: 42},
	})
	if err := (&Police{AvRate: 1000}).validateOptions(Add); err != nil {
		t.Errorf("avrate alone refused: %v", err)
	}
}

func TestActBPFOptions(t *testing.T) {
	runTCOptGolden(t, actBPFGolden)
	var o ActBPF
	if err := o.decodeOptions(actBPFGolden[0].data); err != nil || o.FD != 7 || o.Name != "prog.o:[action]" {
		t.Errorf("request decoded as %+v, %v", o, err)
	}
	runTCOptMalformed(t, func() TCOptions { return new(ActBPF) }, map[string][]byte{
		"no parms":        nhTestAttr(tcaActBPFFD, tcU32s(3)),
		"ops length off":  bytes2(nhTestAttr(tcaActBPFParms, make([]byte, 20)), nhTestAttr(tcaActBPFOpsLen, tcU16(2)), nhTestAttr(tcaActBPFOps, make([]byte, 8))),
		"ops not 8-sized": bytes2(nhTestAttr(tcaActBPFParms, make([]byte, 20)), nhTestAttr(tcaActBPFOpsLen, tcU16(1)), nhTestAttr(tcaActBPFOps, make([]byte, 7))),
		"length alone":    bytes2(nhTestAttr(tcaActBPFParms, make([]byte, 20)), nhTestAttr(tcaActBPFOpsLen, tcU16(1))),
		"u16 fd":          bytes2(nhTestAttr(tcaActBPFParms, make([]byte, 20)), nhTestAttr(tcaActBPFFD, tcU16(1))),
	})
	runTCOptInvalid(t, map[string]TCOptions{
		"neither fd nor bytecode": &ActBPF{Name: "x"},
		"fd and bytecode":         &ActBPF{FD: 3, Ops: make([]byte, 8)},
		"partial instruction":     &ActBPF{Ops: make([]byte, 12)},
	})
}

// tcTestAction is one action of a list: a nest numbered prio holding
// TCA_ACT_KIND and TCA_ACT_OPTIONS (type optType: 2, or 0x8002 as tc
// sends it), then extra attributes.
func tcTestAction(prio uint16, kind string, optType uint16, opts []byte, extra ...[]byte) []byte {
	inner := bytes2(nhTestAttr(tcaActKind, tcTestStr(kind)))
	inner = append(inner, nhTestAttr(optType, opts)...)
	for _, x := range extra {
		inner = append(inner, x...)
	}
	return nhTestAttr(prio, inner)
}

func TestTCActionsList(t *testing.T) {
	// The kernel's form: kind, options (no NLA_F_NESTED), then a cookie
	// and an unknown action kind kept raw.
	list := bytes2(
		tcTestAction(1, "gact", tcaActOptions, gactGolden[0].data),
		tcTestAction(2, "skbedit", tcaActOptions, nhTestAttr(2, tcU32s(1, 2, 3, 4, 5)),
			nhTestAttr(tcaActCookie, []byte{0xc0, 0x0c})),
	)
	acts, err := decodeTCActions(list)
	if err != nil {
		t.Fatal(err)
	}
	want := TCActions{
		{Kind: "gact", Options: gactGolden[0].opts.(*Gact)},
		{Kind: "skbedit", Options: &RawTCOptions{Kind: "skbedit", Data: nhTestAttr(2, tcU32s(1, 2, 3, 4, 5))}, Cookie: []byte{0xc0, 0x0c}},
	}
	if !reflect.DeepEqual(acts, want) {
		t.Fatalf("decode\n got %v\nwant %v", acts, want)
	}
	var e attrEncoder
	appendTCActions(&e, tcaMatchallAct, acts, false)
	if w := nhTestAttr(tcaMatchallAct, list); !reflect.DeepEqual(e.b, w) {
		t.Errorf("encode\n got %x\nwant %x", e.b, w)
	}
	if st := acts.stable(); st[0].Options.(*Gact).TM != nil || acts[0].Options.(*Gact).TM == nil {
		t.Errorf("stable kept the times or changed the original")
	}
	for name, b := range map[string][]byte{
		"no kind":          nhTestAttr(1, nhTestAttr(tcaActOptions, nil)),
		"bad gact options": tcTestAction(1, "gact", tcaActOptions, tcU32s(1)),
		"bad nesting":      nhTestAttr(1, []byte{12, 0, 1, 0}),
		"33 actions":       bytes.Repeat(tcTestAction(1, "skbedit", tcaActOptions, nil), 33),
	} {
		if _, err := decodeTCActions(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
	for name, acts := range map[string]TCActions{
		"nil action":    {nil},
		"no kind":       {{}},
		"long cookie":   {{Kind: "gact", Cookie: make([]byte, 17)}},
		"bad options":   {{Options: &Mirred{}}},
		"kind mismatch": {{Kind: "gact", Options: &Mirred{}}},
		"too many":      make(TCActions, 33),
	} {
		if err := acts.validate(Add); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}
