package netlink

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"
)

// tbf attributes (include/uapi/linux/pkt_sched.h, TCA_TBF_*).
const (
	tcaTBFParms   = 1
	tcaTBFRate64  = 4
	tcaTBFPrate64 = 5

	tbfQoptLen = 36 // sizeof(struct tc_tbf_qopt)
)

// TBF is the options of the tbf qdisc, a token bucket shaper (TCA_TBF_PARMS,
// struct tc_tbf_qopt, with TCA_TBF_RATE64 and TCA_TBF_PRATE64 for rates of
// 2^32 bytes per second and more; net/sched/sch_tbf.c tbf_change,
// tbf_dump). The CNI bandwidth plugin shapes a veth with it.
type TBF struct {
	// Rate is the token rate in bytes per second (tc's "rate", which tc
	// takes in bits). It must not be 0.
	Rate uint64
	// RateSpec is the rest of the rate's tc_ratespec.
	RateSpec RateSpec
	// Peakrate is the most the qdisc sends in a burst, in bytes per
	// second, 0 for none (tc's "peakrate"); it needs Mtu.
	Peakrate uint64
	// PeakSpec is the rest of the peak rate's tc_ratespec.
	PeakSpec RateSpec
	// Limit is how many bytes may wait for tokens (tc's "limit"; tc turns
	// its "latency" into it: rate×latency + burst). The kernel gives the
	// qdisc a bfifo child of this size.
	Limit uint32
	// Buffer is the bucket's size as time at Rate (kept in 64 ns ticks):
	// tc's "burst" is Rate×Buffer bytes (see Burst).
	Buffer time.Duration
	// Mtu is the peak bucket's size as time at Peakrate (tc's "mtu" or
	// "minburst" is Peakrate×Mtu bytes); meaningful with Peakrate.
	Mtu time.Duration
	// Unknown holds the attributes not decoded above.
	Unknown []Attribute
}

// TCKind implements TCOptions.
func (*TBF) TCKind() string { return "tbf" }

func (o *TBF) decodeOptions(b []byte) error {
	var parms bool
	var rate64, prate64 uint64
	d := newAttrDecoder(b)
	for d.Next() {
		switch d.Type() {
		case tcaTBFParms:
			p := d.Data()
			if len(p) != tbfQoptLen {
				return malformedf("tbf TCA_TBF_PARMS of %d bytes, want %d", len(p), tbfQoptLen)
			}
			var r, pr uint32
			o.RateSpec, r = decodeRatespec(p)
			o.PeakSpec, pr = decodeRatespec(p[tcRatespecLen:])
			o.Rate, o.Peakrate = uint64(r), uint64(pr)
			u := func(i int) uint32 { return binary.NativeEndian.Uint32(p[2*tcRatespecLen+4*i:]) }
			o.Limit, o.Buffer, o.Mtu = u(0), ticksToDuration(u(1)), ticksToDuration(u(2))
			parms = true
		case tcaTBFRate64, tcaTBFPrate64:
			if len(d.Data()) != 8 {
				return malformedf("tbf 64-bit rate of %d bytes", len(d.Data()))
			}
			v := binary.NativeEndian.Uint64(d.Data())
			if d.Type() == tcaTBFRate64 {
				rate64 = v
			} else {
				prate64 = v
			}
		default:
			o.Unknown = append(o.Unknown, d.Attribute())
		}
	}
	if err := d.Err(); err != nil {
		return err
	}
	if !parms {
		return malformedf("tbf options without TCA_TBF_PARMS")
	}
	if rate64 != 0 {
		o.Rate = rate64
	}
	if prate64 != 0 {
		o.Peakrate = prate64
	}
	return nil
}

// encodeOptions writes TCA_TBF_PARMS and the 64-bit rates. Requests need
// no rate table: tbf_change reads one only to learn an unaware linklayer,
// and takes the buffer in ticks when TCA_TBF_BURST is absent.
func (o *TBF) encodeOptions(bool) ([]byte, error) {
	buf, ok1 := durationToTicks(o.Buffer)
	mtu, ok2 := durationToTicks(o.Mtu)
	if !ok1 || !ok2 {
		return nil, invalidf("tbf buffer %s or mtu %s out of range (0 to %s)", o.Buffer, o.Mtu, ticksToDuration(math.MaxUint32))
	}
	p := appendRatespec(make([]byte, 0, tbfQoptLen), o.RateSpec, o.Rate)
	p = appendRatespec(p, o.PeakSpec, o.Peakrate)
	for _, v := range []uint32{o.Limit, buf, mtu} {
		p = binary.NativeEndian.AppendUint32(p, v)
	}
	var e attrEncoder
	e.Bytes(tcaTBFParms, p)
	if o.Rate > math.MaxUint32 {
		e.Bytes(tcaTBFRate64, binary.NativeEndian.AppendUint64(nil, o.Rate))
	}
	if o.Peakrate > math.MaxUint32 {
		e.Bytes(tcaTBFPrate64, binary.NativeEndian.AppendUint64(nil, o.Peakrate))
	}
	for _, a := range o.Unknown {
		e.Bytes(a.Type, a.Data)
	}
	return e.b, e.err
}

// validateOptions checks tbf_change's rules (and tc's): a rate, a buffer
// (the kernel refuses a bucket smaller than one byte, "Invalid burst"),
// a peak rate above the rate and with an mtu, and a limit for a new
// qdisc (tc requires limit or latency).
func (o *TBF) validateOptions(v Verb) error {
	switch {
	case o.Rate == 0:
		return invalidf("tbf needs a rate")
	case o.Buffer <= 0 || o.Burst() == 0:
		return invalidf("tbf needs a buffer (burst) of at least one byte at its rate")
	case o.Peakrate != 0 && o.Peakrate <= o.Rate:
		return invalidf("tbf peakrate %d not above its rate %d (bytes per second)", o.Peakrate, o.Rate)
	case o.Peakrate != 0 && o.Mtu <= 0:
		return invalidf("tbf peakrate needs an mtu")
	case o.Limit == 0 && (v == Add || v == Replace):
		return invalidf("tbf needs a limit in bytes")
	}
	return nil
}

func (*TBF) qdiscOptions() {}

// Burst is the bucket's size in bytes, Rate×Buffer (tc's "burst");
// PeakBurst is Peakrate×Mtu (tc's "mtu").
func (o *TBF) Burst() uint64     { return transmitSize(o.Rate, o.Buffer) }
func (o *TBF) PeakBurst() uint64 { return transmitSize(o.Peakrate, o.Mtu) }

// TBFBuffer returns the Buffer (or Mtu) that holds burst bytes at rate
// bytes per second as the kernel reports it for tc's "burst" (or "mtu"),
// or 0 for rate 0: tc sends the bytes (TCA_TBF_BURST, TCA_TBF_PBURST),
// tbf_change turns them into nanoseconds with psched_l2t_ns and the dump
// truncates those to 64 ns ticks. (A ratespec with an overhead or the ATM
// link layer counts other bytes; tc's words have neither.) Burst gives
// burst back or a byte less, as tc prints it.
func TBFBuffer(rate uint64, burst uint32) time.Duration {
	if rate == 0 {
		return 0
	}
	return ticksToDuration(uint32(min(l2tNS(rate, uint64(burst))/uint64(pschedTick), math.MaxUint32)))
}

// l2tNS is the kernel's psched_l2t_ns for a plain ratespec of rate bytes
// per second: size bytes (below 2^32) take size*mult >> shift nanoseconds, mult and
// shift as psched_ratecfg_precompute chooses them (net/sched/
// sch_generic.c: the largest shift that keeps mult below 2^32).
func l2tNS(rate, size uint64) uint64 {
	factor, shift, mult := uint64(1e9), uint(0), uint64(0)
	for {
		mult = factor / rate
		if mult&(1<<31) != 0 || factor&(1<<63) != 0 {
			break
		}
		factor <<= 1
		shift++
	}
	return size * mult >> shift // size < 2^32 and mult < 2^32: no overflow
}

// TBFLimit returns the Limit tc computes from "latency" (q_tbf.c): the
// bytes that wait at most latency at rate bytes per second, plus the
// burst, capped at 2^32-1. (tc also bounds it by the peak rate's bucket
// when there is one; pass the smaller yourself.)
func TBFLimit(rate uint64, burst uint32, latency time.Duration) uint32 {
	v := float64(rate)*latency.Seconds() + float64(burst)
	return uint32(min(v, math.MaxUint32))
}

// String returns tc's words with rates in bytes per second: "rate
// 125000Bps burst 10240b limit 30000b".
func (o *TBF) String() string {
	s := fmt.Sprintf("rate %dBps burst %db", o.Rate, o.Burst())
	if o.Peakrate != 0 {
		s += fmt.Sprintf(" peakrate %dBps mtu %db", o.Peakrate, o.PeakBurst())
	}
	return s + fmt.Sprintf(" limit %db", o.Limit)
}
