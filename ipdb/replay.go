package ipdb

import (
	"github.com/ipdb-go/ipdb/netlink"
)

// A Replay is a database with no kernel behind it: it applies recorded
// notifications exactly as an open DB applies the ones it receives (one
// write transaction and one revision per batch, the same keys, filters,
// comparisons and change log), so that a captured stream can be replayed
// for benchmarks, tests and offline analysis without a network namespace.
//
// A live DB also re-reads from the kernel what the kernel changes without
// telling (routes dropped when a link goes down, and so on). A Replay has
// no kernel to ask: Apply reports how many such re-reads a batch called
// for and skips them, so a replayed stream that contains link down or
// delete events can differ from what a live DB would hold.
//
// A Replay starts no goroutines and holds no sockets; it needs no Close.
// Apply must not be called concurrently with itself; snapshots may be taken
// from any goroutine at any time.
type Replay struct {
	db *DB
}

// NewReplay returns an empty Replay, synced at revision 1 (the picture of
// an empty kernel). The filters of WithKinds, WithFamilies and WithTables
// and the size of WithChangeLog apply as they do to Open; options about
// namespaces and sockets have no effect.
func NewReplay(opts ...Option) (*Replay, error) {
	db, err := newDB(opts)
	if err != nil {
		return nil, err
	}
	close(db.synced)
	db.rev.Store(1)
	db.log.commit(1, nil)
	return &Replay{db: db}, nil
}

// Apply applies one batch of notifications in one write transaction: one
// new revision if anything changed. Updates whose Object is nil are
// skipped. It returns how many re-reads from the kernel the batch called
// for (see Replay), which were skipped.
func (r *Replay) Apply(batch []netlink.Update) (skippedRereads int) {
	clean := batch
	for i, u := range batch {
		if u.Object == nil {
			// Copy once, without the nil objects.
			clean = make([]netlink.Update, 0, len(batch))
			clean = append(clean, batch[:i]...)
			for _, u := range batch[i:] {
				if u.Object != nil {
					clean = append(clean, u)
				}
			}
			break
		}
	}
	if len(clean) == 0 {
		return 0
	}
	var fx rereads
	r.db.applyBatch(clean, &fx)
	return len(fx.now) + len(fx.later)
}

// Snapshot returns a view of the current state, as DB.Snapshot does.
func (r *Replay) Snapshot() *Snapshot { return r.db.Snapshot() }

// Revision returns the newest committed revision.
func (r *Replay) Revision() uint64 { return r.db.Revision() }

// ChangesSince returns the changes committed after revision rev, as
// DB.ChangesSince does.
func (r *Replay) ChangesSince(rev uint64, max int) ([]Change, uint64, <-chan struct{}, error) {
	return r.db.ChangesSince(rev, max)
}

// Events returns the number of notifications applied so far.
func (r *Replay) Events() uint64 { return r.db.events.Load() }

// Err returns the first error applying a notification (an object the
// database could not insert), or nil.
func (r *Replay) Err() error { return r.db.Err() }
