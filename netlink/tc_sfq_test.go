package netlink

import (
	"reflect"
	"testing"
)

var sfqGolden = []tcOptGolden{
	{
		name: "dump: struct tc_sfq_qopt_v1 with RED statistics",
		data: bytes2(
			tcU32s(1514, 10, 127, 1024, 128), // v0: quantum, perturb_period, limit, divisor, flows
			tcU32s(127, 0),                   // depth, headdrop
			tcU32s(60000, 5000, 15000),       // limit (RED, bytes), qth_min, qth_max
			[]byte{9, 18, 0, 1},              // Wlog, Plog, Scell_log, flags (TC_RED_ECN)
			tcU32s(85899345),                 // max_P: 2% of 2^32
			tcU32s(1, 2, 3, 4, 5, 6),         // tc_sfqred_stats
		),
		opts: &Sfq{Quantum: 1514, PerturbPeriod: 10, Limit: 127, Divisor: 1024, Flows: 128, Depth: 127,
			RedLimit: 60000, QthMin: 5000, QthMax: 15000, Wlog: 9, Plog: 18, Flags: 1, MaxP: 85899345,
			Stats: SfqRedStats{1, 2, 3, 4, 5, 6}},
	},
	{
		name:     "tc qdisc add ... sfq perturb 10 headdrop: the v1 struct, statistics zero",
		request:  true,
		noDecode: true,
		data:     bytes2(tcU32s(0, 10, 0, 0, 0, 0, 1, 0, 0, 0), []byte{0, 0, 0, 0}, tcU32s(0), make([]byte, 24)),
		opts:     &Sfq{PerturbPeriod: 10, Headdrop: 1, Stats: SfqRedStats{ProbDrop: 9}},
	},
}

func TestSfqOptions(t *testing.T) {
	runTCOptGolden(t, sfqGolden)
	// A bare struct tc_sfq_qopt decodes and encodes again as v1.
	var o Sfq
	if err := o.decodeOptions(tcU32s(1514, 0, 127, 1024, 128)); err != nil {
		t.Fatal(err)
	}
	if want := (Sfq{Quantum: 1514, Limit: 127, Divisor: 1024, Flows: 128}); !reflect.DeepEqual(o, want) {
		t.Errorf("v0 decode = %+v", o)
	}
	if b, _ := o.encodeOptions(false); len(b) != tcSfqQoptV1Len {
		t.Errorf("v0 re-encoded in %d bytes, want %d", len(b), tcSfqQoptV1Len)
	}
	if st := sfqGolden[0].opts.(*Sfq).stableOptions().(*Sfq); st.Stats != (SfqRedStats{}) || st.Quantum != 1514 {
		t.Errorf("stableOptions kept counters or lost options: %+v", st)
	}
	runTCOptMalformed(t, func() TCOptions { return new(Sfq) }, map[string][]byte{
		"short struct": make([]byte, 19),
		"empty":        nil,
	})
	runTCOptInvalid(t, map[string]TCOptions{
		"divisor 1000":      &Sfq{Divisor: 1000},
		"divisor 131072":    &Sfq{Divisor: 131072},
		"negative quantum":  &Sfq{Quantum: 1 << 31},
		"limit 1":           &Sfq{Limit: 1},
		"red min above max": &Sfq{RedLimit: 1000, QthMin: 500, QthMax: 400},
	})
}
