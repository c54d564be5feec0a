package main

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// This file renders traffic control objects as tc(8) of iproute2 6.1
// does: qdiscs as `tc -j -d qdisc show`, filters as `tc -j filter show dev
// X` (with "dev" added, since show lists every link's), and classes, which
// tc 6.1 prints as text even with -j, as a JSON object with the keys of
// tc's text (`tc class show`): class, handle, root or parent, leaf, and
// for htb prio, rate, ceil, burst and cburst. monitor's words are tc
// monitor's text.
//
// Options are rendered for the kinds netlink decodes (qdiscs htb, tbf,
// pfifo, bfifo, pfifo_fast, ingress, clsact; noqueue and mq have none;
// htb classes; u32 and bpf filters), with tc's keys and values. A kind
// netlink keeps as raw bytes (netlink.RawTCOptions) has an empty
// "options" object: there is no decoded field to print.

// tcTicksPerUsec is tc's tick_in_usec for the kernel's 64 ns psched ticks
// (tc/tc_core.c tc_core_init with /proc/net/psched's 1000 64 ...).
const tcTicksPerUsec = 15.625

// tcTick2Time is tc_core_tick2time: d, kept by the kernel in ticks, in
// whole microseconds (tc returns an unsigned int: truncated).
func tcTick2Time(d time.Duration) float64 {
	return float64(uint32(float64(d/(64*time.Nanosecond)) / tcTicksPerUsec))
}

// tcXmitSize is tc_calc_xmitsize: the bytes sent at rate (bytes per
// second) in d, truncated as tc does.
func tcXmitSize(rate uint64, d time.Duration) uint32 {
	return uint32(float64(rate) * tcTick2Time(d) / 1e6)
}

// tcSize is tc's sprint_size (netlink.FormatTCSize) of a 32-bit size.
func tcSize(sz uint32) string { return netlink.FormatTCSize(uint64(sz)) }

// tcRate is tc's sprint_rate (netlink.FormatTCRate).
var tcRate = netlink.FormatTCRate

// tcLinklayer is tc's sprint_linklayer: "unspec" for 0 (a rate table
// made without one: the CNI plugins' tbf, ipdb's own), "ethernet", "atm",
// else "unknown".
func tcLinklayer(l uint8) string {
	switch l {
	case 0:
		return "unspec"
	case 1:
		return "ethernet"
	case 2:
		return "atm"
	}
	return "unknown"
}

// tcParentWord is where tc prints a qdisc or class hangs: ("root", "") for
// TC_H_ROOT, ("parent", "1:10") otherwise, ("", "") for none.
func tcParentWord(p netlink.Handle) (key, val string) {
	switch p {
	case netlink.HandleRoot:
		return "root", ""
	case netlink.HandleNone:
		return "", ""
	}
	return "parent", p.String()
}

// writeQdisc writes a qdisc as `tc -j -d qdisc show` does (print_qdisc
// in iproute2's tc/tc_qdisc.c): kind, handle ("1:"), dev, root or
// parent, refcnt when not 1, offloaded, ingress_block and egress_block
// when set, and options (always an object). serve and watch print this
// form, with the details and without the volatile statistics.
func writeQdisc(j *jsonOut, q *netlink.Qdisc, names *linkNames) {
	writeQdiscView(j, q, names, false, tcView{details: true})
}

// writeQdiscView is writeQdisc as `tc -j [-d] [-s] qdisc show [dev X]`
// prints it: without "dev" when omitDev, the options' details with
// v.details, and with v.stats the statistics after the options (bytes,
// packets, drops, overlimits, requeues, backlog, qlen, then the kind's
// own).
func writeQdiscView(j *jsonOut, q *netlink.Qdisc, names *linkNames, omitDev bool, v tcView) {
	j.openObject("")
	j.str("kind", q.TCKind)
	j.str("handle", strconv.FormatUint(uint64(q.Handle.Major()), 16)+":")
	if !omitDev {
		j.str("dev", names.name(q.Index))
	}
	if k, v := tcParentWord(q.Parent); k == "root" {
		j.boolean("root", true)
	} else if k != "" {
		j.str("parent", v)
	}
	if q.Refcnt != 1 {
		j.uint("refcnt", uint64(q.Refcnt))
	}
	if q.HWOffload {
		j.boolean("offloaded", true)
	}
	if q.IngressBlock != 0 {
		j.uint("ingress_block", uint64(q.IngressBlock))
	}
	if q.EgressBlock != 0 {
		j.uint("egress_block", uint64(q.EgressBlock))
	}
	j.openObject("options")
	writeQdiscOptions(j, q.Options, v)
	j.closeObject()
	if v.stats && q.Stats != nil {
		writeTCStats(j, q.Stats)
		if x := tcXstats(q.Stats); x != nil {
			writeQdiscXstats(j, q.TCKind, x)
		}
	}
	j.closeObject()
}

// writeQdiscOptions writes the options of the kinds netlink decodes as
// the kinds' print_qopt do (tc/q_htb.c, q_tbf.c, q_fifo.c, q_prio.c for
// prio and pfifo_fast, q_fq_codel.c, q_fq.c, q_netem.c, q_sfq.c,
// q_cake.c), with -d's details when v.details.
func writeQdiscOptions(j *jsonOut, o netlink.QdiscOptions, v tcView) {
	switch o := o.(type) {
	case *netlink.FqCodel:
		// tc/q_fq_codel.c fq_codel_print_opt: times in microseconds.
		u := func(k string, v *uint32) {
			if v != nil {
				j.uint(k, uint64(*v))
			}
		}
		u("limit", o.Limit)
		u("flows", o.Flows)
		u("quantum", o.Quantum)
		u("target", o.Target)
		u("ce_threshold", o.CEThreshold)
		var sel, mask uint8
		if o.CEThresholdSelector != nil {
			sel = *o.CEThresholdSelector
		}
		if o.CEThresholdMask != nil {
			mask = *o.CEThresholdMask
		}
		if sel != 0 || mask != 0 {
			j.uint("ce_threshold_selector", uint64(sel))
			j.uint("ce_threshold_mask", uint64(mask))
		}
		u("interval", o.Interval)
		u("memory_limit", o.MemoryLimit)
		if o.ECN != nil && *o.ECN != 0 {
			j.boolean("ecn", true)
		}
		if o.DropBatchSize != nil && *o.DropBatchSize != 0 {
			j.uint("drop_batch", uint64(*o.DropBatchSize))
		}
	case *netlink.HTB:
		j.uint("r2q", uint64(o.Rate2Quantum))
		j.hex("default", uint64(o.Default))
		j.uint("direct_packets_stat", uint64(o.DirectPackets))
		if v.details {
			j.str("ver", strconv.FormatUint(uint64(o.Version>>16), 10)+"."+strconv.FormatUint(uint64(o.Version&0xffff), 10))
		}
		j.uint("direct_qlen", uint64(o.DirectQlen))
		if o.Offload {
			j.null("offload")
		}
	case *netlink.TBF:
		j.uint("rate", o.Rate)
		if v.details {
			j.str("burst", tcSize(tcXmitSize(o.Rate, o.Buffer))+"/"+strconv.FormatUint(1<<o.RateSpec.CellLog, 10))
			j.uint("mpu", uint64(o.RateSpec.MPU))
		} else {
			j.uint("burst", uint64(tcXmitSize(o.Rate, o.Buffer)))
		}
		if o.Peakrate != 0 {
			// tc 6.1 prints the peak rate in its text only; its JSON has
			// the peak bucket's "mtu" and "mpu" (a second "mpu" key) with
			// -d, "minburst" without.
			if o.Mtu != 0 || o.PeakSpec.MPU != 0 {
				if v.details {
					j.str("mtu", tcSize(tcXmitSize(o.Peakrate, o.Mtu))+"/"+strconv.FormatUint(1<<o.PeakSpec.CellLog, 10))
					j.uint("mpu", uint64(o.PeakSpec.MPU))
				} else {
					j.uint("minburst", uint64(tcXmitSize(o.Peakrate, o.Mtu)))
				}
			}
		}
		lat := tbfLatency(o)
		if lat >= 0 {
			j.uint("lat", uint64(lat))
		} else {
			j.uint("limit", uint64(o.Limit))
		}
		if o.RateSpec.Overhead != 0 {
			j.int("overhead", int64(o.RateSpec.Overhead))
		}
		if ll := o.RateSpec.Linklayer & 0x0f; ll > 1 || v.details {
			j.str("linklayer", tcLinklayer(ll))
		}
	case *netlink.Fifo:
		j.uint("limit", uint64(o.Limit))
	case *netlink.PfifoFast:
		// prio_print_opt prints multiqueue always in JSON: true only with
		// a TCA_PRIO_MQ of 1, which pfifo_fast never sends.
		writePrio(j, uint32(o.Bands), o.Priomap[:], false)
	case *netlink.Prio:
		writePrio(j, o.Bands, o.Priomap[:], o.Multiqueue)
	case *netlink.Fq:
		writeFq(j, o)
	case *netlink.Netem:
		writeNetem(j, o)
	case *netlink.Sfq:
		writeSfq(j, o, v)
	case *netlink.Cake:
		writeCake(j, o)
	}
}

// tbfLatency is tbf_print_opt's latency in microseconds: how long Limit
// bytes wait at the rate, less the bucket (the larger of the rate's and
// the peak rate's).
func tbfLatency(o *netlink.TBF) float64 {
	if o.Rate == 0 {
		return -1
	}
	lat := 1e6*(float64(o.Limit)/float64(o.Rate)) - tcTick2Time(o.Buffer)
	if o.Peakrate != 0 {
		if l2 := 1e6*(float64(o.Limit)/float64(o.Peakrate)) - tcTick2Time(o.Mtu); l2 > lat {
			lat = l2
		}
	}
	return lat
}

// qdiscWords are a qdisc's words as `tc qdisc show` and `tc monitor`
// print them: "htb 1: dev v0 root refcnt 2 r2q 10 default 0x10
// direct_packets_stat 0 direct_qlen 1000" (monitor prefixes "qdisc").
// Kind, handle, dev and parent are its identity.
func qdiscWords(q *netlink.Qdisc, names *linkNames) words {
	return qdiscWordsView(q, names, tcView{})
}

// qdiscWordsView are qdiscWords as `tc [-d] [-s] qdisc show` prints
// them: with v.details the kinds' -d words, with v.stats the statistics'
// lines joined (statsWords).
func qdiscWordsView(q *netlink.Qdisc, names *linkNames, v tcView) words {
	var w words
	w.id("kind", q.TCKind)
	w.id("handle", strconv.FormatUint(uint64(q.Handle.Major()), 16)+":")
	w.id("dev", "dev "+names.name(q.Index))
	if k, v := tcParentWord(q.Parent); k == "root" {
		w.id("root", "root")
	} else if k != "" {
		w.id("parent", "parent "+v)
	}
	if q.Refcnt != 1 {
		w.add("refcnt", strconv.FormatUint(uint64(q.Refcnt), 10))
	}
	// tc/tc_qdisc.c print_qdisc: offloaded, then the shared blocks when
	// not 0 (TCA_INGRESS_BLOCK, TCA_EGRESS_BLOCK).
	if q.HWOffload {
		w.flag("offloaded")
	}
	if q.IngressBlock != 0 {
		w.add("ingress_block", strconv.FormatUint(uint64(q.IngressBlock), 10))
	}
	if q.EgressBlock != 0 {
		w.add("egress_block", strconv.FormatUint(uint64(q.EgressBlock), 10))
	}
	switch o := q.Options.(type) {
	case *netlink.FqCodel:
		// tc/q_fq_codel.c fq_codel_print_opt.
		num := func(k, unit string, v *uint32) {
			if v != nil {
				w.add(k, strconv.FormatUint(uint64(*v), 10)+unit)
			}
		}
		tm := func(k string, v *uint32) {
			if v != nil {
				w.add(k, tcTime(float64(*v)))
			}
		}
		num("limit", "p", o.Limit)
		num("flows", "", o.Flows)
		num("quantum", "", o.Quantum)
		tm("target", o.Target)
		tm("ce_threshold", o.CEThreshold)
		tm("interval", o.Interval)
		if o.MemoryLimit != nil {
			w.add("memory_limit", tcSize(*o.MemoryLimit))
		}
		if o.ECN != nil && *o.ECN != 0 {
			w.flag("ecn")
		}
		num("drop_batch", "", o.DropBatchSize)
	case *netlink.HTB:
		w.add("r2q", strconv.FormatUint(uint64(o.Rate2Quantum), 10))
		w.add("default", hex0x(uint64(o.Default)))
		w.add("direct_packets_stat", strconv.FormatUint(uint64(o.DirectPackets), 10))
		if v.details {
			w.add("ver", strconv.FormatUint(uint64(o.Version>>16), 10)+"."+strconv.FormatUint(uint64(o.Version&0xffff), 10))
		}
		w.add("direct_qlen", strconv.FormatUint(uint64(o.DirectQlen), 10))
		if o.Offload {
			w.flag("offload")
		}
	case *netlink.TBF:
		w.add("rate", tcRate(o.Rate))
		if v.details {
			w.add("burst", tcSize(tcXmitSize(o.Rate, o.Buffer))+"/"+strconv.FormatUint(1<<o.RateSpec.CellLog, 10))
			w.add("mpu", tcSize(uint32(o.RateSpec.MPU)))
		} else {
			w.add("burst", tcSize(tcXmitSize(o.Rate, o.Buffer)))
		}
		if o.Peakrate != 0 {
			w.add("peakrate", tcRate(o.Peakrate))
			if o.Mtu != 0 || o.PeakSpec.MPU != 0 {
				if v.details {
					w.add("mtu", tcSize(tcXmitSize(o.Peakrate, o.Mtu))+"/"+strconv.FormatUint(1<<o.PeakSpec.CellLog, 10))
					w.bare("pmpu", "mpu "+tcSize(uint32(o.PeakSpec.MPU)))
				} else {
					w.add("minburst", tcSize(tcXmitSize(o.Peakrate, o.Mtu)))
				}
			}
		}
		if lat := tbfLatency(o); lat >= 0 {
			w.add("lat", tcTime(lat))
		} else {
			w.add("limit", tcSize(o.Limit))
		}
		if o.RateSpec.Overhead != 0 {
			w.add("overhead", strconv.FormatUint(uint64(o.RateSpec.Overhead), 10))
		}
		if ll := o.RateSpec.Linklayer & 0x0f; ll > 1 || v.details {
			w.add("linklayer", tcLinklayer(ll))
		}
	case *netlink.Ingress:
		w.flag("----------------") // ingress_print_opt (tc/q_ingress.c)
	case *netlink.Fifo:
		if o.Kind == "bfifo" {
			w.add("limit", tcSize(o.Limit))
		} else {
			w.add("limit", strconv.FormatUint(uint64(o.Limit), 10)+"p")
		}
	case *netlink.PfifoFast:
		w.add("bands", strconv.FormatUint(uint64(o.Bands), 10))
		p := make([]string, len(o.Priomap))
		for i, b := range o.Priomap {
			p[i] = strconv.FormatUint(uint64(b), 10)
		}
		w.add("priomap", strings.Join(p, " "))
	default:
		qdiscKindWords(&w, q.Options, v)
	}
	if v.stats && q.Stats != nil {
		statsWords(&w, q.Stats)
		if x := tcXstats(q.Stats); x != nil {
			qdiscXstatsWords(&w, q.TCKind, x)
		}
	}
	return w
}

// hex0x is %#x: "0x10", "0" for zero.
func hex0x(v uint64) string {
	if v == 0 {
		return "0"
	}
	return "0x" + strconv.FormatUint(v, 16)
}

// tcTime is tc's sprint_time (netlink.FormatTCTime).
var tcTime = netlink.FormatTCTime

// tcFilterParent is how tc's print_filter names a filter's parent:
// ("root", ""), ("ingress", ""), ("egress", ""), ("parent", "1:"), or
// ("block", "N") for a shared block's filter.
func tcFilterParent(f *netlink.Filter) (key, val string) {
	switch {
	case f.Block != 0:
		return "block", strconv.FormatUint(uint64(f.Block), 10)
	case f.Parent == netlink.HandleRoot:
		return "root", ""
	case f.Parent == netlink.HandleIngressBlock:
		return "ingress", ""
	case f.Parent == netlink.HandleEgressBlock:
		return "egress", ""
	}
	return "parent", f.Parent.String()
}

// u32Handle is iproute2's sprint_u32_handle: "800:", "800::800",
// "800:1:800".
func u32Handle(h uint32) string {
	if h == 0 {
		return "none"
	}
	var b strings.Builder
	if ht := h >> 20; ht != 0 {
		b.WriteString(strconv.FormatUint(uint64(ht), 16))
		b.WriteByte(':')
	}
	hash, node := (h>>12)&0xff, h&0xfff
	if hash != 0 || node != 0 {
		if hash != 0 {
			b.WriteString(strconv.FormatUint(uint64(hash), 16))
		}
		if node != 0 {
			b.WriteByte(':')
			b.WriteString(strconv.FormatUint(uint64(node), 16))
		}
	}
	return b.String()
}

// writeFilter writes a filter as `tc -j filter show dev X` does
// (print_filter in tc/tc_filter.c), with "dev" first since show lists
// every link's: root, ingress, egress or parent (or block), protocol and
// pref (for every entry but a bare priority of protocol 0), kind, chain,
// and options when the kernel sent them (u32_print_opt in tc/f_u32.c,
// bpf_print_opt in tc/f_bpf.c, flower_print_opt, matchall_print_opt,
// basic_print_opt, with their actions). serve and watch print this form
// with the details (police's linklayer).
func writeFilter(j *jsonOut, f *netlink.Filter, names *linkNames) {
	writeFilterView(j, f, names, false, tcView{details: true})
}

// writeFilterView is writeFilter without "dev" when omitDev, as tc prints
// the filters of `dev X`, and with -d's details when v.details.
func writeFilterView(j *jsonOut, f *netlink.Filter, names *linkNames, omitDev bool, v tcView) {
	writeFilterRow(j, tcFilterRow{dev: f.Index, f: f}, names, tcFilterOmit{dev: omitDev}, v)
}

// writeFilterRow writes a filter as tc lists it for the link r.dev ("dev"
// when not 0; a shared block's filter has "block" in place of the parent),
// without the keys o leaves out (tc_select.go).
func writeFilterRow(j *jsonOut, r tcFilterRow, names *linkNames, o tcFilterOmit, v tcView) {
	f := r.f
	j.openObject("")
	if r.dev != 0 && !o.dev {
		j.str("dev", names.name(r.dev))
	}
	switch k, v := tcFilterParent(f); {
	case k == "block":
		if !o.block {
			j.uint("block", uint64(f.Block))
		}
	case o.parent:
	case k == "root", k == "ingress", k == "egress":
		j.boolean(k, true)
	default:
		j.str(k, v)
	}
	if f.Priority != 0 || f.Protocol != 0 {
		if !o.protocol {
			j.str("protocol", netlink.TCProtocolString(f.Protocol))
		}
		if !o.pref {
			j.uint("pref", uint64(f.Priority))
		}
	}
	j.str("kind", f.TCKind)
	if !o.chain {
		j.uint("chain", uint64(f.Chain))
	}
	if f.Options != nil {
		j.openObject("options")
		writeFilterOptions(j, f, names, v)
		j.closeObject()
	}
	j.closeObject()
}

func writeFilterOptions(j *jsonOut, f *netlink.Filter, names *linkNames, v tcView) {
	switch o := f.Options.(type) {
	case *netlink.U32:
		if f.Handle != 0 {
			j.str("fh", u32Handle(f.Handle))
		}
		if node := f.Handle & 0xfff; node != 0 {
			j.int("order", int64(node))
		}
		if o.Divisor != 0 {
			j.int("ht_divisor", int64(int32(o.Divisor)))
		} else if o.Hash != 0 {
			j.str("key_ht", strconv.FormatUint(uint64(o.Hash>>20), 16))
			j.str("bkt", strconv.FormatUint(uint64((o.Hash>>12)&0xff), 16))
		}
		if o.ClassID != 0 {
			j.str("flowid", o.ClassID.String())
		}
		if o.Link != 0 {
			j.str("link", u32Handle(o.Link))
		}
		writeClsFlags(j, o.Flags)
		pc, pcOK := u32Counters(o, v)
		if pcOK {
			j.uint("rule_hit", pc.rule)
			j.uint("success", pc.hit)
		}
		if o.Sel != nil {
			for i, k := range o.Sel.Keys {
				j.openObject("match")
				j.str("value", strconv.FormatUint(uint64(k.Val), 16))
				j.str("mask", strconv.FormatUint(uint64(k.Mask), 16))
				if k.OffMask != 0 {
					j.str("offmask", "nexthdr+")
				} else {
					j.str("offmask", "")
				}
				j.int("off", int64(k.Off))
				j.closeObject()
				if pcOK && i < len(pc.keys) {
					j.uint("success", pc.keys[i])
				}
			}
			if o.Sel.Hmask != 0 {
				j.str("hash_mask", tcHex(uint64(o.Sel.Hmask)))
				j.int("hash_off", int64(o.Sel.Hoff))
			}
		}
		if o.Police != nil {
			writePolice(j, o.Police, v)
		}
		if o.Indev != "" {
			j.str("input_dev", o.Indev)
		}
		writeActions(j, o.Actions, names, v)
	case *netlink.BPFFilter:
		if f.Handle != 0 {
			j.hex("handle", uint64(f.Handle))
		}
		if o.ClassID != 0 {
			j.str("flowid", o.ClassID.String())
		}
		if o.Name != "" {
			j.str("bpf_name", o.Name)
		}
		if o.DirectAction {
			j.boolean("direct-action", true)
		}
		writeClsFlags(j, o.GenFlags)
		if len(o.Ops) > 0 {
			// bpf_print_ops: {"length": n, "insns": [{code, jt, jf, k}...]}.
			j.openObject("bytecode")
			j.uint("length", uint64(len(o.Ops)))
			j.openArray("insns")
			for _, op := range o.Ops {
				j.openObject("")
				j.uint("code", uint64(op.Code))
				j.uint("jt", uint64(op.Jt))
				j.uint("jf", uint64(op.Jf))
				j.uint("k", uint64(op.K))
				j.closeObject()
			}
			j.closeArray()
			j.closeObject()
		}
		// bpf_print_opt: the program (TCA_BPF_ID, bpf(2), TCA_BPF_TAG),
		// the policer (TCA_BPF_POLICE), then the actions.
		bpfProgOf(o.ID, o.Tag).writeJSON(j, v)
		if o.Police != nil {
			writePolice(j, o.Police, v)
		}
		writeActions(j, o.Actions, names, v)
	case *netlink.Flower:
		writeFlower(j, f.Handle, o, names, v)
	case *netlink.Matchall:
		writeMatchall(j, f.Handle, o, names, v)
	case *netlink.Basic:
		writeBasic(j, f.Handle, o, names, v)
	}
}

// filterWords are a filter's words as `tc filter show` and `tc monitor`
// print them after "filter": "dev v0 parent 1: protocol ip pref 1 u32
// chain 0 fh 800::800 flowid 1:10". Dev, parent, protocol, pref, kind,
// chain and handle are its identity.
func filterWords(f *netlink.Filter, names *linkNames) words {
	return filterWordsView(f, names, tcView{})
}

// filterWordsView are filterWords as `tc [-d] filter show` prints them
// (with -d, a policer's linklayer).
func filterWordsView(f *netlink.Filter, names *linkNames, v tcView) words {
	var w words
	if f.Index != 0 {
		w.id("dev", "dev "+names.name(f.Index))
	}
	switch k, v := tcFilterParent(f); k {
	case "root", "ingress", "egress":
		w.id(k, k)
	default:
		w.id(k, k+" "+v)
	}
	if f.Priority != 0 || f.Protocol != 0 {
		w.id("protocol", "protocol "+netlink.TCProtocolString(f.Protocol))
		w.id("pref", "pref "+strconv.FormatUint(uint64(f.Priority), 10))
	}
	w.id("kind", f.TCKind)
	w.id("chain", "chain "+strconv.FormatUint(uint64(f.Chain), 10))
	switch o := f.Options.(type) {
	case *netlink.U32:
		// u32_print_opt's text, the keys on one line.
		if f.Handle != 0 {
			w.id("fh", "fh "+u32Handle(f.Handle))
		}
		if node := f.Handle & 0xfff; node != 0 {
			w.add("order", strconv.FormatUint(uint64(node), 10))
		}
		if o.Divisor != 0 {
			w.add("ht divisor", strconv.FormatUint(uint64(o.Divisor), 10))
		} else if o.Hash != 0 {
			w.add("key ht", strconv.FormatUint(uint64(o.Hash>>20), 16))
			w.add("bkt", strconv.FormatUint(uint64((o.Hash>>12)&0xff), 16))
		}
		// tc marks the flowid of a terminal node (TC_U32_TERMINAL, which
		// tc sets with a classid) with a star.
		terminal := o.Sel != nil && o.Sel.Flags&1 != 0
		if o.ClassID != 0 {
			star := ""
			if terminal {
				star = "*"
			}
			w = append(w, word{key: "flowid", val: star + "flowid " + o.ClassID.String(), bare: true})
		} else if terminal {
			w.flag("terminal flowid")
		}
		if o.Link != 0 {
			w.add("link", u32Handle(o.Link))
		}
		clsFlagWords(&w, o.Flags)
		pc, pcOK := u32Counters(o, v)
		if pcOK {
			w.bare("rule hit", fmt.Sprintf("(rule hit %d success %d)", pc.rule, pc.hit))
		}
		if o.Sel != nil {
			for i, k := range o.Sel.Keys {
				at := ""
				if k.OffMask != 0 {
					at = "nexthdr+"
				}
				w = append(w, word{key: "match#" + strconv.Itoa(i), bare: true,
					val: "match " + hex08(k.Val) + "/" + hex08(k.Mask) + " at " + at + strconv.FormatInt(int64(k.Off), 10)})
				if pcOK && i < len(pc.keys) {
					w.bare("success#"+strconv.Itoa(i), fmt.Sprintf("(success %d )", pc.keys[i]))
				}
			}
		}
		if o.Sel != nil && o.Sel.Hmask != 0 {
			w.bare("hash mask", "hash mask "+hex08(o.Sel.Hmask)+" at "+strconv.Itoa(int(o.Sel.Hoff)))
		}
		if o.Police != nil {
			w.bare("police", policeText(o.Police, v))
		}
		if o.Indev != "" {
			w.add("input dev", o.Indev)
		}
		actionWords(&w, o.Actions, names, v)
	case *netlink.BPFFilter:
		// bpf_print_opt's text.
		if f.Handle != 0 {
			w.id("handle", "handle "+hex0x(uint64(f.Handle)))
		}
		if o.ClassID != 0 {
			w.add("flowid", o.ClassID.String())
		}
		if o.Name != "" {
			w.bare("bpf_name", o.Name)
		}
		if o.DirectAction {
			w.flag("direct-action")
		}
		clsFlagWords(&w, o.GenFlags)
		if len(o.Ops) > 0 {
			var b strings.Builder
			b.WriteString(strconv.Itoa(len(o.Ops)))
			for _, op := range o.Ops {
				b.WriteString("," + strconv.FormatUint(uint64(op.Code), 10) + " " + strconv.FormatUint(uint64(op.Jt), 10) + " " +
					strconv.FormatUint(uint64(op.Jf), 10) + " " + strconv.FormatUint(uint64(op.K), 10))
			}
			w.add("bytecode", "'"+b.String()+"'")
		}
		if s := bpfProgOf(o.ID, o.Tag).text(v); s != "" {
			w.bare("prog", s)
		}
		if o.Police != nil {
			w.bare("police", policeText(o.Police, v))
		}
		actionWords(&w, o.Actions, names, v)
	case *netlink.Flower, *netlink.Matchall, *netlink.Basic:
		filterKindWords(&w, f, names, v)
	default:
		if f.Handle != 0 {
			w.id("handle", "handle "+hex0x(uint64(f.Handle)))
		}
	}
	return w
}

// hex08 is %08x.
// u32Stats are a u32 node's hit counters (struct tc_u32_pcnt: rcnt, the
// packets that reached the node; rhit, those it matched; kcnts, each
// key's matches), which the kernel reports with CONFIG_CLS_U32_PERF.
type u32Stats struct {
	rule, hit uint64
	keys      []uint64
}

// u32Counters returns o's counters for show's -s, as tc prints them for a
// node with a selector (u32_print_opt), and whether there are any.
func u32Counters(o *netlink.U32, v tcView) (u32Stats, bool) {
	const n = 8
	if !v.stats || o.Sel == nil || len(o.Pcnt) < 2*n {
		return u32Stats{}, false
	}
	u := func(i int) uint64 { return binary.NativeEndian.Uint64(o.Pcnt[i*n:]) }
	st := u32Stats{rule: u(0), hit: u(1)}
	for i := 2; (i+1)*n <= len(o.Pcnt); i++ {
		st.keys = append(st.keys, u(i))
	}
	return st, true
}

func hex08(v uint32) string {
	s := strconv.FormatUint(uint64(v), 16)
	return strings.Repeat("0", 8-len(s)) + s
}

// clsFlagWords adds the TCA_CLS_FLAGS_* words tc prints.
func clsFlagWords(w *words, flags uint32) {
	for _, x := range []struct {
		bit  uint32
		name string
	}{
		{netlink.TCClsFlagsSkipHW, "skip_hw"}, {netlink.TCClsFlagsSkipSW, "skip_sw"},
		{netlink.TCClsFlagsInHW, "in_hw"}, {netlink.TCClsFlagsNotInHW, "not_in_hw"},
	} {
		if flags&x.bit != 0 {
			w.flag(x.name)
		}
	}
}

// keepTC is the selectors of the tc tables (tc_select.go); a filter's
// is its own link's (filters are listed by filterRows and keepFilterRow).
func keepTC(o netlink.Object, s *selection) bool {
	switch o := o.(type) {
	case *netlink.Qdisc:
		return keepQdisc(o, s)
	case *netlink.Class:
		return keepClass(o, s)
	case *netlink.Filter:
		return o.Block == 0 && keepFilterRow(tcFilterRow{dev: o.Index, f: o}, s, func(int) string { return "" })
	}
	return false
}

// The table for people: one row per object, the link, then tc's words.

func tcRowsHeader(t *tableOut) { t.header("DEV", "OBJECT") }

func tcRow(t *tableOut, index int, w words, names *linkNames) {
	t.cell(names.name(index))
	rest := make(words, 0, len(w))
	for _, x := range w {
		if x.key != "dev" {
			rest = append(rest, x)
		}
	}
	t.cell(rest.text())
	t.endRow()
}

// Rows of the command's kind table (kinds.go).

func (d *dumpShow) qdiscsJSON(j *jsonOut) error {
	qs, err := retryDump(func() ([]*netlink.Qdisc, error) { return d.c.Qdiscs(d.ctx, d.qdiscDumpFilter()) })
	if err != nil {
		return err
	}
	s := d.sel("qdiscs")
	omitDev := s != nil && s.dev != "" // tc qdisc show dev X prints no dev
	for _, q := range qs {
		if d.keep("qdiscs", q) {
			writeQdiscView(j, q, d.names, omitDev, d.tcView())
		}
	}
	return nil
}

func (d *dumpShow) qdiscsRows(t *tableOut) error {
	return tcDumpRows(d, t, "qdiscs", func() ([]*netlink.Qdisc, error) { return d.c.Qdiscs(d.ctx, d.qdiscDumpFilter()) },
		func(q *netlink.Qdisc) int { return q.Index }, func(q *netlink.Qdisc, n *linkNames) words { return qdiscWordsView(q, n, d.tcView()) })
}

// qdiscDumpFilter is the qdisc dump's request: with the hidden qdiscs
// under the invisible selector (tc_qdisc_list's TCA_DUMP_INVISIBLE).
func (d *dumpShow) qdiscDumpFilter() *netlink.QdiscFilter {
	if s := d.sel("qdiscs"); s != nil && s.tc.invisible {
		return &netlink.QdiscFilter{Invisible: true}
	}
	return nil
}

func (d *dumpShow) classesJSON(j *jsonOut) error {
	cs, err := retryDump(func() ([]*netlink.Class, error) { return d.c.Classes(d.ctx, nil) })
	if err != nil {
		return err
	}
	for _, c := range cs {
		if d.keep("classes", c) {
			writeClassView(j, c, d.names, d.tcView())
		}
	}
	return nil
}

func (d *dumpShow) classesRows(t *tableOut) error {
	return tcDumpRows(d, t, "classes", func() ([]*netlink.Class, error) { return d.c.Classes(d.ctx, nil) },
		func(c *netlink.Class) int { return c.Index }, func(c *netlink.Class, n *linkNames) words { return classWordsView(c, n, d.tcView()) })
}

func (d *dumpShow) filtersJSON(j *jsonOut) error {
	rows, err := d.filterRows()
	if err != nil {
		return err
	}
	o := filterOmit(d.sel("filters"))
	for _, r := range rows {
		writeFilterRow(j, r, d.names, o, d.tcView())
	}
	return nil
}

func (d *dumpShow) filtersRows(t *tableOut) error {
	rows, err := d.filterRows()
	if err != nil {
		return err
	}
	o := filterOmit(d.sel("filters"))
	o.dev = false // the table's DEV column
	tcRowsHeader(t)
	for _, r := range rows {
		tcRow(t, r.dev, o.drop(filterWordsView(r.f, d.names, d.tcView())), d.names)
	}
	return nil
}

// filterRows dumps the qdiscs and filters and returns the filters show
// lists, link by link, as tc_select.go says: those of a shared block
// under each link bound to it, once with `block N`, which is an error
// when no qdisc holds block N (tc: Cannot find block).
func (d *dumpShow) filterRows() ([]tcFilterRow, error) {
	s := d.sel("filters")
	var ff *netlink.FilterFilter
	if s != nil && s.tc.block != 0 {
		ff = &netlink.FilterFilter{Block: s.tc.block}
	} else if s != nil && s.dev != "" {
		ff = &netlink.FilterFilter{Index: s.devIndex}
	}
	qs, err := retryDump(func() ([]*netlink.Qdisc, error) { return d.c.Qdiscs(d.ctx, nil) })
	if err != nil {
		return nil, err
	}
	bindings := blockBindings(slices.Values(qs))
	byBlock := s != nil && s.tc.block != 0
	if byBlock && len(bindings[s.tc.block]) == 0 {
		return nil, fmt.Errorf("cannot find block %d: no qdisc is bound to it (ingress_block, egress_block)", s.tc.block)
	}
	fs, err := retryDump(func() ([]*netlink.Filter, error) { return d.c.Filters(d.ctx, ff) })
	if err != nil {
		return nil, err
	}
	kinds := ingressKinds(slices.Values(qs))
	var out []tcFilterRow
	for _, r := range filterRows(slices.Values(fs), bindings, byBlock) {
		if s == nil || keepFilterRow(r, s, kinds) {
			out = append(out, r)
		}
	}
	return out, nil
}

// tcDumpRows writes the table rows of one tc kind's dump, the objects
// the selectors of table keep, one per row.
func tcDumpRows[T netlink.Object](d *dumpShow, t *tableOut, table string, dump func() ([]T, error), index func(T) int, w func(T, *linkNames) words) error {
	xs, err := retryDump(dump)
	if err != nil {
		return err
	}
	tcRowsHeader(t)
	for _, x := range xs {
		if d.keep(table, x) {
			tcRow(t, index(x), w(x, d.names), d.names)
		}
	}
	return nil
}

func snapshotQdiscsJSON(j *jsonOut, s *ipdb.Snapshot, names *linkNames) {
	for _, q := range snapshotQdiscsInTCOrder(s) {
		writeQdisc(j, q, names)
		j.maybeFlush()
	}
}

func snapshotQdiscRows(t *tableOut, s *ipdb.Snapshot, names *linkNames) {
	tcRowsHeader(t)
	for _, q := range snapshotQdiscsInTCOrder(s) {
		tcRow(t, q.Index, qdiscWords(q, names), names)
	}
}

func snapshotClassesJSON(j *jsonOut, s *ipdb.Snapshot, names *linkNames) {
	for c := range s.Classes() {
		writeClass(j, c, names)
		j.maybeFlush()
	}
}

func snapshotClassRows(t *tableOut, s *ipdb.Snapshot, names *linkNames) {
	tcRowsHeader(t)
	for c := range s.Classes() {
		tcRow(t, c.Index, classWords(c, names), names)
	}
}

// snapshotFilterRowsOf are the snapshot's filters as show lists them:
// a shared block's under each link bound to it (filterRows).
func snapshotFilterRowsOf(s *ipdb.Snapshot) []tcFilterRow {
	return filterRows(s.Filters(), blockBindings(s.Qdiscs()), false)
}

func snapshotFilterRows(t *tableOut, s *ipdb.Snapshot, names *linkNames) {
	tcRowsHeader(t)
	for _, r := range snapshotFilterRowsOf(s) {
		tcRow(t, r.dev, filterWords(r.f, names), names)
	}
}

func qdiscObjectJSON(j *jsonOut, key string, o netlink.Object, names *linkNames) {
	j.key(key)
	j.comma = false
	writeQdisc(j, o.(*netlink.Qdisc), names)
}

func classObjectJSON(j *jsonOut, key string, o netlink.Object, names *linkNames) {
	j.key(key)
	j.comma = false
	writeClass(j, o.(*netlink.Class), names)
}

func filterObjectJSON(j *jsonOut, key string, o netlink.Object, names *linkNames) {
	j.key(key)
	j.comma = false
	writeFilter(j, o.(*netlink.Filter), names)
}

// tcView is what -d and -s ask of the tc tables.
func (d *dumpShow) tcView() tcView {
	return tcView{details: d.details, stats: d.stats > 0}
}
