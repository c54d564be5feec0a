package main

import (
	"encoding/binary"
	"math"
	"strconv"

	"github.com/ipdb-go/ipdb/netlink"
)

// The text of the qdiscs beyond the host's, as iproute2 6.1's tc prints
// them (the *_print_opt of tc/q_fq.c, q_netem.c, q_prio.c, q_sfq.c and
// q_cake.c without -j): show's table and monitor use these words.

// tcTime64 is sprint_time64 (lib/utils.c) of nanoseconds: "%.3gs",
// "%.3gms", "%.3gus" or "%lldns".
func tcTime64(ns int64) string {
	f := float64(ns)
	switch {
	case ns >= 1e9:
		return strconv.FormatFloat(f/1e9, 'g', 3, 64) + "s"
	case ns >= 1e6:
		return strconv.FormatFloat(f/1e6, 'g', 3, 64) + "ms"
	case ns >= 1e3:
		return strconv.FormatFloat(f/1e3, 'g', 3, 64) + "us"
	}
	return strconv.FormatInt(ns, 10) + "ns"
}

// tcPercentText is netem's " %g%%" of a probability scaled to
// UINT32_MAX.
func tcPercentText(v uint32) string {
	return strconv.FormatFloat(100*float64(v)/float64(math.MaxUint32), 'g', 6, 64) + "%"
}

func u10(v uint64) string { return strconv.FormatUint(v, 10) }

// qdiscKindWords adds the option words of fq, netem, prio, sfq and cake.
func qdiscKindWords(w *words, o netlink.QdiscOptions, v tcView) {
	switch o := o.(type) {
	case *netlink.Fq:
		num := func(k, unit string, p *uint32) {
			if p != nil {
				w.add(k, u10(uint64(*p))+unit)
			}
		}
		num("limit", "p", o.Limit)
		num("flow_limit", "p", o.FlowLimit)
		if o.BucketsLog != nil {
			w.add("buckets", u10(uint64(uint32(1)<<(*o.BucketsLog&31))))
		}
		num("orphan_mask", "", o.OrphanMask)
		if o.RateEnable != nil && *o.RateEnable == 0 {
			w.flag("nopacing")
		}
		if o.Quantum != nil {
			w.add("quantum", tcSize(*o.Quantum))
		}
		if o.InitialQuantum != nil {
			w.add("initial_quantum", tcSize(*o.InitialQuantum))
		}
		if o.FlowMaxRate != nil && *o.FlowMaxRate != math.MaxUint32 {
			w.add("maxrate", tcRate(uint64(*o.FlowMaxRate)))
		}
		if o.FlowDefaultRate != nil && *o.FlowDefaultRate != 0 {
			w.add("defrate", tcRate(uint64(*o.FlowDefaultRate)))
		}
		if o.LowRateThreshold != nil && *o.LowRateThreshold != 0 {
			w.add("low_rate_threshold", tcRate(uint64(*o.LowRateThreshold)))
		}
		if o.FlowRefillDelay != nil {
			w.add("refill_delay", tcTime(float64(*o.FlowRefillDelay)))
		}
		if o.CEThreshold != nil && *o.CEThreshold != math.MaxUint32 {
			w.add("ce_threshold", tcTime(float64(*o.CEThreshold)))
		}
		if o.TimerSlack != nil {
			w.add("timer_slack", tcTime64(int64(*o.TimerSlack)))
		}
		if o.Horizon != nil {
			w.add("horizon", tcTime(float64(*o.Horizon)))
		}
		if o.HorizonDrop != nil {
			if *o.HorizonDrop == 0 {
				w.flag("horizon_cap")
			} else {
				w.flag("horizon_drop")
			}
		}
	case *netlink.Netem:
		w.add("limit", strconv.FormatInt(int64(int32(o.Limit)), 10))
		ticks := func(d int64) string {
			return tcTime(math.Trunc(float64(netemTicks(d)) / tcTicksPerUsec))
		}
		if netemTicks(int64(o.Delay)) != 0 {
			s := "delay " + ticks(int64(o.Delay))
			if netemTicks(int64(o.Jitter)) != 0 {
				s += " " + ticks(int64(o.Jitter))
				if o.DelayCorr != 0 {
					s += " " + tcPercentText(o.DelayCorr)
				}
			}
			w.bare("delay", s)
		}
		if o.Loss != 0 {
			s := "loss " + tcPercentText(o.Loss)
			if o.LossCorr != 0 {
				s += " " + tcPercentText(o.LossCorr)
			}
			w.bare("loss", s)
		}
		if g := o.LossGI; g != nil {
			w.bare("loss state", "loss state p13 "+tcPercentText(g.P13)+" p31 "+tcPercentText(g.P31)+" p32 "+tcPercentText(g.P32)+
				" p23 "+tcPercentText(g.P23)+" p14 "+tcPercentText(g.P14))
		}
		if g := o.LossGE; g != nil {
			w.bare("loss gemodel", "loss gemodel p "+tcPercentText(g.P)+" r "+tcPercentText(g.R)+" 1-h "+tcPercentText(math.MaxUint32-g.H)+
				" 1-k "+tcPercentText(g.K1))
		}
		pc := func(k string, p, corr uint32) {
			if p == 0 {
				return
			}
			s := k + " " + tcPercentText(p)
			if corr != 0 {
				s += " " + tcPercentText(corr)
			}
			w.bare(k, s)
		}
		pc("duplicate", o.Duplicate, o.DupCorr)
		pc("reorder", o.Reorder, o.ReorderCorr)
		pc("corrupt", o.Corrupt, o.CorruptCorr)
		if o.Rate != 0 {
			w.add("rate", tcRate(o.Rate))
			if o.PacketOverhead != 0 {
				w.add("packetoverhead", strconv.Itoa(int(o.PacketOverhead)))
			}
			if o.CellSize != 0 {
				w.add("cellsize", u10(uint64(o.CellSize)))
			}
			if o.CellOverhead != 0 {
				w.add("celloverhead", strconv.Itoa(int(o.CellOverhead)))
			}
		}
		if s := o.Slot; s != nil {
			if s.DistJitter > 0 {
				w.bare("slot", "slot distribution "+tcTime64(int64(s.DistDelay))+" "+tcTime64(int64(s.DistJitter)))
			} else {
				w.bare("slot", "slot "+tcTime64(int64(s.MinDelay))+" "+tcTime64(int64(s.MaxDelay)))
			}
			if s.MaxPackets != 0 {
				w.add("packets", strconv.Itoa(int(int32(s.MaxPackets))))
			}
			if s.MaxBytes != 0 {
				w.add("bytes", strconv.Itoa(int(int32(s.MaxBytes))))
			}
		}
		if o.ECN {
			w.flag("ecn")
		}
		if o.Gap != 0 {
			w.add("gap", u10(uint64(o.Gap)))
		}
	case *netlink.Prio:
		w.add("bands", u10(uint64(o.Bands)))
		s := "priomap"
		for _, b := range o.Priomap {
			s += " " + u10(uint64(b))
		}
		w.bare("priomap", s)
	case *netlink.Sfq:
		w.add("limit", u10(uint64(o.Limit))+"p")
		w.add("quantum", tcSize(o.Quantum))
		if o.Depth != 0 {
			w.add("depth", u10(uint64(o.Depth)))
		}
		if o.Headdrop != 0 {
			w.flag("headdrop")
		}
		if v.details {
			w.add("flows", u10(uint64(o.Flows)))
		}
		w.add("divisor", u10(uint64(o.Divisor)))
		if o.PerturbPeriod != 0 {
			w.add("perturb", strconv.Itoa(int(o.PerturbPeriod))+"sec")
		}
		if o.QthMin != 0 {
			w.add("ewma", u10(uint64(o.Wlog)))
			w.add("min", tcSize(o.QthMin))
			w.add("max", tcSize(o.QthMax))
			w.add("probability", strconv.FormatFloat(float64(o.MaxP)/math.Pow(2, 32), 'g', 6, 64))
			for i, k := range []string{"ecn", "harddrop", "adaptive", "nodrop"} {
				if o.Flags&(1<<i) != 0 {
					w.flag(k)
				}
			}
			if v.stats {
				s := o.Stats
				w.bare("prob_mark", "prob_mark "+u10(uint64(s.ProbMark))+" prob_mark_head "+u10(uint64(s.ProbMarkHead))+
					" prob_drop "+u10(uint64(s.ProbDrop))+" forced_mark "+u10(uint64(s.ForcedMark))+
					" forced_mark_head "+u10(uint64(s.ForcedMarkHead))+" forced_drop "+u10(uint64(s.ForcedDrop)))
			}
		}
	case *netlink.Cake:
		cakeWords(w, o)
	}
}

// cakeWords is cake_print_opt's text (tc/q_cake.c).
func cakeWords(w *words, o *netlink.Cake) {
	v := func(p *uint32) uint32 {
		if p == nil {
			return 0
		}
		return *p
	}
	if o.BaseRate != nil {
		if *o.BaseRate != 0 {
			w.add("bandwidth", tcRate(*o.BaseRate))
		} else {
			w.add("bandwidth", "unlimited")
		}
	}
	switch v(o.Autorate) {
	case 0:
	case 1:
		w.flag("autorate-ingress")
	default:
		w.flag("(?autorate?)")
	}
	mode := func(p *uint32, names []string) {
		if p == nil {
			return
		}
		if int(*p) < len(names) {
			w.flag(names[*p])
		} else {
			w.flag("(?" + names[0][:4] + "?)")
		}
	}
	mode(o.DiffservMode, cakeDiffservWords)
	mode(o.FlowMode, cakeFlowModeWords)
	flag := func(on bool, yes, no string) {
		if on {
			w.flag(yes)
		} else if no != "" {
			w.flag(no)
		}
	}
	flag(v(o.NAT) != 0, "nat", "nonat")
	flag(v(o.Wash) != 0, "wash", "nowash")
	flag(v(o.Ingress) != 0, "ingress", "")
	switch v(o.AckFilter) {
	case 2:
		w.flag("ack-filter-aggressive")
	case 1:
		w.flag("ack-filter")
	default:
		w.flag("no-ack-filter")
	}
	flag(v(o.SplitGSO) != 0, "split-gso", "no-split-gso")
	if rtt := v(o.RTT); rtt != 0 {
		w.add("rtt", tcTime(float64(rtt)))
	}
	raw := o.Raw != nil
	flag(raw, "raw", "")
	switch v(o.ATM) {
	case 1:
		w.flag("atm")
	case 2:
		w.flag("ptm")
	default:
		flag(!raw, "noatm", "")
	}
	var overhead int32
	if o.Overhead != nil {
		overhead = *o.Overhead
	}
	w.add("overhead", strconv.Itoa(int(overhead)))
	if m := v(o.MPU); m != 0 {
		w.add("mpu", u10(uint64(m)))
	}
	if m := v(o.Memory); m != 0 {
		w.add("memlimit", tcSize(m))
	}
	if m := v(o.Fwmark); m != 0 {
		w.add("fwmark", hex0x(uint64(m)))
	}
}

// qdiscXstatsWords are the kinds' print_xstats text for fq_codel, fq and
// sfq (see writeQdiscXstats).
func qdiscXstatsWords(w *words, kind string, x []byte) {
	u32 := func(i int) uint64 { return uint64(binary.NativeEndian.Uint32(x[i:])) }
	u64 := func(i int) uint64 { return binary.NativeEndian.Uint64(x[i:]) }
	switch kind {
	case "fq_codel":
		if len(x) < 40 || binary.NativeEndian.Uint32(x) != 0 {
			return
		}
		s := "maxpacket " + u10(u32(4)) + " drop_overlimit " + u10(u32(8)) + " new_flow_count " + u10(u32(16)) + " ecn_mark " + u10(u32(12))
		if v := u32(28); v != 0 {
			s += " ce_mark " + u10(v)
		}
		if v := u32(32); v != 0 {
			s += " memory_used " + u10(v)
		}
		if v := u32(36); v != 0 {
			s += " drop_overmemory " + u10(v)
		}
		s += " new_flows_len " + u10(u32(20)) + " old_flows_len " + u10(u32(24))
		w.bare("xstats", s)
	case "fq":
		if len(x) < 80 {
			return
		}
		s := "flows " + u10(u32(64)) + " (inactive " + u10(u32(68)) + " throttled " + u10(u32(72)) + ")"
		if d := int64(u64(56)); d > 0 {
			s += " next_packet_delay " + tcTime64(d)
		}
		s += " gc " + u10(u64(0)) + " highprio " + u10(u64(8))
		if v := u64(16); v != 0 {
			s += " retrans " + u10(v)
		}
		s += " throttled " + u10(u64(24))
		if v := u32(76); v != 0 {
			s += " latency " + tcTime64(int64(v))
		}
		w.bare("xstats", s)
	case "sfq":
		if len(x) >= 4 {
			w.bare("xstats", "allot "+strconv.Itoa(int(int32(binary.NativeEndian.Uint32(x)))))
		}
	}
}
