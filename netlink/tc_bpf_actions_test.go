package netlink

import (
	"bytes"
	"reflect"
	"testing"

	"golang.org/x/sys/unix"
)

// bpfActOps is the classic program `bytecode '1,6 0 0 4294967295'`
// (return the whole packet), as TCA_BPF_OPS carries it.
var bpfActOps = bytes2(nhTestU16(6), []byte{0, 0}, nhTestU32(0xffffffff))

var bpfActionsGolden = []tcOptGolden{
	{
		// cls_bpf_dump: CLASSID, OPS_LEN, OPS (cls_bpf_dump_bpf_info),
		// tcf_exts_dump's ACT, FLAGS_GEN.
		name: "dump: classic bpf with mirred and gact actions",
		data: bytes2(
			nhTestAttr(tcaBPFClassid, nhTestU32(0x10001)),
			nhTestAttr(tcaBPFOpsLen, nhTestU16(1)),
			nhTestAttr(tcaBPFOps, bpfActOps),
			nhTestAttr(tcaBPFAct, bytes2(
				tcTestAction(1, "mirred", tcaActOptions, mirredGolden[0].data),
				tcTestAction(2, "gact", tcaActOptions, gactGolden[0].data),
			)),
			nhTestAttr(tcaBPFFlagsGen, nhTestU32(TCClsFlagsNotInHW)),
		),
		opts: &BPFFilter{ClassID: NewHandle(1, 1), Ops: []BPFInstruction{{Code: 6, K: 0xffffffff}}, GenFlags: TCClsFlagsNotInHW,
			Actions: TCActions{
				{Kind: "mirred", Options: mirredGolden[0].opts.(*Mirred)},
				{Kind: "gact", Options: gactGolden[0].opts.(*Gact)},
			}},
	},
	{
		// tcf_exts_dump for TCA_OLD_COMPAT: the police action's own
		// attributes in TCA_BPF_POLICE, no action nest; an eBPF program
		// (NAME, ID, TAG) in direct-action mode.
		name: "dump: eBPF with police the old way",
		data: bytes2(
			nhTestAttr(tcaBPFName, tcTestStr("prog.o:[tc]")),
			nhTestAttr(tcaBPFID, nhTestU32(42)),
			nhTestAttr(tcaBPFTag, []byte{1, 2, 3, 4, 5, 6, 7, 8}),
			nhTestAttr(tcaBPFPolice, policeGolden[1].data),
			nhTestAttr(tcaBPFFlags, nhTestU32(1)),
		),
		opts: &BPFFilter{Name: "prog.o:[tc]", ID: 42, Tag: []byte{1, 2, 3, 4, 5, 6, 7, 8}, DirectAction: true,
			Police: policeGolden[1].opts.(*Police)},
	},
	{
		// tc/f_bpf.c bpf_parse_opt: the program (cbpf_cb: OPS_LEN, OPS),
		// CLASSID, parse_action's ACT (each action's options with
		// NLA_F_NESTED), then FLAGS_GEN.
		name:    "tc filter add ... bpf bytecode '1,6 0 0 4294967295' flowid 1:1 skip_hw action mirred egress redirect dev #5",
		request: true,
		data: bytes2(
			nhTestAttr(tcaBPFOpsLen, nhTestU16(1)),
			nhTestAttr(tcaBPFOps, bpfActOps),
			nhTestAttr(tcaBPFClassid, nhTestU32(0x10001)),
			nhTestAttr(tcaBPFAct, tcTestAction(1, "mirred", tcaActOptions|attrNested,
				nhTestAttr(tcaMirredParms, bytes2(tcTestGen(0, TCActStolen, 0, 0), tcU32s(MirredEgressRedirect, 5))))),
			nhTestAttr(tcaBPFFlagsGen, nhTestU32(TCClsFlagsSkipHW)),
		),
		opts: &BPFFilter{ClassID: NewHandle(1, 1), Ops: []BPFInstruction{{Code: 6, K: 0xffffffff}}, GenFlags: TCClsFlagsSkipHW,
			Actions: TCActions{{Kind: "mirred", Options: &Mirred{TCActionGen: TCActionGen{Action: TCActStolen},
				Eaction: MirredEgressRedirect, Ifindex: 5}}}},
	},
	{
		// An empty action list is sent as an empty ACT nest: a replace
		// without actions (tcf_exts_validate keeps none). The kernel
		// dumps no ACT for none, and an empty nest decodes as nil.
		name:     "tc filter replace ... bpf bytecode ... with an empty action list",
		request:  true,
		noDecode: true,
		data: bytes2(
			nhTestAttr(tcaBPFOpsLen, nhTestU16(1)),
			nhTestAttr(tcaBPFOps, bpfActOps),
			nhTestAttr(tcaBPFAct, nil),
		),
		opts: &BPFFilter{Ops: []BPFInstruction{{Code: 6, K: 0xffffffff}}, Actions: TCActions{}},
	},
}

// TestBPFActions: a bpf filter's actions and old-style policer decode,
// encode back in cls_bpf_dump's order (and tc's for a request), lose
// their counters in Stable, print, and are validated.
func TestBPFActions(t *testing.T) {
	runTCOptGolden(t, bpfActionsGolden)
	runTCOptMalformed(t, func() TCOptions { return new(BPFFilter) }, map[string][]byte{
		"bad action":      nhTestAttr(tcaBPFAct, tcTestAction(1, "mirred", tcaActOptions, tcU32s(1))),
		"action no kind":  nhTestAttr(tcaBPFAct, nhTestAttr(1, nil)),
		"police, no tbf":  nhTestAttr(tcaBPFPolice, nhTestAttr(tcaPoliceAvrate, tcU32s(1))),
		"bad act nesting": nhTestAttr(tcaBPFAct, []byte{5, 0}),
	})
	ops := []BPFInstruction{{Code: 6}}
	runTCOptInvalid(t, map[string]TCOptions{
		"police and actions": &BPFFilter{Ops: ops, Police: &Police{Rate: 1, Burst: 1}, Actions: TCActions{{Options: &Gact{}}}},
		"invalid police":     &BPFFilter{Ops: ops, Police: &Police{}},
		"invalid action":     &BPFFilter{Ops: ops, Actions: TCActions{{Options: &Mirred{}}}},
		"nil action":         &BPFFilter{Ops: ops, Actions: TCActions{nil}},
		"33 actions":         &BPFFilter{Ops: ops, Actions: make(TCActions, 33)},
	})
	orig := bpfActionsGolden[0].opts.(*BPFFilter)
	st := orig.stableOptions().(*BPFFilter)
	if st.Actions[0].Options.(*Mirred).TM != nil || st.Actions[1].Options.(*Gact).Refcnt != 0 ||
		orig.Actions[0].Options.(*Mirred).TM == nil {
		t.Errorf("stableOptions kept the actions' counters or changed the original: %v", st)
	}
	if st := bpfActionsGolden[1].opts.(*BPFFilter).stableOptions().(*BPFFilter); st.Police.TM != nil || st.Police.Refcnt != 0 {
		t.Errorf("stableOptions kept the policer's counters: %+v", st.Police)
	}
	if got, want := bpfActionsGolden[2].opts.(*BPFFilter).String(),
		"flowid 1:1 bytecode '1,6 0 0 4294967295' action mirred (Egress Redirect to device #5) stolen"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// TestBPFFilterStableDropsActionStats: a bpf filter whose mirred action
// counted packets is, once stable, the same filter as before: the
// actions' statistics and times, and the policer's counters beside the
// options, are no change.
func TestBPFFilterStableDropsActionStats(t *testing.T) {
	msg := func(opts []byte, extra ...[]byte) []byte {
		attrs := [][]byte{nhTestAttr(unix.TCA_KIND, tcTestStr("bpf")), nhTestAttr(unix.TCA_CHAIN, nhTestU32(0)),
			nhTestAttr(unix.TCA_OPTIONS, opts)}
		return tcTestMsg(3, 1, 0xfffffff2, uint32(1)<<16|uint32(htons(unix.ETH_P_ALL)), append(attrs, extra...)...)
	}
	mirred := func(tm []byte, stats []byte) []byte {
		opts := nhTestAttr(tcaMirredParms, bytes2(tcTestGen(3, TCActStolen, 1, 1), tcU32s(MirredEgressRedirect, 5)))
		if tm != nil {
			opts = append(opts, nhTestAttr(tcaMirredTM, tm)...)
		}
		var extra [][]byte
		if stats != nil {
			extra = append(extra, nhTestAttr(tcaActStats, stats))
		}
		return bytes2(nhTestAttr(tcaBPFOpsLen, nhTestU16(1)), nhTestAttr(tcaBPFOps, bpfActOps),
			nhTestAttr(tcaBPFAct, tcTestAction(1, "mirred", tcaActOptions, opts, extra...)))
	}
	stats := func(pkts uint32) []byte {
		return nhTestAttr(tcaStatsBasic, bytes2(tcTestU64(uint64(pkts)*100), nhTestU32(pkts), nhTestU32(0)))
	}
	decode := func(b []byte) *Filter {
		t.Helper()
		u, err := DecodeUpdate(unix.RTM_NEWTFILTER, 0, b)
		if err != nil {
			t.Fatal(err)
		}
		return u.Object.(*Filter)
	}
	before := decode(msg(mirred(tcTestTM, stats(0))))
	after := decode(msg(mirred(bytes2(tcU64(900), tcU64(1), tcU64(0), tcU64(2)), stats(10))))
	if reflect.DeepEqual(before, after) {
		t.Fatal("the raw filters compare equal; the test would prove nothing")
	}
	if !reflect.DeepEqual(before.Stable(), after.Stable()) {
		t.Errorf("stable filters differ by counters:\n%+v\n%+v", before.Stable().Options, after.Stable().Options)
	}
	if acts := after.Options.(*BPFFilter).Actions; len(acts) != 1 || acts[0].Stats == nil {
		t.Errorf("the original lost its counters: %v", acts)
	}
	roundTrip(t, after)
	// The policer the old way: its counters come beside the options.
	pol := decode(msg(bytes2(nhTestAttr(tcaBPFOpsLen, nhTestU16(1)), nhTestAttr(tcaBPFOps, bpfActOps),
		nhTestAttr(tcaBPFPolice, policeGolden[1].data)),
		nhTestAttr(unix.TCA_STATS2, stats(10)), nhTestAttr(unix.TCA_STATS, make([]byte, 36))))
	st := pol.Stable()
	if len(st.Unknown) != 0 || st.Options.(*BPFFilter).Police.TM != nil || len(pol.Unknown) != 2 {
		t.Errorf("Stable kept the policer's counters: %v %+v", st.Unknown, st.Options.(*BPFFilter).Police)
	}
}

// TestBPFRequestOrder: an eBPF request is what tc sends for "fd N name
// NAME da skip_hw": FD, NAME, then FLAGS_GEN and FLAGS; the id and tag
// the kernel reports are not sent.
func TestBPFRequestOrder(t *testing.T) {
	got, err := (&BPFFilter{FD: 7, Name: "p", ID: 3, Tag: []byte{1}, DirectAction: true,
		GenFlags: TCClsFlagsSkipHW | TCClsFlagsNotInHW}).encodeOptions(true)
	if err != nil {
		t.Fatal(err)
	}
	want := bytes2(nhTestAttr(tcaBPFFD, nhTestU32(7)), nhTestAttr(tcaBPFName, tcTestStr("p")),
		nhTestAttr(tcaBPFFlagsGen, nhTestU32(TCClsFlagsSkipHW)), nhTestAttr(tcaBPFFlags, nhTestU32(1)))
	if !bytes.Equal(got, want) {
		t.Errorf("bpf eBPF request:\n got %x\nwant %x", got, want)
	}
}
