package watch

import (
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// SetWatcher hands the changes of an ipdb.Set, across its namespaces, to
// subscribers, as Watcher does for one database. Every event carries its
// namespace (Event.NS) and the set's revision (Event.Rev); a link moved
// between two namespaces of the set is one event (Event.MovedFrom). A
// namespace that is attached arrives as the Initial adds of its objects,
// and one that is detached leaves as the deletes of the objects it had,
// so that a subscriber's derived state always equals the set's view
// (ipdb.Set, "Consistency"). Filters and options are those of Watcher;
// Namespaces selects namespaces.
type SetWatcher struct {
	set *ipdb.Set

	mu sync.Mutex
	// The fields below are guarded by mu.
	closed bool
	cancel map[*context.CancelFunc]struct{}

	wg sync.WaitGroup
}

// NewSet returns a SetWatcher for s. It starts nothing until a
// subscription.
func NewSet(s *ipdb.Set) *SetWatcher {
	return &SetWatcher{set: s, cancel: map[*context.CancelFunc]struct{}{}}
}

// Namespaces selects events of the namespaces with these names (Resync
// events pass).
func Namespaces(names ...string) Filter {
	return func(e *Event) bool { return e.Resync || slices.Contains(names, e.NS.Name) }
}

// Close ends every subscription and waits for their goroutines. It is
// safe to call more than once.
func (w *SetWatcher) Close() {
	w.mu.Lock()
	w.closed = true
	for c := range w.cancel {
		(*c)()
	}
	w.mu.Unlock()
	w.wg.Wait()
}

// Subscribe calls fn for each change matching f (nil for all) until ctx
// ends, stop is called, the SetWatcher or the set is closed, or fn
// returns false; as Watcher.Subscribe. WithInitial first delivers every
// object of every namespace as Initial adds.
func (w *SetWatcher) Subscribe(ctx context.Context, f Filter, fn func(Event) bool, opts ...Option) (stop func()) {
	return w.subscribe(ctx, f, func(_ context.Context, e *Event) bool { return fn(*e) }, nil, opts)
}

// Events returns a channel of the changes matching f (nil for all), closed
// when ctx ends or the SetWatcher or set is closed; as Watcher.Events.
func (w *SetWatcher) Events(ctx context.Context, f Filter, opts ...Option) <-chan Event {
	ch := make(chan Event, 64)
	w.subscribe(ctx, f, func(ctx context.Context, e *Event) bool {
		select {
		case ch <- *e:
			return true
		case <-ctx.Done():
			return false
		}
	}, func() { close(ch) }, opts)
	return ch
}

func (w *SetWatcher) subscribe(ctx context.Context, f Filter, fn func(context.Context, *Event) bool, onEnd func(), opts []Option) (stop func()) {
	var o subOptions
	for _, opt := range opts {
		opt(&o)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		cancel()
		if onEnd != nil {
			onEnd()
		}
		return func() {}
	}
	key := &cancel
	w.cancel[key] = struct{}{}
	w.wg.Add(1)
	w.mu.Unlock()
	sub := &setSubscription{set: w.set, filter: f, fn: fn, opts: o, names: map[string]*linkNames{}, blocks: map[string]*blockBindings{}}
	go func() {
		defer w.wg.Done()
		defer close(done)
		sub.run(ctx)
		cancel()
		w.mu.Lock()
		delete(w.cancel, key)
		w.mu.Unlock()
		if onEnd != nil {
			onEnd()
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

type setSubscription struct {
	set    *ipdb.Set
	filter Filter
	fn     func(context.Context, *Event) bool
	opts   subOptions
	names  map[string]*linkNames // by namespace
	blocks map[string]*blockBindings
	ev     Event // the event being delivered (subscription.ev)
}

func (s *setSubscription) run(ctx context.Context) {
	var rev uint64
	if s.opts.initial {
		var ok bool
		if rev, ok = s.replay(ctx, false); !ok {
			return
		}
	} else {
		snap := s.set.Snapshot()
		rev = snap.Revision()
		for _, n := range snap.Namespaces() {
			s.remember(n)
		}
	}
	for {
		changes, upTo, wake, err := s.set.ChangesSince(rev, 1024)
		if errors.Is(err, ipdb.ErrTruncated) {
			var ok bool
			if rev, ok = s.replay(ctx, true); !ok {
				return
			}
			continue
		}
		for i := range changes {
			if !s.deliver(ctx, &changes[i]) {
				return
			}
		}
		if upTo > rev {
			rev = upTo
			continue
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return
		case <-s.set.Done():
			return
		}
	}
}

// remember fills the link-name cache of one namespace from its snapshot.
func (s *setSubscription) remember(n ipdb.NSSnapshot) *linkNames {
	names := newLinkNames()
	for l := range n.Links() {
		names.byIndex[l.Index] = l.Name
	}
	s.names[n.NS.Name] = names
	b := &blockBindings{}
	b.fill(n.Qdiscs(), names)
	s.blocks[n.NS.Name] = b
	return names
}

// deliver hands one feed entry to fn as events; false: stop.
func (s *setSubscription) deliver(ctx context.Context, c *ipdb.SetChange) bool {
	switch c.Op {
	case ipdb.SetAttached:
		s.names[c.NS.Name] = newLinkNames()
		s.blocks[c.NS.Name] = &blockBindings{}
		return s.objects(ctx, c.Rev, c.NS, c.Snapshot, ipdb.OpAdd)
	case ipdb.SetDetached:
		ok := s.objects(ctx, c.Rev, c.NS, c.Snapshot, ipdb.OpDelete)
		delete(s.names, c.NS.Name)
		delete(s.blocks, c.NS.Name)
		return ok
	}
	e := &s.ev
	*e = Event{Rev: c.Rev, Kind: c.Change.Kind, Op: c.Change.Op, Old: c.Change.Old, New: c.Change.New, NS: c.NS, MovedFrom: c.MovedFrom}
	if c.MovedFrom != nil {
		if from, ok := s.names[c.MovedFrom.Name]; ok {
			delete(from.byIndex, c.Change.Old.(*netlink.Link).Index)
		}
	}
	e.LinkName = s.nameOf(e)
	return s.emit(ctx, e)
}

// objects delivers every object of snap in ns as op (Initial adds, or the
// deletes of a detached namespace), links first.
func (s *setSubscription) objects(ctx context.Context, rev uint64, ns ipdb.NetNS, snap *ipdb.Snapshot, op ipdb.Op) bool {
	if snap == nil {
		return true
	}
	for o := range snap.All() {
		e := &s.ev
		*e = Event{Rev: rev, Kind: o.Kind(), Op: op, NS: ns, Initial: op == ipdb.OpAdd}
		if op == ipdb.OpAdd {
			e.New = o
		} else {
			e.Old = o
		}
		e.LinkName = s.nameOf(e)
		if !s.emit(ctx, e) {
			return false
		}
	}
	return true
}

func (s *setSubscription) emit(ctx context.Context, e *Event) bool {
	b, ok := s.blocks[e.NS.Name]
	if !ok {
		b = &blockBindings{}
		s.blocks[e.NS.Name] = b
	}
	e.blocks = b
	b.follow(e, s.names[e.NS.Name])
	if s.filter != nil && !s.filter(e) {
		return true
	}
	return ctx.Err() == nil && s.fn(ctx, e)
}

// nameOf is linkNames.of within e's namespace; a miss asks that
// namespace's database.
func (s *setSubscription) nameOf(e *Event) string {
	names, ok := s.names[e.NS.Name]
	if !ok {
		names = newLinkNames()
		s.names[e.NS.Name] = names
	}
	var db *ipdb.DB
	if _, isLink := e.Object().(*netlink.Link); !isLink {
		idx := ifindexOf(e.Object())
		if idx <= 0 {
			return ""
		}
		if _, ok := names.name(idx); !ok {
			db, _ = s.set.DB(e.NS.Name) // nil if it has left the set
		}
	}
	return names.of(db, e)
}

// replay delivers the set's current state as Initial adds (after a
// Resync event if resync) and returns the revision it shows.
func (s *setSubscription) replay(ctx context.Context, resync bool) (uint64, bool) {
	snap := s.set.Snapshot()
	clear(s.names)
	clear(s.blocks)
	if resync && !s.fn(ctx, &Event{Rev: snap.Revision(), Resync: true}) {
		return 0, false
	}
	for _, n := range snap.Namespaces() {
		s.names[n.NS.Name] = newLinkNames()
		s.blocks[n.NS.Name] = &blockBindings{}
		if !s.objects(ctx, snap.Revision(), n.NS, n.Snapshot, ipdb.OpAdd) {
			return 0, false
		}
	}
	return snap.Revision(), true
}
