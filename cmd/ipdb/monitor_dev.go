package main

import (
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
// of this index. A shared block's filters (netlink.Filter.Block) are the
// link's while one of its qdiscs is bound to the block, and their
// deletions when the block goes with the link's qdisc, as tc lists them
// for `dev NAME ingress|egress` (watch.LinkIndex follows the bindings).
func monitorDevFilter(index int) watch.Filter {
	onLink := watch.LinkIndex(index)
	return func(e *watch.Event) bool {
		if e.Resync {
			return true
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
		case *netlink.Qdisc:
			return o.Index == index
		case *netlink.Class:
			return o.Index == index
		case *netlink.Filter:
			if o.Block != 0 {
				return onLink(e)
			}
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
