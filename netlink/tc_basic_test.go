package netlink

import "testing"

// tcTestEmatch is a small ematch tree kept raw: TCA_EMATCH_TREE_HDR
// (struct tcf_ematch_tree_hdr: __u16 nmatches, progid) and
// TCA_EMATCH_TREE_LIST with one match.
var tcTestEmatch = bytes2(
	nhTestAttr(1, bytes2(tcU16(1), tcU16(0))),
	nhTestAttr(2, nhTestAttr(1, bytes2(tcU16(0), tcU16(2), tcU16(0), tcU16(0), tcU32s(0xff, 0x10)))),
)

var basicGolden = []tcOptGolden{
	{
		// basic_dump: CLASSID, PCNT, tcf_exts_dump's ACT, then
		// tcf_em_tree_dump's EMATCHES.
		name: "dump: classid, counters, a police action, ematch tree raw",
		data: bytes2(
			nhTestAttr(tcaBasicClassID, tcU32s(0x10010)),          // CLASSID 1:10
			nhTestAttr(tcaBasicPcnt, bytes2(tcU64(10), tcU64(4))), // PCNT: rcnt, rhit
			nhTestAttr(tcaBasicAct, tcTestAction(1, "police", tcaActOptions, policeGolden[1].data)),
			nhTestAttr(tcaBasicEmatches, tcTestEmatch), // EMATCHES, raw
		),
		opts: &Basic{ClassID: NewHandle(1, 0x10), Ematches: tcTestEmatch, Lookups: Ptr[uint64](10), Hits: Ptr[uint64](4),
			Actions: TCActions{{Kind: "police", Options: policeGolden[1].opts.(*Police)}}},
	},
	{
		name:    "tc filter add ... basic match ... classid 1:10 action gact drop",
		request: true,
		data: bytes2(
			nhTestAttr(tcaBasicEmatches, tcTestEmatch),
			nhTestAttr(tcaBasicClassID, tcU32s(0x10010)),
			nhTestAttr(tcaBasicAct, tcTestAction(1, "gact", tcaActOptions|attrNested, nhTestAttr(tcaGactParms, tcTestGen(0, TCActShot, 0, 0)))),
		),
		opts: &Basic{ClassID: NewHandle(1, 0x10), Ematches: tcTestEmatch,
			Actions: TCActions{{Kind: "gact", Options: &Gact{TCActionGen: TCActionGen{Action: TCActShot}}}}},
	},
	{
		name: "an empty filter: every packet matches",
		data: nil,
		opts: &Basic{},
	},
}

func TestBasicOptions(t *testing.T) {
	runTCOptGolden(t, basicGolden)
	runTCOptMalformed(t, func() TCOptions { return new(Basic) }, map[string][]byte{
		"short classid":      nhTestAttr(tcaBasicClassID, tcU16(1)),
		"short pcnt":         nhTestAttr(tcaBasicPcnt, tcU64(1)),
		"bad ematch nesting": nhTestAttr(tcaBasicEmatches, []byte{9, 0, 1, 0}),
		"bad action":         nhTestAttr(tcaBasicAct, nhTestAttr(1, nil)),
	})
	runTCOptInvalid(t, map[string]TCOptions{
		"invalid action": &Basic{Actions: TCActions{{Options: &Gact{TCActionGen: TCActionGen{Action: 77}}}}},
	})
	if got, want := basicGolden[1].opts.(*Basic).String(), "flowid 1:10 ematch (32 bytes) action gact action drop"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
