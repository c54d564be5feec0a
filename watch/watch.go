package watch

import (
	"context"
	"errors"
	"sync"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// Event is one change seen by a subscriber.
type Event struct {
	// Rev is the database revision of the change.
	Rev uint64
	// Kind is the object kind.
	Kind netlink.Kind
	// Op is ipdb.OpAdd, OpChange or OpDelete.
	Op ipdb.Op
	// Old is the object before the change (nil for adds); New after it
	// (nil for deletes). Both are shared with the database: do not modify.
	Old, New netlink.Object
	// Initial marks the adds that replay the current state: with
	// WithInitial at the start, and after every Resync.
	Initial bool
	// Resync says the subscriber fell behind the change log and missed
	// changes. It carries no object: drop what you derived from earlier
	// events; the current state follows as Initial adds, then live changes.
	Resync bool
	// LinkName is the name of the link the object belongs to, as the
	// database knew it when the event was delivered ("" if unknown).
	LinkName string
	// NS is the namespace of the change, for a subscription over an
	// ipdb.Set (SetWatcher); the zero NetNS otherwise. Rev is then the
	// set's revision.
	NS ipdb.NetNS
	// MovedFrom, over a Set, is the namespace a link moved from: the
	// event is the link's add in NS, with Old the link as MovedFrom had
	// it (ipdb.SetChange.MovedFrom).
	MovedFrom *ipdb.NetNS

	// blocks is the subscription's view of the shared tc blocks'
	// bindings in NS, for LinkIndex and LinkName (a shared block's filter
	// belongs to the links bound to its block).
	blocks *blockBindings
}

// Object returns New, or Old for deletes.
func (e *Event) Object() netlink.Object {
	if e.New != nil {
		return e.New
	}
	return e.Old
}

// Watcher hands database changes to subscribers. Each subscription reads
// the database's change log on a goroutine of its own, so a slow subscriber
// only slows itself; one that falls behind the log gets a Resync event and
// the current state, never a silent gap.
type Watcher struct {
	db *ipdb.DB

	mu sync.Mutex
	// The fields below are guarded by mu.
	closed bool
	subs   map[*subscription]struct{}

	wg sync.WaitGroup
}

// New returns a Watcher for db. It starts nothing until a subscription.
func New(db *ipdb.DB) *Watcher {
	return &Watcher{db: db, subs: map[*subscription]struct{}{}}
}

// Close ends every subscription and waits for their goroutines. It is safe
// to call more than once.
func (w *Watcher) Close() {
	w.mu.Lock()
	w.closed = true
	for s := range w.subs {
		s.cancel()
	}
	w.mu.Unlock()
	w.wg.Wait()
}

// An Option configures a subscription.
type Option func(*subOptions)

type subOptions struct {
	initial bool
}

// WithInitial delivers the current objects matching the filter as Initial
// adds first, then the live changes after them, with no gap and no
// duplicate between the two.
func WithInitial() Option { return func(o *subOptions) { o.initial = true } }

type subscription struct {
	names  *linkNames
	blocks blockBindings
	w      *Watcher
	filter Filter
	opts   subOptions
	fn     func(ctx context.Context, e *Event) bool // false: stop
	cancel context.CancelFunc
	// ev is the event being delivered: one per subscription, so that
	// delivering an event allocates nothing (a heap Event per event and
	// subscriber was most of the garbage under a route burst, and so of
	// the GC's share of the watch latency tail).
	ev Event
}

// Subscribe calls fn for each change matching f (nil for all) until ctx
// ends, the returned stop function is called, the Watcher or database is
// closed, or fn returns false. fn runs on the subscription's own
// goroutine, one event at a time, in revision order; it must not call
// stop (return false instead). stop waits until fn is no longer running.
func (w *Watcher) Subscribe(ctx context.Context, f Filter, fn func(Event) bool, opts ...Option) (stop func()) {
	return w.subscribe(ctx, f, func(_ context.Context, e *Event) bool { return fn(*e) }, nil, opts)
}

// Events returns a channel of the changes matching f (nil for all). It is
// closed when ctx ends or the Watcher or database is closed. A reader that
// stops reading only delays itself, and sees a Resync event when it falls
// behind the change log.
func (w *Watcher) Events(ctx context.Context, f Filter, opts ...Option) <-chan Event {
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

func (w *Watcher) subscribe(ctx context.Context, f Filter, fn func(context.Context, *Event) bool, onEnd func(), opts []Option) (stop func()) {
	s := &subscription{w: w, filter: f, fn: fn, names: newLinkNames()}
	for _, o := range opts {
		o(&s.opts)
	}
	ctx, s.cancel = context.WithCancel(ctx)
	done := make(chan struct{})
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		s.cancel()
		if onEnd != nil {
			onEnd()
		}
		return func() {}
	}
	w.subs[s] = struct{}{}
	w.wg.Add(1)
	w.mu.Unlock()
	go func() {
		defer w.wg.Done()
		defer close(done)
		s.run(ctx)
		s.cancel()
		w.mu.Lock()
		delete(w.subs, s)
		w.mu.Unlock()
		if onEnd != nil {
			onEnd()
		}
	}()
	return func() {
		s.cancel()
		<-done
	}
}

// run is the subscription's loop.
func (s *subscription) run(ctx context.Context) {
	db := s.w.db
	if err := db.WaitSynced(ctx); err != nil {
		return
	}
	var rev uint64
	if s.opts.initial {
		var ok bool
		if rev, ok = s.replay(ctx, false); !ok {
			return
		}
	} else {
		snap := db.Snapshot()
		rev = snap.Revision()
		for l := range snap.Links() {
			s.names.byIndex[l.Index] = l.Name
		}
		s.blocks.fill(snap.Qdiscs(), s.names)
	}
	var buf []ipdb.Change
	for {
		changes, upTo, wake, err := db.AppendChangesSince(buf[:0], rev, 1024)
		buf = changes
		if errors.Is(err, ipdb.ErrTruncated) {
			var ok bool
			if rev, ok = s.replay(ctx, true); !ok {
				return
			}
			continue
		}
		for i := range changes {
			if !s.deliver(ctx, db, &changes[i]) {
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
		case <-db.Done():
			return
		}
	}
}

// deliver hands c to the subscriber if the filter selects it, and reports
// false when the subscription ends. It allocates nothing when the link
// name is cached.
func (s *subscription) deliver(ctx context.Context, db *ipdb.DB, c *ipdb.Change) bool {
	e := &s.ev
	*e = Event{Rev: c.Rev, Kind: c.Kind, Op: c.Op, Old: c.Old, New: c.New, blocks: &s.blocks}
	e.LinkName = s.names.of(db, e)
	s.blocks.follow(e, s.names)
	if s.filter != nil && !s.filter(e) {
		return true
	}
	return ctx.Err() == nil && s.fn(ctx, e)
}

// replay delivers the current state as Initial adds (after a Resync event
// if resync) and returns the revision it shows.
func (s *subscription) replay(ctx context.Context, resync bool) (uint64, bool) {
	snap := s.w.db.Snapshot()
	s.names.reset() // links come first and fill it again
	s.blocks.reset()
	if resync && !s.fn(ctx, &Event{Rev: snap.Revision(), Resync: true}) {
		return 0, false
	}
	emit := func(o netlink.Object) bool {
		e := &s.ev
		*e = Event{Rev: snap.Revision(), Kind: o.Kind(), Op: ipdb.OpAdd, New: o, Initial: true, blocks: &s.blocks}
		e.LinkName = s.names.of(s.w.db, e)
		s.blocks.follow(e, s.names)
		if s.filter != nil && !s.filter(e) {
			return true
		}
		return ctx.Err() == nil && s.fn(ctx, e)
	}
	// Every kind, links first: they fill the name cache the other kinds
	// use.
	for o := range snap.All() {
		if !emit(o) {
			return 0, false
		}
	}
	return snap.Revision(), true
}

// linkNames caches ifindex -> name for one subscription. Every link change
// passes through the change log in order before the changes of objects on
// that link, so the cache follows the log without asking the database; a
// miss (a link not seen since the subscription started) asks a snapshot.
//
// The names of the last goneKept deleted links are kept: the deletes of
// the objects that went with a link (its routes, addresses, FDB entries
// and qdiscs, in the link's revision; its nexthop objects and the routes
// over them, found by a re-read a revision or more later) must still name
// it, or a LinkName filter misses them. A new link with a deleted one's
// index takes its place in byIndex, which is looked up first.
type linkNames struct {
	byIndex map[int]string
	gone    map[int]string // deleted links, at most goneKept
	order   []int          // gone's indexes, oldest first
}

// goneKept bounds the deleted links a subscription remembers.
const goneKept = 256

func newLinkNames() *linkNames {
	return &linkNames{byIndex: map[int]string{}, gone: map[int]string{}}
}

// reset forgets every link.
func (n *linkNames) reset() {
	clear(n.byIndex)
	clear(n.gone)
	n.order = n.order[:0]
}

// name returns the cached name of link idx, or of the deleted link idx.
func (n *linkNames) name(idx int) (string, bool) {
	if name, ok := n.byIndex[idx]; ok {
		return name, true
	}
	name, ok := n.gone[idx]
	return name, ok
}

// deleted remembers the name of link idx, deleted.
func (n *linkNames) deleted(idx int, name string) {
	delete(n.byIndex, idx)
	if _, ok := n.gone[idx]; !ok {
		if len(n.order) == goneKept {
			delete(n.gone, n.order[0])
			n.order = append(n.order[:0], n.order[1:]...)
		}
		n.order = append(n.order, idx)
	}
	n.gone[idx] = name
}

// of returns the name of the link e's object belongs to, and keeps the
// cache current with e if e is a link change.
func (n *linkNames) of(db *ipdb.DB, e *Event) string {
	if l, ok := e.Object().(*netlink.Link); ok {
		if e.Op == ipdb.OpDelete {
			n.deleted(l.Index, l.Name)
		} else {
			n.byIndex[l.Index] = l.Name
		}
		return l.Name
	}
	idx := ifindexOf(e.Object())
	if idx <= 0 {
		return ""
	}
	if name, ok := n.name(idx); ok {
		return name
	}
	if db == nil {
		return ""
	}
	l, err := db.Snapshot().LinkByIndex(idx)
	if err != nil {
		return ""
	}
	n.byIndex[idx] = l.Name
	return l.Name
}
