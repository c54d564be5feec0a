package main

import (
	"slices"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// snapshotQdiscsInTCOrder are the snapshot's qdiscs in the order of tc
// qdisc show (net/sched/sch_api.c tc_dump_qdisc): link by link, the root
// qdisc, then the rest of its tree, then the ingress or clsact qdisc
// (dev_ingress_queue). The kernel lists the tree's other qdiscs in the
// order of its qdisc hash table, which no message carries; they come by
// parent and handle, the cache's order.
func snapshotQdiscsInTCOrder(s *ipdb.Snapshot) []*netlink.Qdisc {
	qs := slices.Collect(s.Qdiscs())
	rank := func(q *netlink.Qdisc) int {
		switch q.Parent {
		case netlink.HandleRoot:
			return 0
		case netlink.HandleIngress:
			return 2
		}
		return 1
	}
	slices.SortStableFunc(qs, func(a, b *netlink.Qdisc) int {
		if a.Index != b.Index {
			return a.Index - b.Index
		}
		return rank(a) - rank(b)
	})
	return qs
}

// snapshotFiltersJSON writes the snapshot's filters as the cache holds
// them, each once, in the cache's order (Snapshot.Filters): a shared
// block's filters once, with "block" and no "dev", as /v1/watch's events
// carry them, so that a client can apply the events to the table. (show
// filters repeats them under each link bound to the block, as tc filter
// show dev X does; the qdiscs' ingress_block and egress_block say which
// links those are.)
func snapshotFiltersJSON(j *jsonOut, s *ipdb.Snapshot, names *linkNames) {
	for f := range s.Filters() {
		writeFilter(j, f, names)
		j.maybeFlush()
	}
}
