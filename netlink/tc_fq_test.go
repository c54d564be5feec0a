package netlink

import "testing"

var fqGolden = []tcOptGolden{
	{
		name: "dump in fq_dump's order, priomap and weights kept raw",
		data: bytes2(
			nhTestAttr(tcaFqPlimit, tcU32s(10000)),                            // PLIMIT: packets
			nhTestAttr(tcaFqFlowPlimit, tcU32s(100)),                          // FLOW_PLIMIT: packets
			nhTestAttr(tcaFqQuantum, tcU32s(3028)),                            // QUANTUM: bytes
			nhTestAttr(tcaFqInitialQuantum, tcU32s(15140)),                    // INITIAL_QUANTUM: bytes
			nhTestAttr(tcaFqRateEnable, tcU32s(1)),                            // RATE_ENABLE
			nhTestAttr(tcaFqFlowMaxRate, tcU32s(^uint32(0))),                  // FLOW_MAX_RATE: unlimited
			nhTestAttr(tcaFqFlowRefillDelay, tcU32s(40000)),                   // FLOW_REFILL_DELAY: us
			nhTestAttr(tcaFqOrphanMask, tcU32s(1023)),                         // ORPHAN_MASK
			nhTestAttr(tcaFqLowRateThreshold, tcU32s(68750)),                  // LOW_RATE_THRESHOLD: bytes/s
			nhTestAttr(tcaFqCEThreshold, tcU32s(^uint32(0))),                  // CE_THRESHOLD: off
			nhTestAttr(tcaFqBucketsLog, tcU32s(10)),                           // BUCKETS_LOG: 1024 buckets
			nhTestAttr(tcaFqTimerSlack, tcU32s(10000)),                        // TIMER_SLACK: ns
			nhTestAttr(tcaFqHorizon, tcU32s(10000000)),                        // HORIZON: us
			nhTestAttr(tcaFqHorizonDrop, tcU8(1)),                             // HORIZON_DROP: u8
			nhTestAttr(tcaFqPriomap, append(tcU32s(3), DefaultPrioMap[:]...)), // PRIOMAP: tc_prio_qopt, raw
			nhTestAttr(tcaFqWeights, tcU32s(589824, 196608, 65536)),           // WEIGHTS: 3 x s32, raw
		),
		opts: &Fq{Limit: Ptr[uint32](10000), FlowLimit: Ptr[uint32](100), Quantum: Ptr[uint32](3028),
			InitialQuantum: Ptr[uint32](15140), RateEnable: Ptr[uint32](1), FlowMaxRate: Ptr(^uint32(0)),
			FlowRefillDelay: Ptr[uint32](40000), OrphanMask: Ptr[uint32](1023), LowRateThreshold: Ptr[uint32](68750),
			CEThreshold: Ptr(^uint32(0)), BucketsLog: Ptr[uint32](10), TimerSlack: Ptr[uint32](10000),
			Horizon: Ptr[uint32](10000000), HorizonDrop: Ptr[uint8](1),
			Unknown: []Attribute{
				{Type: tcaFqPriomap, Data: append(tcU32s(3), DefaultPrioMap[:]...)},
				{Type: tcaFqWeights, Data: tcU32s(589824, 196608, 65536)},
			}},
	},
	{
		name:    "tc qdisc add ... fq buckets 256 limit 2000 maxrate 1mbit nopacing",
		request: true,
		data: bytes2(
			nhTestAttr(tcaFqBucketsLog, tcU32s(8)),
			nhTestAttr(tcaFqPlimit, tcU32s(2000)),
			nhTestAttr(tcaFqRateEnable, tcU32s(0)),
			nhTestAttr(tcaFqFlowMaxRate, tcU32s(125000)), // 1mbit in bytes/s
		),
		opts: &Fq{BucketsLog: Ptr[uint32](8), Limit: Ptr[uint32](2000), RateEnable: Ptr[uint32](0),
			FlowMaxRate: Ptr[uint32](125000)},
	},
}

func TestFqOptions(t *testing.T) {
	runTCOptGolden(t, fqGolden)
	runTCOptMalformed(t, func() TCOptions { return new(Fq) }, map[string][]byte{
		"u8 limit":         nhTestAttr(tcaFqPlimit, tcU8(1)),
		"u32 horizon drop": nhTestAttr(tcaFqHorizonDrop, tcU32s(1)),
		"overlong":         {8, 1, 1, 0},
	})
	runTCOptInvalid(t, map[string]TCOptions{
		"buckets_log 0":  &Fq{BucketsLog: Ptr[uint32](0)},
		"buckets_log 19": &Fq{BucketsLog: Ptr[uint32](19)},
		"quantum 0":      &Fq{Quantum: Ptr[uint32](0)},
		"quantum 2MiB":   &Fq{Quantum: Ptr[uint32](2 << 20)},
	})
	if got, want := fqGolden[1].opts.(*Fq).String(), "limit 2000p buckets 256 nopacing maxrate 125000Bps"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
