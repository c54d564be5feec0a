package ipdb

import (
	"context"
	"encoding/binary"
	"errors"
	"iter"
	"reflect"
	"time"

	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// Traffic control: qdiscs, classes and filters (issue 15). The three
// kinds are kept by default, like every kind; WithKinds leaves them out,
// and a database without them neither joins the tc multicast group nor
// dumps them. Their dumps cost one request per link with a classful qdisc
// for classes and per filter block for filters, a shared block once
// however many links use it (the kernel dumps classes and filters only
// link by link, net/sched/sch_api.c tc_dump_tclass and
// net/sched/cls_api.c tc_dump_tfilter), so a host with many links and no
// interest in tc opens with WithKinds without them. The periodic refresh
// never re-reads them: what the kernel changes silently in tc follows
// from a notification (tcChanged, filterChanged, tcFollowsLink,
// tcDeletedWith). Class dumps skip the links whose qdiscs have no
// classes (classDump).

var qdiscDef = kindDef{
	kind:  netlink.KindQdisc,
	table: "qdiscs",
	key:   func(o netlink.Object) []byte { return qdiscKey(o.(*netlink.Qdisc)) },
	keep:  func(*options, netlink.Object) bool { return true },
	// The kernel dumps every link's qdiscs at once (tc_dump_qdisc);
	// netlink filters the link here.
	dump: func(ctx context.Context, c *netlink.Conn, s scope, fn func(netlink.Object) error) error {
		return c.QdiscDump(ctx, &netlink.QdiscFilter{Index: int(s.ifindex)}, func(q *netlink.Qdisc) error { return fn(q) })
	},
	inScope: func(o netlink.Object, s scope) bool {
		return s.ifindex == 0 || uint32(o.(*netlink.Qdisc).Index) == s.ifindex
	},
	// Statistics and the reference count are volatile.
	equal: func(a, b netlink.Object) bool {
		return reflect.DeepEqual(a.(*netlink.Qdisc).Stable(), b.(*netlink.Qdisc).Stable())
	},
	groups: kindGroups{any: netlink.GroupTC},
	// A link coming up gets its default qdisc, a link going away takes its
	// tc objects: both silently.
	follows: []netlink.Kind{netlink.KindLink},
	effects: kindEffects{onChange: tcChanged}, // inTxn: qdiscInTxn (tc_effects.go)
}

var classDef = kindDef{
	kind:  netlink.KindClass,
	table: "classes",
	key:   func(o netlink.Object) []byte { return classKey(o.(*netlink.Class)) },
	keep:  func(*options, netlink.Object) bool { return true },
	dump:  classDump,
	inScope: func(o netlink.Object, s scope) bool {
		return s.ifindex == 0 || uint32(o.(*netlink.Class).Index) == s.ifindex
	},
	// Statistics and the leaf qdisc's handle (qdisc_graft sends no class
	// notification) are volatile.
	equal: func(a, b netlink.Object) bool {
		return reflect.DeepEqual(a.(*netlink.Class).Stable(), b.(*netlink.Class).Stable())
	},
	groups:  kindGroups{any: netlink.GroupTC},
	follows: []netlink.Kind{netlink.KindLink},
	effects: kindEffects{onChange: tcChanged}, // inTxn: classInTxn (tc_effects.go)
}

var filterDef = kindDef{
	kind:  netlink.KindFilter,
	table: "filters",
	key:   func(o netlink.Object) []byte { return filterKey(o.(*netlink.Filter)) },
	keep:  func(*options, netlink.Object) bool { return true },
	// A shared block's filters (Block set) are stored once, keyed by the
	// block (filterKey), whatever the number of links bound to it: a
	// full dump asks each block once (netlink.FilterDump), a re-read of
	// one link's filters leaves them to the re-reads of their block
	// (scope.block; blockJobs).
	dump: func(ctx context.Context, c *netlink.Conn, s scope, fn func(netlink.Object) error) error {
		if s.block != 0 {
			return c.FilterDump(ctx, &netlink.FilterFilter{Block: s.block}, func(f *netlink.Filter) error { return fn(f) })
		}
		f := &netlink.FilterFilter{Index: int(s.ifindex), Parent: netlink.Handle(s.parent)}
		return c.FilterDump(ctx, f, func(f *netlink.Filter) error {
			if s.ifindex != 0 && f.Block != 0 {
				return nil
			}
			return fn(f)
		})
	},
	inScope: func(o netlink.Object, s scope) bool {
		f := o.(*netlink.Filter)
		if s.block != 0 {
			return f.Block == s.block
		}
		return s.ifindex == 0 || f.Block == 0 && uint32(f.Index) == s.ifindex && (s.parent == 0 || uint32(f.Parent) == s.parent)
	},
	equal: func(a, b netlink.Object) bool {
		return reflect.DeepEqual(a.(*netlink.Filter).Stable(), b.(*netlink.Filter).Stable())
	},
	// Not a deadline: the hook that sees every filter the database reads,
	// notification or dump, before its key is made.
	stamp:   func(o netlink.Object, _ func() time.Time) { filterCanonical(o.(*netlink.Filter)) },
	groups:  kindGroups{any: netlink.GroupTC},
	follows: []netlink.Kind{netlink.KindLink},
	effects: kindEffects{inTxn: filterChanged},
}

// classDump dumps the classes of the link s.ifindex, or of every link
// that has a qdisc with classes: the kernel dumps classes one link at a
// time (tc_dump_tclass), and a namespace of many veths, whose only qdisc
// is noqueue, would otherwise cost a request per link. noqueue, ingress
// and clsact have no classes to list (their class operations only find
// filter blocks); a link that never came up has none of its own (noop).
// A qdisc that comes after the qdisc dump is announced, and its
// notification re-reads the link (tcChanged).
func classDump(ctx context.Context, c *netlink.Conn, s scope, fn func(netlink.Object) error) error {
	each := func(cl *netlink.Class) error { return fn(cl) }
	if s.ifindex != 0 {
		return c.ClassDump(ctx, &netlink.ClassFilter{Index: int(s.ifindex)}, each)
	}
	var links []int
	seen := map[int]bool{}
	err := c.QdiscDump(ctx, nil, func(q *netlink.Qdisc) error {
		switch q.TCKind {
		case "noqueue", "ingress", "clsact":
			return nil
		}
		if !seen[q.Index] {
			seen[q.Index] = true
			links = append(links, q.Index)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, i := range links {
		err := c.ClassDump(ctx, &netlink.ClassFilter{Index: i}, each)
		if err != nil && !errors.Is(err, unix.ENODEV) {
			return err
		}
	}
	return nil
}

// qdiscKey is the qdisc's identity: its link, parent and handle. The
// kernel finds a qdisc by its handle on its link (qdisc_lookup in
// net/sched/sch_api.c), but the qdiscs it creates itself share handle 0
// (mq's default children, one per transmit queue, at parents 1:1, 1:2...;
// mq_attach in net/sched/sch_mq.c), told apart by parent.
func qdiscKey(q *netlink.Qdisc) []byte {
	b := appendU32(make([]byte, 0, 12), uint32(q.Index))
	b = appendU32(b, uint32(q.Parent))
	return appendU32(b, uint32(q.Handle))
}

// classKey is the class's identity: its link and class id, whose major is
// its qdisc's handle (tc_ctl_tclass finds it with the qdisc's
// cops->find).
func classKey(c *netlink.Class) []byte {
	return appendU32(appendU32(make([]byte, 0, 8), uint32(c.Index)), uint32(c.Handle))
}

// filterBlockIndex is the key's first word for a filter of a shared block
// (TCM_IFINDEX_MAGIC_BLOCK), followed by the block's index.
const filterBlockIndex = 0xffffffff

// filterKeyPrefix appends the identity of the filter's priority: its link
// (or shared block), parent, chain, priority and protocol
// (tcf_chain_tp_find in net/sched/cls_api.c looks a priority up by
// these). The filter's handle completes the key; the message for the
// priority as a whole has handle 0.
func filterKeyPrefix(b []byte, f *netlink.Filter) []byte {
	if f.Block != 0 {
		b = appendU32(appendU32(b, filterBlockIndex), f.Block)
	} else {
		b = appendU32(appendU32(b, uint32(f.Index)), uint32(canonicalParent(f.Parent)))
	}
	b = appendU32(b, f.Chain)
	b = binary.BigEndian.AppendUint16(b, f.Priority)
	return binary.BigEndian.AppendUint16(b, f.Protocol)
}

func filterKey(f *netlink.Filter) []byte {
	return appendU32(filterKeyPrefix(make([]byte, 0, 20), f), f.Handle)
}

// filterCanonical gives f the parent a dump reports for its block, so that
// a notification and a dump agree on its key. A notification echoes the
// request's parent (tc_new_tfilter, tc_del_tfilter): `tc filter add dev X
// parent ffff:` sends ffff:0 for the ingress qdisc's block, which
// netlink's dumps ask for, and so echo, as ffff:fff2 (the ingress qdisc's
// block ignores the minor, ingress_find; clsact's ingress block is
// ffff:fff2, its egress block ffff:fff3, clsact_find). Parents naming the
// root qdisc (0 or root) cannot be resolved here: tcChanged re-reads the
// link's filters, and the sweep replaces them with what the dump says.
func filterCanonical(f *netlink.Filter) {
	if f.Block == 0 {
		f.Parent = canonicalParent(f.Parent)
	}
}

// canonicalParent is the parent dumps report for a filter block: ffff:fff3
// for clsact's egress block, ffff:fff2 for any other parent of major ffff
// (the ingress block), p itself otherwise. The key uses it too, so that
// Key and Equal agree for a filter the database did not read itself.
func canonicalParent(p netlink.Handle) netlink.Handle {
	if p.Major() != 0xffff || p == netlink.HandleRoot || p == netlink.HandleEgressBlock {
		return p
	}
	return netlink.HandleIngressBlock
}

// Qdiscs iterates the qdiscs of every link, by link, parent and handle.
// They are those `tc qdisc show` lists: not the kernel's hidden ones
// (TCQ_F_INVISIBLE, the default leaves of classes) nor noop (the qdisc of
// a link that never came up).
func (s *Snapshot) Qdiscs() iter.Seq[*netlink.Qdisc] {
	return objects[*netlink.Qdisc](s, qdiscDef.table, "id")
}

// QdiscsOf iterates the qdiscs of the link with this index, by parent and
// handle.
func (s *Snapshot) QdiscsOf(ifindex int) iter.Seq[*netlink.Qdisc] {
	return objects[*netlink.Qdisc](s, qdiscDef.table, "id_prefix", appendU32(nil, uint32(ifindex)))
}

// Classes iterates the classes of every link, by link and class id.
func (s *Snapshot) Classes() iter.Seq[*netlink.Class] {
	return objects[*netlink.Class](s, classDef.table, "id")
}

// ClassesOf iterates the classes of the link with this index, by class id.
func (s *Snapshot) ClassesOf(ifindex int) iter.Seq[*netlink.Class] {
	return objects[*netlink.Class](s, classDef.table, "id_prefix", appendU32(nil, uint32(ifindex)))
}

// Filters iterates the filters of every link, by link, parent, chain,
// priority, protocol and handle. Each priority also has an entry with
// handle 0 and no options, as `tc filter show` lists it (tcf_fill_node
// for the priority itself), and u32's hash tables are entries of their
// own ("fh 800:"). Filters of ingress blocks have parent ffff:fff2,
// those of clsact's egress block ffff:fff3 (filterCanonical). The
// filters of shared blocks come last, block by block, once each
// (FiltersOfBlock).
func (s *Snapshot) Filters() iter.Seq[*netlink.Filter] {
	return objects[*netlink.Filter](s, filterDef.table, "id")
}

// FiltersOf iterates the filters of the link with this index, by parent,
// chain, priority, protocol and handle: those of the link's own filter
// blocks, not those of the shared blocks its qdiscs are bound to
// (BlocksOf, FiltersOfBlock).
func (s *Snapshot) FiltersOf(ifindex int) iter.Seq[*netlink.Filter] {
	return objects[*netlink.Filter](s, filterDef.table, "id_prefix", appendU32(nil, uint32(ifindex)))
}

// FiltersOfBlock iterates the filters of the shared filter block with
// this index (tc's `filter show block N`), by chain, priority, protocol
// and handle. Each is stored once, with Block set and Index and Parent 0,
// however many links are bound to the block.
func (s *Snapshot) FiltersOfBlock(block uint32) iter.Seq[*netlink.Filter] {
	return objects[*netlink.Filter](s, filterDef.table, "id_prefix", appendU32(appendU32(nil, filterBlockIndex), block))
}

// BlocksOf returns the shared filter blocks the qdiscs of the link with
// this index are bound to, by parent: the ingress qdisc's or clsact's
// ingress_block at netlink.HandleIngressBlock, clsact's egress_block at
// netlink.HandleEgressBlock (TCA_INGRESS_BLOCK, TCA_EGRESS_BLOCK;
// net/sched/sch_ingress.c). It is nil when there are none.
func (s *Snapshot) BlocksOf(ifindex int) map[netlink.Handle]uint32 {
	var out map[netlink.Handle]uint32
	for q := range s.QdiscsOf(ifindex) {
		for _, x := range []struct {
			p netlink.Handle
			b uint32
		}{{netlink.HandleIngressBlock, q.IngressBlock}, {netlink.HandleEgressBlock, q.EgressBlock}} {
			if x.b != 0 {
				if out == nil {
					out = map[netlink.Handle]uint32{}
				}
				out[x.p] = x.b
			}
		}
	}
	return out
}

// qdiscsJob re-reads every qdisc: the kernel dumps every link's qdiscs
// at once whatever the request says (tc_dump_qdisc), so a re-read of one
// link's costs the same, and one job (deduplicated in a batch) serves
// every link a batch touched.
var qdiscsJob = reconcileJob{kind: netlink.KindQdisc}

// tcJobs re-read the qdiscs, and the classes and filters of one link.
func tcJobs(ifindex int) []reconcileJob {
	s := scope{ifindex: uint32(ifindex)}
	return []reconcileJob{qdiscsJob, {kind: netlink.KindClass, s: s}, {kind: netlink.KindFilter, s: s}}
}

// filterScope is the scope of a re-read of f's filter block: its shared
// block's, or its link's.
func filterScope(f *netlink.Filter) scope {
	if f.Block != 0 {
		return scope{block: f.Block}
	}
	return scope{ifindex: uint32(f.Index)}
}

// blockJobs re-read the shared filter blocks the qdiscs are bound to
// (nil entries are skipped). A shared block lives while a qdisc uses it:
// the deletion of its last qdisc, or of that qdisc's link, destroys it
// with its filters, announcing only RTM_DELCHAIN for its chains and no
// filter deletion (tcf_block_put_ext -> tcf_block_flush_all_chains,
// found live with tc monitor); the re-read finds the block empty and
// deletes its filters, once, however many links were bound to it. A qdisc
// that binds a block that already has filters needs no re-read of its
// own, but one costs a dump of the block only.
func blockJobs(qs ...*netlink.Qdisc) []reconcileJob {
	var jobs []reconcileJob
	for _, q := range qs {
		if q == nil {
			continue
		}
		for _, b := range []uint32{q.IngressBlock, q.EgressBlock} {
			if b != 0 {
				jobs = append(jobs, reconcileJob{kind: netlink.KindFilter, s: scope{block: b}})
			}
		}
	}
	return jobs
}

// CanonicalFilterParent returns the parent the database keys a filter of
// a link's block by, for a parent as tc names it: ffff:fff2 for any
// parent of the ingress qdisc's block (ffff:, ffff:0...), ffff:fff3 for
// clsact's egress block, p itself otherwise (see Filters).
func CanonicalFilterParent(p netlink.Handle) netlink.Handle { return canonicalParent(p) }
