package txn

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ipdb-go/ipdb/netlink"
)

// QdiscSpec is the desired state of the queueing discipline with handle
// Handle at Parent on link Dev (RTM_NEWQDISC, `tc qdisc`). Its identity
// is (Dev, Parent, Handle), as the database keys qdiscs.
//
// A qdisc at Parent with another handle (the kernel's default root
// qdisc, noqueue, pfifo_fast or mq, or a qdisc of the user) is replaced
// by one request (`tc qdisc replace`, NLM_F_CREATE|NLM_F_REPLACE): the
// kernel deletes the old qdisc with its classes, filters and child
// qdiscs (qdisc_graft in net/sched/sch_api.c), and a rollback brings
// them back. The kernel refuses a handle's kind to change ("Invalid
// qdisc name: must match existing qdisc", tc_modify_qdisc): a spec that
// gives an existing handle another kind is planned as the qdisc's
// removal and its creation. A qdisc's options change in place (`tc qdisc
// change`). Removing a root qdisc (Absent) brings back the kernel's
// default; its classes and filters go with it.
//
// A qdisc under a class (Parent a class id) needs the class: one that
// exists and stays, or one the transaction creates. Steps follow the
// tree (tc_order.go): a qdisc after the class it hangs from, a class
// after its parent class or qdisc, filters after both; removals in the
// reverse order.
type QdiscSpec struct {
	// Dev names the link (required).
	Dev string
	// Parent is where the qdisc hangs: netlink.HandleRoot (zero means
	// root), netlink.HandleIngress for ingress and clsact, or a class id
	// major:minor.
	Parent netlink.Handle
	// Handle is the qdisc's handle, major:0 (tc's "handle 1:"); required
	// but for ingress and clsact, whose handle is always ffff:.
	Handle netlink.Handle
	// Kind is the qdisc's kind ("htb", "tbf", "pfifo", "bfifo",
	// "pfifo_fast", "mq", "ingress", "clsact", ...); it may be left empty
	// when Options says it. Required unless Absent.
	Kind string
	// Options are the kind's options (*netlink.TBF, *netlink.HTB,
	// *netlink.Fifo, ...); nil, or a field left at zero, leaves the value
	// to the kernel (its default for a new qdisc). A field's unit is its
	// netlink type's (bytes per second, time.Duration).
	Options netlink.QdiscOptions
	// IngressBlock and EgressBlock bind an ingress or clsact qdisc's
	// ingress filter block, and a clsact's egress block, to the shared
	// block of that index (tc's ingress_block and egress_block;
	// TCA_INGRESS_BLOCK, TCA_EGRESS_BLOCK), which exists while a qdisc is
	// bound to it. Zero leaves the binding of an existing qdisc that
	// stays as it is; a qdisc created, or created again, gets a block of
	// its own. The kernel does not change a
	// qdisc's blocks ("Change of blocks is not supported", qdisc_change
	// in net/sched/sch_api.c): another block is planned as the qdisc's
	// removal and its creation, which takes the filters of its own
	// blocks.
	IngressBlock, EgressBlock uint32
	// Absent deletes the qdisc if present.
	Absent bool
	// Exact makes the spec the whole qdisc, as a state file's entry, or a
	// rollback's spec, is: every option counts, a zero one too (htb's
	// default class 0 is none), and zero blocks are the qdisc's own.
	// Fields the kernel fills in when a request leaves them zero (htb's
	// direct_qlen, its r2q) and nil options (the kind's defaults) still
	// do not count. Without Exact, a field left at zero is the qdisc's
	// own: not compared, and sent again with a change for another reason
	// (a kind's change takes its options as sent: tbf_change in
	// net/sched/sch_tbf.c drops a peakrate the request lacks).
	Exact bool
}

// parent returns the spec's parent, root for zero.
func (s *QdiscSpec) parent() netlink.Handle {
	if s.Parent == netlink.HandleNone {
		return netlink.HandleRoot
	}
	return s.Parent
}

func (s *QdiscSpec) kind() string { return tcKind(s.Kind, s.Options) }

// ingress reports whether the spec is an ingress or clsact qdisc.
func (s *QdiscSpec) ingress() bool {
	k := s.kind()
	return k == "ingress" || k == "clsact" || s.parent() == netlink.HandleIngress
}

// handle returns the spec's handle: ffff: for ingress and clsact.
func (s *QdiscSpec) handle() netlink.Handle {
	if s.Handle == netlink.HandleNone && s.ingress() {
		return netlink.NewHandle(0xffff, 0)
	}
	return s.Handle
}

func (s *QdiscSpec) what() string {
	where := "root"
	if p := s.parent(); p != netlink.HandleRoot {
		where = "parent " + p.String()
		if p == netlink.HandleIngress {
			where = "ingress"
		}
	}
	return fmt.Sprintf("qdisc %x: dev %s %s", s.handle().Major(), s.Dev, where)
}

// draft returns the qdisc s asks for on the link of index idx.
func (s *QdiscSpec) draft(idx int) *netlink.Qdisc {
	return &netlink.Qdisc{Index: idx, Handle: s.handle(), Parent: s.parent(), TCKind: s.kind(), Options: s.Options,
		IngressBlock: s.IngressBlock, EgressBlock: s.EgressBlock}
}

// validate checks s on its own: the rules of netlink.QdiscRequest (the
// kernel's), and that the spec names one qdisc.
func (s *QdiscSpec) validate() error {
	if err := validName("qdisc", s.Dev); err != nil {
		return err
	}
	h := s.handle()
	switch {
	case h == netlink.HandleNone:
		return invalid("%s: a handle is required (the kernel would choose one, and the spec could not find it again)", s.what())
	case h.Minor() != 0:
		return invalid("qdisc handle %s on %s: a qdisc's handle is major:0", h, s.Dev)
	case h.Major() == 0xffff && !s.ingress():
		return invalid("%s: handle ffff: belongs to the ingress and clsact qdiscs", s.what())
	}
	if s.Absent {
		return nil
	}
	if s.kind() == "" {
		return invalid("%s: a kind is required (Kind or Options)", s.what())
	}
	if s.IngressBlock != 0 && s.IngressBlock == s.EgressBlock {
		// A device joins a block once (tcf_block_get_ext: "block dev
		// insert failed", EBUSY).
		return invalid("%s: ingress_block and egress_block are both %d: a link can be bound to a shared block once", s.what(), s.IngressBlock)
	}
	if err := netlink.QdiscRequest(netlink.Add, s.draft(1)).Err(); err != nil {
		return draftInvalid(s.what(), err)
	}
	return nil
}

// Qdisc adds a qdisc spec.
func (t *Txn) Qdisc(s QdiscSpec) *Txn {
	t.specs.qdiscs = append(t.specs.qdiscs, s)
	t.plan = nil
	return t
}

// qdiscOps is the kindOps of qdiscs.
type qdiscOps struct{}

func (qdiscOps) count(ss *specSet) int { return len(ss.qdiscs) }

func (qdiscOps) each(ss *specSet, fn func(specRef)) {
	for i := range ss.qdiscs {
		fn(specRef{kind: netlink.KindQdisc, i: int32(i)})
	}
}

// validate checks each qdisc spec, and that no two name one qdisc: the
// same handle or the same parent on a link.
func (qdiscOps) validate(ss *specSet) error {
	type at struct {
		dev string
		h   netlink.Handle
	}
	handles, parents := map[at]bool{}, map[at]bool{}
	for i := range ss.qdiscs {
		s := &ss.qdiscs[i]
		ref := specRef{kind: netlink.KindQdisc, i: int32(i)}
		if err := s.validate(); err != nil {
			return specErr(ref, err)
		}
		if handles[at{s.Dev, s.handle()}] {
			return specErr(ref, invalid("qdisc %s dev %s: two specs", s.handle(), s.Dev))
		}
		handles[at{s.Dev, s.handle()}] = true
		if !s.Absent {
			if parents[at{s.Dev, s.parent()}] {
				return specErr(ref, invalid("%s: two specs want a qdisc at this parent", s.what()))
			}
			parents[at{s.Dev, s.parent()}] = true
		}
	}
	return nil
}

func (qdiscOps) plan(p *planner, ref specRef) error { return p.planQdisc(ref, &p.ss.qdiscs[ref.i]) }

// verifyIndex is nil: a qdisc change rechecks every qdisc spec.
func (qdiscOps) verifyIndex() verifyIndex { return nil }

// qdiscAt returns the qdiscs of link idx at parent (the kernel's default,
// with handle 0, and the user's), and the qdisc with handle h wherever it
// hangs.
func (p *planner) qdiscAt(idx int, parent, h netlink.Handle) (def, user, byHandle *netlink.Qdisc) {
	for q := range p.st.QdiscsOf(idx) {
		if q.Parent == parent {
			if q.Handle == netlink.HandleNone {
				def = q
			} else {
				user = q
			}
		}
		if q.Handle == h {
			byHandle = q
		}
	}
	return def, user, byHandle
}

// qdiscKind returns a qdisc's kind.
func qdiscKind(q *netlink.Qdisc) string { return tcKind(q.TCKind, q.Options) }

func (p *planner) planQdisc(ref specRef, s *QdiscSpec) error {
	idx, pending, err := p.ref(s.Dev)
	if err != nil {
		if s.Absent {
			return nil // no link, no qdisc
		}
		return fmt.Errorf("%s: %w", s.what(), err)
	}
	var def, ex, byHandle *netlink.Qdisc
	if !pending {
		def, ex, byHandle = p.qdiscAt(idx, s.parent(), s.handle())
		observe(p, def)
		observe(p, ex)
		if byHandle != ex {
			observe(p, byHandle)
		}
		if par := s.parent(); !s.Absent && isClassParent(par) && p.classGoes(s.Dev, idx, par) {
			// The kernel removes what hangs from a class with the class,
			// or with the qdisc the class belongs to (htb_destroy_class
			// puts its leaf qdisc): the spec's qdisc is a new one. (An
			// absent spec still removes it first, bottom up.)
			def, ex, byHandle = nil, nil, nil
		}
	}
	dev := s.Dev
	depth := p.qdiscDepth(s.Dev, s.parent(), 0)
	addStage, addLevel := tcAddStage(netlink.KindQdisc, depth)
	delStage, delLevel := tcDelStage(netlink.KindQdisc, depth)
	if s.Absent {
		if ex == nil || ex.Handle != s.handle() {
			return nil
		}
		del := &netlink.Qdisc{Handle: ex.Handle, Parent: ex.Parent, TCKind: qdiscKind(ex)}
		desc := p.describeQdisc(ex, dev)
		p.add(&Step{Action: Remove, Kind: netlink.KindQdisc, stage: delStage, level: delLevel, spec: ref,
			desc: func() string { return desc }, taken: p.tcTakenWith(idx, ex),
			build: qdiscBuild(netlink.Delete, dev, del)})
		return nil
	}
	if byHandle != nil && byHandle.Parent != s.parent() {
		return invalid("%s: qdisc %x: hangs at %s; a qdisc cannot move: remove it (absent) in another transaction first",
			s.what(), byHandle.Handle.Major(), byHandle.Parent)
	}
	if par := s.parent(); par != netlink.HandleRoot && par != netlink.HandleIngress && !p.classWillBe(s.Dev, idx, pending, par) {
		return invalid("%s: no class %s on %s, and the transaction creates none (or removes it)", s.what(), par, s.Dev)
	}
	if par := s.parent(); isClassParent(par) {
		if c := p.classChildAfter(s.Dev, idx, pending, par); c != 0 {
			return invalid("%s: class %s has a child class (%s) after this transaction, and a class with children has no qdisc of its own (the kernel drops it: htb_change_class)", s.what(), par, c)
		}
	}
	if ex != nil && ex.Handle == s.handle() && s.Exact && isNilTC(s.Options) && qdiscKind(ex) == s.kind() {
		// The whole qdisc, with the kind's defaults: those the kernel
		// gives one made without options, where they are known.
		if d := p.defaultOptions(s.kind(), s.Dev, idx); d != nil {
			c := *s
			c.Options = d
			s = &c
		}
	}
	want := s.draft(0)
	if ex != nil && ex.Handle == s.handle() {
		if !s.recreates(ex) {
			changes := tcOptionsDiff(s.Options, ex.Options, s.Exact)
			if len(changes) == 0 {
				return nil
			}
			if !s.Exact {
				want.Options = keptFields(s.Options, ex.Stable().Options).(netlink.QdiscOptions)
			}
			desc := s.describe()
			p.add(&Step{Action: Modify, Kind: netlink.KindQdisc, stage: addStage, level: addLevel, spec: ref,
				desc:  func() string { return desc + changes.String() },
				build: qdiscBuild(netlink.Change, dev, want)})
			return nil
		}
		// The kernel keeps a handle's kind and blocks: remove, then add.
		del := &netlink.Qdisc{Handle: ex.Handle, Parent: ex.Parent, TCKind: qdiscKind(ex)}
		why := " (to add it again as " + s.kind() + ": the kernel keeps a handle's kind)"
		var changes changeList
		switch {
		case qdiscKind(ex) == s.kind() && s.blocksDiffer(ex):
			why = " (to add it again bound to other blocks: the kernel keeps a qdisc's blocks)"
		case qdiscKind(ex) == s.kind():
			why = " (to add it again changed: " + s.kind() + " has no change operation)"
			changes = tcOptionsDiff(s.Options, ex.Options, s.Exact)
			if !s.Exact {
				// The qdisc's own values of what the spec leaves at zero.
				want.Options = keptFields(s.Options, ex.Stable().Options).(netlink.QdiscOptions)
			}
		}
		ddesc := p.describeQdisc(ex, dev) + why
		p.add(&Step{Action: Remove, Kind: netlink.KindQdisc, stage: delStage, level: delLevel, spec: ref,
			desc: func() string { return ddesc }, taken: p.tcTakenWith(idx, ex),
			build: qdiscBuild(netlink.Delete, dev, del)})
		var c changeList
		if qdiscKind(ex) != s.kind() {
			c.add("kind", qdiscKind(ex), s.kind())
		}
		if s.blocksDiffer(ex) {
			c.add("blocks", blockWords(ex.IngressBlock, ex.EgressBlock), blockWords(s.IngressBlock, s.EgressBlock))
		}
		c = append(c, changes...)
		desc := s.describe() + c.String()
		p.add(&Step{Action: Modify, Kind: netlink.KindQdisc, stage: addStage, level: addLevel, spec: ref,
			desc:  func() string { return desc },
			build: qdiscBuild(netlink.Add, dev, want)})
		return nil
	}
	if ex != nil {
		// Another qdisc at the parent: one replace, which deletes it.
		var c changeList
		c.add("handle", fmt.Sprintf("%x:", ex.Handle.Major()), fmt.Sprintf("%x:", s.handle().Major()))
		if k := qdiscKind(ex); k != s.kind() {
			c.add("kind", k, s.kind())
		}
		desc := s.describe() + c.String()
		p.add(&Step{Action: Modify, Kind: netlink.KindQdisc, stage: addStage, level: addLevel, spec: ref,
			desc: func() string { return desc }, taken: p.tcTakenWith(idx, ex),
			build: qdiscBuild(netlink.Replace, dev, want)})
		return nil
	}
	desc := s.describe()
	verb := netlink.Add
	if def != nil {
		// The kernel's default goes: replace says so.
		desc += fmt.Sprintf(" (replaces the kernel's default %s)", qdiscKind(def))
		verb = netlink.Replace
	}
	p.add(&Step{Action: Create, Kind: netlink.KindQdisc, stage: addStage, level: addLevel, spec: ref,
		desc:  func() string { return desc },
		build: qdiscBuild(verb, dev, want)})
	return nil
}

// qdiscBuild returns a step's build: q's request on the link dev.
func qdiscBuild(v netlink.Verb, dev string, q *netlink.Qdisc) func(r *resolver) (netlink.Request, error) {
	return func(r *resolver) (netlink.Request, error) {
		idx, err := r.index(dev)
		if err != nil {
			return netlink.Request{}, err
		}
		c := *q
		c.Index = idx
		return netlink.QdiscRequest(v, &c), nil
	}
}

// tcTaken is what the kernel deletes with a qdisc or a link, as a plan
// line's tail: the qdisc's classes and filters, " (the kernel removes its
// 3 classes and 2 filters with it)", and the shared blocks that no qdisc
// stays bound to, " (the kernel destroys shared block 22 with its 1
// filter: no qdisc stays bound to it)". A block dies with its last
// binding (tcf_block_put), so once the plan is ordered only the last
// step that unbinds a block names it (planner.plan).
type tcTaken struct {
	what   []string // "3 classes", "2 filters"
	blocks []blockDeath
}

// blockDeath is a shared block the kernel destroys, with the number of
// its filters.
type blockDeath struct {
	block   uint32
	filters int
}

// String prints the tail, or "" when nothing goes with the object.
func (t *tcTaken) String() string {
	if t == nil {
		return ""
	}
	var out []string
	if len(t.what) > 0 {
		what := strings.Join(t.what, " and ")
		if n := len(t.what); n > 2 {
			what = strings.Join(t.what[:n-1], ", ") + " and " + t.what[n-1]
		}
		out = append(out, "the kernel removes its "+what+" with it")
	}
	blocks := make([]string, len(t.blocks))
	for i, d := range t.blocks {
		blocks[i] = fmt.Sprintf("shared block %d", d.block)
		if d.filters > 0 {
			blocks[i] += " with its " + plural(d.filters, "filter", "filters")
		}
	}
	switch len(blocks) {
	case 0:
	case 1:
		out = append(out, "and destroys "+blocks[0]+": no qdisc stays bound to it")
	default:
		out = append(out, "and destroys "+strings.Join(blocks, " and ")+": no qdisc stays bound to them")
	}
	if len(out) == 0 {
		return ""
	}
	if len(t.what) == 0 {
		out[0] = "the kernel " + strings.TrimPrefix(out[0], "and ")
	}
	return " (" + strings.Join(out, " ") + ")"
}

// tcTakenWith returns what the kernel deletes with qdisc q of link idx:
// its classes, the filters of its blocks, and the shared blocks it is
// the last binding of.
func (p *planner) tcTakenWith(idx int, q *netlink.Qdisc) *tcTaken {
	t := p.tcTakenTree(idx, map[uint16]bool{q.Handle.Major(): true}, 0)
	t.blocks = p.blockDeaths(nil, q.IngressBlock, q.EgressBlock)
	return t
}

// tcTakenWithClass returns what the kernel deletes with class id of link
// idx: the qdiscs hanging from it, with their trees (htb_destroy_class
// puts its leaf qdisc).
func (p *planner) tcTakenWithClass(dev string, idx int, id netlink.Handle) *tcTaken {
	majors := map[uint16]bool{}
	for x := range p.st.QdiscsOf(idx) {
		if x.Parent == id && x.Handle.Major() != 0 && !p.qdiscRemovedBySpec(dev, x.Handle) {
			majors[x.Handle.Major()] = true
		}
	}
	if len(majors) == 0 {
		return nil
	}
	return p.tcTakenTree(idx, majors, len(majors))
}

// qdiscRemovedBySpec reports whether an absent spec removes the qdisc of
// handle h on link dev by a step of its own (before its class goes).
func (p *planner) qdiscRemovedBySpec(dev string, h netlink.Handle) bool {
	for i := range p.ss.qdiscs {
		if s := &p.ss.qdiscs[i]; s.Dev == dev && s.Absent && s.handle() == h {
			return true
		}
	}
	return false
}

// tcTakenTree counts the tree below the qdiscs of majors on link idx
// (qdiscs of them already counted): the qdiscs hanging from their
// classes, theirs, and so on, then all their classes and filters.
func (p *planner) tcTakenTree(idx int, majors map[uint16]bool, qdiscs int) *tcTaken {
	for grew := true; grew; {
		grew = false
		for x := range p.st.QdiscsOf(idx) {
			if m := x.Handle.Major(); m != 0 && !majors[m] && isClassParent(x.Parent) && majors[x.Parent.Major()] {
				majors[m], grew = true, true
				qdiscs++
			}
		}
	}
	classes, filters := 0, 0
	for c := range p.st.ClassesOf(idx) {
		if majors[c.Handle.Major()] && !isNilTC(c.Options) {
			classes++
		}
	}
	for f := range p.st.FiltersOf(idx) {
		if majors[f.Parent.Major()] && !filterImplied(f) {
			filters++
		}
	}
	t := &tcTaken{}
	if qdiscs > 0 {
		t.what = append(t.what, plural(qdiscs, "qdisc", "qdiscs"))
	}
	if classes > 0 {
		t.what = append(t.what, plural(classes, "class", "classes"))
	}
	if filters > 0 {
		t.what = append(t.what, plural(filters, "filter", "filters"))
	}
	return t
}

// blockDeaths appends to d the shared blocks among blocks that no qdisc
// stays bound to after the transaction, each once, with their filters.
// The kernel announces a block's death only as a chain deletion.
func (p *planner) blockDeaths(d []blockDeath, blocks ...uint32) []blockDeath {
	for _, b := range blocks {
		if b == 0 || p.blockBindingStays(b) || slices.ContainsFunc(d, func(x blockDeath) bool { return x.block == b }) {
			continue
		}
		n := 0
		for f := range p.st.FiltersOfBlock(b) {
			if !filterImplied(f) {
				n++
			}
		}
		d = append(d, blockDeath{block: b, filters: n})
	}
	return d
}

// keepLastBlockDeaths leaves each shared block's death on the last of
// the ordered steps that unbinds it: the kernel destroys the block
// there, not at the steps before.
func keepLastBlockDeaths(steps []*Step) {
	last := map[uint32]*Step{}
	for _, o := range steps {
		if o.taken != nil {
			for _, d := range o.taken.blocks {
				last[d.block] = o
			}
		}
	}
	for _, o := range steps {
		if o.taken != nil {
			o.taken.blocks = slices.DeleteFunc(o.taken.blocks, func(d blockDeath) bool { return last[d.block] != o })
		}
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// qdiscGoes reports whether the transaction deletes or replaces the
// qdisc of handle major major on the link dev (index idx), which takes
// its classes and filters: a spec removes it, or puts another qdisc (or
// another kind) at its parent.
func (p *planner) qdiscGoes(dev string, idx int, major uint16) bool {
	var q *netlink.Qdisc
	for x := range p.st.QdiscsOf(idx) {
		if x.Handle.Major() == major && x.Handle != netlink.HandleNone {
			q = x
			break
		}
	}
	if q == nil {
		return false
	}
	for i := range p.ss.qdiscs {
		s := &p.ss.qdiscs[i]
		if s.Dev != dev {
			continue
		}
		switch {
		case s.handle() == q.Handle && s.Absent:
			return true
		case s.handle() == q.Handle && !s.Absent && s.recreates(q):
			return true
		case !s.Absent && s.parent() == q.Parent && s.handle() != q.Handle:
			return true
		}
	}
	// A qdisc under a class goes with the class, and with the qdisc
	// the class belongs to.
	return isClassParent(q.Parent) && p.classGoes(dev, idx, q.Parent)
}

// isClassParent reports whether a qdisc's parent h is a class (major:
// minor), not the root or the ingress hook.
func isClassParent(h netlink.Handle) bool {
	return h != netlink.HandleRoot && h != netlink.HandleIngress && h != netlink.HandleNone && h.Minor() != 0
}

// classGoes reports whether the class id on link dev (index idx) is
// removed by the transaction: by a spec (absent), or by the kernel with
// its qdisc (qdiscGoes, which follows the tree up).
func (p *planner) classGoes(dev string, idx int, id netlink.Handle) bool {
	if c := p.classSpec(dev, id); c != nil && c.Absent {
		return true
	}
	return p.qdiscGoes(dev, idx, id.Major())
}

// classStays reports whether class id exists on link dev (index idx)
// before the transaction and is neither removed by a spec nor by the
// kernel with its qdisc.
func (p *planner) classStays(dev string, idx int, pending bool, id netlink.Handle) bool {
	if pending || p.qdiscGoes(dev, idx, id.Major()) {
		return false
	}
	if c := p.classSpec(dev, id); c != nil && c.Absent {
		return false
	}
	return p.stateClass(idx, id) != nil
}

// qdiscWillBe reports whether a qdisc of handle major major is on link
// dev after the transaction: a spec creates it, or it exists and stays.
func (p *planner) qdiscWillBe(dev string, idx int, pending bool, major uint16) bool {
	for i := range p.ss.qdiscs {
		if s := &p.ss.qdiscs[i]; s.Dev == dev && s.handle().Major() == major {
			return !s.Absent
		}
	}
	if pending {
		return false
	}
	for q := range p.st.QdiscsOf(idx) {
		if q.Handle.Major() == major && q.Handle != netlink.HandleNone {
			return !p.qdiscGoes(dev, idx, major)
		}
	}
	return false
}

// describe prints s in tc's words: "qdisc tbf 1: dev v0 root rate 1Mbit
// burst 10Kb lat 25ms".
func (s *QdiscSpec) describe() string {
	d := fmt.Sprintf("qdisc %s %x: dev %s", s.kind(), s.handle().Major(), s.Dev)
	switch p := s.parent(); p {
	case netlink.HandleRoot:
		d += " root"
	case netlink.HandleIngress:
		d += " ingress"
	default:
		d += " parent " + p.String()
	}
	if w := blockWords(s.IngressBlock, s.EgressBlock); w != "own blocks" {
		d += " " + w
	}
	if w := tcOptionsWords(s.Options); w != "" {
		d += " " + w
	}
	return d
}

// defaultOptions returns the options the kernel gives a qdisc of kind on
// link idx that a request makes without options, where they are known,
// else nil: a fifo's limit is the link's transmit queue length, in
// packets, and for bfifo in bytes of the link's MTU plus its link-layer
// header (__fifo_init and psched_mtu in net/sched; the header is
// Ethernet's 14 bytes on Ethernet and loopback links, none on ARPHRD_NONE
// ones such as tun). The link is dev (index idx) as the transaction leaves
// it: a link spec's MTU and transmit queue length count (its changes come
// first).
func (p *planner) defaultOptions(kind, dev string, idx int) netlink.QdiscOptions {
	if kind != "pfifo" && kind != "bfifo" {
		return nil
	}
	l, err := p.st.LinkByIndex(idx)
	if err != nil {
		return nil
	}
	limit, mtu := l.TxQueueLen, l.MTU
	for i := range p.ss.links {
		if ls := &p.ss.links[i]; ls.Name == dev && !ls.Absent {
			if ls.TxQueueLen != nil {
				limit = *ls.TxQueueLen
			}
			if ls.MTU != nil {
				mtu = *ls.MTU
			}
		}
	}
	if kind == "bfifo" {
		var hh uint32
		switch l.Type {
		case arphrdEther, arphrdLoopback:
			hh = 14
		case arphrdNone:
		default:
			return nil
		}
		limit *= mtu + hh
	}
	return &netlink.Fifo{Kind: kind, Limit: limit}
}

// Link-layer types (ARPHRD_* in include/uapi/linux/if_arp.h).
const (
	arphrdEther    = 1
	arphrdLoopback = 772
	arphrdNone     = 0xfffe
)

// recreates reports whether s, for the qdisc q of its handle, must be
// planned as q's removal and its creation: another kind or other blocks
// (the kernel keeps both), or other options of a kind without a change
// operation (noChangeQdisc).
func (s *QdiscSpec) recreates(q *netlink.Qdisc) bool {
	if qdiscKind(q) != s.kind() || s.blocksDiffer(q) {
		return true
	}
	return noChangeQdisc[s.kind()] && len(tcOptionsDiff(s.Options, q.Options, s.Exact)) > 0
}

// noChangeQdisc are the qdisc kinds whose options the kernel does not
// change in place: their Qdisc_ops have no change, and qdisc_change in
// net/sched/sch_api.c refuses ("Change operation not supported by
// specified qdisc"): htb (sch_htb.c, default and r2q are set at init
// only), pfifo_fast, mq, ingress and clsact.
var noChangeQdisc = map[string]bool{"htb": true, "pfifo_fast": true, "mq": true, "ingress": true, "clsact": true}

// blocksDiffer reports whether s binds other shared blocks than the
// qdisc q has: a block s gives (or, exact, any).
func (s *QdiscSpec) blocksDiffer(q *netlink.Qdisc) bool {
	if s.Exact {
		return s.IngressBlock != q.IngressBlock || s.EgressBlock != q.EgressBlock
	}
	return s.IngressBlock != 0 && s.IngressBlock != q.IngressBlock || s.EgressBlock != 0 && s.EgressBlock != q.EgressBlock
}

// blockWords prints a qdisc's shared blocks as tc does, "ingress_block
// 22 egress_block 33", or "own blocks".
func blockWords(ingress, egress uint32) string {
	var w []string
	if ingress != 0 {
		w = append(w, fmt.Sprintf("ingress_block %d", ingress))
	}
	if egress != 0 {
		w = append(w, fmt.Sprintf("egress_block %d", egress))
	}
	if len(w) == 0 {
		return "own blocks"
	}
	return strings.Join(w, " ")
}

func (p *planner) describeQdisc(q *netlink.Qdisc, dev string) string {
	s := specOfQdisc(q, dev)
	return s.describe()
}

// specOfQdisc returns the spec that q is, exactly, on the link dev.
func specOfQdisc(q *netlink.Qdisc, dev string) QdiscSpec {
	st := q.Stable()
	return QdiscSpec{Dev: dev, Parent: q.Parent, Handle: q.Handle, Kind: qdiscKind(q), Options: st.Options,
		IngressBlock: q.IngressBlock, EgressBlock: q.EgressBlock, Exact: true}
}

// restore brings back the qdiscs of the links in scope (tcRestoreLinks)
// as they were: each the user made (the kernel's defaults, handle 0,
// come back by themselves when the user's qdisc at their parent goes),
// and removes those the transaction added. A qdisc under a class comes
// back after its class (tcDepth orders them), also one the rollback
// creates again.
func (qdiscOps) restore(rs *restorer) {
	for _, l := range tcRestoreLinks(rs) {
		was := map[[2]netlink.Handle]bool{}
		for q := range rs.pre.QdiscsOf(l.pre) {
			if q.Handle == netlink.HandleNone {
				continue
			}
			was[[2]netlink.Handle{q.Parent, q.Handle}] = true
			rs.rb.qdiscs = append(rs.rb.qdiscs, specOfQdisc(q, l.name))
		}
		if l.cur == 0 {
			continue
		}
		for q := range rs.cur.QdiscsOf(l.cur) {
			if q.Handle != netlink.HandleNone && !was[[2]netlink.Handle{q.Parent, q.Handle}] {
				rs.rb.qdiscs = append(rs.rb.qdiscs, QdiscSpec{Dev: l.name, Parent: q.Parent, Handle: q.Handle, Absent: true})
			}
		}
	}
}

// settable lists what a QdiscSpec can set of qdisc o (a *netlink.Qdisc):
// its kind and options; statistics and the reference count are not
// among them.
func (qdiscOps) settable(o netlink.Object) []attr {
	q := o.(*netlink.Qdisc).Stable()
	return []attr{{"handle", q.Handle.String()}, {"kind", qdiscKind(q)}, {"options", tcOptionsWords(q.Options)}}
}
