package main

import (
	"encoding/binary"
	"math"
	"net/netip"
	"strconv"
	"time"

	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
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
		var ce, hd, hc uint64
		if len(x) >= 104 {
			ce, hd, hc = u64(80), u64(88), u64(96)
		}
		for _, c := range []struct {
			k string
			v uint64
		}{{"ce_mark", ce}, {"flows_plimit", u64(32)}, {"pkts_too_long", u64(40)}, {"alloc_errors", u64(48)},
			{"horizon_drops", hd}, {"horizon_caps", hc}} {
			if c.v != 0 {
				s += " " + c.k + " " + u10(c.v)
			}
		}
		w.bare("xstats", s)
	case "sfq":
		if len(x) >= 4 {
			w.bare("xstats", "allot "+strconv.Itoa(int(int32(binary.NativeEndian.Uint32(x)))))
		}
	case "cake":
		if s := cakeXstatsText(x); s != "" {
			w.bare("xstats", s)
		}
	}
}

// cakeXstatsText is cake_print_xstats's text (tc/q_cake.c), its spaces
// collapsed: memory, capacity, sizes, then the tins' table row by row
// ("Bulk Best Effort Voice thresh 625Kbit 10Mbit 2500Kbit target ...").
func cakeXstatsText(x []byte) string {
	st := tcAttrTable(x, 16)
	u32 := func(b []byte) uint64 {
		if len(b) < 4 {
			return 0
		}
		return uint64(binary.NativeEndian.Uint32(b))
	}
	u64 := func(b []byte) uint64 {
		if len(b) < 8 {
			return 0
		}
		return binary.NativeEndian.Uint64(b)
	}
	var parts []string
	add := func(s ...string) { parts = append(parts, s...) }
	if st[4] != nil && st[3] != nil {
		add("memory used:", tcSize(uint32(u32(st[4]))), "of", tcSize(uint32(u32(st[3]))))
	}
	if st[2] != nil {
		add("capacity estimate:", tcRate(u64(st[2])))
	}
	if st[6] != nil && st[7] != nil {
		add("min/max network layer size:", u10(u32(st[6])), "/", u10(u32(st[7])))
	}
	if st[8] != nil && st[9] != nil {
		add("min/max overhead-adjusted size:", u10(u32(st[8])), "/", u10(u32(st[9])))
	}
	if st[5] != nil {
		add("average network hdr offset:", u10(u32(st[5])))
	}
	if st[11] != nil {
		add("deficit", strconv.Itoa(int(int32(u32(st[11])))))
	}
	if st[12] != nil {
		add("count", u10(u32(st[12])))
	}
	if st[13] != nil && u32(st[13]) != 0 {
		add("dropping")
		if st[14] != nil {
			if d := int32(u32(st[14])); d < 0 {
				add("drop_next", "-"+tcTime(float64(uint32(-d))))
			} else {
				add("drop_next", tcTime(float64(d)))
			}
		}
	}
	if st[15] != nil {
		add("blue_prob", u10(u32(st[15])))
		if st[16] != nil {
			// tc prints a negative blue_timer through sprint_time of
			// the negative value itself (an unsigned wrap).
			d := int32(u32(st[16]))
			if d < 0 {
				add("blue_timer", "-"+tcTime(float64(uint32(d))))
			} else {
				add("blue_timer", tcTime(float64(d)))
			}
		}
	}
	if st[10] != nil {
		tins := tcAttrTable(st[10], 8)
		var ts [][][]byte
		for i := 1; i <= 8 && tins[i] != nil; i++ {
			ts = append(ts, tcAttrTable(tins[i], 25))
		}
		if len(ts) > 0 {
			switch len(ts) {
			case 3:
				add("Bulk", "Best", "Effort", "Voice")
			case 4:
				add("Bulk", "Best", "Effort", "Video", "Voice")
			default:
				for i := range ts {
					add("Tin", strconv.Itoa(i))
				}
			}
			row := func(name string, attr int, f func([]byte) string) {
				if ts[0][attr] == nil {
					return
				}
				add(name)
				for _, t := range ts {
					add(f(t[attr]))
				}
			}
			row("thresh", 12, func(b []byte) string { return tcRate(u64(b)) })
			tm := func(b []byte) string { return tcTime(float64(u32(b))) }
			row("target", 13, tm)
			row("interval", 14, tm)
			row("pk_delay", 18, tm)
			row("av_delay", 19, tm)
			row("sp_delay", 20, tm)
			row("backlog", 11, func(b []byte) string { return tcSize(uint32(u32(b))) })
			num := func(b []byte) string { return u10(u32(b)) }
			row("pkts", 2, num)
			row("bytes", 3, func(b []byte) string { return u10(u64(b)) })
			for _, r := range []struct {
				name string
				attr int
			}{{"way_inds", 15}, {"way_miss", 16}, {"way_cols", 17}, {"drops", 4}, {"marks", 8}, {"ack_drop", 6},
				{"sp_flows", 21}, {"bk_flows", 22}, {"un_flows", 23}, {"max_len", 24}, {"quantum", 25}} {
				row(r.name, r.attr, num)
			}
		}
	}
	out := ""
	for i, p := range parts {
		if i > 0 {
			out += " "
		}
		out += p
	}
	return out
}

// controlText is print_action_control's text: "drop", "goto chain 3",
// "jump 2".
func controlText(a int32) string {
	switch a &^ 0x0fffffff {
	case netlink.TCActGotoChain:
		return "goto chain " + u10(uint64(uint32(a)&0x0fffffff))
	case netlink.TCActJump:
		return "jump " + u10(uint64(uint32(a)&0x0fffffff))
	}
	return tcActionWord(a)
}

// policeText is print_police's text (tc/m_police.c): "police 0x1 rate
// 1Mbit burst 10Kb mtu 2Kb action drop/pipe overhead 0b ref 1 bind 1".
func policeText(p *netlink.Police, v tcView) string {
	s := "police 0x" + strconv.FormatUint(uint64(p.Index), 16) + " rate " + tcRate(p.Rate) +
		" burst " + tcSize(tcXmitSize(p.Rate, time64Ticks(p.Burst))) + " mtu " + tcSize(p.MTU)
	if p.PeakRate != 0 {
		s += " peakrate " + tcRate(p.PeakRate)
	}
	if p.AvRate != 0 {
		s += " avrate " + tcRate(uint64(p.AvRate))
	}
	if p.PktRate != 0 || p.PktBurst != 0 {
		s += " pkts_rate " + u10(p.PktRate) + " pkts_burst " + u10(uint64(tcXmitSize(p.PktRate, time64Ticks(uint32(p.PktBurst)))))
	}
	s += " action " + controlText(p.Action)
	if p.Conform != nil {
		s += "/" + controlText(*p.Conform)
	}
	s += " overhead " + tcSize(uint32(p.RateSpec.Overhead))
	if ll := p.RateSpec.Linklayer & 0x0f; ll > netlink.LinklayerEthernet || v.details {
		s += " linklayer " + tcLinklayer(ll)
	}
	return s + " ref " + strconv.Itoa(int(p.Refcnt)) + " bind " + strconv.Itoa(int(p.Bindcnt))
}

// time64Ticks is a count of the kernel's 64 ns psched ticks as a
// duration.
func time64Ticks(t uint32) time.Duration { return time.Duration(t) * 64 }

// mirredText is mirred_n2a (tc/m_mirred.c).
func mirredText(e int32) string {
	switch e {
	case netlink.MirredEgressRedirect:
		return "Egress Redirect"
	case netlink.MirredEgressMirror:
		return "Egress Mirror"
	case netlink.MirredIngressRedirect:
		return "Ingress Redirect"
	case netlink.MirredIngressMirror:
		return "Ingress Mirror"
	}
	return "unknown"
}

// actionWords adds tc_print_action's text of a filter's actions, one
// word per action: "action order 1: gact action drop random type none
// pass val 0 index 1 ref 1 bind 1".
func actionWords(w *words, acts netlink.TCActions, names *linkNames, v tcView) {
	for i, a := range acts {
		s := "action order " + strconv.Itoa(i+1) + ":"
		switch o := a.Options.(type) {
		case *netlink.Gact:
			p := netlink.GactProb{}
			if o.Prob != nil {
				p = *o.Prob
			}
			s += " gact action " + controlText(o.Action) + " random type " + gactProbWord(p.Type) + " " + controlText(p.Action) +
				" val " + strconv.Itoa(int(int16(p.Value))) +
				" index " + u10(uint64(o.Index)) + " ref " + strconv.Itoa(int(o.Refcnt)) + " bind " + strconv.Itoa(int(o.Bindcnt))
		case *netlink.Mirred:
			s += " mirred (" + mirredText(o.Eaction) + " to device " + names.name(int(o.Ifindex)) + ") " + controlText(o.Action) +
				" index " + u10(uint64(o.Index)) + " ref " + strconv.Itoa(int(o.Refcnt)) + " bind " + strconv.Itoa(int(o.Bindcnt))
		case *netlink.Police:
			s += " " + policeText(o, v)
		case *netlink.ActBPF:
			s += " bpf"
			if o.Name != "" {
				s += " " + o.Name
			}
			if n := len(o.Ops) / 8; n > 0 {
				b := " bytecode '" + strconv.Itoa(n)
				for k := 0; k < n; k++ {
					in := o.Ops[k*8:]
					b += "," + u10(uint64(binary.NativeEndian.Uint16(in))) + " " + u10(uint64(in[2])) + " " + u10(uint64(in[3])) + " " +
						u10(uint64(binary.NativeEndian.Uint32(in[4:])))
				}
				s += b + "'"
			}
			if p := bpfProgOf(o.ID, o.Tag).text(v); p != "" {
				s += " " + p
			}
			s += " default-action " + controlText(o.Action) +
				" index " + u10(uint64(o.Index)) + " ref " + strconv.Itoa(int(o.Refcnt)) + " bind " + strconv.Itoa(int(o.Bindcnt))
		}
		if v.stats {
			s += actionStatsText(a)
		}
		if a.Cookie != nil {
			s += " cookie " + hexString(a.Cookie)
		}
		w.bare("action#"+strconv.Itoa(i+1), s)
	}
}

// clsFlagText adds TCA_CLS_FLAGS_* as the filters print them: skip_hw,
// skip_sw, then in_hw or else not_in_hw.
func clsFlagText(w *words, flags uint32) {
	if flags&netlink.TCClsFlagsSkipHW != 0 {
		w.flag("skip_hw")
	}
	if flags&netlink.TCClsFlagsSkipSW != 0 {
		w.flag("skip_sw")
	}
	if flags&netlink.TCClsFlagsInHW != 0 {
		w.flag("in_hw")
	} else if flags&netlink.TCClsFlagsNotInHW != 0 {
		w.flag("not_in_hw")
	}
}

// filterKindWords adds the option words of flower, matchall and basic
// filters (flower_print_opt, matchall_print_opt, basic_print_opt), the
// handle first as the filter's identity.
func filterKindWords(w *words, f *netlink.Filter, names *linkNames, v tcView) {
	if f.Handle != 0 {
		w.id("handle", "handle "+hex0x(uint64(f.Handle)))
	}
	switch o := f.Options.(type) {
	case *netlink.Flower:
		if o.ClassID != 0 {
			if m := o.ClassID.Minor(); m >= 0xffe0 && m < 0xffe0+16 {
				w.add("hw_tc", u10(uint64(m-0xffe0)))
			} else {
				w.add("classid", o.ClassID.String())
			}
		}
		for _, kv := range flowerKeyWords(o) {
			w.bare(kv[0], kv[0]+" "+kv[1])
		}
		clsFlagText(w, o.Flags)
		actionWords(w, o.Actions, names, v)
	case *netlink.Matchall:
		if o.ClassID != 0 {
			w.add("flowid", o.ClassID.String())
		}
		clsFlagText(w, o.Flags)
		actionWords(w, o.Actions, names, v)
	case *netlink.Basic:
		if o.ClassID != 0 {
			w.add("flowid", o.ClassID.String())
		}
		if t := ematchText(o.Ematches); t != "" {
			w.bare("ematch", t)
		}
		if o.Police != nil {
			w.bare("police", policeText(o.Police, v))
		}
		actionWords(w, o.Actions, names, v)
	}
}

// flowerKeyWords are flower_print_opt's text after the class: indev and
// the keys, "name value" each, in tc's order.
func flowerKeyWords(o *netlink.Flower) [][2]string {
	var kv [][2]string
	add := func(k, v string) { kv = append(kv, [2]string{k, v}) }
	if o.Indev != "" {
		add("indev", o.Indev)
	}
	vlan := o.VlanID != nil || o.VlanPrio != nil || o.VlanEthType != 0
	if o.VlanID != nil {
		add("vlan_id", u10(uint64(*o.VlanID)))
	}
	if o.VlanPrio != nil {
		add("vlan_prio", u10(uint64(*o.VlanPrio)))
	}
	ethType := o.EthType
	if vlan && (ethType == unix.ETH_P_8021Q || ethType == unix.ETH_P_8021AD) {
		ethType = o.VlanEthType
	}
	if vlan && ethType != 0 {
		add("vlan_ethtype", netlink.TCProtocolString(ethType))
	}
	if o.DstMAC != nil {
		add("dst_mac", flowerMAC(o.DstMAC, o.DstMACMask))
	}
	if o.SrcMAC != nil {
		add("src_mac", flowerMAC(o.SrcMAC, o.SrcMACMask))
	}
	if ethType != 0 {
		add("eth_type", flowerEthType(ethType))
	}
	if o.IPProto != nil {
		add("ip_proto", flowerIPProto(*o.IPProto))
	}
	for _, a := range []struct {
		k string
		p netip.Prefix
	}{{"dst_ip", o.Dst}, {"src_ip", o.Src}} {
		if a.p.IsValid() && (a.p.Addr().Is4() && ethType == unix.ETH_P_IP || a.p.Addr().Is6() && ethType == unix.ETH_P_IPV6) {
			add(a.k, flowerPrefix(a.p))
		}
	}
	port := func(name string, p, m *uint16) {
		if p == nil {
			return
		}
		s := u10(uint64(*p))
		if m != nil && *m != 0xffff {
			s += "/0x" + tcHex(uint64(*m))
		}
		add(name, s)
	}
	port("dst_port", o.DstPort, o.DstPortMask)
	port("src_port", o.SrcPort, o.SrcPortMask)
	return kv
}
