package ipdb

import (
	"iter"

	"github.com/ipdb-go/ipdb/netlink"
)

// Objects iterates the objects of kind k, in the order of that kind's own
// iterator (Links, Addrs, Routes, Neighs, Rules, FDB). A kind the database
// does not keep yields nothing.
func (s *Snapshot) Objects(k netlink.Kind) iter.Seq[netlink.Object] {
	sp := defOf(k)
	if sp == nil {
		return func(func(netlink.Object) bool) {}
	}
	return objects[netlink.Object](s, sp.table, "id")
}
