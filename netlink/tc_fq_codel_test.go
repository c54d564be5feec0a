package netlink

import "testing"

var fqCodelGolden = []tcOptGolden{
	{
		name: "dump of the defaults, fq_codel_dump's order, an unknown attribute kept",
		data: bytes2(
			nhTestAttr(tcaFqCodelTarget, tcU32s(5000)),        // TARGET: 5 ms in us
			nhTestAttr(tcaFqCodelLimit, tcU32s(10240)),        // LIMIT: packets
			nhTestAttr(tcaFqCodelInterval, tcU32s(100000)),    // INTERVAL: 100 ms in us
			nhTestAttr(tcaFqCodelECN, tcU32s(1)),              // ECN
			nhTestAttr(tcaFqCodelQuantum, tcU32s(1514)),       // QUANTUM: bytes
			nhTestAttr(tcaFqCodelDropBatchSize, tcU32s(64)),   // DROP_BATCH_SIZE
			nhTestAttr(tcaFqCodelMemoryLimit, tcU32s(32<<20)), // MEMORY_LIMIT: bytes
			nhTestAttr(tcaFqCodelFlows, tcU32s(1024)),         // FLOWS
			nhTestAttr(12, tcU32s(7)),                         // a later kernel's attribute
		),
		opts: &FqCodel{Target: Ptr[uint32](5000), Limit: Ptr[uint32](10240), Interval: Ptr[uint32](100000),
			ECN: Ptr[uint32](1), Quantum: Ptr[uint32](1514), DropBatchSize: Ptr[uint32](64),
			MemoryLimit: Ptr[uint32](32 << 20), Flows: Ptr[uint32](1024),
			Unknown: []Attribute{{Type: 12, Data: tcU32s(7)}}},
	},
	{
		name:    "tc qdisc add ... fq_codel limit 100 target 2ms ce_threshold 1ms ce_threshold_selector 0x01/0xff",
		request: true,
		data: bytes2(
			nhTestAttr(tcaFqCodelLimit, tcU32s(100)),
			nhTestAttr(tcaFqCodelTarget, tcU32s(2000)),
			nhTestAttr(tcaFqCodelCEThreshold, tcU32s(1000)),
			nhTestAttr(tcaFqCodelCEThresholdMask, tcU8(0xff)),     // u8, padded to 8 bytes
			nhTestAttr(tcaFqCodelCEThresholdSelector, tcU8(0x01)), // u8
		),
		opts: &FqCodel{Limit: Ptr[uint32](100), Target: Ptr[uint32](2000), CEThreshold: Ptr[uint32](1000),
			CEThresholdSelector: Ptr[uint8](1), CEThresholdMask: Ptr[uint8](0xff)},
	},
}

func TestFqCodelOptions(t *testing.T) {
	runTCOptGolden(t, fqCodelGolden)
	runTCOptMalformed(t, func() TCOptions { return new(FqCodel) }, map[string][]byte{
		"short limit":        nhTestAttr(tcaFqCodelLimit, []byte{1, 2}),
		"u32 selector":       nhTestAttr(tcaFqCodelCEThresholdSelector, tcU32s(1)),
		"truncated":          nhTestAttr(tcaFqCodelLimit, tcU32s(1))[:6],
		"bad attribute size": {2, 0, 1, 0},
	})
	runTCOptInvalid(t, map[string]TCOptions{
		"zero flows":     &FqCodel{Flows: Ptr[uint32](0)},
		"too many flows": &FqCodel{Flows: Ptr[uint32](65537)},
		"mask alone":     &FqCodel{CEThresholdMask: Ptr[uint8](0xff)},
	})
	if err := (&FqCodel{Flows: Ptr[uint32](16)}).validateOptions(Change); err == nil {
		t.Error("a change of flows passed; fq_codel_change refuses it")
	}
	if got, want := fqCodelGolden[0].opts.(*FqCodel).String(), "limit 10240p flows 1024 quantum 1514 target 5000us interval 100000us memory_limit 33554432 drop_batch 64 ecn"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
