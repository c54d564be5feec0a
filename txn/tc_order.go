package txn

import (
	"reflect"

	"github.com/ipdb-go/ipdb/netlink"
)

// The tc objects of a link form a tree: a root (or ingress) qdisc, its
// classes (a class under its parent class, or at the top under its
// qdisc), a qdisc under a class (a leaf qdisc), its classes, and so on.
// A creation must come after what it hangs from, a removal before it:
// tcDepth is an object's depth in that tree, as the transaction leaves
// it (the specs first, else the state), and orders the steps: the qdisc
// and class stages are ordered as one (orderStage), by depth (creations
// from the top, removals from the bottom); filters come after both and go
// before both.

// tcMaxDepth bounds the walk up a tree (a loop of parents in a broken
// state or spec set ends there).
const tcMaxDepth = 64

// qdiscDepth is the depth of a qdisc hanging at parent on link dev: 0 at
// the root or ingress, one more than its class's under a class.
func (p *planner) qdiscDepth(dev string, parent netlink.Handle, n int) uint8 {
	if parent == netlink.HandleRoot || parent == netlink.HandleIngress || parent == netlink.HandleNone || n > tcMaxDepth {
		return 0
	}
	return p.classDepthOf(dev, parent, n+1) + 1
}

// classDepthOf is the depth of class id on link dev: one more than its
// parent class's, or than its qdisc's for a class at the top.
func (p *planner) classDepthOf(dev string, id netlink.Handle, n int) uint8 {
	if n > tcMaxDepth {
		return 0
	}
	parent := netlink.HandleNone
	if s := p.classSpec(dev, id); s != nil && !s.Absent {
		parent = s.Parent
	} else if idx, pending, err := p.ref(dev); err == nil && !pending {
		if c := p.stateClass(idx, id); c != nil {
			parent = c.Parent
		}
	}
	if classTop(parent) {
		return p.qdiscDepthOf(dev, id.Major(), n+1) + 1
	}
	return p.classDepthOf(dev, parent, n+1) + 1
}

// qdiscDepthOf is the depth of the qdisc of handle major major on link
// dev: where a spec puts it, else where it hangs now (0 if nowhere).
func (p *planner) qdiscDepthOf(dev string, major uint16, n int) uint8 {
	for i := range p.ss.qdiscs {
		if s := &p.ss.qdiscs[i]; s.Dev == dev && s.handle().Major() == major && !s.Absent {
			return p.qdiscDepth(dev, s.parent(), n+1)
		}
	}
	if idx, pending, err := p.ref(dev); err == nil && !pending {
		for q := range p.st.QdiscsOf(idx) {
			if q.Handle.Major() == major && q.Handle != netlink.HandleNone {
				return p.qdiscDepth(dev, q.Parent, n+1)
			}
		}
	}
	return 0
}

// tcAddStage returns the stage and level of the creation or change of a
// qdisc or class at depth d: its kind's stage, which the plan orders as
// one with the other's (orderStage), by depth.
func tcAddStage(kind netlink.Kind, d uint8) (stage, uint8) {
	if kind == netlink.KindQdisc {
		return stageQdiscAdd, d
	}
	return stageClassAdd, d
}

// tcDelStage returns the stage and level of the removal of a qdisc or
// class at depth d: deepest first.
func tcDelStage(kind netlink.Kind, d uint8) (stage, uint8) {
	if kind == netlink.KindQdisc {
		return stageQdiscDel, 255 - d
	}
	return stageClassDel, 255 - d
}

// orderStage is the stage a step is ordered by: the qdisc and class
// stages are one tree each way (tcDepth), their levels the depth.
func orderStage(s stage) stage {
	switch s {
	case stageClassAdd:
		return stageQdiscAdd
	case stageQdiscDel:
		return stageClassDel
	}
	return s
}

// classWillBe reports whether class id is on link dev (index idx) when
// the steps before a qdisc under it run: it exists and stays, or a
// present spec creates it (ordered before the qdisc by tcDepth).
func (p *planner) classWillBe(dev string, idx int, pending bool, id netlink.Handle) bool {
	if p.classStays(dev, idx, pending, id) {
		return true
	}
	s := p.classSpec(dev, id)
	return s != nil && !s.Absent && p.qdiscWillBe(dev, idx, pending, id.Major())
}

// classChildAfter returns a class that has class id for its parent on
// link dev (index idx) after the transaction, 0 for none: a spec's, or
// one the kernel has that no spec removes.
func (p *planner) classChildAfter(dev string, idx int, pending bool, id netlink.Handle) netlink.Handle {
	for i := range p.ss.classes {
		if s := &p.ss.classes[i]; s.Dev == dev && !s.Absent && s.Parent == id && s.ClassID != id {
			return s.ClassID
		}
	}
	if pending {
		return 0
	}
	for c := range p.st.ClassesOf(idx) {
		if classParent(c) == id && c.Handle != id && p.classStays(dev, idx, pending, c.Handle) {
			return c.Handle
		}
	}
	return 0
}

// classBoundFilter returns a filter that is bound to class id (its
// flowid) on link dev (index idx) after the transaction, as the kernel
// counts them (htb_delete refuses a class in use, "HTB class in use"):
// a spec's, or one the kernel has that no spec removes or changes; nil
// for none.
func (p *planner) classBoundFilter(dev string, idx int, pending bool, id netlink.Handle) *FilterSpec {
	for i := range p.ss.filters {
		if s := &p.ss.filters[i]; s.Dev == dev && !s.Absent && s.Block == 0 && s.Parent.Major() == id.Major() && filterClass(s.Options) == id {
			return s
		}
	}
	if pending {
		return nil
	}
	for f := range p.st.FiltersOf(idx) {
		if f.Parent.Major() != id.Major() || filterClass(f.Options) != id || filterImplied(f) {
			continue
		}
		s := specOfFilter(f, dev)
		if p.filterSpecOf(&s) == nil {
			return &s
		}
	}
	return nil
}

// filterClass returns the class filter options o send packets to (their
// ClassID field), 0 for none.
func filterClass(o netlink.TCOptions) netlink.Handle {
	if isNilTC(o) {
		return 0
	}
	v := reflect.ValueOf(o).Elem()
	if f := v.FieldByName("ClassID"); f.IsValid() && f.Type() == reflect.TypeFor[netlink.Handle]() {
		return netlink.Handle(f.Uint())
	}
	return 0
}

// filterSpecOf returns the spec of the filter s names (the same
// identity), nil for none.
func (p *planner) filterSpecOf(s *FilterSpec) *FilterSpec {
	id := s.id()
	for i := range p.ss.filters {
		if f := &p.ss.filters[i]; f.id() == id {
			return f
		}
	}
	return nil
}
