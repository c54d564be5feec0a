package netlink

import (
	"context"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// A Qdisc is a queueing discipline attached to a link (RTM_NEWQDISC;
// net/sched/sch_api.c): the link's root qdisc, a qdisc under a class of
// another, or the ingress or clsact qdisc. Zero values mean absent unless
// said otherwise.
//
// Its identity is (Index, Handle): the kernel finds a qdisc by its handle
// on a link (qdisc_lookup). Two qdiscs on a link can have handle 0 only as
// defaults the kernel made (a root pfifo_fast or noqueue, the children of
// mq), which are told apart by Parent.
type Qdisc struct {
	// Index is the link's interface index (tcm_ifindex).
	Index int
	// Handle is the qdisc's handle, major:0 (tcm_handle). The kernel's
	// defaults have 0 (or 8001:, ... chosen by the kernel for mq's
	// children); ingress and clsact have ffff:. In an Add request zero
	// lets the kernel choose one.
	Handle Handle
	// Parent is where the qdisc hangs (tcm_parent): HandleRoot for the
	// root qdisc, HandleIngress for ingress and clsact, else a class
	// major:minor of the parent qdisc.
	Parent Handle
	// TCKind is the qdisc's kind (TCA_KIND): "htb", "tbf", "pfifo",
	// "bfifo", "pfifo_fast", "noqueue", "mq", "ingress", "clsact", "fq"...
	// In requests it may be left empty when Options says it.
	TCKind string
	// Options are the decoded TCA_OPTIONS, a type from qdiscOptionTypes
	// (tc_kinds.go) or *RawTCOptions; nil when the kernel sent none
	// (noqueue, mq). The ingress and clsact qdiscs send an empty one.
	Options QdiscOptions
	// IngressBlock and EgressBlock are the indexes of the shared filter
	// blocks of an ingress or clsact qdisc (TCA_INGRESS_BLOCK,
	// TCA_EGRESS_BLOCK; tc's "ingress_block" and "egress_block"); zero for
	// the qdisc's own blocks.
	IngressBlock, EgressBlock uint32
	// HWOffload reports that the qdisc is offloaded to hardware
	// (TCA_HW_OFFLOAD, TCQ_F_OFFLOADED); read-only. The kernel sends it
	// with every qdisc and marshal writes it always.
	HWOffload bool
	// Refcnt is the qdisc's reference count (tcm_info; tc's "refcnt").
	// Read-only and volatile: it follows the link's transmit queues and
	// the kernel's own references (see Stable).
	Refcnt uint32
	// Stats are the statistics (TCA_STATS2, TCA_STATS, TCA_XSTATS); nil
	// when the kernel sent none. Read-only and volatile (see Stable).
	Stats *TCStats
	// Warning is an extended warning the kernel attached to a notification
	// (TCA_EXT_WARN_MSG); read-only and volatile.
	Warning string
	// Unknown holds the attributes not decoded above (TCA_STAB...),
	// copied; they are sent again in requests.
	Unknown []Attribute
}

// Kind implements Object.
func (*Qdisc) Kind() Kind { return KindQdisc }

// Stable returns q without its volatile values (Refcnt, Stats, Warning,
// counters inside Options, and cake's bandwidth under autorate-ingress,
// which the kernel measures), for comparing two versions of a qdisc. It
// returns q itself when there are none. The copy shares the rest with q.
func (q *Qdisc) Stable() *Qdisc {
	st, hasSt := q.Options.(optionsStabler)
	if q.Refcnt == 0 && q.Stats == nil && q.Warning == "" && !hasSt {
		return q
	}
	c := *q
	c.Refcnt, c.Stats, c.Warning = 0, nil, ""
	if hasSt {
		c.Options = st.stableOptions().(QdiscOptions)
	}
	return &c
}

// String describes q in the words of `tc qdisc show`, with interface
// indexes for names: "qdisc htb 1: dev #3 root refcnt 2 r2q 10 default
// 0x10 direct_qlen 1000".
func (q *Qdisc) String() string {
	var b strings.Builder
	kind, _ := tcKindOf(q.TCKind, q.Options)
	// tc prints a qdisc's handle as its major only ("1:", "0:").
	fmt.Fprintf(&b, "qdisc %s %x: dev #%d", kindWord(kind), q.Handle.Major(), q.Index)
	if q.Parent == HandleRoot {
		b.WriteString(" root")
	} else {
		b.WriteString(" parent " + q.Parent.String())
	}
	if q.Refcnt != 0 {
		fmt.Fprintf(&b, " refcnt %d", q.Refcnt)
	}
	if q.IngressBlock != 0 {
		fmt.Fprintf(&b, " ingress_block %d", q.IngressBlock)
	}
	if q.EgressBlock != 0 {
		fmt.Fprintf(&b, " egress_block %d", q.EgressBlock)
	}
	optionsString(&b, q.Options)
	return b.String()
}

func kindWord(k string) string {
	if k == "" {
		return "?"
	}
	return k
}

// decode decodes a tcmsg and its attributes.
func (q *Qdisc) decode(b []byte) error {
	h, rest, err := decodeTCHeader(b, "qdisc")
	if err != nil {
		return err
	}
	q.Index, q.Handle, q.Parent, q.Refcnt = int(h.index), Handle(h.handle), Handle(h.parent), h.info
	a, err := decodeTCAttrs(rest, KindQdisc)
	if err != nil {
		return err
	}
	if a.kind == "" {
		return malformedf("qdisc %s on link %d without a kind", q.Handle, q.Index)
	}
	q.TCKind, q.IngressBlock, q.EgressBlock, q.HWOffload = a.kind, a.ingressBlock, a.egressBlock, a.hwOffload
	q.Stats, q.Warning, q.Unknown = a.stats, a.warning, a.unknown
	if a.hasOptions {
		q.Options, err = decodeTCOptions(qdiscOptionTypes, a.kind, a.options, func(r *RawTCOptions) QdiscOptions { return r })
		if err != nil {
			return malformedf("qdisc %s: %v", a.kind, err)
		}
	}
	return nil
}

// appendMessage encodes q; request leaves out what the kernel only reports.
func (q *Qdisc) appendMessage(b []byte, request bool) ([]byte, error) {
	h := tcHeader{index: int32(q.Index), handle: uint32(q.Handle), parent: uint32(q.Parent)}
	if !request {
		h.info = q.Refcnt
	}
	e := attrEncoder{b: h.append(b)}
	kind, err := tcKindOf(q.TCKind, q.Options)
	if err != nil {
		return nil, err
	}
	var opts TCOptions
	if q.Options != nil {
		opts = q.Options
	}
	appendTCKindOptions(&e, kind, opts, request)
	if q.IngressBlock != 0 {
		e.Uint32(unix.TCA_INGRESS_BLOCK, q.IngressBlock)
	}
	if q.EgressBlock != 0 {
		e.Uint32(unix.TCA_EGRESS_BLOCK, q.EgressBlock)
	}
	if !request {
		var off uint8
		if q.HWOffload {
			off = 1
		}
		e.Uint8(unix.TCA_HW_OFFLOAD, off)
		appendStatsAttrs(&e, q.Stats)
	}
	for _, a := range q.Unknown {
		e.Bytes(a.Type, a.Data)
	}
	if !request && q.Warning != "" {
		e.String(unix.TCA_EXT_WARN_MSG, q.Warning)
	}
	return e.b, e.err
}

// marshal encodes q completely, as the kernel would send it.
func (q *Qdisc) marshal() ([]byte, error) { return q.appendMessage(nil, false) }

func qdiscObject(q *Qdisc) string {
	if q == nil {
		return "qdisc <nil>"
	}
	return q.String()
}

// tcRequest is newRequest with tc's header flags: Add is
// NLM_F_CREATE|NLM_F_EXCL, Replace NLM_F_CREATE|NLM_F_REPLACE, Change none
// (iproute2 tc/tc_qdisc.c, tc_class.c, tc_filter.c; ip route's change
// flag NLM_F_REPLACE would graft an existing qdisc instead, as `tc qdisc
// link` does).
func tcRequest(v Verb, k Kind, object string, encode func() ([]byte, error)) Request {
	r := newRequest(v, k, object, encode)
	if v == Change {
		r.flags = 0
	}
	return r
}

// QdiscRequest prepares a request that adds, changes, replaces or deletes
// the qdisc q (Add, Change, Replace or Delete), as `tc qdisc add|change|
// replace|del` does. It validates q first, by the kernel's rules
// (net/sched/sch_api.c tc_modify_qdisc, tc_get_qdisc, qdisc_create,
// qdisc_block_indexes_set):
//
//   - every verb needs the link's Index;
//   - Add and Replace need a kind (TCKind or Options) and a Parent; the
//     Handle's minor must be 0 (zero handle: the kernel chooses);
//   - ingress and clsact hang only at HandleIngress, with handle 0 or
//     ffff:, and only they may hang there or have IngressBlock (clsact
//     also EgressBlock); block indexes are not 0 when set;
//   - Change needs a Handle or a Parent to find the qdisc; its kind, if
//     given, must be the qdisc's (the kernel checks);
//   - Delete needs a Parent (the kernel: "Classid cannot be zero") and
//     sends the Handle, Parent and kind only.
//
// Read-only fields (Refcnt, Stats, HWOffload, Warning) are not sent.
func QdiscRequest(v Verb, q *Qdisc) Request {
	return tcRequest(v, KindQdisc, qdiscObject(q), func() ([]byte, error) {
		if q == nil {
			return nil, invalidf("nil qdisc")
		}
		if q.Index <= 0 {
			return nil, invalidf("qdisc needs a link index (got %d)", q.Index)
		}
		kind, err := tcKindOf(q.TCKind, q.Options)
		if err != nil {
			return nil, err
		}
		if q.Handle.Minor() != 0 {
			return nil, invalidf("qdisc handle %s: a qdisc's minor is 0", q.Handle)
		}
		switch v {
		case Delete:
			if q.Parent == HandleNone {
				return nil, invalidf("deleting a qdisc needs its parent (root, ingress or a class)")
			}
			h := tcHeader{index: int32(q.Index), handle: uint32(q.Handle), parent: uint32(q.Parent)}
			e := attrEncoder{b: h.append(make([]byte, 0, 32))}
			if kind != "" {
				e.String(unix.TCA_KIND, kind)
			}
			return e.b, e.err
		case Add, Replace:
			if kind == "" {
				return nil, invalidf("qdisc needs a kind")
			}
			if q.Parent == HandleNone {
				return nil, invalidf("qdisc %s needs a parent (root, ingress or a class)", kind)
			}
		case Change:
			if q.Handle == HandleNone && q.Parent == HandleNone {
				return nil, invalidf("changing a qdisc needs its handle or its parent")
			}
		default:
			return nil, invalidf("qdiscs can only be added, changed, replaced or deleted, not %s", v)
		}
		ingress := kind == "ingress" || kind == "clsact"
		switch {
		case ingress && q.Parent != HandleNone && q.Parent != HandleIngress:
			return nil, invalidf("qdisc %s hangs at parent ffff:fff1 (ingress), not %s", kind, q.Parent)
		case ingress && q.Handle != HandleNone && q.Handle != NewHandle(0xffff, 0):
			return nil, invalidf("qdisc %s has handle ffff:, not %s", kind, q.Handle)
		case !ingress && kind != "" && q.Parent == HandleIngress:
			return nil, invalidf("only the ingress and clsact qdiscs hang at ffff:fff1, not %s", kind)
		case q.IngressBlock != 0 && !ingress:
			return nil, invalidf("qdisc %s has no ingress block (only ingress and clsact)", kind)
		case q.EgressBlock != 0 && kind != "clsact":
			return nil, invalidf("qdisc %s has no egress block (only clsact)", kind)
		}
		if q.Options != nil && !isNilOptions(q.Options) {
			if err := q.Options.validateOptions(v); err != nil {
				return nil, err
			}
		}
		c := *q
		c.TCKind = kind
		if ingress && c.Handle == HandleNone && v != Change {
			// As tc sends it: with handle 0 the kernel grafts the new
			// qdisc over an ingress one, whatever NLM_F_EXCL says
			// (tc_modify_qdisc), and an add would replace it.
			c.Handle = NewHandle(0xffff, 0)
		}
		return c.appendMessage(make([]byte, 0, 128), true)
	})
}

// QdiscAdd adds q (`tc qdisc add`); it fails with EEXIST if a qdisc is at
// its parent already (a root qdisc the kernel made, noqueue, pfifo_fast or
// mq, does not count: it is replaced).
func (c *Conn) QdiscAdd(ctx context.Context, q *Qdisc) error { return c.Do(ctx, QdiscRequest(Add, q)) }

// QdiscChange changes the options of the existing qdisc q (`tc qdisc
// change`).
func (c *Conn) QdiscChange(ctx context.Context, q *Qdisc) error {
	return c.Do(ctx, QdiscRequest(Change, q))
}

// QdiscReplace adds q or replaces the qdisc at its parent (`tc qdisc
// replace`): with the same kind its options change; with another kind the
// new qdisc takes the old one's place and the old one, with its classes
// and filters, is deleted (net/sched/sch_api.c qdisc_graft). Another kind
// needs another handle (or none): the same handle with another kind is
// EINVAL ("Invalid qdisc name: must match existing qdisc").
func (c *Conn) QdiscReplace(ctx context.Context, q *Qdisc) error {
	return c.Do(ctx, QdiscRequest(Replace, q))
}

// QdiscDel deletes the qdisc at q's parent (`tc qdisc del`); its classes,
// filters and child qdiscs go with it. Deleting a root qdisc brings back
// the kernel's default.
func (c *Conn) QdiscDel(ctx context.Context, q *Qdisc) error {
	return c.Do(ctx, QdiscRequest(Delete, q))
}

// QdiscFilter selects qdiscs in QdiscDump and Qdiscs. Zero fields match
// everything. The kernel dumps every link's qdiscs (net/sched/sch_api.c
// tc_dump_qdisc walks for_each_netdev), so Index and Parent are applied
// here.
type QdiscFilter struct {
	// Index keeps qdiscs of this link.
	Index int
	// Parent keeps qdiscs at this parent.
	Parent Handle
	// Invisible asks for the qdiscs the kernel hides too (TCA_DUMP_INVISIBLE:
	// the default children of mq, tc's "invisible").
	Invisible bool
}

// Match reports whether q passes the filter. A nil filter matches all.
func (f *QdiscFilter) Match(q *Qdisc) bool {
	return f == nil || ((f.Index == 0 || q.Index == f.Index) && (f.Parent == 0 || q.Parent == f.Parent))
}

func (f *QdiscFilter) request() []byte {
	h := tcHeader{}
	if f != nil {
		h.index = int32(f.Index)
	}
	e := attrEncoder{b: h.append(make([]byte, 0, 32))}
	if f != nil && f.Invisible {
		e.Bytes(unix.TCA_DUMP_INVISIBLE, nil)
	}
	return e.b
}

// QdiscDump streams the qdiscs that match f (nil: all) to fn, one freshly
// allocated *Qdisc per call, owned by fn, in the kernel's order (by link,
// root first, then its children, then ingress).
func (c *Conn) QdiscDump(ctx context.Context, f *QdiscFilter, fn func(*Qdisc) error) error {
	return c.qdiscDump(ctx, f, nil, fn)
}

func (c *Conn) qdiscDump(ctx context.Context, f *QdiscFilter, restart func(), fn func(*Qdisc) error) error {
	return c.dump(ctx, "qdiscs", KindQdisc.row().getType, f.request(), restart, func(p []byte) error {
		q := new(Qdisc)
		if err := q.decode(p); err != nil {
			return err
		}
		if !f.Match(q) {
			return nil
		}
		return fn(q)
	})
}

// Qdiscs returns the qdiscs that match f (nil: all of them).
func (c *Conn) Qdiscs(ctx context.Context, f *QdiscFilter) ([]*Qdisc, error) {
	var out []*Qdisc
	err := c.qdiscDump(ctx, f, func() { out = out[:0] }, func(q *Qdisc) error {
		out = append(out, q)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// QdiscGet returns the qdisc with this handle on the link with this index.
// It reads a dump (with the invisible qdiscs) rather than sending
// RTM_GETQDISC: the kernel's answer to a get carries the request's
// tcm_parent, not the qdisc's (sch_api.c tc_get_qdisc passes its clid to
// qdisc_notify), and it is also multicast to RTNLGRP_TC. A missing qdisc
// is an *OpError wrapping ErrNotFound; handle 0 is an ErrInvalid error
// (the kernel's defaults all have it: use Qdiscs).
func (c *Conn) QdiscGet(ctx context.Context, index int, handle Handle) (*Qdisc, error) {
	object := fmt.Sprintf("qdisc %s dev #%d", handle, index)
	if index <= 0 || handle == HandleNone || handle.Minor() != 0 {
		return nil, &OpError{Op: "get", Object: object, Err: invalidf("a qdisc get needs a link index and a handle major:0")}
	}
	qs, err := c.Qdiscs(ctx, &QdiscFilter{Index: index, Invisible: true})
	if err != nil {
		return nil, err
	}
	for _, q := range qs {
		if q.Handle == handle {
			return q, nil
		}
	}
	return nil, &OpError{Op: "get", Object: object, Err: ErrNotFound}
}
