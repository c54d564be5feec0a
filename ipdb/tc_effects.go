package ipdb

import (
	"slices"

	"github.com/ipdb-go/ipdb/netlink"
)

// The tc effects made inside the notification's write transaction: what
// the kernel destroys or creates along with the qdisc, class or filter a
// notification names, without a notification of its own, applied in the
// same revision as the notification so that no revision holds a state the
// kernel never had (a class whose qdisc is gone, a filter without its
// priority). The re-reads of tcChanged stay behind them as the safety net
// for what cannot be derived (the default qdisc attached to an up link,
// mq's children, htb's levels, u32's hash tables).

// The qdisc and class rows name each other's tables through these
// effects, an initialization cycle for a composite literal: they are
// hooked here.
func init() {
	qdiscDef.effects.inTxn = qdiscInTxn
	classDef.effects.inTxn = classInTxn
}

// qdiscInTxn applies what comes and goes with a qdisc notification.
//
//   - A deleted qdisc, or one replaced by another handle (announced as
//     the old one's deletion beside the new one, qdisc_graft ->
//     notify_and_destroy), is destroyed with its classes, the qdiscs
//     under them, recursively, and the filters of its own and its
//     classes' blocks (qdisc_put -> qdisc_destroy: ops->reset,
//     ops->destroy, htb_destroy -> tcf_block_put, qdisc_put of each
//     leaf), none of it announced (tcQdiscTree). A shared block's
//     filters are left to blockJobs: the block lives while another
//     qdisc is bound to it.
//   - A new tbf has its class major:1 at once (tbf_dump_class lists it
//     whatever its child, with the qdisc's handle as parent and no
//     options): it is added with the qdisc.
//   - A new root qdisc is the link's IFLA_QDISC (rtnl_fill_ifinfo:
//     dev->qdisc->ops->id), which changes with no link notification: the
//     link gets it in the same revision (the link re-read after a qdisc
//     notification stays the safety net).
func qdiscInTxn(w *writer, _ *kindDef, c cause, changes []Change, _ *rereads) []Change {
	q := c.obj.(*netlink.Qdisc)
	if c.deleted {
		changes = tcQdiscTree(w, q, changes)
		if old, ok := c.old.(*netlink.Qdisc); ok {
			q = old // the stored qdisc says which blocks it was bound to
		}
		return tcBlockDeaths(w, changes, q)
	}
	if c.notified && q.Parent == netlink.HandleRoot && q.TCKind != "" {
		changes = linkQdiscInTxn(w, q, changes)
	}
	if !c.notified || c.old != nil || q.TCKind != "tbf" || q.Handle.Minor() != 0 || q.Handle == 0 {
		return changes
	}
	cl := &netlink.Class{Index: q.Index, Handle: q.Handle | 1, Parent: q.Handle, TCKind: "tbf"}
	key := classDef.key(cl)
	if o, err := w.lookup(&classDef, key); err != nil || o != nil {
		return changes
	}
	if err := w.put(&classDef, cl, key); err != nil {
		return changes
	}
	return append(changes, Change{Kind: netlink.KindClass, Op: OpAdd, New: cl})
}

// classInTxn applies what comes and goes with a class notification
// (htb, the classful kind this kernel has with classes a user makes).
//
//   - A deleted class takes its leaf qdisc, with that qdisc's tree, and
//     the filters of its own block (htb_delete: qdisc_put of the leaf,
//     tcf_block_put), unannounced.
//   - An htb class added under a leaf class turns the parent into an
//     inner class and destroys its leaf qdisc, with its tree
//     (htb_change_class: qdisc_put of parent->leaf.q), unannounced; the
//     parent's filters stay (an inner class keeps its block).
//
// The parent's level changes with it, silently: a leaf turned inner
// takes its parent's level less one, TC_HTB_MAXDEPTH - 1 at the top
// (htb_change_class), an inner class that lost its last child is a leaf
// again, level 0 (htb_delete -> htb_parent_to_leaf); the parent is
// changed so here when its own parent is stored, else left to
// tcChanged's re-read.
func classInTxn(w *writer, d *kindDef, c cause, changes []Change, _ *rereads) []Change {
	if !c.notified {
		return changes
	}
	cl := c.obj.(*netlink.Class)
	underClass := cl.Parent.Minor() != 0 && cl.Parent != netlink.HandleRoot
	switch {
	case c.deleted:
		if cl.Handle.Minor() == 0 {
			return changes // hfsc's root class: it goes with its qdisc
		}
		changes = tcLeafQdiscs(w, cl.Index, cl.Handle, changes)
		changes = tcRemoveFilters(w, func(f *netlink.Filter) bool {
			return f.Block == 0 && f.Index == cl.Index && f.Parent == cl.Handle
		}, cl.Index, changes)
		if cl.TCKind == "htb" && underClass {
			last := true
			tcEach(w, d, cl.Index, func(o netlink.Object) {
				last = last && o.(*netlink.Class).Parent != cl.Parent
			})
			if last {
				changes = htbSetLevel(w, d, cl.Index, cl.Parent, func(*netlink.Class) (uint32, bool) { return 0, true }, changes)
			}
		}
	case c.old == nil && cl.TCKind == "htb" && underClass:
		changes = tcLeafQdiscs(w, cl.Index, cl.Parent, changes)
		changes = htbSetLevel(w, d, cl.Index, cl.Parent, func(p *netlink.Class) (uint32, bool) {
			if p.Parent.Minor() == 0 || p.Parent == netlink.HandleRoot {
				return htbMaxDepth - 1, true
			}
			gp, _ := w.lookup(d, classKey(&netlink.Class{Index: p.Index, Handle: p.Parent}))
			if o, ok := htbOptions(gp); ok && o.Level > 0 {
				return o.Level - 1, true
			}
			return 0, false
		}, changes)
	}
	return changes
}

// htbMaxDepth is TC_HTB_MAXDEPTH (net/sched/sch_htb.c): a top inner
// class has level htbMaxDepth - 1.
const htbMaxDepth = 8

// htbOptions returns the htb options of stored class o, if it is one.
func htbOptions(o netlink.Object) (*netlink.HTBClass, bool) {
	cl, ok := o.(*netlink.Class)
	if !ok || cl == nil {
		return nil, false
	}
	h, ok := cl.Options.(*netlink.HTBClass)
	return h, ok && h != nil
}

// htbSetLevel gives the stored htb class handle of link ifindex the level
// level returns, if it knows it and the class has another.
func htbSetLevel(w *writer, d *kindDef, ifindex int, handle netlink.Handle, level func(*netlink.Class) (uint32, bool), changes []Change) []Change {
	key := classKey(&netlink.Class{Index: ifindex, Handle: handle})
	o, err := w.lookup(d, key)
	h, ok := htbOptions(o)
	if err != nil || !ok {
		return changes
	}
	old := o.(*netlink.Class)
	lv, ok := level(old)
	if !ok || lv == h.Level {
		return changes
	}
	nh := *h
	nh.Level = lv
	nc := *old
	nc.Options = &nh
	if err := w.put(d, &nc, key); err != nil {
		return changes
	}
	return append(changes, Change{Kind: d.kind, Op: OpChange, Old: old, New: &nc})
}

// tcLeafQdiscs removes the qdiscs attached under class parent of link
// ifindex, each with its tree.
func tcLeafQdiscs(w *writer, ifindex int, parent netlink.Handle, changes []Change) []Change {
	var gone []*netlink.Qdisc
	tcEach(w, &qdiscDef, ifindex, func(o netlink.Object) {
		if q := o.(*netlink.Qdisc); q.Parent == parent {
			gone = append(gone, q)
		}
	})
	for _, q := range gone {
		_ = w.remove(&qdiscDef, q)
		changes = append(changes, Change{Kind: netlink.KindQdisc, Op: OpDelete, Old: q})
		changes = tcQdiscTree(w, q, changes)
	}
	return changes
}

// tcQdiscTree removes, inside w, what a destroyed qdisc q (already
// removed) takes with it: its classes (class ids of its handle's major),
// the qdiscs attached under them, recursively, and the filters of the
// link's blocks that belong to q or its classes (parent of q's major: the
// ingress and clsact blocks, ffff:fff2 and ffff:fff3, for those two).
func tcQdiscTree(w *writer, q *netlink.Qdisc, changes []Change) []Change {
	major := q.Handle.Major()
	ingress := q.Parent == netlink.HandleIngress
	if !ingress {
		var gone []netlink.Object
		tcEach(w, &classDef, q.Index, func(o netlink.Object) {
			if o.(*netlink.Class).Handle.Major() == major {
				gone = append(gone, o)
			}
		})
		for _, o := range gone {
			_ = w.remove(&classDef, o)
			changes = append(changes, Change{Kind: netlink.KindClass, Op: OpDelete, Old: o})
		}
		var children []*netlink.Qdisc
		tcEach(w, &qdiscDef, q.Index, func(o netlink.Object) {
			c := o.(*netlink.Qdisc)
			if p := c.Parent; p.Major() == major && p != netlink.HandleRoot && p != netlink.HandleIngress && c != q {
				children = append(children, c)
			}
		})
		for _, c := range children {
			_ = w.remove(&qdiscDef, c)
			changes = append(changes, Change{Kind: netlink.KindQdisc, Op: OpDelete, Old: c})
			if c.Handle.Major() != major {
				changes = tcQdiscTree(w, c, changes)
			}
		}
	}
	return tcRemoveFilters(w, func(f *netlink.Filter) bool {
		return f.Block == 0 && f.Index == q.Index && f.Parent.Major() == major &&
			(!ingress || f.Parent == netlink.HandleIngressBlock || f.Parent == netlink.HandleEgressBlock)
	}, q.Index, changes)
}

// tcBlockDeaths removes, inside w, the filters of the shared blocks the
// deleted qdiscs qs were bound to (ingress_block, egress_block) when no
// qdisc w still has is bound to them: the kernel destroys a block with
// its last binding and flushes its chains (tcf_block_put ->
// tcf_block_flush_all_chains in net/sched/cls_api.c), announcing only
// the chains' deletion (RTM_DELCHAIN). Blocks are a namespace's
// (tcf_net's idr), so every link's qdiscs count. The block's re-read
// (blockJobs) stays the safety net.
func tcBlockDeaths(w *writer, changes []Change, qs ...*netlink.Qdisc) []Change {
	var blocks []uint32
	for _, q := range qs {
		for _, b := range []uint32{q.IngressBlock, q.EgressBlock} {
			if b != 0 && !slices.Contains(blocks, b) {
				blocks = append(blocks, b)
			}
		}
	}
	if len(blocks) == 0 {
		return changes
	}
	if it, err := w.txn.Get(qdiscDef.table, "id"); err == nil {
		for raw := it.Next(); raw != nil && len(blocks) > 0; raw = it.Next() {
			q := raw.(*netlink.Qdisc)
			blocks = slices.DeleteFunc(blocks, func(b uint32) bool { return b == q.IngressBlock || b == q.EgressBlock })
		}
	}
	for _, b := range blocks {
		changes, _ = removePrefix(w, &filterDef, appendU32(appendU32(nil, filterBlockIndex), b), changes)
	}
	return changes
}

// tcEach calls fn for each object of table d on link ifindex, as w has
// them; fn must not change the table.
func tcEach(w *writer, d *kindDef, ifindex int, fn func(netlink.Object)) {
	it, err := w.txn.Get(d.table, "id_prefix", appendU32(nil, uint32(ifindex)))
	if err != nil {
		return
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		fn(raw.(netlink.Object))
	}
}

// tcRemoveFilters removes the filters of link ifindex that match.
func tcRemoveFilters(w *writer, match func(*netlink.Filter) bool, ifindex int, changes []Change) []Change {
	var gone []netlink.Object
	tcEach(w, &filterDef, ifindex, func(o netlink.Object) {
		if match(o.(*netlink.Filter)) {
			gone = append(gone, o)
		}
	})
	for _, o := range gone {
		_ = w.remove(&filterDef, o)
		changes = append(changes, Change{Kind: netlink.KindFilter, Op: OpDelete, Old: o})
	}
	return changes
}

// filterParentKnown reports whether f's parent is the one dumps report
// for its block (filterCanonical), so that its priority's key is exact: a
// shared block's filter, or a parent that names a qdisc or class by its
// major. A parent 0 or root stands for the root qdisc, whose handle the
// notification does not give; an egress parent (ffff:fff3) names
// clsact's egress block only under clsact: the ingress qdisc takes such
// a filter into its one block, which dumps show as ffff:fff2.
func filterParentKnown(w *writer, f *netlink.Filter) bool {
	switch {
	case f.Block != 0:
		return true
	case f.Parent.Major() == 0 || f.Parent == netlink.HandleRoot:
		return false
	case f.Parent == netlink.HandleEgressBlock:
		q := &netlink.Qdisc{Index: f.Index, Parent: netlink.HandleIngress, Handle: 0xffff0000}
		o, err := w.lookup(&qdiscDef, qdiscKey(q))
		return err == nil && o != nil && o.(*netlink.Qdisc).TCKind == "clsact"
	}
	return true
}

// filterPriority is the entry of f's priority as a dump lists it
// (tcf_fill_node with no filter: TCA_KIND and TCA_CHAIN, handle 0, no
// options).
func filterPriority(f *netlink.Filter) *netlink.Filter {
	return &netlink.Filter{Index: f.Index, Block: f.Block, Parent: f.Parent, Priority: f.Priority,
		Protocol: f.Protocol, Chain: f.Chain, TCKind: f.TCKind}
}

// filterPriorityInTxn applies, for a filter notification of a kind other
// than u32 whose parent is known (filterParentKnown), what comes and goes
// with it and reports whether it did:
//
//   - a filter of a priority not stored yet brings its priority's entry
//     (tc_new_tfilter -> tcf_chain_tp_insert_unique makes the tcf_proto,
//     which dumps list as handle 0);
//   - the deletion of a priority's entry (`tc filter del` of a priority
//     or a chain without a handle, announced as one message per priority:
//     tfilter_notify_chain, tcf_chain_tp_remove) takes its filters;
//   - the deletion of a priority's last filter takes the priority
//     (tc_del_tfilter: tp->ops->delete sets last, then
//     tcf_chain_tp_delete_empty).
func filterPriorityInTxn(w *writer, d *kindDef, c cause, changes []Change) []Change {
	f := c.obj.(*netlink.Filter)
	prefix := filterKeyPrefix(nil, f)
	var rest []netlink.Object
	var head netlink.Object
	it, err := w.txn.Get(d.table, "id_prefix", prefix)
	if err == nil {
		for raw := it.Next(); raw != nil; raw = it.Next() {
			if o := raw.(*netlink.Filter); o.Handle == 0 {
				head = o
			} else {
				rest = append(rest, o)
			}
		}
	}
	switch {
	case !c.deleted:
		if head != nil || f.Handle == 0 {
			return changes
		}
		p := filterPriority(f)
		if err := w.put(d, p, d.key(p)); err != nil {
			return changes
		}
		return append(changes, Change{Kind: d.kind, Op: OpAdd, New: p})
	case f.Handle == 0:
		for _, o := range rest {
			_ = w.remove(d, o)
			changes = append(changes, Change{Kind: d.kind, Op: OpDelete, Old: o})
		}
	case len(rest) == 0 && head != nil:
		_ = w.remove(d, head)
		changes = append(changes, Change{Kind: d.kind, Op: OpDelete, Old: head})
	}
	return changes
}

// u32RootTable is the handle of the root hash table of a qdisc's or
// shared block's first u32 priority ("fh 800:"; u32_init).
const u32RootTable = 0x80000000

// u32FirstInTxn adds, for the first u32 filter of a qdisc (its blocks
// and its classes' share one tc_u_common, keyed by the qdisc) or of a
// shared block (keyed by the block), its priority's entry and the root
// hash table the kernel allocates with the priority: with no tc_u_common
// yet, u32_init gives it handle 800: (0x80000000, not gen_new_htid), and
// a priority's walk lists the tables of its number, only that one here;
// the table dumps as its divisor, 1 (u32_dump). Any other u32 filter is
// left to the re-read filterChanged asks for (gen_new_htid picks the
// next free table id; priorities of one number list each other's
// tables).
func u32FirstInTxn(w *writer, d *kindDef, f *netlink.Filter, changes []Change) []Change {
	if f.Handle == 0 || f.Handle == u32RootTable {
		return changes
	}
	var prefix []byte
	if f.Block != 0 {
		prefix = appendU32(appendU32(nil, filterBlockIndex), f.Block)
	} else {
		prefix = appendU32(nil, uint32(f.Index))
	}
	it, err := w.txn.Get(d.table, "id_prefix", prefix)
	if err != nil {
		return changes
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		o := raw.(*netlink.Filter)
		if o.TCKind == "u32" && (f.Block != 0 || o.Block == 0 && o.Parent.Major() == f.Parent.Major()) {
			return changes // not the first
		}
	}
	head := filterPriority(f)
	table := filterPriority(f)
	table.Handle = u32RootTable
	table.Options = &netlink.U32{Divisor: 1}
	for _, o := range []*netlink.Filter{head, table} {
		if err := w.put(d, o, d.key(o)); err != nil {
			return changes
		}
		changes = append(changes, Change{Kind: d.kind, Op: OpAdd, New: o})
	}
	return changes
}

// linkQdiscInTxn sets the Qdisc of root qdisc q's link to q's kind.
func linkQdiscInTxn(w *writer, q *netlink.Qdisc, changes []Change) []Change {
	key := linkKey(q.Index)
	o, err := w.lookup(&linkDef, key)
	if err != nil || o == nil {
		return changes
	}
	l := o.(*netlink.Link)
	if l.Qdisc == q.TCKind {
		return changes
	}
	nl := *l
	nl.Qdisc = q.TCKind
	if err := w.put(&linkDef, &nl, key); err != nil {
		return changes
	}
	return append(changes, Change{Kind: netlink.KindLink, Op: OpChange, Old: l, New: &nl})
}
