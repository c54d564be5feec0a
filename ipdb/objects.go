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
	return s.kindObjects(sp)
}

// kindObjects iterates sp's objects in key order, or in the order its
// row's ordered gives.
func (s *Snapshot) kindObjects(sp *kindDef) iter.Seq[netlink.Object] {
	if sp.ordered != nil {
		return sp.ordered(s)
	}
	return objects[netlink.Object](s, sp.table, "id")
}

// All iterates every object in the snapshot, kind by kind in the order of
// netlink.Kinds (links first, so that a reader meets a link before the
// objects on it), each kind in the order of Objects.
func (s *Snapshot) All() iter.Seq[netlink.Object] {
	return func(yield func(netlink.Object) bool) {
		for _, d := range kindDefs {
			if d == nil {
				continue
			}
			for o := range s.kindObjects(d) {
				if !yield(o) {
					return
				}
			}
		}
	}
}
