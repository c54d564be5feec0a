package ipdb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// readLoop moves notifications from the listener socket to the queue, so
// that the socket is drained even while the applier dumps.
func (db *DB) readLoop(ctx context.Context) {
	defer db.wg.Done()
	for {
		var batch []netlink.Update
		// No context: Close unblocks the read by closing the socket, and a
		// context would cost a timer per batch.
		err := db.listen.ReceiveUpdates(context.Background(), db.opts.batchMax, func(u netlink.Update) error {
			if batch == nil {
				db.busy.Add(1) // until queued: see drained
			}
			batch = append(batch, u)
			return nil
		})
		if len(batch) > 0 {
			received := time.Now()
			at := func() time.Time { return received }
			for _, u := range batch {
				if d := defOf(u.Object.Kind()); d != nil && d.stamp != nil {
					d.stamp(u.Object, at)
				}
			}
		}
		if len(batch) > 0 && !db.queue.push(batch) {
			db.overflows.Add(1)
		}
		if batch != nil {
			db.busy.Add(-1)
		}
		// What was read up to a barrier's acknowledgement is queued:
		// the applier may run the re-read that waits for it (catchUp).
		db.reader.note(db.listen.BarrierReached())
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
			db.reader.kick()
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
