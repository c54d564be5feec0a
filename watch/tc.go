package watch

import (
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// QdiscEvent is a change of a qdisc. The qdiscs, classes and filters the
// kernel removes or creates without telling (a replaced root qdisc's
// tree, a link's default qdisc, a deleted link's tc objects) come as
// events of their own once the database has found them.
type QdiscEvent struct {
	Rev      uint64
	Op       ipdb.Op
	Old, New *netlink.Qdisc
	Initial  bool
	Resync   bool
}

// ClassEvent is a change of a traffic class.
type ClassEvent struct {
	Rev      uint64
	Op       ipdb.Op
	Old, New *netlink.Class
	Initial  bool
	Resync   bool
}

// FilterEvent is a change of a tc filter (a classifier; not a watch
// Filter).
type FilterEvent struct {
	Rev      uint64
	Op       ipdb.Op
	Old, New *netlink.Filter
	Initial  bool
	Resync   bool
}

func qdiscEvent(e *Event) QdiscEvent {
	return QdiscEvent{e.Rev, e.Op, as[*netlink.Qdisc](e.Old), as[*netlink.Qdisc](e.New), e.Initial, e.Resync}
}

func classEvent(e *Event) ClassEvent {
	return ClassEvent{e.Rev, e.Op, as[*netlink.Class](e.Old), as[*netlink.Class](e.New), e.Initial, e.Resync}
}

func filterEvent(e *Event) FilterEvent {
	return FilterEvent{e.Rev, e.Op, as[*netlink.Filter](e.Old), as[*netlink.Filter](e.New), e.Initial, e.Resync}
}

// OnQdisc calls fn for each qdisc change matching f (nil for all); e.g.
// LinkName(dev) selects the qdiscs of a link.
func (w *Watcher) OnQdisc(f Filter, fn func(QdiscEvent), opts ...Option) (stop func()) {
	return on(w, netlink.KindQdisc, f, fn, qdiscEvent, opts)
}

// OnClass calls fn for each class change matching f (nil for all); e.g.
// LinkName(dev) selects the classes of a link.
func (w *Watcher) OnClass(f Filter, fn func(ClassEvent), opts ...Option) (stop func()) {
	return on(w, netlink.KindClass, f, fn, classEvent, opts)
}

// OnFilter calls fn for each tc filter change matching f (nil for all);
// e.g. LinkName(dev) selects the filters of a link.
func (w *Watcher) OnFilter(f Filter, fn func(FilterEvent), opts ...Option) (stop func()) {
	return on(w, netlink.KindFilter, f, fn, filterEvent, opts)
}
