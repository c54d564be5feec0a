package netlink

import (
	"testing"
	"time"
)

const (
	pct1  = 42949673   // 1% as tc's get_percent writes it: rint(0.01 * UINT32_MAX)
	pct25 = 1073741824 // 25%
)

var netemGolden = []tcOptGolden{
	{
		name: "dump: delay 100ms 10ms loss 1%, a 64-bit rate, Gilbert-Elliott model and the seed",
		data: bytes2(
			// struct tc_netem_qopt: latency (ticks of 64 ns), limit, loss, gap, duplicate, jitter (ticks)
			tcU32s(100000000>>6, 1000, pct1, 0, 0, 10000000>>6),
			tcU64Attr(tcaNetemLatency64, 100000000),               // LATENCY64: ns
			tcU64Attr(tcaNetemJitter64, 10000000),                 // JITTER64: ns
			nhTestAttr(tcaNetemCorr, tcU32s(0, 0, 0)),             // CORR: delay, loss, dup
			nhTestAttr(tcaNetemReorder, tcU32s(0, 0)),             // REORDER: probability, correlation
			nhTestAttr(tcaNetemCorrupt, tcU32s(0, 0)),             // CORRUPT: probability, correlation
			tcU64Attr(tcaNetemRate64, 5000000000),                 // RATE64: bytes/s, from 2^32 on
			nhTestAttr(tcaNetemRate, tcU32s(^uint32(0), 0, 0, 0)), // RATE: rate ~0, overhead, cell size, cell overhead
			nhTestAttr(tcaNetemLoss|attrNested,
				nhTestAttr(netemLossGE, tcU32s(pct1, pct25, 0, 0))), // LOSS { GE: p, r, h, k1 }
			tcU64Attr(tcaNetemPRNGSeed, 0x1234), // PRNG_SEED
		),
		opts: &Netem{Delay: 100 * time.Millisecond, Jitter: 10 * time.Millisecond, Limit: 1000, Loss: pct1,
			Rate: 5000000000, LossGE: &NetemGE{P: pct1, R: pct25}, PRNGSeed: Ptr[uint64](0x1234)},
	},
	{
		name:    "tc qdisc add ... netem delay 100ms 10ms 25% loss 1% rate 1mbit ecn",
		request: true,
		data: bytes2(
			tcU32s(0, 1000, pct1, 0, 0, 0), // the legacy latency and jitter stay 0
			tcU64Attr(tcaNetemLatency64, 100000000),
			tcU64Attr(tcaNetemJitter64, 10000000),
			nhTestAttr(tcaNetemCorr, tcU32s(pct25, 0, 0)),
			nhTestAttr(tcaNetemECN, tcU32s(1)),
			nhTestAttr(tcaNetemRate, tcU32s(125000, 0, 0, 0)),
		),
		opts: &Netem{Delay: 100 * time.Millisecond, Jitter: 10 * time.Millisecond, DelayCorr: pct25, Limit: 1000,
			Loss: pct1, ECN: true, Rate: 125000},
	},
	{
		name:     "a request with limit 0 sends tc's 1000, a slot and a 4-state model",
		request:  true,
		noDecode: true,
		data: bytes2(
			tcU32s(0, 1000, 0, 0, 0, 0),
			tcU64Attr(tcaNetemLatency64, 1000000),
			nhTestAttr(tcaNetemSlot, bytes2(tcU64(800000), tcU64(1200000), tcU32s(32, 0), tcU64(0), tcU64(0))),
			nhTestAttr(tcaNetemLoss|attrNested, nhTestAttr(netemLossGI, tcU32s(1, 2, 3, 4, 5))),
		),
		opts: &Netem{Delay: time.Millisecond, Slot: &NetemSlot{MinDelay: 800 * time.Microsecond, MaxDelay: 1200 * time.Microsecond, MaxPackets: 32},
			LossGI: &NetemGI{1, 2, 3, 4, 5}},
	},
}

func tcU64(v uint64) []byte { return tcTestU64(v) }

func TestNetemOptions(t *testing.T) {
	runTCOptGolden(t, netemGolden)
	// An old kernel's dump without LATENCY64: the ticks count.
	var o Netem
	if err := o.decodeOptions(tcU32s(1000, 50, 0, 0, 0, 0)); err != nil {
		t.Fatal(err)
	}
	if o.Delay != 64000*time.Nanosecond || o.Limit != 50 {
		t.Errorf("legacy ticks decoded as delay %v limit %d, want 64µs 50", o.Delay, o.Limit)
	}
	runTCOptMalformed(t, func() TCOptions { return new(Netem) }, map[string][]byte{
		"short struct":     make([]byte, 23),
		"short corr":       bytes2(make([]byte, 24), nhTestAttr(tcaNetemCorr, tcU32s(1, 2))),
		"u32 latency64":    bytes2(make([]byte, 24), nhTestAttr(tcaNetemLatency64, tcU32s(1))),
		"unknown loss":     bytes2(make([]byte, 24), nhTestAttr(tcaNetemLoss, nhTestAttr(3, nil))),
		"short gemodel":    bytes2(make([]byte, 24), nhTestAttr(tcaNetemLoss, nhTestAttr(netemLossGE, tcU32s(1)))),
		"odd distribution": bytes2(make([]byte, 24), nhTestAttr(tcaNetemDelayDist, []byte{1, 2, 3})),
		"bad nesting":      bytes2(make([]byte, 24), nhTestAttr(tcaNetemLoss, []byte{40, 0, 1, 0})),
		"short slot":       bytes2(make([]byte, 24), nhTestAttr(tcaNetemSlot, make([]byte, 32))),
	})
	runTCOptInvalid(t, map[string]TCOptions{
		"jitter without delay":        &Netem{Jitter: time.Millisecond},
		"reorder without delay":       &Netem{Reorder: pct25},
		"gap without reorder":         &Netem{Delay: time.Millisecond, Gap: 5},
		"distribution without jitter": &Netem{Delay: time.Millisecond, DelayDist: []int16{1}},
		"two loss models":             &Netem{LossGI: &NetemGI{}, LossGE: &NetemGE{}},
		"negative delay":              &Netem{Delay: -time.Millisecond},
		"slot max below min":          &Netem{Slot: &NetemSlot{MinDelay: 2, MaxDelay: 1}},
	})
	if got, want := netemGolden[1].opts.(*Netem).String(), "limit 1000 delay 100ms 10ms loss 1% rate 125000Bps ecn"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
