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

// This file renders the options of the tc kinds beyond the host's as
// iproute2 6.1's tc prints them in JSON: the qdiscs fq, netem, prio, sfq
// and cake (tc/q_fq.c, q_netem.c, q_prio.c, q_sfq.c, q_cake.c
// *_print_opt), the filters flower, matchall and basic (tc/f_flower.c,
// f_matchall.c, f_basic.c), the actions gact, mirred, police and bpf
// (tc/m_gact.c, m_mirred.c, m_police.c, m_bpf.c, through
// tc_print_action in tc/m_action.c), and -s's statistics (tc/tc_util.c
// print_tcstats2_attr and the kinds' print_xstats). Keys, values, units
// and order are tc's; the netlink types carry the kernel's values.

// tcView is how much of a tc object show prints: tc's -d (details) and
// -s (stats).
type tcView struct {
	details, stats bool
}

// float writes v as tc's JSON writer does (jsonw_float: C's "%g").
func (j *jsonOut) float(k string, v float64) {
	j.key(k)
	j.b = strconv.AppendFloat(j.b, v, 'g', 6, 64)
}

// tcHex is print_hex's JSON: a string "%x".
func tcHex(v uint64) string { return strconv.FormatUint(v, 16) }

// tcPercent is netem's PRINT_PERCENT in JSON: a probability scaled to
// UINT32_MAX as a fraction (0.01 for 1%).
func tcPercent(v uint32) float64 { return float64(v) / float64(math.MaxUint32) }

// netemTicks is netem_dump's latency and jitter in the qopt struct, which
// tc 6.1 reads: PSCHED_NS2TICKS capped at UINT32_MAX.
func netemTicks(d int64) uint32 {
	if d <= 0 {
		return 0
	}
	if t := d >> 6; t < math.MaxUint32 {
		return uint32(t)
	}
	return math.MaxUint32
}

// writeFq is fq_print_opt (tc/q_fq.c): each key only when the kernel
// sent its attribute; times in microseconds; rates in bytes per second.
func writeFq(j *jsonOut, o *netlink.Fq) {
	u := func(k string, v *uint32) {
		if v != nil {
			j.uint(k, uint64(*v))
		}
	}
	u("limit", o.Limit)
	u("flow_limit", o.FlowLimit)
	if o.BucketsLog != nil {
		j.uint("buckets", uint64(uint32(1)<<(*o.BucketsLog&31)))
	}
	u("orphan_mask", o.OrphanMask)
	if o.RateEnable != nil && *o.RateEnable == 0 {
		j.boolean("pacing", false)
	}
	u("quantum", o.Quantum)
	u("initial_quantum", o.InitialQuantum)
	if o.FlowMaxRate != nil && *o.FlowMaxRate != math.MaxUint32 {
		j.uint("maxrate", uint64(*o.FlowMaxRate))
	}
	if o.FlowDefaultRate != nil && *o.FlowDefaultRate != 0 {
		j.uint("defrate", uint64(*o.FlowDefaultRate))
	}
	if o.LowRateThreshold != nil && *o.LowRateThreshold != 0 {
		j.uint("low_rate_threshold", uint64(*o.LowRateThreshold))
	}
	u("refill_delay", o.FlowRefillDelay)
	if o.CEThreshold != nil && *o.CEThreshold != math.MaxUint32 {
		j.uint("ce_threshold", uint64(*o.CEThreshold))
	}
	u("timer_slack", o.TimerSlack)
	u("horizon", o.Horizon)
	if o.HorizonDrop != nil {
		if *o.HorizonDrop == 0 {
			j.null("horizon_cap")
		} else {
			j.null("horizon_drop")
		}
	}
}

// writeNetem is netem_print_opt (tc/q_netem.c) in JSON: delays in
// seconds, probabilities as fractions, always "ecn" and "gap".
func writeNetem(j *jsonOut, o *netlink.Netem) {
	j.uint("limit", uint64(o.Limit))
	corr := func(v uint32) { j.float("correlation", tcPercent(v)) }
	if lat := netemTicks(int64(o.Delay)); lat != 0 {
		j.openObject("delay")
		j.float("delay", math.Trunc(float64(lat)/tcTicksPerUsec)/1e6)
		j.float("jitter", math.Trunc(float64(netemTicks(int64(o.Jitter)))/tcTicksPerUsec)/1e6)
		corr(o.DelayCorr)
		j.closeObject()
	}
	if o.Loss != 0 {
		j.openObject("loss-random")
		j.float("loss", tcPercent(o.Loss))
		corr(o.LossCorr)
		j.closeObject()
	}
	if g := o.LossGI; g != nil {
		j.openObject("loss-state")
		j.float("p13", tcPercent(g.P13))
		j.float("p31", tcPercent(g.P31))
		j.float("p32", tcPercent(g.P32))
		j.float("p23", tcPercent(g.P23))
		j.float("p14", tcPercent(g.P14))
		j.closeObject()
	}
	if g := o.LossGE; g != nil {
		j.openObject("loss-gemodel")
		j.float("p", tcPercent(g.P))
		j.float("r", tcPercent(g.R))
		j.float("1-h", tcPercent(math.MaxUint32-g.H))
		j.float("1-k", tcPercent(g.K1))
		j.closeObject()
	}
	if o.Duplicate != 0 {
		j.openObject("duplicate")
		j.float("duplicate", tcPercent(o.Duplicate))
		corr(o.DupCorr)
		j.closeObject()
	}
	if o.Reorder != 0 {
		j.openObject("reorder")
		j.float("reorder", tcPercent(o.Reorder))
		corr(o.ReorderCorr)
		j.closeObject()
	}
	if o.Corrupt != 0 {
		j.openObject("corrupt")
		j.float("corrupt", tcPercent(o.Corrupt))
		corr(o.CorruptCorr)
		j.closeObject()
	}
	if o.Rate != 0 {
		j.openObject("rate")
		j.uint("rate", o.Rate)
		j.int("packetoverhead", int64(o.PacketOverhead))
		j.uint("cellsize", uint64(o.CellSize))
		j.int("celloverhead", int64(o.CellOverhead))
		j.closeObject()
	}
	if s := o.Slot; s != nil {
		j.openObject("slot")
		if s.DistJitter > 0 {
			j.float("distribution", float64(s.DistDelay)/1e9)
			j.float("jitter", float64(s.DistJitter)/1e9)
		} else {
			j.float("min-delay", float64(s.MinDelay)/1e9)
			j.float("max-delay", float64(s.MaxDelay)/1e9)
		}
		j.int("packets", int64(int32(s.MaxPackets)))
		j.int("bytes", int64(int32(s.MaxBytes)))
		j.closeObject()
	}
	j.boolean("ecn", o.ECN)
	j.uint("gap", uint64(o.Gap))
}

// writePrio is prio_print_opt (tc/q_prio.c), which tc uses for
// pfifo_fast too.
func writePrio(j *jsonOut, bands uint32, priomap []uint8, mq bool) {
	j.uint("bands", uint64(bands))
	j.openArray("priomap")
	for _, b := range priomap {
		j.uint("", uint64(b))
	}
	j.closeArray()
	j.boolean("multiqueue", mq)
}

// writeSfq is sfq_print_opt (tc/q_sfq.c): "flows" with -d only; the RED
// part when a qth_min is set, with its counters under -s.
func writeSfq(j *jsonOut, o *netlink.Sfq, v tcView) {
	j.uint("limit", uint64(o.Limit))
	j.uint("quantum", uint64(o.Quantum))
	if o.Depth != 0 {
		j.uint("depth", uint64(o.Depth))
	}
	if o.Headdrop != 0 {
		j.boolean("headdrop", true)
	}
	if v.details {
		j.uint("flows", uint64(o.Flows))
	}
	j.uint("divisor", uint64(o.Divisor))
	if o.PerturbPeriod != 0 {
		j.int("perturb", int64(o.PerturbPeriod))
	}
	if o.QthMin != 0 {
		j.uint("ewma", uint64(o.Wlog))
		j.uint("min", uint64(o.QthMin))
		j.uint("max", uint64(o.QthMax))
		j.float("probability", float64(o.MaxP)/math.Pow(2, 32))
		// tc_red_print_flags (tc/tc_red.c): TC_RED_ECN, HARDDROP,
		// ADAPTATIVE, NODROP.
		for i, k := range []string{"ecn", "harddrop", "adaptive", "nodrop"} {
			j.boolean(k, o.Flags&(1<<i) != 0)
		}
		if v.stats {
			s := o.Stats
			j.uint("prob_mark", uint64(s.ProbMark))
			j.uint("prob_mark_head", uint64(s.ProbMarkHead))
			j.uint("prob_drop", uint64(s.ProbDrop))
			j.uint("forced_mark", uint64(s.ForcedMark))
			j.uint("forced_mark_head", uint64(s.ForcedMarkHead))
			j.uint("forced_drop", uint64(s.ForcedDrop))
		}
	}
}

var (
	cakeDiffservWords = []string{"diffserv3", "diffserv4", "diffserv8", "besteffort", "precedence"}
	cakeFlowModeWords = []string{"flowblind", "srchost", "dsthost", "hosts", "flows", "dual-srchost", "dual-dsthost", "triple-isolate"}
)

// writeCake is cake_print_opt (tc/q_cake.c) in JSON.
func writeCake(j *jsonOut, o *netlink.Cake) {
	v := func(p *uint32) uint32 {
		if p == nil {
			return 0
		}
		return *p
	}
	if o.BaseRate != nil {
		if *o.BaseRate != 0 {
			j.uint("bandwidth", *o.BaseRate)
		} else {
			j.str("bandwidth", "unlimited")
		}
	}
	if o.Autorate != nil {
		switch *o.Autorate {
		case 0:
		case 1:
			j.str("autorate", "autorate-ingress")
		default:
			j.str("autorate", "unknown")
		}
	}
	mode := func(k string, p *uint32, names []string) { // cake_print_mode
		if p == nil {
			return
		}
		if int(*p) < len(names) {
			j.str(k, names[*p])
		} else {
			j.str(k, "unknown")
		}
	}
	mode("diffserv", o.DiffservMode, cakeDiffservWords)
	mode("flowmode", o.FlowMode, cakeFlowModeWords)
	j.boolean("nat", v(o.NAT) != 0)
	j.boolean("wash", v(o.Wash) != 0)
	j.boolean("ingress", v(o.Ingress) != 0)
	switch v(o.AckFilter) {
	case 2:
		j.str("ack-filter", "aggressive")
	case 1:
		j.str("ack-filter", "enabled")
	default:
		j.str("ack-filter", "disabled")
	}
	j.boolean("split_gso", v(o.SplitGSO) != 0)
	j.uint("rtt", uint64(v(o.RTT)))
	raw := o.Raw != nil
	j.boolean("raw", raw)
	switch v(o.ATM) {
	case 1:
		j.str("atm", "atm")
	case 2:
		j.str("atm", "ptm")
	default:
		if !raw {
			j.str("atm", "noatm")
		}
	}
	var overhead int32
	if o.Overhead != nil {
		overhead = *o.Overhead
	}
	j.int("overhead", int64(overhead))
	if m := v(o.MPU); m != 0 {
		j.uint("mpu", uint64(m))
	}
	if m := v(o.Memory); m != 0 {
		j.uint("memlimit", uint64(m))
	}
	j.hex("fwmark", uint64(v(o.Fwmark)))
}

// tcStats2Present says which TCA_STATS2 members the kernel sent (tc
// prints the rate and the hardware counters only when they came).
type tcStats2Present struct {
	stats2, basic, queue, rateEst, basicHW bool
}

func tcStatsPresent(s *netlink.TCStats) tcStats2Present {
	var p tcStats2Present
	for _, a := range s.Attrs {
		if a.Type&0x3fff != unix.TCA_STATS2 {
			continue
		}
		p.stats2 = true
		b := a.Data
		for len(b) >= 4 {
			l, t := int(binary.NativeEndian.Uint16(b)), binary.NativeEndian.Uint16(b[2:])&0x3fff
			if l < 4 || l > len(b) {
				break
			}
			switch t { // TCA_STATS_* of include/uapi/linux/gen_stats.h
			case 1: // TCA_STATS_BASIC
				p.basic = true
			case 3: // TCA_STATS_QUEUE
				p.queue = true
			case 2, 5: // TCA_STATS_RATE_EST, TCA_STATS_RATE_EST64
				p.rateEst = true
			case 7: // TCA_STATS_BASIC_HW
				p.basicHW = true
			}
			b = b[min((l+3)&^3, len(b)):]
		}
	}
	return p
}

// writeTCStats is print_tcstats2_attr (tc/tc_util.c) in JSON: bytes,
// packets, drops, overlimits, requeues, the hardware part, rate and pps,
// backlog and qlen. The older TCA_STATS alone tc prints as text only.
func writeTCStats(j *jsonOut, s *netlink.TCStats) {
	p := tcStatsPresent(s)
	if !p.stats2 {
		return
	}
	if p.basic {
		j.uint("bytes", s.Bytes)
		j.uint("packets", s.Packets)
	}
	if p.queue {
		j.uint("drops", uint64(s.Drops))
		j.uint("overlimits", uint64(s.Overlimits))
		j.uint("requeues", uint64(s.Requeues))
	}
	if p.basicHW && (s.BytesHW != 0 || s.PacketsHW != 0) {
		if p.basic && s.Bytes >= s.BytesHW && s.Packets >= s.PacketsHW {
			j.uint("sw_bytes", s.Bytes-s.BytesHW)
			j.uint("sw_packets", uint64(uint32(s.Packets-s.PacketsHW)))
		}
		j.uint("hw_bytes", s.BytesHW)
		j.uint("hw_packets", uint64(uint32(s.PacketsHW)))
	}
	if p.rateEst {
		j.uint("rate", s.RateBytes)
		j.uint("pps", s.RatePackets)
	}
	if p.queue {
		j.uint("backlog", uint64(s.Backlog))
		j.uint("qlen", uint64(s.Qlen))
	}
}

// tcXstats returns the kind's own statistics (TCA_STATS_APP, or
// TCA_XSTATS without it), as tc's print_tcstats_attr picks them.
func tcXstats(s *netlink.TCStats) []byte {
	if s.App != nil {
		return s.App
	}
	for _, a := range s.Attrs {
		if a.Type&0x3fff == unix.TCA_XSTATS {
			return a.Data
		}
	}
	return nil
}

// writeQdiscXstats is the kinds' print_xstats in JSON, for the kinds
// whose statistics tc prints as JSON keys: fq_codel (struct
// tc_fq_codel_xstats), fq (struct tc_fq_qd_stats), sfq (struct
// tc_sfq_xstats) and cake (TCA_CAKE_STATS_* attributes). tc prints
// htb's as text inside its JSON.
func writeQdiscXstats(j *jsonOut, kind string, x []byte) {
	u32 := func(i int) uint32 { return binary.NativeEndian.Uint32(x[i:]) }
	u64 := func(i int) uint64 { return binary.NativeEndian.Uint64(x[i:]) }
	switch kind {
	case "fq_codel":
		if len(x) < 4 {
			return
		}
		switch u32(0) {
		case 0: // TCA_FQ_CODEL_XSTATS_QDISC
			if len(x) < 4+9*4 {
				return
			}
			j.uint("maxpacket", uint64(u32(4)))
			j.uint("drop_overlimit", uint64(u32(8)))
			j.uint("new_flow_count", uint64(u32(16)))
			j.uint("ecn_mark", uint64(u32(12)))
			if v := u32(28); v != 0 {
				j.uint("ce_mark", uint64(v))
			}
			if v := u32(32); v != 0 {
				j.uint("memory_used", uint64(v))
			}
			if v := u32(36); v != 0 {
				j.uint("drop_overmemory", uint64(v))
			}
			j.uint("new_flows_len", uint64(u32(20)))
			j.uint("old_flows_len", uint64(u32(24)))
		case 1: // TCA_FQ_CODEL_XSTATS_CLASS
			if len(x) < 4+6*4 {
				return
			}
			j.int("deficit", int64(int32(u32(4))))
			j.uint("count", uint64(u32(12)))
			j.uint("lastcount", uint64(u32(16)))
			j.uint("ldelay", uint64(u32(8)))
			if u32(20) != 0 {
				j.boolean("dropping", true)
				j.int("drop_next", int64(int32(u32(24))))
			}
		}
	case "fq":
		// struct tc_fq_qd_stats of Linux 6.1: gc_flows, highprio_packets,
		// tcp_retrans, throttled, flows_plimit, pkts_too_long,
		// allocation_errors, time_next_delayed_flow (u64 each), flows,
		// inactive_flows, throttled_flows, unthrottle_latency_ns (u32),
		// ce_mark, horizon_drops, horizon_caps (u64).
		if len(x) < 8*8+4*4 {
			return
		}
		j.uint("flows", uint64(u32(64)))
		j.uint("inactive", uint64(u32(68)))
		j.uint("throttled", uint64(u32(72)))
		if d := int64(u64(56)); d > 0 {
			j.uint("next_packet_delay", uint64(d))
		}
		j.uint("gc", u64(0))
		j.uint("highprio", u64(8))
		if v := u64(16); v != 0 {
			j.uint("retrans", v)
		}
		j.uint("throttled", u64(24))
		if v := u32(76); v != 0 {
			j.uint("latency", uint64(v))
		}
		var ce, hd, hc uint64
		if len(x) >= 104 {
			ce, hd, hc = u64(80), u64(88), u64(96)
		}
		if ce != 0 {
			j.uint("ce_mark", ce)
		}
		if v := u64(32); v != 0 {
			j.uint("flows_plimit", v)
		}
		if v := u64(40); v != 0 {
			j.uint("pkts_too_long", v)
		}
		if v := u64(48); v != 0 {
			j.uint("alloc_errors", v)
		}
		if hd != 0 {
			j.uint("horizon_drops", hd)
		}
		if hc != 0 {
			j.uint("horizon_caps", hc)
		}
	case "sfq":
		if len(x) >= 4 {
			j.int("allot", int64(int32(u32(0))))
		}
	case "cake":
		writeCakeXstats(j, x)
	}
}

// tcAttrTable is iproute2's parse_rtattr: the first attribute of each
// type up to max, types compared whole (flags not masked), as tc reads
// them.
func tcAttrTable(b []byte, max int) [][]byte {
	tb := make([][]byte, max+1)
	for len(b) >= 4 {
		l, t := int(binary.NativeEndian.Uint16(b)), int(binary.NativeEndian.Uint16(b[2:]))
		if l < 4 || l > len(b) {
			break
		}
		if t <= max && tb[t] == nil {
			tb[t] = b[4:l]
		}
		b = b[min((l+3)&^3, len(b)):]
	}
	return tb
}

// writeCakeXstats is cake_print_xstats (tc/q_cake.c) in JSON: the
// attributes of include/uapi/linux/pkt_sched.h's TCA_CAKE_STATS_* and,
// per tin, TCA_CAKE_TIN_STATS_* (cake_print_json_tin).
func writeCakeXstats(j *jsonOut, x []byte) {
	st := tcAttrTable(x, 16)
	u32 := func(b []byte) (uint32, bool) {
		if len(b) < 4 {
			return 0, false
		}
		return binary.NativeEndian.Uint32(b), true
	}
	u64 := func(b []byte) (uint64, bool) {
		if len(b) < 8 {
			return 0, false
		}
		return binary.NativeEndian.Uint64(b), true
	}
	pair := func(a, b int, ka, kb string) {
		va, oka := u32(st[a])
		vb, okb := u32(st[b])
		if st[a] != nil && st[b] != nil && oka && okb {
			j.uint(ka, uint64(va))
			j.uint(kb, uint64(vb))
		}
	}
	pair(4, 3, "memory_used", "memory_limit") // MEMORY_USED, MEMORY_LIMIT
	if v, ok := u64(st[2]); ok {              // CAPACITY_ESTIMATE64
		j.uint("capacity_estimate", v)
	}
	pair(6, 7, "min_network_size", "max_network_size")
	pair(8, 9, "min_adj_size", "max_adj_size")
	if v, ok := u32(st[5]); ok { // AVG_NETOFF
		j.uint("avg_hdr_offset", uint64(v))
	}
	if v, ok := u32(st[11]); ok { // DEFICIT
		j.int("deficit", int64(int32(v)))
	}
	if v, ok := u32(st[12]); ok { // COBALT_COUNT
		j.uint("count", uint64(v))
	}
	if v, ok := u32(st[13]); ok && v != 0 { // DROPPING
		j.boolean("dropping", true)
		if d, ok := u32(st[14]); ok && int32(d) >= 0 { // DROP_NEXT_US
			j.uint("drop_next", uint64(d))
		}
	}
	if v, ok := u32(st[15]); ok { // P_DROP
		j.uint("blue_prob", uint64(v))
		if d, ok := u32(st[16]); ok && int32(d) >= 0 { // BLUE_TIMER_US
			j.uint("blue_timer", uint64(d))
		}
	}
	if st[10] == nil { // TIN_STATS
		return
	}
	tins := tcAttrTable(st[10], 8) // TC_CAKE_MAX_TINS
	n := 0
	for n < 8 && tins[n+1] != nil {
		n++
	}
	if n == 0 {
		return
	}
	j.openArray("tins")
	for i := 1; i <= n; i++ {
		ts := tcAttrTable(tins[i], 25)
		j.openObject("")
		for _, k := range []struct {
			name string
			attr int
			wide bool
		}{
			{"threshold_rate", 12, true}, {"sent_bytes", 3, true}, {"backlog_bytes", 11, false}, {"target_us", 13, false},
			{"interval_us", 14, false}, {"peak_delay_us", 18, false}, {"avg_delay_us", 19, false}, {"base_delay_us", 20, false},
			{"sent_packets", 2, false}, {"way_indirect_hits", 15, false}, {"way_misses", 16, false}, {"way_collisions", 17, false},
			{"drops", 4, false}, {"ecn_mark", 8, false}, {"ack_drops", 6, false}, {"sparse_flows", 21, false},
			{"bulk_flows", 22, false}, {"unresponsive_flows", 23, false}, {"max_pkt_len", 24, false}, {"flow_quantum", 25, false},
		} {
			if k.wide {
				if v, ok := u64(ts[k.attr]); ok {
					j.uint(k.name, v)
				}
			} else if v, ok := u32(ts[k.attr]); ok {
				j.uint(k.name, uint64(v))
			}
		}
		j.closeObject()
	}
	j.closeArray()
}

// --- filters and actions ---------------------------------------------

// writeClsFlags is the filters' TCA_CLS_FLAGS_* as tc prints them:
// skip_hw, skip_sw, then in_hw or else not_in_hw.
func writeClsFlags(j *jsonOut, flags uint32) {
	if flags&netlink.TCClsFlagsSkipHW != 0 {
		j.boolean("skip_hw", true)
	}
	if flags&netlink.TCClsFlagsSkipSW != 0 {
		j.boolean("skip_sw", true)
	}
	if flags&netlink.TCClsFlagsInHW != 0 {
		j.boolean("in_hw", true)
	} else if flags&netlink.TCClsFlagsNotInHW != 0 {
		j.boolean("not_in_hw", true)
	}
}

// tcActionWord is action_n2a (tc/tc_util.c).
func tcActionWord(a int32) string {
	switch a &^ 0x0fffffff {
	case netlink.TCActGotoChain:
		return "goto"
	case netlink.TCActJump:
		return "jump"
	}
	switch a {
	case netlink.TCActUnspec:
		return "continue"
	case netlink.TCActOK:
		return "pass"
	case netlink.TCActShot:
		return "drop"
	case netlink.TCActReclassify:
		return "reclassify"
	case netlink.TCActPipe:
		return "pipe"
	case netlink.TCActStolen:
		return "stolen"
	case netlink.TCActTrap:
		return "trap"
	}
	return strconv.Itoa(int(a))
}

// writeControl is print_action_control's JSON: {"type", "chain"|"jump"}.
func writeControl(j *jsonOut, a int32) {
	j.openObject("control_action")
	j.str("type", tcActionWord(a))
	switch a &^ 0x0fffffff {
	case netlink.TCActGotoChain:
		j.uint("chain", uint64(uint32(a)&0x0fffffff))
	case netlink.TCActJump:
		j.uint("jump", uint64(uint32(a)&0x0fffffff))
	}
	j.closeObject()
}

// writePolice is print_police (tc/m_police.c) in JSON: the rates and
// sizes tc prints as text only are not keys; linklayer with -d or when
// not ethernet.
func writePolice(j *jsonOut, p *netlink.Police, v tcView) {
	j.str("kind", "police")
	j.uint("index", uint64(p.Index))
	if p.PktRate != 0 || p.PktBurst != 0 {
		j.uint("pkts_rate", p.PktRate)
		j.uint("pkts_burst", uint64(tcXmitSize(p.PktRate, time.Duration(p.PktBurst)*64)))
	}
	writeControl(j, p.Action)
	if p.Conform != nil {
		writeControl(j, *p.Conform) // tc writes a second control_action
	}
	j.uint("overhead", uint64(p.RateSpec.Overhead))
	if ll := p.RateSpec.Linklayer & 0x0f; ll > netlink.LinklayerEthernet || v.details {
		j.str("linklayer", tcLinklayer(ll))
	}
	j.int("ref", int64(p.Refcnt))
	j.int("bind", int64(p.Bindcnt))
}

// writeActions is tc_print_action (tc/m_action.c) for a filter's actions
// (bound ones): "actions": [{"order": n, the kind's keys, "cookie"}...].
func writeActions(j *jsonOut, acts netlink.TCActions, names *linkNames, v tcView) {
	if len(acts) == 0 {
		return
	}
	j.openArray("actions")
	for i, a := range acts {
		j.openObject("")
		j.uint("order", uint64(i+1))
		writeAction(j, a, names, v)
		j.closeObject()
	}
	j.closeArray()
}

func writeAction(j *jsonOut, a *netlink.TCAction, names *linkNames, v tcView) {
	switch o := a.Options.(type) {
	case *netlink.Gact:
		j.str("kind", "gact")
		writeControl(j, o.Action)
		p := netlink.GactProb{}
		if o.Prob != nil {
			p = *o.Prob
		}
		j.openObject("prob")
		j.str("random_type", gactProbWord(p.Type))
		writeControl(j, p.Action)
		j.int("val", int64(p.Value))
		j.closeObject()
		j.uint("index", uint64(o.Index))
		j.int("ref", int64(o.Refcnt))
		j.int("bind", int64(o.Bindcnt))
	case *netlink.Mirred:
		j.str("kind", "mirred")
		act, dir := "unknown", "unknown"
		switch o.Eaction {
		case netlink.MirredEgressRedirect:
			act, dir = "redirect", "egress"
		case netlink.MirredEgressMirror:
			act, dir = "mirror", "egress"
		case netlink.MirredIngressRedirect:
			act, dir = "redirect", "ingress"
		case netlink.MirredIngressMirror:
			act, dir = "mirror", "ingress"
		}
		j.str("mirred_action", act)
		j.str("direction", dir)
		j.str("to_dev", names.name(int(o.Ifindex)))
		writeControl(j, o.Action)
		j.uint("index", uint64(o.Index))
		j.int("ref", int64(o.Refcnt))
		j.int("bind", int64(o.Bindcnt))
	case *netlink.Police:
		writePolice(j, o, v)
	case *netlink.ActBPF:
		j.str("kind", "bpf")
		if o.Name != "" {
			j.str("bpf_name", o.Name)
		}
		if n := len(o.Ops) / 8; n > 0 {
			j.openObject("bytecode")
			j.uint("length", uint64(n))
			j.openArray("insns")
			for k := 0; k < n; k++ {
				in := o.Ops[k*8:]
				j.openObject("")
				j.uint("code", uint64(binary.NativeEndian.Uint16(in)))
				j.uint("jt", uint64(in[2]))
				j.uint("jf", uint64(in[3]))
				j.uint("k", uint64(binary.NativeEndian.Uint32(in[4:])))
				j.closeObject()
			}
			j.closeArray()
			j.closeObject()
		}
		bpfProgOf(o.ID, o.Tag).writeJSON(j, v)
		writeControl(j, o.Action)
		j.uint("index", uint64(o.Index))
		j.int("ref", int64(o.Refcnt))
		j.int("bind", int64(o.Bindcnt))
	default:
		// tc prints nothing but the order for a kind it does not know.
	}
	if v.stats {
		writeActionStats(j, a)
	}
	if a.Cookie != nil {
		j.str("cookie", hexString(a.Cookie))
	}
	for _, at := range a.Unknown {
		switch at.Type & 0x3fff {
		case 7: // TCA_ACT_FLAGS: a bound action prints no_percpu only
			if len(at.Data) >= 8 && binary.NativeEndian.Uint32(at.Data[4:])&1 != 0 {
				j.boolean("no_percpu", binary.NativeEndian.Uint32(at.Data)&1 != 0)
			}
		}
	}
	for _, t := range []uint16{8, 9} { // TCA_ACT_HW_STATS, TCA_ACT_USED_HW_STATS
		for _, at := range a.Unknown {
			if at.Type&0x3fff != t || len(at.Data) < 8 {
				continue
			}
			hw := binary.NativeEndian.Uint32(at.Data) & binary.NativeEndian.Uint32(at.Data[4:]) & 0xff
			k := "hw_stats"
			if t == 9 {
				k = "used_hw_stats"
			}
			j.openArray(k)
			for _, it := range []struct {
				s   string
				bit uint32
			}{{"immediate", 1}, {"delayed", 2}, {"disabled", 0}} {
				if (hw == 0 && it.bit == 0) || hw&it.bit != 0 {
					j.str("", it.s)
				}
			}
			j.closeArray()
		}
	}
}

// gactProbWord is prob_n2a (tc/m_gact.c).
func gactProbWord(t uint16) string {
	switch t {
	case 1:
		return "netrand"
	case 2:
		return "determ"
	}
	return "none"
}

// hexString is hexstring_n2a: lower-case hex digits, two per byte.
func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	s := make([]byte, 0, 2*len(b))
	for _, c := range b {
		s = append(s, digits[c>>4], digits[c&15])
	}
	return string(s)
}

// flowerMAC is flower_print_eth_addr's value: the address, "/len" for a
// shorter contiguous mask, "/mask" for another.
func flowerMAC(a, m []byte) string {
	s := macString(a)
	if len(m) == 6 {
		switch bits := maskBits(m); {
		case bits < 0:
			s += "/" + macString(m)
		case bits < 48:
			s += "/" + strconv.Itoa(bits)
		}
	}
	return s
}

func macString(a []byte) string {
	const digits = "0123456789abcdef"
	s := make([]byte, 0, 3*len(a))
	for i, c := range a {
		if i > 0 {
			s = append(s, ':')
		}
		s = append(s, digits[c>>4], digits[c&15])
	}
	return string(s)
}

// maskBits is __mask_bits: the length of a contiguous mask, -1 for
// another.
func maskBits(m []byte) int {
	bits, zero := 0, false
	for _, b := range m {
		for i := 7; i >= 0; i-- {
			if b&(1<<i) != 0 {
				if zero {
					return -1
				}
				bits++
			} else {
				zero = true
			}
		}
	}
	return bits
}

// writeFlower is flower_print_opt (tc/f_flower.c) for the keys netlink
// decodes.
func writeFlower(j *jsonOut, handle uint32, o *netlink.Flower, names *linkNames, v tcView) {
	if handle != 0 {
		j.uint("handle", uint64(handle))
	}
	if o.ClassID != 0 {
		if m := o.ClassID.Minor(); m >= 0xffe0 && m < 0xffe0+16 {
			j.uint("hw_tc", uint64(m-0xffe0))
		} else {
			j.str("classid", o.ClassID.String())
		}
	}
	if o.Indev != "" {
		j.str("indev", o.Indev)
	}
	j.openObject("keys")
	vlan := o.VlanID != nil || o.VlanPrio != nil || o.VlanEthType != 0
	if o.VlanID != nil {
		j.uint("vlan_id", uint64(*o.VlanID))
	}
	if o.VlanPrio != nil {
		j.uint("vlan_prio", uint64(*o.VlanPrio))
	}
	// The kernel reports the matched ethertype: the inner one behind a
	// VLAN tag (fl_dump_key's basic.n_proto).
	ethType := o.EthType
	if vlan && (ethType == unix.ETH_P_8021Q || ethType == unix.ETH_P_8021AD) {
		ethType = o.VlanEthType
	}
	if vlan && ethType != 0 {
		j.str("vlan_ethtype", netlink.TCProtocolString(ethType))
	}
	if o.DstMAC != nil {
		j.str("dst_mac", flowerMAC(o.DstMAC, o.DstMACMask))
	}
	if o.SrcMAC != nil {
		j.str("src_mac", flowerMAC(o.SrcMAC, o.SrcMACMask))
	}
	if ethType != 0 {
		j.str("eth_type", flowerEthType(ethType))
	}
	if o.IPProto != nil {
		j.str("ip_proto", flowerIPProto(*o.IPProto))
	}
	for _, a := range []struct {
		k string
		p netip.Prefix
	}{{"dst_ip", o.Dst}, {"src_ip", o.Src}} {
		if a.p.IsValid() && (a.p.Addr().Is4() && ethType == unix.ETH_P_IP || a.p.Addr().Is6() && ethType == unix.ETH_P_IPV6) {
			j.str(a.k, flowerPrefix(a.p))
		}
	}
	port := func(name string, p, m *uint16) {
		if p == nil {
			return
		}
		j.uint(name, uint64(*p))
		if m != nil && *m != 0xffff {
			j.str(name+"_mask", tcHex(uint64(*m)))
		}
	}
	port("dst_port", o.DstPort, o.DstPortMask)
	port("src_port", o.SrcPort, o.SrcPortMask)
	j.closeObject()
	writeClsFlags(j, o.Flags)
	writeActions(j, o.Actions, names, v)
}

// flowerEthType is flower_print_eth_type's word.
func flowerEthType(t uint16) string {
	switch t {
	case unix.ETH_P_IP:
		return "ipv4"
	case unix.ETH_P_IPV6:
		return "ipv6"
	case unix.ETH_P_ARP:
		return "arp"
	case unix.ETH_P_RARP:
		return "rarp"
	}
	return hex04(t)
}

// flowerIPProto is flower_print_ip_proto's word: a name, else two hex
// digits.
func flowerIPProto(p uint8) string {
	if w, ok := netlink.FlowerIPProtoName(p); ok {
		return w
	}
	return strconv.FormatUint(uint64(p)|0x100, 16)[1:]
}

// flowerPrefix is flower_print_ip_addr's value: the address, with
// "/len" when the mask is shorter than the address.
func flowerPrefix(p netip.Prefix) string {
	if p.Bits() == p.Addr().BitLen() {
		return p.Addr().String()
	}
	return p.String()
}

// hex04 is %04x.
func hex04(v uint16) string {
	s := strconv.FormatUint(uint64(v), 16)
	for len(s) < 4 {
		s = "0" + s
	}
	return s
}

// writeMatchall is matchall_print_opt (tc/f_matchall.c).
func writeMatchall(j *jsonOut, handle uint32, o *netlink.Matchall, names *linkNames, v tcView) {
	if handle != 0 {
		j.uint("handle", uint64(handle))
	}
	if o.ClassID != 0 {
		j.str("flowid", o.ClassID.String())
	}
	writeClsFlags(j, o.Flags)
	writeActions(j, o.Actions, names, v)
}

// writeBasic is basic_print_opt (tc/f_basic.c). tc 6.1 writes the ematch
// tree as text into the middle of its JSON (print_ematch prints to the
// stream), which no JSON reader takes; ipdb writes that text as the
// value of an "ematch" key of its own, where tc's text stands.
func writeBasic(j *jsonOut, handle uint32, o *netlink.Basic, names *linkNames, v tcView) {
	if handle != 0 {
		j.str("handle", tcHex(uint64(handle)))
	}
	if o.ClassID != 0 {
		j.str("flowid", o.ClassID.String())
	}
	if t := ematchText(o.Ematches); t != "" {
		j.str("ematch", t)
	}
	if o.Police != nil {
		writePolice(j, o.Police, v)
	}
	writeActions(j, o.Actions, names, v)
}

// ematchText is print_ematch's text (tc/m_ematch.c) for a tree of cmp
// matches (tc/em_cmp.c); other kinds as "kind N".
func ematchText(b []byte) string {
	var list []byte
	for len(b) >= 4 {
		l, t := int(binary.NativeEndian.Uint16(b)), binary.NativeEndian.Uint16(b[2:])
		if l < 4 || l > len(b) {
			break
		}
		if t&0x3fff == 2 { // TCA_EMATCH_TREE_LIST
			list = b[4:l]
		}
		b = b[min((l+3)&^3, len(b)):]
	}
	var parts []string
	for len(list) >= 4 {
		l := int(binary.NativeEndian.Uint16(list))
		if l < 4 || l > len(list) {
			break
		}
		m := list[4:l]
		list = list[min((l+3)&^3, len(list)):]
		if len(m) < 8 {
			continue
		}
		kind, flags := binary.NativeEndian.Uint16(m[2:]), binary.NativeEndian.Uint16(m[4:])
		d := m[8:]
		s := "kind " + strconv.Itoa(int(kind))
		if kind == 1 && len(d) >= 12 {
			// struct tcf_em_cmp: val, mask, off, then align:4 flags:4
			// and layer:4 opnd:4 (low bits first).
			val, mask, off := binary.NativeEndian.Uint32(d), binary.NativeEndian.Uint32(d[4:]), binary.NativeEndian.Uint16(d[8:])
			align, fl, layer, opnd := d[10]&0x0f, d[10]>>4, d[11]&0x0f, d[11]>>4
			w := "cmp("
			if a := map[uint8]string{1: "u8", 2: "u16", 4: "u32"}[align]; a != "" {
				w += a + " "
			}
			w += "at " + strconv.Itoa(int(off)) + " layer " + strconv.Itoa(int(layer)) + " "
			if mask != 0 {
				w += "mask 0x" + strconv.FormatUint(uint64(mask), 16) + " "
			}
			if fl&1 != 0 { // TCF_EM_CMP_TRANS
				w += "trans "
			}
			w += map[uint8]string{0: "eq ", 1: "gt ", 2: "lt "}[opnd]
			s = w + strconv.FormatUint(uint64(val), 10) + ")"
		}
		if flags&4 != 0 { // TCF_EM_INVERT
			s = "NOT " + s
		}
		parts = append(parts, s)
		switch flags & 3 { // TCF_EM_REL_AND, OR
		case 1:
			parts = append(parts, "AND")
		case 2:
			parts = append(parts, "OR")
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
