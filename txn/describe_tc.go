package txn

import (
	"reflect"
	"strconv"
	"time"

	"github.com/ipdb-go/ipdb/netlink"
)

// The plan prints tc options in tc's words and units, as `tc qdisc show`
// and `tc class show` print them (tc/q_tbf.c, q_htb.c, q_fifo.c,
// tc_util.c's sprint_rate, sprint_size, sprint_time): "rate 1Mbit burst
// 10Kb lat 25ms", "r2q 10 default 0x10 direct_qlen 1000". A field tc has
// no word for is printed by its Go name in lower case.

// tcTicksPerUsec is tc's tick_in_usec: 64 ns ticks (PSCHED_SHIFT 6).
const tcTicksPerUsec = 1000.0 / 64

// tc's words for rates, sizes and times (netlink.FormatTCRate and its
// siblings, shared with the command's show).
var (
	tcRate = netlink.FormatTCRate
	tcSize = netlink.FormatTCSize
	tcTime = netlink.FormatTCTime
)

// tcDur is tcTime of a duration.
func tcDur(d time.Duration) string { return tcTime(float64(d) / float64(time.Microsecond)) }

// tcXmitSize is tc's tc_calc_xmitsize: the bytes sent at rate (bytes per
// second) in ticks (64 ns), truncated.
func tcXmitSize(rate uint64, ticks uint32) uint64 {
	return uint64(float64(rate) * (float64(ticks) / tcTicksPerUsec) / 1e6)
}

// tcDurSize is the bytes sent at rate in d, as tc prints a burst.
func tcDurSize(rate uint64, d time.Duration) uint64 {
	return uint64(float64(rate) * (float64(d) / float64(time.Microsecond)) / 1e6)
}

// tcWord says how tc names and prints a field: show returns its word and
// value from the struct o holding field f ("" word: print nothing);
// alt, if set, is how a change prints the field when show prints the
// old and new values alike (a burst of the same bytes at a new rate and
// buffer: "buffer 80ms -> 40ms"); flatten prints a nested struct's
// fields without a prefix.
type tcWord struct {
	show, alt func(o, f reflect.Value) (string, string)
	flatten   bool
}

// word returns a tcWord of a fixed word and a value printer.
func word(w string, val func(f reflect.Value) string) tcWord {
	return tcWord{show: func(_, f reflect.Value) (string, string) {
		if val == nil {
			return w, fmtField(f)
		}
		return w, val(f)
	}}
}

var (
	flat     = tcWord{flatten: true}
	rateVal  = func(f reflect.Value) string { return tcRate(f.Uint()) }
	hexVal   = func(f reflect.Value) string { return "0x" + strconv.FormatUint(f.Uint(), 16) }
	usVal    = func(f reflect.Value) string { return tcTime(float64(derefUint(f))) }
	sizeVal  = func(f reflect.Value) string { return tcSize(derefUint(f)) }
	prateVal = func(f reflect.Value) string { return tcRate(derefUint(f)) }
	// optRateVal is a rate that zero turns off (tbf's peakrate).
	optRateVal = func(f reflect.Value) string {
		if f.Uint() == 0 {
			return "(none)"
		}
		return tcRate(f.Uint())
	}
)

// derefUint returns the unsigned integer f holds, through a pointer.
func derefUint(f reflect.Value) uint64 {
	if f.Kind() == reflect.Pointer {
		f = f.Elem()
	}
	return f.Uint()
}

// burstOf is the word of a bucket given as the time to send it at the
// rate in field rate of the same struct: "burst 10Kb", or "buffer 80ms"
// without a rate.
func burstOf(w, rate string) tcWord {
	buffer := func(_, f reflect.Value) (string, string) { return "buffer", tcDur(time.Duration(f.Int())) }
	return tcWord{show: func(o, f reflect.Value) (string, string) {
		if r := o.FieldByName(rate).Uint(); r != 0 {
			return w, tcSize(tcDurSize(r, time.Duration(f.Int())))
		}
		if f.Int() == 0 {
			return w, "(none)" // no rate, no burst: tbf without a peak rate
		}
		return buffer(o, f)
	}, alt: buffer}
}

// tcWords are the words of the options types tc prints, and tcOrder the
// order tc prints their fields in (the others follow in struct order).
var tcWords = map[reflect.Type]map[string]tcWord{
	reflect.TypeFor[netlink.TBF](): {
		"Rate": word("rate", rateVal), "Peakrate": word("peakrate", optRateVal),
		"Buffer": burstOf("burst", "Rate"), "Mtu": burstOf("mtu", "Peakrate"),
		"RateSpec": flat, "PeakSpec": flat,
		// tc prints the latency the limit gives at the rate (q_tbf.c:
		// 1e6 * limit / rate less the buffer's time; with a peak rate,
		// the larger of that and the same at the peak rate less the
		// mtu's time), its limit if that is negative.
		"Limit": {show: func(o, f reflect.Value) (string, string) {
			lat := func(rate string, buf string) float64 {
				r, b := o.FieldByName(rate).Uint(), time.Duration(o.FieldByName(buf).Int())
				return 1e6*float64(f.Uint())/float64(r) - float64(b)/float64(time.Microsecond)
			}
			if o.FieldByName("Rate").Uint() != 0 {
				l := lat("Rate", "Buffer")
				if o.FieldByName("Peakrate").Uint() != 0 {
					l = max(l, lat("Peakrate", "Mtu"))
				}
				if l >= 0 {
					return "lat", tcTime(l)
				}
			}
			return "limit", tcSize(f.Uint())
		}, alt: func(_, f reflect.Value) (string, string) { return "limit", tcSize(f.Uint()) }},
	},
	reflect.TypeFor[netlink.HTB](): {
		"Rate2Quantum": word("r2q", nil), "Default": word("default", hexVal), "DirectQlen": word("direct_qlen", nil),
	},
	reflect.TypeFor[netlink.HTBClass](): {
		"Rate": word("rate", rateVal), "Ceil": word("ceil", rateVal),
		"Buffer": burstOf("burst", "Rate"), "Cbuffer": burstOf("cburst", "Ceil"),
		"RateSpec": flat, "CeilSpec": flat,
	},
	reflect.TypeFor[netlink.RateSpec](): {
		// tc prints a link layer other than ethernet, its default.
		"Linklayer": {show: func(_, f reflect.Value) (string, string) {
			switch f.Uint() {
			case netlink.LinklayerEthernet:
				return "", ""
			case netlink.LinklayerATM:
				return "linklayer", "atm"
			}
			return "linklayer", fmtField(f)
		}},
		"CellLog": word("cell_log", nil), "CellAlign": word("cell_align", nil),
	},
	reflect.TypeFor[netlink.Fifo](): {
		"Limit": {show: func(o, f reflect.Value) (string, string) {
			if o.FieldByName("Kind").String() == "bfifo" {
				return "limit", tcSize(f.Uint())
			}
			return "limit", strconv.FormatUint(f.Uint(), 10) + "p"
		}},
	},
	reflect.TypeFor[netlink.Netem](): {
		"Delay":  word("delay", func(f reflect.Value) string { return tcDur(time.Duration(f.Int())) }),
		"Jitter": word("jitter", func(f reflect.Value) string { return tcDur(time.Duration(f.Int())) }),
		"Rate":   word("rate", rateVal),
	},
	reflect.TypeFor[netlink.FqCodel](): {
		"Target": word("target", usVal), "Interval": word("interval", usVal), "CEThreshold": word("ce_threshold", usVal),
		"MemoryLimit": word("memory_limit", sizeVal), "ECN": word("ecn", nil), "DropBatchSize": word("drop_batch", nil),
	},
	reflect.TypeFor[netlink.Fq](): {
		"FlowLimit": word("flow_limit", nil), "Quantum": word("quantum", sizeVal), "InitialQuantum": word("initial_quantum", sizeVal),
		"FlowMaxRate": word("maxrate", prateVal), "FlowDefaultRate": word("defrate", prateVal), "BucketsLog": word("buckets_log", nil),
		"FlowRefillDelay": word("refill_delay", usVal), "LowRateThreshold": word("low_rate_threshold", prateVal),
		"CEThreshold": word("ce_threshold", usVal), "Horizon": word("horizon", usVal),
	},
	reflect.TypeFor[netlink.Cake](): {
		"BaseRate": word("bandwidth", prateVal), "RTT": word("rtt", usVal), "Target": word("target", usVal),
	},
}

var tcOrder = map[reflect.Type][]string{
	reflect.TypeFor[netlink.TBF]():      {"Rate", "Buffer", "Peakrate", "Mtu", "Limit"},
	reflect.TypeFor[netlink.HTBClass](): {"Prio", "Rate", "Ceil", "Buffer", "Cbuffer", "Quantum"},
}

// tcFields returns the field indexes of struct type t in the order tc
// prints them.
func tcFields(t reflect.Type) []int {
	order := tcOrder[t]
	out := make([]int, 0, t.NumField())
	done := map[int]bool{}
	for _, n := range order {
		if f, ok := t.FieldByName(n); ok && len(f.Index) == 1 {
			out = append(out, f.Index[0])
			done[f.Index[0]] = true
		}
	}
	for i := range t.NumField() {
		if !done[i] {
			out = append(out, i)
		}
	}
	return out
}
