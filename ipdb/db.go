package ipdb

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// DB is an in-memory, indexed copy of one network namespace's links,
// addresses, routes, neighbours and rules, kept current from rtnetlink
// notifications. Its methods are safe for concurrent use.
type DB struct {
	opts   options
	mem    *memdb.MemDB
	ids    []*idIndexer  // primary indexes by kind, primed by the writer
	listen *netlink.Conn // multicast notifications
	cmd    *netlink.Conn // dumps: initial sync, resyncs, reconciles
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

	// reader is how far the reader has read the listener socket, for
	// catchUp.
	reader readerProgress

	// linkwatch holds the links whose carrier change a re-read found
	// before the kernel acted on it; used by the applier only.
	linkwatch linkwatchWait

	// later and settled hold the reconciles waiting for settleDelay and
	// linkSettleDelay (rereads.later, rereads.settled).
	later, settled delayedJobs

	errMu sync.Mutex
	err   error // why the engine stopped, if it did; guarded by errMu

	// batch is the notification batch being applied, for the commit
	// hook of a Set member; used by the applier only.
	batch []netlink.Update
	// busy counts the reader holding a batch not yet queued and the
	// applier applying one; a Set's move pairing reads it (drained).
	busy atomic.Int32
	// nextRefresh is when the applier's periodic refresh is next due
	// (unix nanoseconds), for a Set's shared scheduler.
	nextRefresh atomic.Int64
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
	return &DB{opts: o, mem: mem, ids: ids, log: newChangeLog(o.logSize), synced: make(chan struct{}), done: make(chan struct{}), linkwatch: linkwatchWait{}}, nil
}

// Close stops the listener and applier, closes the sockets and waits for
// every goroutine Open started. It is safe to call more than once.
func (db *DB) Close() error {
	if db.closed.Swap(true) {
		return nil
	}
	db.cancel()
	close(db.done)
	db.later.stop()
	db.settled.stop()
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
	objs := make(map[netlink.Kind]int, len(kindDefs))
	for _, d := range kindDefs {
		if d != nil {
			objs[d.kind] = count(d.table)
		}
	}
	return Stats{
		Objects: objs,
		Links:   objs[netlink.KindLink], Addrs: objs[netlink.KindAddr], Routes: objs[netlink.KindRoute],
		Neighs: objs[netlink.KindNeigh], Rules: objs[netlink.KindRule], FDB: objs[netlink.KindFDB],
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
// Everything the kernel announced before the call is applied before the
// dump (a barrier on the listener socket, as for a targeted re-read).
func (db *DB) Resync(ctx context.Context) error {
	if err := db.WaitSynced(ctx); err != nil {
		return err
	}
	n := db.resyncs.Load()
	// Not a loss: the notifications sent before now are applied before
	// the dump (a loss's resync cannot, and they could take the cache
	// back in time after it: a link moved in as t0 and renamed eth0 went
	// eth0, t0, eth0; TestMoveRenamesInOneRequest).
	db.queue.pushJobs([]reconcileJob{{resync: true}})
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
