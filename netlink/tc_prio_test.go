package netlink

import "testing"

var prioGolden = []tcOptGolden{
	{
		name: "dump: struct tc_prio_qopt only",
		data: bytes2(
			tcU32s(3), // int bands
			[]byte{1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1}, // __u8 priomap[16]
		),
		opts: &Prio{Bands: 3, Priomap: DefaultPrioMap},
	},
	{
		name:    "tc qdisc add ... prio bands 4 priomap 3 2 1 0 ...: the struct and an empty compat nest",
		request: true,
		data: bytes2(
			tcU32s(4),
			[]byte{3, 2, 1, 0, 3, 2, 1, 0, 3, 2, 1, 0, 3, 2, 1, 0},
			nhTestAttr(2, nil), // addattr_nest_compat: TCA_OPTIONS nested, empty
		),
		opts: &Prio{Bands: 4, Priomap: [16]uint8{3, 2, 1, 0, 3, 2, 1, 0, 3, 2, 1, 0, 3, 2, 1, 0}},
	},
	{
		name: "multiqueue in the compat nest",
		data: bytes2(tcU32s(2), make([]byte, 16),
			nhTestAttr(2, nhTestAttr(tcaPrioMQ, nil))), // TCA_OPTIONS { TCA_PRIO_MQ }
		opts: &Prio{Bands: 2, Multiqueue: true},
	},
}

func TestPrioOptions(t *testing.T) {
	runTCOptGolden(t, prioGolden)
	runTCOptMalformed(t, func() TCOptions { return new(Prio) }, map[string][]byte{
		"short struct":           make([]byte, 19),
		"attribute not the nest": bytes2(tcU32s(3), make([]byte, 16), nhTestAttr(1, nil)),
		"bad nesting":            bytes2(tcU32s(3), make([]byte, 16), nhTestAttr(2, []byte{9, 0, 1, 0})),
		"trailing bytes":         bytes2(tcU32s(3), make([]byte, 16), []byte{1, 2}),
	})
	runTCOptInvalid(t, map[string]TCOptions{
		"1 band":          &Prio{Bands: 1},
		"17 bands":        &Prio{Bands: 17},
		"zero bands":      &Prio{},
		"band out of map": &Prio{Bands: 2, Priomap: DefaultPrioMap},
	})
	if got, want := prioGolden[0].opts.(*Prio).String(), "bands 3 priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
