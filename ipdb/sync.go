package ipdb

import (
	"context"
	"time"

	"github.com/ipdb-go/ipdb/netlink"
)

// fullSync dumps every kept kind and makes the tables equal to the dump in
// one write transaction (mark and sweep), so that only true differences
// become changes. The first sync just loads.
func (db *DB) fullSync(ctx context.Context, initial bool) error {
	start := time.Now()
	w := db.newWriter()
	var changes []Change
	for _, sp := range kindDefs {
		if sp == nil || !db.opts.keeps(sp) {
			continue
		}
		var err error
		if initial {
			err = db.load(ctx, w, sp)
		} else {
			changes, err = db.sweep(ctx, w, sp, scope{}, nil, listingOf(w, sp, scope{}, nil), changes)
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
func (db *DB) load(ctx context.Context, w *writer, sp *kindDef) error {
	lst := listingOf(w, sp, scope{}, nil)
	err := db.streamChunks(ctx, sp, scope{}, nil, func(chunk []netlink.Object) error {
		for _, o := range chunk {
			if err := w.txn.Insert(sp.table, o); err != nil {
				return err
			}
			if lst != nil {
				lst.add(o)
			}
		}
		return nil
	})
	if err == nil && lst != nil {
		lst.end()
	}
	return err
}

// listingOf returns sp's listing for a dump limited to s and job, or nil.
func listingOf(w *writer, sp *kindDef, s scope, job *reconcileJob) listing {
	if sp.listing == nil {
		return nil
	}
	return sp.listing(w, s, job)
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
			if sp.stamp != nil {
				sp.stamp(o, time.Now)
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
// longer has, appending the changes. lst, if not nil, is told the
// objects the dump holds, in its order.
func (db *DB) sweep(ctx context.Context, w *writer, sp *kindDef, s scope, in func(netlink.Object) bool, lst listing, changes []Change) ([]Change, error) {
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
					if lst != nil {
						lst.add(old)
					}
					continue
				}
			}
			if err := w.put(sp, o, key); err != nil {
				return err
			}
			seen[o] = struct{}{}
			if lst != nil {
				lst.add(o)
			}
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
	if lst != nil {
		lst.end()
	}
	return changes, nil
}
