package watch_test

import (
	"fmt"
	"net/netip"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"github.com/ipdb-go/ipdb/watch"
	"golang.org/x/sys/unix"
)

// Filters compose: this one keeps IPv4 route adds and deletes in table 300.
func ExampleAll() {
	f := watch.All(
		watch.Kinds(netlink.KindRoute),
		watch.Family(unix.AF_INET),
		watch.Table(300),
		watch.Ops(ipdb.OpAdd, ipdb.OpDelete),
	)
	route := func(dst string, table uint32) *netlink.Route {
		return &netlink.Route{Family: unix.AF_INET, Dst: netip.MustParsePrefix(dst), Table: table}
	}
	for _, e := range []watch.Event{
		{Kind: netlink.KindRoute, Op: ipdb.OpAdd, New: route("198.51.100.0/24", 300)},
		{Kind: netlink.KindRoute, Op: ipdb.OpAdd, New: route("203.0.113.0/24", 254)},
		{Kind: netlink.KindRoute, Op: ipdb.OpChange, New: route("198.51.100.0/24", 300)},
		{Kind: netlink.KindRoute, Op: ipdb.OpDelete, Old: route("198.51.100.0/24", 300)},
	} {
		fmt.Println(e.Op, e.Object().(*netlink.Route).Dst, f(&e))
	}
	// Output:
	// add 198.51.100.0/24 true
	// add 203.0.113.0/24 false
	// change 198.51.100.0/24 false
	// delete 198.51.100.0/24 true
}
