package netlink

import "testing"

var matchallGolden = []tcOptGolden{
	{
		name: "dump: not_in_hw, counter, mirred egress redirect",
		data: bytes2(
			nhTestAttr(tcaMatchallFlags, tcU32s(TCAClsFlagsNotInHW)), // FLAGS
			tcU64Attr(tcaMatchallPcnt, 77),                           // PCNT: struct tc_matchall_pcnt
			nhTestAttr(tcaMatchallAct, tcTestAction(1, "mirred", tcaActOptions, mirredGolden[0].data)),
		),
		opts: &Matchall{Flags: TCAClsFlagsNotInHW, Lookups: Ptr[uint64](77),
			Actions: TCActions{{Kind: "mirred", Options: mirredGolden[0].opts.(*Mirred)}}},
	},
	{
		name:    "tc filter add ... matchall classid 1:10 action mirred ingress mirror blockid 7 skip_sw",
		request: true,
		data: bytes2(
			nhTestAttr(tcaMatchallClassID, tcU32s(0x10010)),
			nhTestAttr(tcaMatchallAct, tcTestAction(1, "mirred", tcaActOptions|attrNested, mirredGolden[1].data)),
			nhTestAttr(tcaMatchallFlags, tcU32s(TCAClsFlagsSkipSW)),
		),
		opts: &Matchall{ClassID: NewHandle(1, 0x10), Flags: TCAClsFlagsSkipSW,
			Actions: TCActions{{Kind: "mirred", Options: mirredGolden[1].opts.(*Mirred)}}},
	},
}

func TestMatchallOptions(t *testing.T) {
	runTCOptGolden(t, matchallGolden)
	runTCOptMalformed(t, func() TCOptions { return new(Matchall) }, map[string][]byte{
		"u16 classid": nhTestAttr(tcaMatchallClassID, tcU16(1)),
		"short pcnt":  nhTestAttr(tcaMatchallPcnt, tcU32s(1)),
		"bad action":  nhTestAttr(tcaMatchallAct, tcTestAction(1, "mirred", tcaActOptions, tcU32s(1))),
		"bad nesting": nhTestAttr(tcaMatchallAct, []byte{5, 0}),
	})
	runTCOptInvalid(t, map[string]TCOptions{
		"both skips":     &Matchall{Flags: TCAClsFlagsSkipHW | TCAClsFlagsSkipSW},
		"unknown flag":   &Matchall{Flags: 1 << 9},
		"invalid action": &Matchall{Actions: TCActions{{Options: &Police{}}}},
	})
	st := matchallGolden[0].opts.(*Matchall).stableOptions().(*Matchall)
	if st.Lookups != nil || st.Actions[0].Options.(*Mirred).TM != nil {
		t.Errorf("stableOptions kept counters: %+v", st)
	}
	if got, want := matchallGolden[1].opts.(*Matchall).String(), "classid 1:10 skip_sw action mirred (Ingress Mirror to block 7) pipe"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
