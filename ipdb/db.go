package ipdb

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// DB is an in-memory, indexed copy of one network namespace's links,
// addresses, routes, neighbours and rules, kept current from rtnetlink
// notifications. Its methods are safe for concurrent use.
type DB struct {
	opts   options
	mem    *memdb.MemDB
	ids    [len(kindDefs)]*idIndexer // primary indexes, primed by the writer
	listen *netlink.Conn             // multicast notifications
	cmd    *netlink.Conn             // dumps: initial sync, resyncs, reconciles
	log    *changeLog
	synced chan struct{}

	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed atomic.Bool

	queue updateQueue

	// commitMu makes a memdb commit and the revision it becomes one step
	// for Snapshot: held for writing around both, for reading around
	// taking a read transaction and the revision.
	commitMu sync.RWMutex
	// rev is the newest committed revision; written by the applier only.
	rev  atomic.Uint64
	done chan struct{} // closed by Close

	events, batches, resyncs, reconciles atomic.Uint64
	overflows, decodeErrors              atomic.Uint64
	lastSync                             atomic.Int64 // nanoseconds
	lastLoss                             atomic.Int64 // unix nanoseconds of the last ENOBUFS

	laterMu sync.Mutex
	// laterJobs and laterTimer hold the reconciles waiting for
	// settleDelay; guarded by laterMu.
	laterJobs  map[reconcileJob]struct{}
	laterTimer *time.Timer

	errMu sync.Mutex
	err   error // why the engine stopped, if it did; guarded by errMu
}

// Open starts a database for the caller's network namespace or the one
// given by WithNetNS. It subscribes to notifications first, then dumps, then
// replays what arrived meanwhile; Synced closes when that first picture is
// in. Open returns once the sockets are set up; ctx bounds that setup only.
// Close stops everything Open started.
func Open(ctx context.Context, opts ...Option) (*DB, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	db, err := newDB(opts)
	if err != nil {
		return nil, err
	}
	o := db.opts
	db.queue.init(o.queueMax)
	cfg := netlink.Config{NetNS: o.netns, NetNSFD: o.netnsFD}
	lcfg := cfg
	lcfg.Groups = o.groups()
	lcfg.ReadBuffer = o.readBuffer
	if db.listen, err = netlink.Dial(&lcfg); err != nil {
		return nil, err
	}
	if db.cmd, err = netlink.Dial(&cfg); err != nil {
		db.listen.Close()
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	db.cancel = cancel
	db.wg.Add(2)
	go db.readLoop(runCtx)
	go db.applyLoop(runCtx)
	return db, nil
}

// newDB returns a database with its options, tables and change log, and
// nothing started.
func newDB(opts []Option) (*DB, error) {
	o := defaultOptions()
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	mem, ids, err := newMemDB()
	if err != nil {
		return nil, err
	}
	return &DB{opts: o, mem: mem, ids: ids, log: newChangeLog(o.logSize), synced: make(chan struct{}), done: make(chan struct{})}, nil
}

// Close stops the listener and applier, closes the sockets and waits for
// every goroutine Open started. It is safe to call more than once.
func (db *DB) Close() error {
	if db.closed.Swap(true) {
		return nil
	}
	db.cancel()
	close(db.done)
	db.laterMu.Lock()
	if db.laterTimer != nil {
		db.laterTimer.Stop()
	}
	db.laterMu.Unlock()
	db.listen.Close()
	db.cmd.Close()
	db.queue.wake()
	db.wg.Wait()
	return nil
}

// Done returns a channel that is closed when Close is called.
func (db *DB) Done() <-chan struct{} { return db.done }

// Synced returns a channel that is closed once the first full picture of
// the kernel's state is in the database.
func (db *DB) Synced() <-chan struct{} { return db.synced }

// WaitSynced blocks until Synced, ctx ends or the DB is closed.
func (db *DB) WaitSynced(ctx context.Context) error {
	select {
	case <-db.synced:
		return nil
	default:
	}
	select {
	case <-db.synced:
		return nil
	case <-db.done:
		return ErrClosed
	case <-ctx.Done():
		if err := db.Err(); err != nil {
			return err
		}
		return ctx.Err()
	}
}

// Err returns the last error of the sync engine if it has not recovered
// from it yet (it retries with a full resync), or nil.
func (db *DB) Err() error {
	db.errMu.Lock()
	defer db.errMu.Unlock()
	return db.err
}

func (db *DB) fail(err error) {
	db.errMu.Lock()
	if db.err == nil {
		db.err = err
	}
	db.errMu.Unlock()
}

// Revision returns the newest committed revision.
func (db *DB) Revision() uint64 { return db.rev.Load() }

// Stats returns the database's counters.
func (db *DB) Stats() Stats {
	txn := db.mem.Txn(false)
	count := func(table string) int {
		it, err := txn.Get(table, "id")
		if err != nil {
			return 0
		}
		n := 0
		for it.Next() != nil {
			n++
		}
		return n
	}
	return Stats{
		Links: count(linkDef.table), Addrs: count(addrDef.table), Routes: count(routeDef.table),
		Neighs: count(neighDef.table), Rules: count(ruleDef.table), FDB: count(fdbDef.table),
		Revision: db.rev.Load(), Events: db.events.Load(), Batches: db.batches.Load(),
		Resyncs: db.resyncs.Load(), Reconciles: db.reconciles.Load(),
		Overflows: db.overflows.Load(), DecodeErrors: db.decodeErrors.Load(),
		ForeignDropped: db.listen.ForeignDropped() + db.cmd.ForeignDropped(),
		LastSync:       time.Duration(db.lastSync.Load()),
	}
}

// Resync makes the database re-dump everything and sweep away what
// differs from the kernel, as it does by itself after a lost notification,
// and waits until that is done. Only true differences become changes.
func (db *DB) Resync(ctx context.Context) error {
	if err := db.WaitSynced(ctx); err != nil {
		return err
	}
	n := db.resyncs.Load()
	db.queue.markLost()
	for db.resyncs.Load() == n {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-db.done:
			return ErrClosed
		case <-time.After(time.Millisecond):
		}
	}
	return nil
}

// ChangesSince returns the changes committed after revision rev (at most
// max, never splitting a revision; max <= 0 means all), the revision they
// reach, and a channel that closes when a newer revision is committed. If
// rev has left the bounded log it returns ErrTruncated: take a Snapshot and
// continue from its revision.
func (db *DB) ChangesSince(rev uint64, max int) ([]Change, uint64, <-chan struct{}, error) {
	return db.log.since(nil, rev, max)
}

// AppendChangesSince is ChangesSince appending to dst, so that a reader
// that follows the log can reuse one slice.
func (db *DB) AppendChangesSince(dst []Change, rev uint64, max int) ([]Change, uint64, <-chan struct{}, error) {
	return db.log.since(dst, rev, max)
}

// stampDeadlines turns the remaining lifetimes of an address and the
// remaining time of an expiring route, as the kernel sent them, into
// deadlines (netlink.Addr.SetDeadlines, netlink.RouteExtra.SetDeadline),
// at the time the message was read.
func stampDeadlines(o netlink.Object, received time.Time) {
	switch o := o.(type) {
	case *netlink.Addr:
		o.SetDeadlines(received)
	case *netlink.Route:
		if o.Extra != nil && o.Extra.CacheInfo.Expires != 0 {
			o.Extra.SetDeadline(received)
		}
	}
}

// hasDeadline reports whether o counts anything down (an address, an
// expiring route), so that a dump reads the clock only for those.
func hasDeadline(o netlink.Object) bool {
	switch o := o.(type) {
	case *netlink.Addr:
		return true
	case *netlink.Route:
		return o.Extra != nil && o.Extra.CacheInfo.Expires != 0
	}
	return false
}

// readLoop moves notifications from the listener socket to the queue, so
// that the socket is drained even while the applier dumps.
func (db *DB) readLoop(ctx context.Context) {
	defer db.wg.Done()
	for {
		var batch []netlink.Update
		// No context: Close unblocks the read by closing the socket, and a
		// context would cost a timer per batch.
		err := db.listen.ReceiveUpdates(context.Background(), db.opts.batchMax, func(u netlink.Update) error {
			batch = append(batch, u)
			return nil
		})
		if len(batch) > 0 {
			received := time.Now()
			for _, u := range batch {
				stampDeadlines(u.Object, received)
			}
		}
		if len(batch) > 0 && !db.queue.push(batch) {
			db.overflows.Add(1)
		}
		if db.opts.readPause > 0 {
			time.Sleep(db.opts.readPause)
		}
		switch {
		case err == nil:
		case ctx.Err() != nil || errors.Is(err, netlink.ErrClosed):
			return
		case errors.Is(err, unix.ENOBUFS):
			// What is still queued in the socket is older than the loss
			// (see DiscardQueued): throw it away with everything queued
			// here, so that only an unbroken stream follows the resync's
			// dump. The ordering argument is in doc.go ("Overflow").
			db.overflows.Add(1)
			db.lastLoss.Store(time.Now().UnixNano())
			if _, err := db.listen.DiscardQueued(); err != nil && !errors.Is(err, netlink.ErrClosed) {
				db.fail(fmt.Errorf("ipdb: listener: %w", err))
			}
			db.queue.restart()
		case errors.Is(err, netlink.ErrMalformed):
			db.decodeErrors.Add(1)
			db.queue.restart()
		default:
			db.fail(fmt.Errorf("ipdb: listener: %w", err))
			db.queue.restart()
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// applyLoop performs the initial sync, then applies queued notifications,
// one write transaction per batch, and resyncs after any loss.
func (db *DB) applyLoop(ctx context.Context) {
	defer db.wg.Done()
	for ctx.Err() == nil {
		if err := db.fullSync(ctx, true); err == nil {
			break
		} else if ctx.Err() == nil {
			db.fail(err)
			time.Sleep(100 * time.Millisecond)
		}
	}
	if ctx.Err() != nil {
		return
	}
	close(db.synced)
	var tick <-chan time.Time
	if db.opts.refresh > 0 {
		t := time.NewTicker(db.opts.refresh)
		defer t.Stop()
		tick = t.C
	}
	for {
		batches, jobs, lost, ok := db.queue.wait(ctx, tick)
		if !ok {
			return
		}
		var fx effects
		fx.now = jobs
		for _, b := range batches {
			db.applyBatch(b, &fx)
		}
		db.settleLater(fx.later)
		followups := fx.now
		if lost {
			db.waitQuiet(ctx)
			if err := db.fullSync(ctx, false); err != nil {
				if ctx.Err() != nil {
					return
				}
				db.fail(err)
				db.queue.markLost() // try again
				continue
			}
			followups = nil // a full resync covers them
		}
		for _, job := range dedupJobs(followups) {
			// Notifications that arrived meanwhile are older than the
			// re-read's dump: apply them first, so that the dump, not
			// they, has the last word and watchers see no state the
			// kernel has already left (a link deleted by a re-read and
			// re-added by its own stale notifications).
			if !db.applyQueued() {
				break // a gap: the resync that follows covers the jobs
			}
			if err := db.reconcile(ctx, job); err != nil {
				if ctx.Err() != nil {
					return
				}
				db.fail(err)
				db.queue.markLost()
			}
		}
	}
}

// applyQueued applies the batches queued now, unless the stream has a gap
// (then it reports false and leaves them to the coming resync). The
// re-reads they call for are queued for the next round.
func (db *DB) applyQueued() bool {
	batches, ok := db.queue.takeBatches()
	if !ok {
		return false
	}
	if len(batches) == 0 {
		return true
	}
	var fx effects
	for _, b := range batches {
		db.applyBatch(b, &fx)
	}
	db.settleLater(fx.later)
	if len(fx.now) > 0 {
		db.queue.pushJobs(fx.now)
	}
	return true
}

// waitQuiet delays a resync while the listener is still overflowing: a
// re-dump started in the middle of a burst loses messages again and must be
// repeated. It waits until no ENOBUFS for lossQuiet, at most lossWaitMax.
func (db *DB) waitQuiet(ctx context.Context) {
	const lossQuiet, lossWaitMax = 100 * time.Millisecond, 2 * time.Second
	deadline := time.Now().Add(lossWaitMax)
	for time.Now().Before(deadline) {
		since := time.Since(time.Unix(0, db.lastLoss.Load()))
		if since >= lossQuiet {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(lossQuiet - since):
		}
	}
}

// commit ends a write transaction: a revision if anything changed.
func (db *DB) commit(w *writer, changes []Change) {
	w.base.Abort()
	txn := w.txn
	if len(changes) == 0 {
		txn.Abort()
		return
	}
	rev := db.rev.Load() + 1
	db.commitMu.Lock()
	txn.Commit()
	db.rev.Store(rev)
	db.commitMu.Unlock()
	db.log.commit(rev, changes)
}

// applyBatch applies one batch of notifications in one write transaction
// and adds the reconciles they call for to fx.
func (db *DB) applyBatch(batch []netlink.Update, fx *effects) {
	w := db.newWriter()
	var changes []Change
	var v6 []netlink.Update
	var remotes []*netlink.FDB
	for _, u := range batch {
		changes = db.applyUpdate(w, u, changes, fx)
		if r, ok := u.Object.(*netlink.Route); ok && r.Family == unix.AF_INET6 {
			v6 = append(v6, u)
		}
		if f, ok := u.Object.(*netlink.FDB); ok && !u.Deleted() && fdbRemote(f) {
			remotes = append(remotes, f)
		}
	}
	db.events.Add(uint64(len(batch)))
	db.batches.Add(1)
	db.commit(w, changes)
	if len(v6) > 0 {
		ipv6Siblings(db.mem.Txn(false), v6, fx)
	}
	if len(remotes) > 0 {
		fdbSiblings(db.mem.Txn(false), remotes, fx)
	}
}

// settleLater queues jobs to run after settleDelay, coalescing repeats.
func (db *DB) settleLater(jobs []reconcileJob) {
	if len(jobs) == 0 {
		return
	}
	db.laterMu.Lock()
	defer db.laterMu.Unlock()
	if db.laterJobs == nil {
		db.laterJobs = map[reconcileJob]struct{}{}
	}
	for _, j := range jobs {
		db.laterJobs[j] = struct{}{}
	}
	if db.laterTimer == nil && !db.closed.Load() {
		db.laterTimer = time.AfterFunc(settleDelay, func() {
			db.laterMu.Lock()
			var due []reconcileJob
			for j := range db.laterJobs {
				due = append(due, j)
			}
			clear(db.laterJobs)
			db.laterTimer = nil
			db.laterMu.Unlock()
			db.queue.pushJobs(due)
		})
	}
}

// applyUpdate applies one notification inside w.
func (db *DB) applyUpdate(w *writer, u netlink.Update, changes []Change, fx *effects) []Change {
	sp := defOf(u.Object.Kind())
	if sp == nil || !db.opts.keepKind(sp.kind) && sp.kind != netlink.KindLink {
		return changes
	}
	key := sp.key(u.Object)
	if key == nil {
		return changes
	}
	old, _ := w.lookup(sp, key)
	silentEffects(u, old, fx)
	if r, ok := old.(*netlink.Route); ok && u.Deleted() && r.Family == unix.AF_INET6 && len(r.Multipath) > 0 {
		// An IPv6 hop removed from a multipath route: re-read the route.
		ipv6Reread(r, fx)
	}
	if l, ok := u.Object.(*netlink.Link); ok && l.Family == unix.AF_BRIDGE {
		// Bridge port state, not a link; its RTM_DELLINK means the port
		// left the bridge, not that the link is gone.
		return changes
	}
	if u.Deleted() {
		if old != nil {
			_ = w.remove(sp, old)
			changes = append(changes, Change{Kind: sp.kind, Op: OpDelete, Old: old})
		}
		if sp.kind == netlink.KindLink {
			changes = deleteByIfindex(w, linkIndex(u.Object), changes, fx)
		}
		return changes
	}
	if !sp.keep(&db.opts, u.Object) {
		return changes
	}
	// A replace removes the route it replaced even when the new one is
	// already here (a re-read found it before its notification came): the
	// kernel announces only replaces it made (fib_table_insert is silent
	// when an identical route is already first in its slot).
	changes = replaceSiblings(w, sp, u, changes, fx)
	if old != nil && sp.equal(old, u.Object) {
		return changes
	}
	if err := w.put(sp, u.Object, key); err != nil {
		db.fail(fmt.Errorf("ipdb: insert %s: %w", u.Object, err))
		return changes
	}
	op := OpAdd
	if old != nil {
		op = OpChange
	}
	return append(changes, Change{Kind: sp.kind, Op: op, Old: old, New: u.Object})
}

// fullSync dumps every kept kind and makes the tables equal to the dump in
// one write transaction (mark and sweep), so that only true differences
// become changes. The first sync just loads.
func (db *DB) fullSync(ctx context.Context, initial bool) error {
	start := time.Now()
	w := db.newWriter()
	var changes []Change
	for _, sp := range kindDefs {
		if sp == nil || !db.opts.keepKind(sp.kind) && sp.kind != netlink.KindLink {
			continue
		}
		var err error
		if initial {
			err = db.load(ctx, w.txn, sp)
		} else {
			changes, err = db.sweep(ctx, w, sp, scope{}, nil, changes)
		}
		if err != nil {
			w.abort()
			return err
		}
	}
	if initial {
		// The first picture is revision 1; its objects are not changes.
		w.base.Abort()
		db.commitMu.Lock()
		w.txn.Commit()
		db.rev.Store(1)
		db.commitMu.Unlock()
		db.log.commit(1, nil)
	} else {
		db.commit(w, changes)
		db.resyncs.Add(1)
		db.followChanges(changes)
	}
	db.lastSync.Store(int64(time.Since(start)))
	db.errMu.Lock()
	db.err = nil // recovered
	db.errMu.Unlock()
	return nil
}

// load inserts a dump into an empty table.
func (db *DB) load(ctx context.Context, txn *memdb.Txn, sp *kindDef) error {
	return db.streamChunks(ctx, sp, scope{}, nil, func(chunk []netlink.Object) error {
		for _, o := range chunk {
			if err := txn.Insert(sp.table, o); err != nil {
				return err
			}
		}
		return nil
	})
}

// streamChunks runs sp's dump limited to s on a goroutine of its own and
// passes the objects it keeps (Open's filters, and in if not nil) to fn in
// chunks, on the caller's goroutine. Receiving and decoding thus overlap
// with the caller's work on the previous chunk, and a large table loads in
// about the time of the slower of the two.
func (db *DB) streamChunks(ctx context.Context, sp *kindDef, s scope, in func(netlink.Object) bool, fn func([]netlink.Object) error) error {
	const chunkLen = 1024
	chunks := make(chan []netlink.Object, 8)
	dumpErr := make(chan error, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(chunks)
		send := func(chunk []netlink.Object) error {
			select {
			case chunks <- chunk:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		chunk := make([]netlink.Object, 0, chunkLen)
		err := sp.dump(ctx, db.cmd, s, func(o netlink.Object) error {
			if in != nil && !in(o) || !sp.keep(&db.opts, o) {
				return nil
			}
			if hasDeadline(o) {
				stampDeadlines(o, time.Now())
			}
			if chunk = append(chunk, o); len(chunk) == chunkLen {
				err := send(chunk)
				chunk = make([]netlink.Object, 0, chunkLen)
				return err
			}
			return nil
		})
		if err == nil && len(chunk) > 0 {
			err = send(chunk)
		}
		dumpErr <- err
	}()
	var fnErr error
	for chunk := range chunks {
		if fnErr == nil {
			if fnErr = fn(chunk); fnErr != nil {
				cancel() // stop the dump; drain what it already sent
			}
		}
	}
	if err := <-dumpErr; err != nil && fnErr == nil {
		return err
	}
	return fnErr
}

// sweep makes the objects of sp that match in (nil: all) equal to a dump
// limited to s: it upserts what differs and deletes what the kernel no
// longer has, appending the changes.
func (db *DB) sweep(ctx context.Context, w *writer, sp *kindDef, s scope, in func(netlink.Object) bool, changes []Change) ([]Change, error) {
	matches := func(o netlink.Object) bool { return (in == nil || in(o)) && inScope(o, s) }
	// The objects the dump confirmed, by identity of the stored object.
	var seen map[netlink.Object]struct{}
	if in == nil && s == (scope{}) {
		n := 0
		if it, err := w.base.Get(sp.table, "id"); err == nil {
			for it.Next() != nil {
				n++
			}
		}
		seen = make(map[netlink.Object]struct{}, n)
	} else {
		seen = make(map[netlink.Object]struct{})
	}
	err := db.streamChunks(ctx, sp, s, in, func(chunk []netlink.Object) error {
		for _, o := range chunk {
			key := sp.key(o)
			if key == nil {
				continue
			}
			old, err := w.lookup(sp, key)
			if err != nil {
				return err
			}
			if old != nil {
				if _, dup := seen[old]; dup {
					// A repeated dump (NLM_F_DUMP_INTR) or a duplicate.
					continue
				}
				if sp.equal(old, o) {
					seen[old] = struct{}{}
					continue
				}
			}
			if err := w.put(sp, o, key); err != nil {
				return err
			}
			seen[o] = struct{}{}
			if old == nil {
				changes = append(changes, Change{Kind: sp.kind, Op: OpAdd, New: o})
			} else {
				changes = append(changes, Change{Kind: sp.kind, Op: OpChange, Old: old, New: o})
			}
		}
		return nil
	})
	if err != nil {
		return changes, err
	}
	it, err := w.txn.Get(sp.table, "id")
	if err != nil {
		return changes, err
	}
	var gone []netlink.Object
	for raw := it.Next(); raw != nil; raw = it.Next() {
		o := raw.(netlink.Object)
		if _, ok := seen[o]; !ok && matches(o) {
			gone = append(gone, o)
		}
	}
	for _, o := range gone {
		if err := w.remove(sp, o); err != nil {
			return changes, err
		}
		changes = append(changes, Change{Kind: sp.kind, Op: OpDelete, Old: o})
	}
	return changes, nil
}

// refreshJobs re-read the tables the kernel changes without telling.
var refreshJobs = []reconcileJob{{kind: netlink.KindLink}, {kind: netlink.KindNeigh}, {kind: netlink.KindFDB}}

// updateQueue carries batches from the reader to the applier. It never
// blocks the reader: past its bound it drops and flags the loss.
type updateQueue struct {
	mu sync.Mutex
	// The fields below are guarded by mu.
	batches [][]netlink.Update
	jobs    []reconcileJob
	n       int // updates queued
	max     int
	lost    bool
	signal  chan struct{} // buffered, capacity 1
}

func (q *updateQueue) init(max int) {
	q.max = max
	q.signal = make(chan struct{}, 1)
}

// push queues a batch and reports whether it could. Past the bound the
// batch is dropped: that is a gap in the stream, so everything queued
// before it goes too (restartLocked).
func (q *updateQueue) push(b []netlink.Update) bool {
	q.mu.Lock()
	ok := q.n+len(b) <= q.max
	if ok {
		q.batches = append(q.batches, b)
		q.n += len(b)
	} else {
		q.restartLocked()
	}
	q.mu.Unlock()
	q.wake()
	return ok
}

// restart marks a gap in the stream of notifications: it discards every
// batch queued so far, which is older than the gap, and asks the applier
// for a resync. Batches pushed afterwards are newer than the gap and are
// applied after the resync's dump.
func (q *updateQueue) restart() {
	q.mu.Lock()
	q.restartLocked()
	q.mu.Unlock()
	q.wake()
}

func (q *updateQueue) restartLocked() {
	clear(q.batches)
	q.batches, q.n, q.lost = q.batches[:0], 0, true
}

func (q *updateQueue) pushJobs(jobs []reconcileJob) {
	q.mu.Lock()
	q.jobs = append(q.jobs, jobs...)
	q.mu.Unlock()
	q.wake()
}

func (q *updateQueue) markLost() {
	q.mu.Lock()
	q.lost = true
	q.mu.Unlock()
	q.wake()
}

func (q *updateQueue) wake() {
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

// takeBatches returns the batches queued now, or false if the stream
// has a gap (a resync is due; the batches stay for it).
func (q *updateQueue) takeBatches() ([][]netlink.Update, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.lost {
		return nil, false
	}
	b := q.batches
	q.batches, q.n = nil, 0
	return b, true
}

// wait returns everything queued, blocking until there is something or
// ctx ends (ok false).
func (q *updateQueue) wait(ctx context.Context, tick <-chan time.Time) (batches [][]netlink.Update, jobs []reconcileJob, lost, ok bool) {
	for {
		q.mu.Lock()
		batches, jobs, lost = q.batches, q.jobs, q.lost
		q.batches, q.jobs, q.n, q.lost = nil, nil, 0, false
		q.mu.Unlock()
		if len(batches) > 0 || len(jobs) > 0 || lost {
			// A busy queue must not starve the periodic refresh.
			select {
			case <-tick:
				jobs = append(jobs, refreshJobs...)
			default:
			}
			return batches, jobs, lost, true
		}
		select {
		case <-q.signal:
		case <-tick:
			return nil, refreshJobs, false, true
		case <-ctx.Done():
			return nil, nil, false, false
		}
	}
}
