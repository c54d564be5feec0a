package main

import (
	"encoding/binary"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/netlink"
)

// tcUserHZ is USER_HZ, the unit of struct tcf_t's times as the kernel
// reports them (jiffies_to_clock_t); tc divides by it (get_user_hz,
// sysconf(_SC_CLK_TCK)), which is 100 on Linux.
const tcUserHZ = 100

// actionTimes are an action's times as tc -s prints them (print_tm in
// tc/tc_util.c): installed, last_used, first_used and expires in whole
// seconds, each only when the kernel's value is not 0; key is the JSON
// key, word the text's.
func actionTimes(o netlink.ActionOptions) []struct {
	key, word string
	sec       uint32
} {
	var tm []byte
	switch o := o.(type) {
	case *netlink.Gact:
		tm = o.TM
	case *netlink.Mirred:
		tm = o.TM
	case *netlink.Police:
		tm = o.TM
	case *netlink.ActBPF:
		tm = o.TM
	}
	if len(tm) < 32 {
		return nil
	}
	// struct tcf_t: install, lastuse, expires, firstuse (__u64).
	at := func(i int) uint64 { return binary.NativeEndian.Uint64(tm[i*8:]) }
	var out []struct {
		key, word string
		sec       uint32
	}
	for _, f := range []struct {
		key, word string
		i         int
	}{{"installed", "installed", 0}, {"last_used", "used", 1}, {"first_used", "firstused", 3}, {"expires", "expires", 2}} {
		if v := at(f.i); v != 0 {
			out = append(out, struct {
				key, word string
				sec       uint32
			}{f.key, f.word, uint32(v / tcUserHZ)})
		}
	}
	return out
}

// writeActionStats writes what tc -s adds to a filter's action (after
// the kind's keys, which end with bind): the times, then "stats" with
// the action's counters (tc_print_one_action, print_tcstats2_attr).
func writeActionStats(j *jsonOut, a *netlink.TCAction) {
	for _, t := range actionTimes(a.Options) {
		j.uint(t.key, uint64(t.sec))
	}
	if a.Stats != nil {
		j.openObject("stats")
		writeTCStats(j, actionStats2(a.Stats))
		j.closeObject()
	}
}

// actionStats2 is an action's counters as a qdisc's: TCA_ACT_STATS holds
// the gnet_stats attributes that TCA_STATS2 holds for a qdisc
// (tcf_action_copy_stats), and writeTCStats and statsWords read those.
func actionStats2(s *netlink.TCStats) *netlink.TCStats {
	c := *s
	c.Attrs = make([]netlink.Attribute, len(s.Attrs))
	for i, at := range s.Attrs {
		c.Attrs[i] = netlink.Attribute{Type: at.Type&^0x3fff | unix.TCA_STATS2, Data: at.Data}
	}
	return &c
}

// actionStatsText is writeActionStats in tc's text: " installed 3 sec
// used 1 sec" after bind, then " Action statistics: Sent 0 bytes 0 pkt
// (dropped 0, overlimits 0 requeues 0) backlog 0b 0p requeues 0" (tc's
// lines joined).
func actionStatsText(a *netlink.TCAction) string {
	var b strings.Builder
	for _, t := range actionTimes(a.Options) {
		b.WriteString(" " + t.word + " " + strconv.FormatUint(uint64(t.sec), 10) + " sec")
	}
	if a.Stats != nil {
		var w words
		statsWords(&w, actionStats2(a.Stats))
		b.WriteString(" Action statistics:")
		if len(w) > 0 {
			b.WriteString(" " + w.text())
		}
	}
	return b.String()
}
