package txn

import (
	"slices"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// The filters of shared filter blocks (FilterSpec.Block), and the rules
// of where a link's filter may hang: which qdisc kinds have which blocks.

// blockBinding is a qdisc of link index (named name) bound to a shared
// block: its ingress_block or egress_block.
type blockBinding struct {
	index int
	name  string
}

// blockBindings returns the qdiscs of p's state bound to shared block b,
// by link.
func (p *planner) blockBindings(b uint32) []blockBinding {
	ix := p.tcIndexOf()
	if ix.blocks == nil {
		ix.blocks = map[uint32][]blockBinding{}
		for l := range p.st.Links() {
			for _, blk := range p.st.BlocksOf(l.Index) {
				if !slices.Contains(ix.blocks[blk], blockBinding{l.Index, l.Name}) {
					ix.blocks[blk] = append(ix.blocks[blk], blockBinding{l.Index, l.Name})
				}
			}
		}
	}
	return ix.blocks[b]
}

// blockStays reports whether a qdisc is bound to shared block b after
// the transaction: a spec binds it, or a qdisc bound now stays: its link
// is not removed, and its qdisc (ffff:, the only one with blocks)
// neither removed nor replaced nor bound elsewhere.
func (p *planner) blockStays(b uint32) bool {
	for i := range p.ss.qdiscs {
		if q := &p.ss.qdiscs[i]; !q.Absent && (q.IngressBlock == b || q.EgressBlock == b) {
			if _, _, err := p.ref(q.Dev); err == nil {
				return true
			}
		}
	}
	return p.blockBindingStays(b)
}

// blockBindingStays reports whether a qdisc bound to shared block b now
// stays bound after the transaction; if none does, the kernel destroys
// the block with its filters (tcf_block_put), even if a spec binds a
// qdisc to it again.
func (p *planner) blockBindingStays(b uint32) bool {
	for _, bd := range p.blockBindings(b) {
		idx, pending, err := p.ref(bd.name)
		if err != nil || pending || idx != bd.index {
			continue
		}
		if !p.qdiscGoes(bd.name, bd.index, 0xffff) {
			return true
		}
	}
	return false
}

// linkTakenBlocks returns the shared blocks the kernel destroys with
// link l and the links gone with it: those their ingress or clsact
// qdisc is the last binding of, when no qdisc spec removes that qdisc
// first; nil if none.
func (p *planner) linkTakenBlocks(l *netlink.Link, gone []goneWith) *tcTaken {
	var d []blockDeath
	links := []*netlink.Link{l}
	for _, g := range gone {
		links = append(links, g.link)
	}
	for _, x := range links {
		if !p.qdiscGoes(x.Name, x.Index, 0xffff) {
			bs := p.st.BlocksOf(x.Index)
			d = p.blockDeaths(d, bs[netlink.HandleIngressBlock], bs[netlink.HandleEgressBlock])
		}
	}
	if len(d) == 0 {
		return nil
	}
	return &tcTaken{blocks: d}
}

// stateBlockFilter returns the filter of shared block s.Block with the
// identity of s in p's state, or nil.
func (p *planner) stateBlockFilter(s *FilterSpec) *netlink.Filter {
	ix := p.tcIndexOf()
	if ix.blockFilters == nil {
		ix.blockFilters = map[uint32]map[filterID]*netlink.Filter{}
	}
	m, ok := ix.blockFilters[s.Block]
	if !ok {
		m = map[filterID]*netlink.Filter{}
		for f := range p.st.FiltersOfBlock(s.Block) {
			m[filterID{block: f.Block, chain: f.Chain, prio: f.Priority, protocol: f.Protocol, handle: f.Handle}] = f
		}
		ix.blockFilters[s.Block] = m
	}
	return m[s.id()]
}

// planBlockFilter plans spec s of a shared block: the block must stay
// bound to a qdisc for a present spec; an absent one whose block goes
// with its last binding has nothing to do (the kernel removes the
// block's filters with it: tcf_block_put), and a present one for a block
// that goes and is bound again is a creation.
func (p *planner) planBlockFilter(ref specRef, s *FilterSpec) error {
	if !p.blockStays(s.Block) {
		if s.Absent {
			return nil
		}
		return invalid("%s: no qdisc is bound to shared block %d after the transaction (a block exists while a qdisc is: tc qdisc add dev D ingress_block %d clsact)",
			s.what(), s.Block, s.Block)
	}
	ex := p.stateBlockFilter(s)
	observe(p, ex)
	return p.planFilterAt(ref, s, ex, !p.blockBindingStays(s.Block))
}

// filterNotShared refuses a spec naming link s.Dev (index idx; pending:
// created by the transaction) and a parent whose qdisc is bound to a
// shared block after the transaction (qdiscBlockAfter): the kernel changes a shared
// block's filters only by the block's index ("This filter block is
// shared. Please use the block index to manipulate the filters",
// tcf_block_find in net/sched/cls_api.c).
func (p *planner) filterNotShared(s *FilterSpec, idx int, pending bool) error {
	if s.Parent.Major() != 0xffff {
		return nil
	}
	b := p.qdiscBlockAfter(s.Dev, idx, pending, ipdb.CanonicalFilterParent(s.Parent))
	if b == 0 {
		return nil
	}
	return invalid("%s: the qdisc ffff: of %s is bound to shared block %d, whose filters the kernel changes only by the block: name the filter by block %d (no dev, no parent)",
		s.what(), s.Dev, b, b)
}

// qdiscBlockAfter returns the shared block that the qdisc ffff: of link
// dev binds at parent (netlink.HandleIngressBlock or HandleEgressBlock)
// after the transaction: a spec's, the existing qdisc's if it stays, or
// 0 for none (the qdisc's own block).
func (p *planner) qdiscBlockAfter(dev string, idx int, pending bool, parent netlink.Handle) uint32 {
	for i := range p.ss.qdiscs {
		if s := &p.ss.qdiscs[i]; s.Dev == dev && s.handle().Major() == 0xffff && !s.Absent {
			b := s.IngressBlock
			if parent == netlink.HandleEgressBlock {
				b = s.EgressBlock
			}
			if b != 0 {
				return b
			}
		}
	}
	if pending || p.qdiscGoes(dev, idx, 0xffff) {
		return 0
	}
	return p.st.BlocksOf(idx)[parent]
}

// qdiscKindAfter returns the kind of the qdisc of handle major major on
// link dev (index idx; pending: created by the transaction) after the
// transaction: a spec's, or the existing one's if it stays; "" for none.
func (p *planner) qdiscKindAfter(dev string, idx int, pending bool, major uint16) string {
	for i := range p.ss.qdiscs {
		if s := &p.ss.qdiscs[i]; s.Dev == dev && s.handle().Major() == major {
			if s.Absent {
				return ""
			}
			return s.kind()
		}
	}
	if pending {
		return ""
	}
	for q := range p.st.QdiscsOf(idx) {
		if q.Handle.Major() == major && q.Handle != netlink.HandleNone {
			if p.qdiscGoes(dev, idx, major) {
				return ""
			}
			return qdiscKind(q)
		}
	}
	return ""
}

// filterParentFits checks that link s.Dev will have a qdisc of handle
// major major with the block s.Parent names: egress (ffff:fff3) is
// clsact's only (the ingress qdisc takes any minor as its ingress block:
// ingress_find and ingress_tcf_block in net/sched/sch_ingress.c, so the
// filter would land on ingress); ingress (ffff:fff2) is ingress's or
// clsact's; a clsact takes no other minor (clsact_find: "Specified class
// doesn't exist").
func (p *planner) filterParentFits(s *FilterSpec, idx int, pending bool, major uint16) error {
	kind := p.qdiscKindAfter(s.Dev, idx, pending, major)
	if kind == "" {
		return invalid("%s: no qdisc %x: on %s, and the transaction creates none", s.what(), major, s.Dev)
	}
	switch {
	case s.Parent == netlink.HandleEgressBlock && kind != "clsact":
		return invalid("%s: egress is a clsact qdisc's block, and the qdisc ffff: of %s is %s (the kernel would put the filter on its ingress block)",
			s.what(), s.Dev, kind)
	case s.Parent == netlink.HandleIngressBlock && kind != "ingress" && kind != "clsact":
		return invalid("%s: ingress is an ingress or clsact qdisc's block, and the qdisc ffff: of %s is %s", s.what(), s.Dev, kind)
	case kind == "clsact" && s.Parent != netlink.HandleIngressBlock && s.Parent != netlink.HandleEgressBlock:
		return invalid("%s: a clsact qdisc's filters hang at ingress (ffff:fff2) or egress (ffff:fff3), not %s", s.what(), s.Parent)
	case noFilterBlock[kind]:
		return invalid("%s: qdisc %x: of %s is %s, which has no filter block (the kernel refuses: \"Qdisc not classful\" or \"Class doesn't support blocks\", tcf_block_find)", s.what(), major, s.Dev, kind)
	}
	return nil
}

// noFilterBlock are the qdisc kinds that take no filters: classless ones
// (no Qdisc_class_ops) and classful ones whose classes have no filter
// block (tbf's, netem's and mq's class ops have no tcf_block).
var noFilterBlock = map[string]bool{"pfifo": true, "bfifo": true, "pfifo_fast": true, "pfifo_head_drop": true, "noqueue": true,
	"fq": true, "tbf": true, "netem": true, "mq": true}

// tcRestoreBlocks returns the shared blocks whose filters a rollback
// restores: those the transaction's filter specs name, and those bound
// before it to the qdiscs of the links in scope (tcRestoreLinks), whose
// qdiscs the rollback brings back bound as they were.
func tcRestoreBlocks(rs *restorer) []uint32 {
	var out []uint32
	add := func(b uint32) {
		if b != 0 && !slices.Contains(out, b) {
			out = append(out, b)
		}
	}
	for i := range rs.ss.filters {
		add(rs.ss.filters[i].Block)
	}
	for _, l := range tcRestoreLinks(rs) {
		for _, b := range rs.pre.BlocksOf(l.pre) {
			add(b)
		}
	}
	slices.Sort(out)
	return out
}

// restoreBlockFilters brings back the filters of the shared blocks in scope
// (tcRestoreBlocks) as they were, and removes those the transaction
// added.
func restoreBlockFilters(rs *restorer) {
	for _, b := range tcRestoreBlocks(rs) {
		was := map[filterID]bool{}
		for f := range rs.pre.FiltersOfBlock(b) {
			if filterImplied(f) {
				continue
			}
			s := specOfFilter(f, "")
			was[s.id()] = true
			rs.rb.filters = append(rs.rb.filters, s)
		}
		for f := range rs.cur.FiltersOfBlock(b) {
			if filterImplied(f) {
				continue
			}
			if s := specOfFilter(f, ""); !was[s.id()] {
				rs.rb.filters = append(rs.rb.filters, FilterSpec{Block: b, Chain: f.Chain, Priority: f.Priority,
					Protocol: f.Protocol, Handle: f.Handle, Kind: f.TCKind, Absent: true})
			}
		}
	}
}
