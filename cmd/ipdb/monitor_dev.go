package main

import (
	"sync"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"github.com/ipdb-go/ipdb/watch"
)

// monitor's `dev NAME` is ip monitor's (ip/ipmonitor.c): the link's
// index is looked up once, when monitor starts, and filters each kind as
// ip's printers do: links by index (print_linkinfo's filter.ifindex),
// addresses and neighbours by their link, routes by their output device
// (filter_nlmsg's oif: a multipath route has none, so it never passes).
// Rules and nexthop objects are not filtered, as ip monitor does not
// filter them. ip monitor has no FDB entries or tc objects; ipdb filters
// them by their link (the FDB entry's port or device, the qdisc's,
// class's or filter's device, and for a shared block's filter the links
// bound to the block), as `show ... dev` does.

// monitorDevFilter is the filter of `monitor ... dev NAME` for the link
// of this index, whose state s is when monitor starts. A shared block's
// filters (netlink.Filter.Block) are the link's while one of its qdiscs is
// bound to the block, as tc lists them for `dev NAME ingress|egress`: the
// filter follows the link's qdisc events to know (so it must see every
// event, before any filter by kind), and lets through the deletions of a
// block's filters after the link's qdisc let go of it, which is how the
// kernel's destruction of the block with its last qdisc or link shows
// (ipdb's blockJobs).
func monitorDevFilter(index int, s *ipdb.Snapshot) watch.Filter {
	b := newDevBlocks(index, s)
	return func(e *watch.Event) bool {
		if e.Resync {
			b.reset(nil)
			return true
		}
		switch o := e.Object().(type) {
		case *netlink.Qdisc:
			if o.Index != index {
				return false
			}
			b.qdiscChanged(e)
			return true
		case *netlink.Filter:
			if o.Block != 0 {
				return b.passes(o.Block, e.Op)
			}
			return o.Index == index
		}
		switch o := e.Object().(type) {
		case *netlink.Link:
			return o.Index == index
		case *netlink.Addr:
			return o.Index == index
		case *netlink.Route:
			return int(o.OIF) == index
		case *netlink.Neigh:
			return o.Index == index
		case *netlink.FDB:
			return o.Index == index
		case *netlink.Class:
			return o.Index == index
		}
		return true // rules, nexthop objects
	}
}

// monitorWords splits monitor's arguments into objects and the dev
// selector's value ("" without), as ip monitor reads them.
func monitorWords(pos []string) (objects []string, dev string, err error) {
	for i := 0; i < len(pos); i++ {
		if pos[i] != "dev" {
			objects = append(objects, pos[i])
			continue
		}
		if i+1 >= len(pos) {
			return nil, "", usagef("dev needs a value (dev NAME)")
		}
		if dev != "" {
			return nil, "", usagef("dev given twice")
		}
		dev = pos[i+1]
		i++
	}
	return objects, dev, nil
}

// devBlocks is the shared blocks one link's qdiscs are bound to, as
// monitorDevFilter follows them.
type devBlocks struct {
	index int
	mu    sync.Mutex // guards the maps
	// bound counts the link's qdiscs bound to each block (an ingress
	// qdisc's or clsact's ingress_block, clsact's egress_block).
	bound map[uint32]int
	// departed are the blocks the link's qdiscs let go of: their filters'
	// deletions still pass.
	departed map[uint32]bool
}

func newDevBlocks(index int, s *ipdb.Snapshot) *devBlocks {
	b := &devBlocks{index: index}
	b.reset(s)
	return b
}

// reset starts over from s (nil: nothing bound, after a resync, whose
// initial adds of the link's qdiscs follow).
func (b *devBlocks) reset(s *ipdb.Snapshot) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.bound, b.departed = map[uint32]int{}, map[uint32]bool{}
	if s == nil {
		return
	}
	for _, n := range s.BlocksOf(b.index) {
		b.bound[n]++
	}
}

// qdiscChanged follows an event of one of the link's qdiscs.
func (b *devBlocks) qdiscChanged(e *watch.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if q, ok := e.Old.(*netlink.Qdisc); ok {
		for _, n := range qdiscBlocks(q) {
			if b.bound[n]--; b.bound[n] <= 0 {
				delete(b.bound, n)
				b.departed[n] = true
			}
		}
	}
	if q, ok := e.New.(*netlink.Qdisc); ok {
		for _, n := range qdiscBlocks(q) {
			b.bound[n]++
			delete(b.departed, n)
		}
	}
}

// passes reports whether an event of a filter of block n is the link's.
func (b *devBlocks) passes(n uint32, op ipdb.Op) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.bound[n] > 0 || op == ipdb.OpDelete && b.departed[n]
}

// qdiscBlocks are the shared blocks a qdisc is bound to.
func qdiscBlocks(q *netlink.Qdisc) []uint32 {
	var out []uint32
	for _, n := range []uint32{q.IngressBlock, q.EgressBlock} {
		if n != 0 {
			out = append(out, n)
		}
	}
	return out
}
