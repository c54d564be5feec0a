package txn

import (
	"fmt"

	"github.com/ipdb-go/ipdb/netlink"
)

// ClassSpec is the desired state of the traffic class ClassID of a
// classful qdisc on link Dev (RTM_NEWTCLASS, `tc class`). Its identity is
// (Dev, ClassID), as the database keys classes: the class id's major is
// its qdisc's handle.
//
// A class's options change in place (`tc class change`); its parent
// cannot change (htb_change_class in net/sched/sch_htb.c keeps it), so a
// plan refuses that with ErrInvalid. Classes are created after their
// qdisc and parents before their children (a qdisc under a class after
// the class: tc_order.go), before filters; they are removed after filters
// (the kernel refuses to delete a class a filter points to: "HTB class in
// use") and children (classes and qdiscs) before their parents. A class whose qdisc the
// transaction removes or replaces goes with it (the kernel's doing), so
// a present spec for it is planned as a creation.
type ClassSpec struct {
	// Dev names the link (required).
	Dev string
	// ClassID is the class id, major:minor with a major that is its
	// qdisc's handle and a minor not 0 (tc's "classid 1:10"; required).
	ClassID netlink.Handle
	// Parent is the parent class, or zero (or the qdisc's handle major:0,
	// or netlink.HandleRoot) for a class at the top of its qdisc's tree.
	Parent netlink.Handle
	// Kind is the class's qdisc kind ("htb"); it may be left empty when
	// Options says it.
	Kind string
	// Options are the class's options (*netlink.HTBClass); required
	// unless Absent. A field left at zero leaves the value to the kernel
	// (for a new class, its default: a ceil of the rate, tc's burst,
	// a quantum of rate/r2q). Units are netlink's (bytes per second).
	Options netlink.ClassOptions
	// Absent deletes the class if present.
	Absent bool

	// Exact makes the spec the whole class, as a state file's entry, or a
	// rollback's spec, is: every option counts, a zero one too (htb's
	// prio 0). Fields a zero in a request leaves to tc's rule or the
	// kernel's computation (htb's ceil, burst, cburst and quantum) still
	// do not count. Without Exact, a field left at zero is the class's
	// own: not compared, and sent again with a change for another reason
	// (htb_change_class takes the whole tc_htb_opt); the computed ones
	// only while the rate and ceil they come from stay.
	Exact bool
}

// parent returns the parent the kernel is sent: the qdisc's handle
// major:0 for a class at the top of its tree.
func (s *ClassSpec) parent() netlink.Handle {
	if classTop(s.Parent) {
		return netlink.NewHandle(s.ClassID.Major(), 0)
	}
	return s.Parent
}

// classTop reports whether p names the top of a class tree: zero, root
// (as htb reports it) or a qdisc's handle.
func classTop(p netlink.Handle) bool {
	return p == netlink.HandleNone || p == netlink.HandleRoot || p.Minor() == 0
}

func (s *ClassSpec) kind() string { return tcKind(s.Kind, s.Options) }

func (s *ClassSpec) what() string { return fmt.Sprintf("class %s dev %s", s.ClassID, s.Dev) }

// validate checks s on its own: the rules of netlink.ClassRequest (the
// kernel's).
func (s *ClassSpec) validate() error {
	if err := validName("class", s.Dev); err != nil {
		return err
	}
	switch {
	case s.ClassID.Major() == 0 || s.ClassID.Minor() == 0:
		return invalid("%s: a class id is major:minor, neither 0", s.what())
	case !classTop(s.Parent) && s.Parent.Major() != s.ClassID.Major():
		return invalid("%s: parent %s is another qdisc's class", s.what(), s.Parent)
	case s.Parent == s.ClassID:
		return invalid("%s: its own parent", s.what())
	}
	if s.Absent {
		return nil
	}
	draft := &netlink.Class{Index: 1, Handle: s.ClassID, Parent: s.parent(), TCKind: s.kind(), Options: s.Options}
	if err := netlink.ClassRequest(netlink.Add, draft).Err(); err != nil {
		return draftInvalid(s.what(), err)
	}
	return nil
}

// Class adds a class spec.
func (t *Txn) Class(s ClassSpec) *Txn {
	t.specs.classes = append(t.specs.classes, s)
	t.plan = nil
	return t
}

// classOps is the kindOps of classes.
type classOps struct{}

func (classOps) count(ss *specSet) int { return len(ss.classes) }

func (classOps) each(ss *specSet, fn func(specRef)) {
	for i := range ss.classes {
		fn(specRef{kind: netlink.KindClass, i: int32(i)})
	}
}

// validate checks each class spec, that no two name one class, and that
// no present class has a parent class the transaction removes.
func (classOps) validate(ss *specSet) error {
	type id struct {
		dev string
		h   netlink.Handle
	}
	byID := map[id]*ClassSpec{}
	for i := range ss.classes {
		s := &ss.classes[i]
		ref := specRef{kind: netlink.KindClass, i: int32(i)}
		if err := s.validate(); err != nil {
			return specErr(ref, err)
		}
		if byID[id{s.Dev, s.ClassID}] != nil {
			return specErr(ref, invalid("%s: two specs", s.what()))
		}
		byID[id{s.Dev, s.ClassID}] = s
	}
	for i := range ss.classes {
		s := &ss.classes[i]
		if s.Absent || classTop(s.Parent) {
			continue
		}
		if ps := byID[id{s.Dev, s.Parent}]; ps != nil && ps.Absent {
			return specErr(specRef{kind: netlink.KindClass, i: int32(i)}, invalid("%s: parent %s is removed by this transaction", s.what(), s.Parent))
		}
	}
	return nil
}

func (classOps) plan(p *planner, ref specRef) error { return p.planClass(ref, &p.ss.classes[ref.i]) }

// verifyIndex is nil: a class change rechecks every class spec.
func (classOps) verifyIndex() verifyIndex { return nil }

// userClasses are the qdisc kinds whose classes are made and deleted by
// requests (RTM_NEWTCLASS, RTM_DELTCLASS); the others' classes are the
// qdisc's own (tbf's one class, mq's and mqprio's queues, prio's and
// multiq's bands, the flows of fq_codel and sfq, cake's tins), which the
// kernel refuses to delete (no delete op: EOPNOTSUPP).
var userClasses = map[string]bool{"htb": true, "hfsc": true, "drr": true, "qfq": true}

func (p *planner) planClass(ref specRef, s *ClassSpec) error {
	idx, pending, err := p.ref(s.Dev)
	if err != nil {
		if s.Absent {
			return nil
		}
		return fmt.Errorf("%s: %w", s.what(), err)
	}
	var ex *netlink.Class
	goes := false
	if !pending {
		ex = p.stateClass(idx, s.ClassID)
		observe(p, ex)
		goes = p.qdiscGoes(s.Dev, idx, s.ClassID.Major())
	}
	dev := s.Dev
	depth := p.classDepthOf(s.Dev, s.ClassID, 0)
	addStage, addLevel := tcAddStage(netlink.KindClass, depth)
	delStage, delLevel := tcDelStage(netlink.KindClass, depth)
	if s.Absent {
		kind := ""
		if ex != nil {
			kind = tcKind(ex.TCKind, ex.Options)
		}
		if ex == nil || goes || s.Kind != "" && kind != s.Kind {
			return nil // none (of that kind), or the kernel removes it with its qdisc
		}
		if !userClasses[kind] {
			return invalid("%s: the class is its %s qdisc's own: the kernel makes and removes it with the qdisc (remove the qdisc instead)", s.what(), kind)
		}
		if f := p.classBoundFilter(dev, idx, pending, ex.Handle); f != nil {
			return invalid("%s: %s sends packets to it (flowid): the kernel refuses to remove a class in use (remove the filter or change its flowid in this transaction)", s.what(), f.what())
		}
		del := &netlink.Class{Handle: ex.Handle, Parent: ex.Parent}
		desc := describeClass(ex, dev)
		p.add(&Step{Action: Remove, Kind: netlink.KindClass, stage: delStage, spec: ref, level: delLevel,
			desc: func() string { return desc }, taken: p.tcTakenWithClass(dev, idx, ex.Handle),
			build: classBuild(netlink.Delete, dev, del)})
		return nil
	}
	if !p.qdiscWillBe(s.Dev, idx, pending, s.ClassID.Major()) {
		return invalid("%s: no qdisc %x: on %s, and the transaction creates none", s.what(), s.ClassID.Major(), s.Dev)
	}
	if k := p.qdiscKindAfter(s.Dev, idx, pending, s.ClassID.Major()); userClasses[k] && k != s.kind() || !userClasses[k] {
		return invalid("%s: qdisc %x: on %s is %s after this transaction, which takes no %s classes", s.what(), s.ClassID.Major(), s.Dev, k, s.kind())
	}
	want := &netlink.Class{Handle: s.ClassID, Parent: s.parent(), TCKind: s.kind(), Options: s.Options}
	if ex != nil && !goes {
		if classParent(ex) != s.parent() {
			return invalid("%s: its parent is %s, not %s; a class cannot move: remove it (absent) in another transaction first",
				s.what(), classParent(ex), s.parent())
		}
		changes := tcOptionsDiff(s.Options, ex.Options, s.Exact)
		if ex.TCKind != s.kind() {
			changes = append(changeList{fmt.Sprintf("kind %s -> %s", ex.TCKind, s.kind())}, changes...)
		}
		if len(changes) == 0 {
			return nil
		}
		if !s.Exact && ex.TCKind == s.kind() {
			want.Options = keptFields(s.Options, ex.Stable().Options).(netlink.ClassOptions)
		}
		desc := s.describe()
		p.add(&Step{Action: Modify, Kind: netlink.KindClass, stage: addStage, spec: ref, level: addLevel,
			desc:  func() string { return desc + changes.String() },
			build: classBuild(netlink.Change, dev, want)})
		return nil
	}
	desc := s.describe()
	p.add(&Step{Action: Create, Kind: netlink.KindClass, stage: addStage, spec: ref, level: addLevel,
		desc:  func() string { return desc },
		build: classBuild(netlink.Add, dev, want)})
	return nil
}

// classParent returns c's parent as a spec names it: its qdisc's handle
// for a class at the top (htb reports root).
func classParent(c *netlink.Class) netlink.Handle {
	if classTop(c.Parent) {
		return netlink.NewHandle(c.Handle.Major(), 0)
	}
	return c.Parent
}

// classBuild returns a step's build: c's request on the link dev.
func classBuild(v netlink.Verb, dev string, c *netlink.Class) func(r *resolver) (netlink.Request, error) {
	return func(r *resolver) (netlink.Request, error) {
		idx, err := r.index(dev)
		if err != nil {
			return netlink.Request{}, err
		}
		x := *c
		x.Index = idx
		return netlink.ClassRequest(v, &x), nil
	}
}

// describe prints s in tc's words: "class htb 1:10 dev v0 parent 1: rate
// 1Mbit ceil 2Mbit".
func (s *ClassSpec) describe() string {
	d := fmt.Sprintf("class %s %s dev %s parent %s", s.kind(), s.ClassID, s.Dev, s.parent())
	if w := tcOptionsWords(s.Options); w != "" {
		d += " " + w
	}
	return d
}

func describeClass(c *netlink.Class, dev string) string {
	s := specOfClass(c, dev)
	return s.describe()
}

// specOfClass returns the spec that c is, exactly, on the link dev.
func specOfClass(c *netlink.Class, dev string) ClassSpec {
	st := c.Stable()
	return ClassSpec{Dev: dev, ClassID: c.Handle, Parent: classParent(c), Kind: c.TCKind, Options: st.Options, Exact: true}
}

// restore brings back the classes of the links in scope (tcRestoreLinks)
// as they were, and removes those the transaction added. Only classes
// with options are the user's: those without (tbf's and mq's) come and
// go with their qdisc.
func (classOps) restore(rs *restorer) {
	for _, l := range tcRestoreLinks(rs) {
		was := map[netlink.Handle]bool{}
		for c := range rs.pre.ClassesOf(l.pre) {
			if isNilTC(c.Options) {
				continue
			}
			was[c.Handle] = true
			rs.rb.classes = append(rs.rb.classes, specOfClass(c, l.name))
		}
		if l.cur == 0 {
			continue
		}
		for c := range rs.cur.ClassesOf(l.cur) {
			if !isNilTC(c.Options) && !was[c.Handle] {
				rs.rb.classes = append(rs.rb.classes, ClassSpec{Dev: l.name, ClassID: c.Handle, Absent: true})
			}
		}
	}
}

// settable lists what a ClassSpec can set of class o (a *netlink.Class):
// its parent, kind and options; statistics and the leaf qdisc are not
// among them.
func (classOps) settable(o netlink.Object) []attr {
	c := o.(*netlink.Class).Stable()
	return []attr{{"parent", classParent(c).String()}, {"kind", c.TCKind}, {"options", tcOptionsWords(c.Options)}}
}
