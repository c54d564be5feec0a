package main

import (
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// The table ip route get ... fibmatch names. The kernel answers with the
// table its lookup found the route in (inet_rtm_getroute: fib_dump_info
// with res.table's tb_id). Until a namespace's first IPv4 rule is added,
// the local table is merged into main (fib_trie.c: one trie holds both;
// fib4_rule_configure unmerges them, for good, on the first custom rule)
// and the lookup, which then reads main alone, reports a local route as
// table main: ip prints no table. After it, and always for IPv6, the
// local table is its own and ip prints "table local". The cache cannot
// see the merge, which outlives the rules that caused it, so lookup reads
// it from /proc/net/fib_triestat in the namespace: merged, "Main:" and
// "Local:" show one trie, so the same statistics (two tables that merely
// hold tries of identical shape would read as merged; the cost is a
// "table local" left out).

// asKernelReports returns r as the kernel's answer has it: for IPv6
// with an input device, with that device as RTA_IIF (rt6_fill_node puts
// the lookup's iif in the answer; fib_dump_info, IPv4's, does not), and
// with the table the answer names: main for an IPv4 route of the local
// table while the local table is merged into main. r itself is not
// changed.
func asKernelReports(r *netlink.Route, s *ipdb.Snapshot, iif string, netns string) *netlink.Route {
	if r != nil && r.Family == unix.AF_INET6 && iif != "" {
		if l, err := s.LinkByName(iif); err == nil {
			c := *r
			x := netlink.RouteExtra{}
			if r.Extra != nil {
				x = *r.Extra
			}
			x.IIF = uint32(l.Index)
			c.Extra = &x
			return &c
		}
	}
	if r == nil || r.Family != unix.AF_INET || r.Table != unix.RT_TABLE_LOCAL {
		return r
	}
	stat, err := readInNetns(netns, "/proc/thread-self/net/fib_triestat")
	if err != nil || !localMerged(stat) {
		return r // unreadable: the table the route is in
	}
	c := *r
	c.Table = unix.RT_TABLE_MAIN
	return &c
}

// localMerged reports whether fib_triestat's text shows the local table
// merged into main: the statistics under "Main:" and "Local:" are equal.
func localMerged(stat string) bool {
	main, okm := triestatSection(stat, "Main:")
	local, okl := triestatSection(stat, "Local:")
	return okm && okl && main == local
}

// triestatSection returns the lines of one table's statistics in
// fib_triestat (from its header to the next header, "Local:", "Main:" or
// "Id N:").
func triestatSection(stat, header string) (string, bool) {
	lines := strings.Split(stat, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) != header {
			continue
		}
		var b strings.Builder
		for _, m := range lines[i+1:] {
			t := strings.TrimSpace(m)
			if t == "Main:" || t == "Local:" || (strings.HasPrefix(t, "Id ") && strings.HasSuffix(t, ":")) {
				break
			}
			if t != "" {
				b.WriteString(t + "\n")
			}
		}
		return b.String(), true
	}
	return "", false
}
