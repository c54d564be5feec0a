package main

import (
	"encoding/binary"
	"strconv"

	"github.com/ipdb-go/ipdb/netlink"
)

// Classes: tc 6.1 prints them as text even with -j (print_class in
// tc/tc_class.c, htb_print_opt in tc/q_htb.c, the statistics of
// print_tcstats_attr and htb_print_xstats). show's table prints tc's
// words; its JSON is an object with the keys of those words.

// writeClass writes a class as serve and watch print it: writeClassView
// without -d and -s.
func writeClass(j *jsonOut, c *netlink.Class, names *linkNames) {
	writeClassView(j, c, names, tcView{})
}

// writeClassView writes a class as a JSON object with the keys of tc's
// text: "class" (the kind), "handle", "dev", "root" (true) or "parent",
// "leaf" (the leaf qdisc's handle, when there is one), and for htb "prio"
// (of a leaf), "rate" and "ceil" (bytes per second, as tc's JSON rates),
// "burst" and "cburst" (bytes, as tc's JSON sizes). With v.details, htb's
// -d words: "quantum" after "prio", "linklayer" after "ceil", an "mpu"
// after each of "burst" and "cburst" (the key twice, as tc's tbf JSON
// prints a second "mpu"), and "level". With v.stats, -s's: "bytes",
// "packets", "drops", "overlimits", "requeues", "backlog", "qlen", and
// htb's "lended", "borrowed", "giants", "tokens" and "ctokens".
func writeClassView(j *jsonOut, c *netlink.Class, names *linkNames, v tcView) {
	j.openObject("")
	j.str("class", c.TCKind)
	j.str("handle", c.Handle.String())
	j.str("dev", names.name(c.Index))
	if k, v := tcParentWord(c.Parent); k == "root" {
		j.boolean("root", true)
	} else if k != "" {
		j.str("parent", v)
	}
	if c.Leaf != 0 {
		j.str("leaf", strconv.FormatUint(uint64(c.Leaf.Major()), 16)+":")
	}
	if o, ok := c.Options.(*netlink.HTBClass); ok {
		if o.Level == 0 {
			j.uint("prio", uint64(o.Prio))
			if v.details {
				j.int("quantum", int64(int32(o.Quantum)))
			}
		}
		j.uint("rate", o.Rate)
		if o.RateSpec.Overhead != 0 {
			j.uint("overhead", uint64(o.RateSpec.Overhead))
		}
		j.uint("ceil", o.Ceil)
		if ll := o.RateSpec.Linklayer & 0x0f; ll > 1 || v.details {
			j.str("linklayer", tcLinklayer(ll))
		}
		j.uint("burst", uint64(tcXmitSize(o.Rate, o.Buffer)))
		if v.details {
			j.uint("mpu", uint64(o.RateSpec.MPU))
		}
		j.uint("cburst", uint64(tcXmitSize(o.Ceil, o.Cbuffer)))
		if v.details {
			j.uint("mpu", uint64(o.CeilSpec.MPU))
			j.int("level", int64(int32(o.Level)))
		}
	}
	if v.stats && c.Stats != nil {
		writeTCStats(j, c.Stats)
		if x := htbXstats(c); x != nil {
			j.uint("lended", uint64(x.lends))
			j.uint("borrowed", uint64(x.borrows))
			j.uint("giants", uint64(x.giants))
			j.int("tokens", int64(x.tokens))
			j.int("ctokens", int64(x.ctokens))
		}
	}
	j.closeObject()
}

// htbClassXstats is struct tc_htb_xstats.
type htbClassXstats struct {
	lends, borrows, giants uint32
	tokens, ctokens        int32
}

// htbXstats is an htb class's own statistics, nil for another kind or
// without them.
func htbXstats(c *netlink.Class) *htbClassXstats {
	if c.TCKind != "htb" || c.Stats == nil {
		return nil
	}
	x := tcXstats(c.Stats)
	if len(x) < 20 {
		return nil
	}
	u := func(i int) uint32 { return binary.NativeEndian.Uint32(x[i:]) }
	return &htbClassXstats{u(0), u(4), u(8), int32(u(12)), int32(u(16))}
}

// classWords are a class's words as `tc class show` prints them after
// "class": "htb 1:10 root leaf 20: prio 0 rate 1Mbit ceil 1Mbit burst
// 1600b cburst 1600b". Kind, handle and dev are its identity (tc prints
// no dev with `dev X`; monitor's text has it).
func classWords(c *netlink.Class, names *linkNames) words {
	return classWordsView(c, names, tcView{})
}

// classWordsView are classWords as `tc [-d] [-s] class show` prints them:
// with v.details htb's "quantum", "linklayer", "burst 1600b/1 mpu 0b"
// and "level"; with v.stats the statistics' lines joined ("Sent 0 bytes 0
// pkt (dropped 0, overlimits 0 requeues 0) backlog 0b 0p requeues 0",
// then htb's "lended: 0 borrowed: 0 giants: 0 tokens: 200000 ctokens:
// 200000").
func classWordsView(c *netlink.Class, names *linkNames, v tcView) words {
	var w words
	w.id("kind", c.TCKind)
	w.id("handle", c.Handle.String())
	w.id("dev", "dev "+names.name(c.Index))
	if k, v := tcParentWord(c.Parent); k == "root" {
		w.flag("root")
	} else if k != "" {
		w.add("parent", v)
	}
	if c.Leaf != 0 {
		w.add("leaf", strconv.FormatUint(uint64(c.Leaf.Major()), 16)+":")
	}
	if o, ok := c.Options.(*netlink.HTBClass); ok {
		if o.Level == 0 {
			w.add("prio", strconv.FormatUint(uint64(o.Prio), 10))
			if v.details {
				w.add("quantum", strconv.FormatInt(int64(int32(o.Quantum)), 10))
			}
		}
		w.add("rate", tcRate(o.Rate))
		if o.RateSpec.Overhead != 0 {
			w.add("overhead", strconv.FormatUint(uint64(o.RateSpec.Overhead), 10))
		}
		w.add("ceil", tcRate(o.Ceil))
		if ll := o.RateSpec.Linklayer & 0x0f; ll > 1 || v.details {
			w.add("linklayer", tcLinklayer(ll))
		}
		if v.details {
			w.add("burst", tcSize(tcXmitSize(o.Rate, o.Buffer))+"/"+strconv.FormatUint(1<<o.RateSpec.CellLog, 10))
			w.add("mpu", tcSize(uint32(o.RateSpec.MPU)))
			w.add("cburst", tcSize(tcXmitSize(o.Ceil, o.Cbuffer))+"/"+strconv.FormatUint(1<<o.CeilSpec.CellLog, 10))
			w.bare("cmpu", "mpu "+tcSize(uint32(o.CeilSpec.MPU)))
			w.add("level", strconv.FormatInt(int64(int32(o.Level)), 10))
		} else {
			w.add("burst", tcSize(tcXmitSize(o.Rate, o.Buffer)))
			w.add("cburst", tcSize(tcXmitSize(o.Ceil, o.Cbuffer)))
		}
	}
	if v.stats && c.Stats != nil {
		statsWords(&w, c.Stats)
		if x := htbXstats(c); x != nil {
			w.bare("xstats", "lended: "+strconv.FormatUint(uint64(x.lends), 10)+" borrowed: "+strconv.FormatUint(uint64(x.borrows), 10)+
				" giants: "+strconv.FormatUint(uint64(x.giants), 10)+" tokens: "+strconv.FormatInt(int64(x.tokens), 10)+
				" ctokens: "+strconv.FormatInt(int64(x.ctokens), 10))
		}
	}
	return w
}

// statsWords adds print_tcstats2_attr's text (tc/tc_util.c), its lines
// joined: "Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0)",
// the rate, "backlog 0b 0p requeues 0".
func statsWords(w *words, s *netlink.TCStats) {
	p := tcStatsPresent(s)
	if !p.stats2 {
		return
	}
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	if p.basic {
		w.bare("sent", "Sent "+u(s.Bytes)+" bytes "+u(s.Packets)+" pkt")
	}
	if p.queue {
		w.bare("dropped", "(dropped "+u(uint64(s.Drops))+", overlimits "+u(uint64(s.Overlimits))+" requeues "+u(uint64(s.Requeues))+")")
	}
	if p.rateEst {
		w.bare("rate", "rate "+tcRate(s.RateBytes)+" "+u(s.RatePackets)+"pps")
	}
	if p.queue {
		w.bare("backlog", "backlog "+tcSize(s.Backlog)+" "+u(uint64(s.Qlen))+"p requeues "+u(uint64(s.Requeues)))
	}
}
