package netlink

import (
	"testing"

	"golang.org/x/sys/unix"
)

// u32ActSel is the selector of `match ip dst 192.0.2.1/32`: terminal, one
// key at offset 16.
var u32ActSel = bytes2([]byte{1, 0, 1, 0}, []byte{0, 0}, nhTestU16(0), nhTestU16(0), nhTestU16(0), tcTestBE32(0),
	tcTestBE32(0xffffffff), tcTestBE32(0xc0000201), nhTestU32(16), nhTestU32(0))

var u32ActionsGolden = []tcOptGolden{
	{
		// u32_dump: SEL, HASH, FLAGS, then tcf_exts_dump's ACT.
		name: "dump: u32 key node with mirred and gact actions",
		data: bytes2(
			nhTestAttr(tcaU32Sel, u32ActSel),
			nhTestAttr(tcaU32Hash, nhTestU32(0x80000000)),
			nhTestAttr(tcaU32Flags, nhTestU32(TCClsFlagsNotInHW)),
			nhTestAttr(tcaU32Act, bytes2(
				tcTestAction(1, "mirred", tcaActOptions, mirredGolden[0].data),
				tcTestAction(2, "gact", tcaActOptions, gactGolden[0].data),
			)),
		),
		opts: &U32{Sel: &U32Sel{Flags: 1, Keys: []U32Key{{Mask: 0xffffffff, Val: 0xc0000201, Off: 16}}}, Hash: 0x80000000,
			Flags: TCClsFlagsNotInHW, Actions: TCActions{
				{Kind: "mirred", Options: mirredGolden[0].opts.(*Mirred)},
				{Kind: "gact", Options: gactGolden[0].opts.(*Gact)},
			}},
	},
	{
		// tcf_exts_dump for TCA_OLD_COMPAT: the police action's own
		// attributes in TCA_U32_POLICE, no action nest.
		name: "dump: u32 key node with police the old way",
		data: bytes2(
			nhTestAttr(tcaU32Sel, u32ActSel),
			nhTestAttr(tcaU32Hash, nhTestU32(0x80000000)),
			nhTestAttr(tcaU32Classid, nhTestU32(0x10001)),
			nhTestAttr(tcaU32Police, policeGolden[1].data),
		),
		opts: &U32{Sel: &U32Sel{Flags: 1, Keys: []U32Key{{Mask: 0xffffffff, Val: 0xc0000201, Off: 16}}}, Hash: 0x80000000,
			ClassID: NewHandle(1, 1), Police: policeGolden[1].opts.(*Police)},
	},
	{
		name:    "tc filter add ... u32 match ip dst 192.0.2.1/32 action gact drop random determ pass 10",
		request: true,
		data: bytes2(
			nhTestAttr(tcaU32Sel, u32ActSel),
			nhTestAttr(tcaU32Act, tcTestAction(1, "gact", tcaActOptions|attrNested, gactGolden[1].data)),
		),
		opts: &U32{Sel: &U32Sel{Flags: 1, Keys: []U32Key{{Mask: 0xffffffff, Val: 0xc0000201, Off: 16}}},
			Actions: TCActions{{Kind: "gact", Options: gactGolden[1].opts.(*Gact)}}},
	},
}

// TestU32Actions: u32's actions and its old-style policer decode, encode
// back in u32_dump's order, lose their counters in Stable, and are
// validated.
func TestU32Actions(t *testing.T) {
	runTCOptGolden(t, u32ActionsGolden)
	runTCOptMalformed(t, func() TCOptions { return new(U32) }, map[string][]byte{
		"bad action":      nhTestAttr(tcaU32Act, tcTestAction(1, "mirred", tcaActOptions, tcU32s(1))),
		"police, no tbf":  nhTestAttr(tcaU32Police, nhTestAttr(tcaPoliceAvrate, tcU32s(1))),
		"bad act nesting": nhTestAttr(tcaU32Act, []byte{5, 0}),
	})
	sel := &U32Sel{Keys: []U32Key{{}}}
	runTCOptInvalid(t, map[string]TCOptions{
		"table with actions": &U32{Divisor: 1, Actions: TCActions{{Options: &Gact{}}}},
		"police and actions": &U32{Sel: sel, Police: &Police{Rate: 1, Burst: 1}, Actions: TCActions{{Options: &Gact{}}}},
		"invalid police":     &U32{Sel: sel, Police: &Police{}},
		"invalid action":     &U32{Sel: sel, Actions: TCActions{{Options: &Mirred{}}}},
	})
	st := u32ActionsGolden[0].opts.(*U32).stableOptions().(*U32)
	if st.Actions[0].Options.(*Mirred).TM != nil || st.Actions[1].Options.(*Gact).Refcnt != 0 ||
		u32ActionsGolden[0].opts.(*U32).Actions[0].Options.(*Mirred).TM == nil {
		t.Errorf("stableOptions kept the actions' counters or changed the original: %v", st)
	}
	if st := u32ActionsGolden[1].opts.(*U32).stableOptions().(*U32); st.Police.TM != nil || st.Police.Refcnt != 0 {
		t.Errorf("stableOptions kept the policer's counters: %+v", st.Police)
	}
	if got, want := u32ActionsGolden[2].opts.(*U32).String(),
		"match c0000201/ffffffff at 16 action gact action drop random type determ pass val 10"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// TestFilterStableDropsActionStats: a filter with an old-style policer
// carries the policer's counters beside its options (tcf_exts_dump_stats:
// TCA_STATS2 and TCA_STATS after TCA_OPTIONS); Stable leaves them out, so
// that traffic is not a change.
func TestFilterStableDropsActionStats(t *testing.T) {
	stats2 := nhTestAttr(unix.TCA_STATS2, nhTestAttr(tcaStatsBasic, bytes2(tcTestU64(1000), nhTestU32(10), nhTestU32(0))))
	msg := tcTestMsg(3, 0x800800, 0xfffffff3, uint32(1)<<16|uint32(htons(unix.ETH_P_IP)),
		nhTestAttr(unix.TCA_KIND, tcTestStr("u32")), nhTestAttr(unix.TCA_CHAIN, nhTestU32(0)),
		nhTestAttr(unix.TCA_OPTIONS, u32ActionsGolden[1].data),
		stats2,
		nhTestAttr(unix.TCA_STATS, make([]byte, 36)),
		nhTestAttr(99, nhTestU32(7)))
	u, err := DecodeUpdate(unix.RTM_NEWTFILTER, 0, msg)
	if err != nil {
		t.Fatal(err)
	}
	f := u.Object.(*Filter)
	if len(f.Unknown) != 3 {
		t.Fatalf("Unknown = %v, want the two statistics and attribute 99", f.Unknown)
	}
	st := f.Stable()
	if len(st.Unknown) != 1 || st.Unknown[0].Type != 99 || len(f.Unknown) != 3 {
		t.Errorf("Stable().Unknown = %v (original %v), want attribute 99 only", st.Unknown, f.Unknown)
	}
	if st.Options.(*U32).Police.TM != nil {
		t.Errorf("Stable kept the policer's times")
	}
	roundTrip(t, f)
}

// TestBasicPolice: basic's old-style policer (TCA_BASIC_POLICE) decodes
// like u32's and goes back byte for byte.
func TestBasicPolice(t *testing.T) {
	runTCOptGolden(t, []tcOptGolden{{
		name: "dump: basic with police the old way",
		data: bytes2(
			nhTestAttr(tcaBasicClassID, tcU32s(0x10010)),
			nhTestAttr(tcaBasicPolice, policeGolden[1].data),
		),
		opts: &Basic{ClassID: NewHandle(1, 0x10), Police: policeGolden[1].opts.(*Police)},
	}})
	runTCOptInvalid(t, map[string]TCOptions{
		"police and actions": &Basic{Police: &Police{Rate: 1, Burst: 1}, Actions: TCActions{{Options: &Gact{}}}},
		"invalid police":     &Basic{Police: &Police{}},
	})
}

// TestActionsStableDropsUsedHWStats: an action's TCA_ACT_USED_HW_STATS,
// which the kernel adds once the action was listed on its own, is not a
// change.
func TestActionsStableDropsUsedHWStats(t *testing.T) {
	used := Attribute{Type: tcaActUsedHWStats, Data: tcU32s(0, 0)}
	keep := Attribute{Type: tcaActHWStats, Data: tcU32s(1, 1)}
	acts := TCActions{{Kind: "mirred", Options: mirredGolden[0].opts.(*Mirred), Unknown: []Attribute{keep, used}}}
	st := acts.stable()
	if len(st[0].Unknown) != 1 || st[0].Unknown[0].Type != tcaActHWStats || len(acts[0].Unknown) != 2 {
		t.Errorf("stable: %v (original %v)", st[0].Unknown, acts[0].Unknown)
	}
}
