package netlink

import (
	"context"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// A Class is a traffic class of a classful qdisc (RTM_NEWTCLASS;
// net/sched/sch_api.c tc_fill_tclass, and the qdisc's dump_class, such as
// htb_dump_class). Zero values mean absent unless said otherwise.
//
// Its identity is (Index, Handle): a class id is unique on its link, since
// its major is its qdisc's handle (tc_ctl_tclass).
type Class struct {
	// Index is the link's interface index (tcm_ifindex).
	Index int
	// Handle is the class id, major:minor, whose major is the qdisc's
	// handle major (tcm_handle; tc's "classid"). In requests a zero major
	// means the qdisc of Parent.
	Handle Handle
	// Parent is the parent class, or the qdisc's handle major:0 for a
	// class at the top of its qdisc's tree (tcm_parent). htb reports
	// HandleRoot for a top class (htb_dump_class); tc prints it "root".
	Parent Handle
	// TCKind is the kind of the class's qdisc (TCA_KIND): "htb"...
	TCKind string
	// Options are the decoded TCA_OPTIONS, a type from classOptionTypes
	// (tc_kinds.go) or *RawTCOptions; nil when the kernel sent none.
	Options ClassOptions
	// Leaf is the handle of the qdisc attached under a leaf class
	// (tcm_info, set by htb_dump_class; tc's "leaf"). Read-only and
	// volatile: attaching a qdisc to the class (qdisc_graft) sends no class
	// notification, so Stable leaves it out.
	Leaf Handle
	// Stats are the statistics (TCA_STATS2, TCA_STATS, TCA_XSTATS); nil
	// when the kernel sent none. Read-only and volatile (see Stable).
	Stats *TCStats
	// Warning is an extended warning (TCA_EXT_WARN_MSG); read-only and
	// volatile.
	Warning string
	// Unknown holds the attributes not decoded above, copied; they are
	// sent again in requests.
	Unknown []Attribute
}

// Kind implements Object.
func (*Class) Kind() Kind { return KindClass }

// Stable returns c without its volatile values (Leaf, Stats, Warning, and
// counters inside Options), for comparing two versions of a class. It
// returns c itself when there are none. The copy shares the rest with c.
func (c *Class) Stable() *Class {
	st, hasSt := c.Options.(optionsStabler)
	if c.Leaf == 0 && c.Stats == nil && c.Warning == "" && !hasSt {
		return c
	}
	s := *c
	s.Leaf, s.Stats, s.Warning = 0, nil, ""
	if hasSt {
		s.Options = st.stableOptions().(ClassOptions)
	}
	return &s
}

// String describes c in the words of `tc class show`, with interface
// indexes for names: "class htb 1:10 dev #3 parent 1: leaf 10: prio 0
// rate 1Mbit ...".
func (c *Class) String() string {
	var b strings.Builder
	kind, _ := tcKindOf(c.TCKind, c.Options)
	fmt.Fprintf(&b, "class %s %s dev #%d", kindWord(kind), c.Handle, c.Index)
	if c.Parent == HandleRoot {
		b.WriteString(" root")
	} else {
		b.WriteString(" parent " + c.Parent.String())
	}
	if c.Leaf != 0 {
		b.WriteString(" leaf " + c.Leaf.String())
	}
	optionsString(&b, c.Options)
	return b.String()
}

// decode decodes a tcmsg and its attributes.
func (c *Class) decode(b []byte) error {
	h, rest, err := decodeTCHeader(b, "class")
	if err != nil {
		return err
	}
	c.Index, c.Handle, c.Parent, c.Leaf = int(h.index), Handle(h.handle), Handle(h.parent), Handle(h.info)
	a, err := decodeTCAttrs(rest, KindClass)
	if err != nil {
		return err
	}
	if a.kind == "" {
		return malformedf("class %s on link %d without a kind", c.Handle, c.Index)
	}
	c.TCKind, c.Stats, c.Warning, c.Unknown = a.kind, a.stats, a.warning, a.unknown
	if a.hasOptions {
		c.Options, err = decodeTCOptions(classOptionTypes, a.kind, a.options, func(r *RawTCOptions) ClassOptions { return r })
		if err != nil {
			return malformedf("class %s: %v", a.kind, err)
		}
	}
	return nil
}

func (c *Class) appendMessage(b []byte, request bool) ([]byte, error) {
	h := tcHeader{index: int32(c.Index), handle: uint32(c.Handle), parent: uint32(c.Parent)}
	if !request {
		h.info = uint32(c.Leaf)
	}
	e := attrEncoder{b: h.append(b)}
	kind, err := tcKindOf(c.TCKind, c.Options)
	if err != nil {
		return nil, err
	}
	var opts TCOptions
	if c.Options != nil {
		opts = c.Options
	}
	appendTCKindOptions(&e, kind, opts, request)
	if !request {
		appendStatsAttrs(&e, c.Stats)
	}
	for _, a := range c.Unknown {
		e.Bytes(a.Type, a.Data)
	}
	if !request && c.Warning != "" {
		e.String(unix.TCA_EXT_WARN_MSG, c.Warning)
	}
	return e.b, e.err
}

// marshal encodes c completely, as the kernel would send it.
func (c *Class) marshal() ([]byte, error) { return c.appendMessage(nil, false) }

func classObject(c *Class) string {
	if c == nil {
		return "class <nil>"
	}
	return c.String()
}

// ClassRequest prepares a request that adds, changes, replaces or deletes
// the class c (Add, Change, Replace or Delete), as `tc class add|change|
// replace|del` does. It validates c first, by the kernel's rules
// (net/sched/sch_api.c tc_ctl_tclass, and htb_change_class for htb):
//
//   - every verb needs the link's Index and a class id (Handle) with a
//     non-zero minor;
//   - when both Handle and Parent (other than HandleRoot) have a major,
//     the majors agree ("both majors known, they must be identical");
//   - Add and Replace need Options (every classful qdisc requires them
//     for a new class) with a kind;
//   - Delete sends the identity only (Index, Handle, Parent).
//
// Read-only fields (Leaf, Stats, Warning) are not sent.
func ClassRequest(v Verb, c *Class) Request {
	return tcRequest(v, KindClass, classObject(c), func() ([]byte, error) {
		if c == nil {
			return nil, invalidf("nil class")
		}
		if c.Index <= 0 {
			return nil, invalidf("class needs a link index (got %d)", c.Index)
		}
		if c.Handle.Minor() == 0 {
			return nil, invalidf("class id %s: a class needs a non-zero minor", c.Handle)
		}
		if c.Parent != HandleRoot && c.Parent.Major() != 0 && c.Handle.Major() != 0 && c.Parent.Major() != c.Handle.Major() {
			return nil, invalidf("class %s under parent %s: the majors must be the same qdisc's", c.Handle, c.Parent)
		}
		kind, err := tcKindOf(c.TCKind, c.Options)
		if err != nil {
			return nil, err
		}
		switch v {
		case Delete:
			h := tcHeader{index: int32(c.Index), handle: uint32(c.Handle), parent: uint32(c.Parent)}
			return h.append(make([]byte, 0, tcmsgLen)), nil
		case Add, Replace:
			if c.Options == nil || isNilOptions(c.Options) || kind == "" {
				return nil, invalidf("class %s needs options of its qdisc's kind", c.Handle)
			}
		case Change:
		default:
			return nil, invalidf("classes can only be added, changed, replaced or deleted, not %s", v)
		}
		if c.Options != nil && !isNilOptions(c.Options) {
			if err := c.Options.validateOptions(v); err != nil {
				return nil, err
			}
		}
		s := *c
		s.TCKind = kind
		return s.appendMessage(make([]byte, 0, 128), true)
	})
}

// ClassAdd adds c (`tc class add`).
func (c *Conn) ClassAdd(ctx context.Context, cl *Class) error {
	return c.Do(ctx, ClassRequest(Add, cl))
}

// ClassChange changes the existing class cl (`tc class change`).
func (c *Conn) ClassChange(ctx context.Context, cl *Class) error {
	return c.Do(ctx, ClassRequest(Change, cl))
}

// ClassReplace adds cl or changes the class with its id (`tc class
// replace`).
func (c *Conn) ClassReplace(ctx context.Context, cl *Class) error {
	return c.Do(ctx, ClassRequest(Replace, cl))
}

// ClassDel deletes the class cl (`tc class del`); the kernel refuses a
// class with children or filters that point at it (EBUSY).
func (c *Conn) ClassDel(ctx context.Context, cl *Class) error {
	return c.Do(ctx, ClassRequest(Delete, cl))
}

// ClassFilter selects classes in ClassDump and Classes. Zero fields match
// everything. The kernel dumps the classes of one link
// (net/sched/sch_api.c tc_dump_tclass reads tcm_ifindex and returns
// nothing without it), optionally of one qdisc (tcm_parent's major,
// tc_dump_tclass_qdisc); a zero Index makes ClassDump ask link by link.
type ClassFilter struct {
	// Index keeps classes of this link.
	Index int
	// Parent keeps the classes of the qdisc with this handle major (sent
	// to the kernel as tcm_parent), or with a minor, the classes whose
	// parent it is.
	Parent Handle
}

// Match reports whether c passes the filter. A nil filter matches all.
func (f *ClassFilter) Match(c *Class) bool {
	if f == nil {
		return true
	}
	if f.Index != 0 && c.Index != f.Index {
		return false
	}
	switch {
	case f.Parent == 0:
		return true
	case f.Parent.Minor() == 0:
		return c.Handle.Major() == f.Parent.Major()
	}
	return c.Parent == f.Parent
}

// ClassDump streams the classes that match f (nil: all) to fn, one freshly
// allocated *Class per call, owned by fn, in the kernel's order. Without
// f.Index it dumps the links first and then each link's classes; the
// result is then not one snapshot.
func (c *Conn) ClassDump(ctx context.Context, f *ClassFilter, fn func(*Class) error) error {
	indexes, err := c.tcIndexes(ctx, f)
	if err != nil {
		return err
	}
	for _, i := range indexes {
		if err := c.classDumpLink(ctx, i, f, nil, fn); err != nil {
			return err
		}
	}
	return nil
}

// tcIndexes returns f's link, or every link when f has none.
func (c *Conn) tcIndexes(ctx context.Context, f *ClassFilter) ([]int, error) {
	if f != nil && f.Index != 0 {
		return []int{f.Index}, nil
	}
	return c.linkIndexes(ctx)
}

// classDumpLink dumps the classes of one link.
func (c *Conn) classDumpLink(ctx context.Context, index int, f *ClassFilter, restart func(), fn func(*Class) error) error {
	h := tcHeader{index: int32(index)}
	if f != nil {
		h.parent = uint32(NewHandle(f.Parent.Major(), 0))
	}
	return c.dump(ctx, "classes", KindClass.row().getType, h.append(nil), restart, func(p []byte) error {
		cl := new(Class)
		if err := cl.decode(p); err != nil {
			return err
		}
		if !f.Match(cl) {
			return nil
		}
		return fn(cl)
	})
}

// linkIndexes returns the index of every link.
func (c *Conn) linkIndexes(ctx context.Context) ([]int, error) {
	var out []int
	err := c.LinkDump(ctx, nil, func(l *Link) error {
		out = append(out, l.Index)
		return nil
	})
	return out, err
}

// Classes returns the classes that match f (nil: all of them).
func (c *Conn) Classes(ctx context.Context, f *ClassFilter) ([]*Class, error) {
	indexes, err := c.tcIndexes(ctx, f)
	if err != nil {
		return nil, err
	}
	var out []*Class
	for _, i := range indexes {
		mark := len(out)
		err := c.classDumpLink(ctx, i, f, func() { out = out[:mark] }, func(cl *Class) error {
			out = append(out, cl)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ClassGet asks the kernel for the class with this id on the link with
// this index (RTM_GETTCLASS; tc_ctl_tclass). A missing class is an
// *OpError wrapping unix.ENOENT.
func (c *Conn) ClassGet(ctx context.Context, index int, classid Handle) (*Class, error) {
	object := fmt.Sprintf("class %s dev #%d", classid, index)
	if index <= 0 || classid.Minor() == 0 {
		return nil, &OpError{Op: "get", Object: object, Err: invalidf("a class get needs a link index and a class id with a minor")}
	}
	h := tcHeader{index: int32(index), handle: uint32(classid)}
	var got *Class
	err := c.tcGet(ctx, object, KindClass.row().getType, h.append(nil), func(p []byte) error {
		cl := new(Class)
		if err := cl.decode(p); err != nil {
			return err
		}
		got = cl
		return nil
	})
	if err != nil {
		return nil, err
	}
	return got, nil
}
