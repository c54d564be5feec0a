package netlink

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Attributes and sizes of the police action
// (include/uapi/linux/pkt_cls.h TCA_POLICE_*, pkt_sched.h tc_ratespec).
const (
	tcaPoliceTBF        = 1 // struct tc_police
	tcaPoliceRate       = 2 // rate table: 256 x __u32
	tcaPolicePeakrate   = 3 // peak rate table: 256 x __u32
	tcaPoliceAvrate     = 4 // __u32 bytes/s
	tcaPoliceResult     = 5 // __u32: the conform verdict
	tcaPoliceTM         = 6 // struct tcf_t
	tcaPolicePad        = 7
	tcaPoliceRate64     = 8  // __u64 bytes/s
	tcaPolicePeakrate64 = 9  // __u64 bytes/s
	tcaPolicePktrate64  = 10 // __u64 packets/s
	tcaPolicePktburst64 = 11 // __u64

	// struct tc_police: index, action, limit, burst, mtu, rate (12),
	// peakrate (12), refcnt, bindcnt, capab.
	tcPoliceLen = 56
	tcRtabSize  = 1024 // TC_RTAB_SIZE

	// LinklayerEthernet and LinklayerATM are tc_ratespec's linklayer
	// (TC_LINKLAYER_ETHERNET, TC_LINKLAYER_ATM).
	LinklayerEthernet = 1
	LinklayerATM      = 2

	// tcTicksPerUsec is tc's tick_in_usec: /proc/net/psched reports
	// t2us 1000, us2t 64 and a clock resolution of 1 us on every kernel
	// since 2.6.x (PSCHED_SHIFT 6), so a tick is 64 ns.
	tcTicksPerUsec = 1000.0 / 64
)

// TCXmitTime is tc's tc_calc_xmittime (tc/tc_core.c): the time to send
// size bytes at rate bytes per second, in 64 ns ticks, capped at 2^32-1.
// As tc, it truncates twice: to whole microseconds (tc_core_time2tick
// takes an unsigned int), then to whole ticks; so a buffer made from the
// same words is the same as tc's, tick for tick, and the burst the
// kernel reports back may be a byte less than asked (tc prints "cburst
// 2999b" for "cburst 3000b" at some rates). A policer's Burst is this of
// tc's "burst BYTES".
func TCXmitTime(rate, size uint64) uint32 {
	if rate == 0 {
		return math.MaxUint32
	}
	usec := math.Trunc(1e6 * (float64(size) / float64(rate)))
	v := math.Trunc(min(usec, math.MaxUint32) * tcTicksPerUsec)
	if v > math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(v)
}

// tcRateTable is tc's tc_calc_rtable_64: it fills in r's cell log (from
// mtu, 2047 when 0), cell align (-1) and link layer (ethernet when 0), and
// returns the 256 transmit times at rate bytes per second that the
// kernel's qdisc_get_rtab insists on (though it no longer uses them).
func tcRateTable(r *RateSpec, rate uint64, mtu uint32) []byte {
	if mtu == 0 {
		mtu = 2047
	}
	if r.CellLog == 0 {
		for mtu>>r.CellLog > 255 {
			r.CellLog++
		}
	}
	if r.Linklayer == 0 {
		r.Linklayer = LinklayerEthernet
	}
	r.CellAlign = -1
	tab := make([]byte, 0, tcRtabSize)
	for i := uint64(0); i < 256; i++ {
		sz := (i + 1) << r.CellLog
		if sz < uint64(r.MPU) {
			sz = uint64(r.MPU)
		}
		if r.Linklayer == LinklayerATM {
			sz = (sz + 47) / 48 * 53 // ATM cells: 48 bytes of payload in 53
		}
		tab = binary.NativeEndian.AppendUint32(tab, TCXmitTime(rate, sz))
	}
	return tab
}

// Police is the police action (net/sched/act_police.c; tc-police(8)): a
// token bucket on bytes or packets, or an average rate, with a verdict for
// traffic above it (Action, tc's exceed) and one for traffic within
// (Conform, tc's conform).
type Police struct {
	// Index is the action's index; 0 lets the kernel choose.
	Index uint32
	// Action is the exceed verdict (TCAct*; tc's default reclassify).
	Action int32
	// Limit is unused by current kernels.
	Limit uint32
	// Burst is the bucket: the time to send it at Rate, in 64 ns ticks
	// (TCXmitTime(rate, bytes)).
	Burst uint32
	// MTU is the largest packet that conforms, in bytes (tc's "mtu").
	MTU uint32
	// Rate and PeakRate are the token bucket's rate and peak rate in bytes
	// per second (the struct's tc_ratespec rates, and TCA_POLICE_RATE64,
	// _PEAKRATE64 from 2^32); a zero Rate is no byte bucket. A request
	// carries their rate tables.
	Rate, PeakRate uint64
	// RateSpec and PeakRateSpec are the rest of the two tc_ratespec
	// (link layer, overhead, MPU; a request gets tc's cell log and align).
	RateSpec, PeakRateSpec RateSpec
	// Refcnt, Bindcnt and Capab are the struct's; the counts are read-only.
	Refcnt, Bindcnt int32
	Capab           uint32
	// AvRate is the average rate in bytes per second the rate estimator
	// checks (TCA_POLICE_AVRATE; tc's "avrate").
	AvRate uint32
	// Conform is the verdict for conforming traffic (TCA_POLICE_RESULT;
	// tc's conform-exceed EXCEED/CONFORM); nil leaves the kernel's
	// TC_ACT_OK, not "goto chain".
	Conform *int32
	// PktRate and PktBurst are the packet bucket (TCA_POLICE_PKTRATE64
	// in packets per second, TCA_POLICE_PKTBURST64 as tc computes it with
	// TCXmitTime(PktRate, packets)).
	PktRate, PktBurst uint64
	// TM are the action's times (struct tcf_t); read-only and volatile.
	TM []byte
	// Unknown holds the other attributes, as received; sent again.
	Unknown []Attribute
}

// TCKind implements TCOptions.
func (*Police) TCKind() string { return "police" }
func (*Police) actionOptions() {}

func (o *Police) decodeOptions(b []byte) error {
	seen := false
	var rate64, peak64 uint64
	d := newAttrDecoder(b)
	for d.Next() {
		p := d.Data()
		u64 := func() (uint64, error) {
			if len(p) != 8 {
				return 0, malformedf("police attribute %d of %d bytes, want 8", d.Type(), len(p))
			}
			return u64At(p, 0), nil
		}
		var err error
		switch d.Type() {
		case tcaPoliceTBF:
			if len(p) < tcPoliceLen {
				return malformedf("tc_police of %d bytes, want %d", len(p), tcPoliceLen)
			}
			o.Index, o.Action, o.Limit, o.Burst, o.MTU = u32At(p, 0), int32(u32At(p, 4)), u32At(p, 8), u32At(p, 12), u32At(p, 16)
			var r, pr uint32
			o.RateSpec, r = decodeRatespec(p[20:32])
			o.PeakRateSpec, pr = decodeRatespec(p[32:44])
			o.Rate, o.PeakRate = uint64(r), uint64(pr)
			o.Refcnt, o.Bindcnt, o.Capab = int32(u32At(p, 44)), int32(u32At(p, 48)), u32At(p, 52)
			seen = true
		case tcaPoliceRate, tcaPolicePeakrate:
			// Rate tables: derived from the struct (tcRateTable), never
			// reported by the kernel; checked and dropped.
			if len(p) != tcRtabSize {
				return malformedf("police rate table of %d bytes, want %d", len(p), tcRtabSize)
			}
		case tcaPoliceAvrate, tcaPoliceResult:
			if len(p) != 4 {
				return malformedf("police attribute %d of %d bytes, want 4", d.Type(), len(p))
			}
			if d.Type() == tcaPoliceAvrate {
				o.AvRate = u32At(p, 0)
			} else {
				o.Conform = Ptr(int32(u32At(p, 0)))
			}
		case tcaPoliceRate64:
			rate64, err = u64()
		case tcaPolicePeakrate64:
			peak64, err = u64()
		case tcaPolicePktrate64:
			o.PktRate, err = u64()
		case tcaPolicePktburst64:
			o.PktBurst, err = u64()
		case tcaPoliceTM:
			o.TM, err = decodeTCFT(p)
		default:
			o.Unknown = append(o.Unknown, d.Attribute())
		}
		if err != nil {
			return err
		}
	}
	if err := d.Err(); err != nil {
		return err
	}
	if !seen {
		return malformedf("police without TCA_POLICE_TBF")
	}
	if rate64 != 0 {
		o.Rate = rate64
	}
	if peak64 != 0 {
		o.PeakRate = peak64
	}
	return nil
}

// encodeOptions writes what tc sends (tc/m_police.c: TBF, the rate table
// and RATE64, the peak rate table and PEAKRATE64, AVRATE, RESULT,
// PKTRATE64 and PKTBURST64) for a request; in the kernel's form
// (tcf_police_dump), RATE64, PEAKRATE64, PKTRATE64 and PKTBURST64, TBF,
// RESULT, AVRATE, TM.
func (o *Police) encodeOptions(request bool) ([]byte, error) {
	rs, ps := o.RateSpec, o.PeakRateSpec
	var rtab, ptab []byte
	if request {
		if o.Rate != 0 {
			rtab = tcRateTable(&rs, o.Rate, o.MTU)
		}
		if o.PeakRate != 0 {
			ptab = tcRateTable(&ps, o.PeakRate, o.MTU)
		}
	}
	ref, bind := o.Refcnt, o.Bindcnt
	if request {
		ref, bind = 0, 0
	}
	tbf := appendU32s(make([]byte, 0, tcPoliceLen), o.Index, uint32(o.Action), o.Limit, o.Burst, o.MTU)
	tbf = appendRatespec(appendRatespec(tbf, rs, o.Rate), ps, o.PeakRate)
	tbf = appendU32s(tbf, uint32(ref), uint32(bind), o.Capab)
	var e attrEncoder
	if request {
		e.Bytes(tcaPoliceTBF, tbf)
		if rtab != nil {
			e.Bytes(tcaPoliceRate, rtab)
			if o.Rate >= 1<<32 {
				appendU64Attr(&e, tcaPoliceRate64, o.Rate)
			}
		}
		if ptab != nil {
			e.Bytes(tcaPolicePeakrate, ptab)
			if o.PeakRate >= 1<<32 {
				appendU64Attr(&e, tcaPolicePeakrate64, o.PeakRate)
			}
		}
		if o.AvRate != 0 {
			e.Uint32(tcaPoliceAvrate, o.AvRate)
		}
		if o.Conform != nil {
			e.Uint32(tcaPoliceResult, uint32(*o.Conform))
		}
		if o.PktRate != 0 {
			appendU64Attr(&e, tcaPolicePktrate64, o.PktRate)
			appendU64Attr(&e, tcaPolicePktburst64, o.PktBurst)
		}
	} else {
		if o.Rate >= 1<<32 {
			appendU64Attr(&e, tcaPoliceRate64, o.Rate)
		}
		if o.PeakRate >= 1<<32 {
			appendU64Attr(&e, tcaPolicePeakrate64, o.PeakRate)
		}
		if o.PktRate != 0 || o.PktBurst != 0 {
			appendU64Attr(&e, tcaPolicePktrate64, o.PktRate)
			appendU64Attr(&e, tcaPolicePktburst64, o.PktBurst)
		}
		e.Bytes(tcaPoliceTBF, tbf)
		if o.Conform != nil {
			e.Uint32(tcaPoliceResult, uint32(*o.Conform))
		}
		if o.AvRate != 0 {
			e.Uint32(tcaPoliceAvrate, o.AvRate)
		}
		if o.TM != nil {
			e.Bytes(tcaPoliceTM, o.TM)
		}
	}
	for _, a := range o.Unknown {
		e.Bytes(a.Type, a.Data)
	}
	return e.b, e.err
}

// validateOptions applies tc's rules (tc/m_police.c act_parse_police) and
// the kernel's (tcf_police_init): a rate, an average rate, a packet rate,
// an MTU or an index must be given; not a rate and an average rate; a
// rate needs a burst (unless with avrate); a packet rate needs a packet
// burst and excludes a byte rate ("packet-per-second and byte-per-second
// rate limits not allowed in same action"); a peak rate needs a rate and
// an MTU; the verdicts are verdicts, and the conform one is no goto chain
// ("goto chain not allowed on fallback").
func (o *Police) validateOptions(Verb) error {
	switch {
	case o.Rate == 0 && o.AvRate == 0 && o.PktRate == 0 && o.MTU == 0 && o.Index == 0:
		return invalidf("police needs a rate, an avrate, a packet rate, an mtu or an index")
	case o.Rate != 0 && o.AvRate != 0:
		return invalidf("police takes a rate or an avrate, not both")
	case o.Rate != 0 && o.Burst == 0:
		return invalidf("police rate needs a burst")
	case o.PktRate != 0 && o.PktBurst == 0, o.PktRate == 0 && o.PktBurst != 0:
		return invalidf("police packet rate and packet burst go together")
	case o.PktRate != 0 && o.Rate != 0:
		return invalidf("police takes a rate or a packet rate, not both")
	case o.PeakRate != 0 && (o.Rate == 0 || o.MTU == 0):
		return invalidf("police peakrate needs a rate and an mtu")
	case !validTCAction(o.Action):
		return invalidf("police exceed action %d is not a verdict", o.Action)
	case o.Conform != nil && (!validTCAction(*o.Conform) || *o.Conform&^tcActExtValMask == TCActGotoChain):
		return invalidf("police conform action %d: want a verdict other than goto chain", *o.Conform)
	}
	return nil
}

func (o *Police) stableOptions() TCOptions {
	c := *o
	c.TM, c.Refcnt, c.Bindcnt = nil, 0, 0
	return &c
}

// String returns tc's words: "rate 125000Bps burst 10240b mtu 2047
// action reclassify/pass", the burst in bytes as tc prints it
// (tc_calc_xmitsize of the ticks).
func (o *Police) String() string {
	s := ""
	if o.Rate != 0 {
		s = fmt.Sprintf("rate %dBps burst %db ", o.Rate, transmitSize(o.Rate, ticksToDuration(o.Burst)))
	}
	if o.PeakRate != 0 {
		s += fmt.Sprintf("peakrate %dBps ", o.PeakRate)
	}
	if o.PktRate != 0 {
		s += fmt.Sprintf("pkts_rate %d pkts_burst %d ", o.PktRate, o.PktBurst)
	}
	if o.AvRate != 0 {
		s += fmt.Sprintf("avrate %dBps ", o.AvRate)
	}
	s += fmt.Sprintf("mtu %d action %s", o.MTU, TCActionString(o.Action))
	if o.Conform != nil {
		s += "/" + TCActionString(*o.Conform)
	}
	return s
}
