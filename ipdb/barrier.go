package ipdb

import (
	"context"
	"sync"
	"time"

	"github.com/ipdb-go/ipdb/netlink"
)

// catchUpMax bounds how long a re-read waits for the reader to catch up
// with the kernel (catchUp). The wait ends sooner on a loss or Close; the
// bound is only a guard against a reader stuck for another reason: past
// it the re-read runs anyway, and the notifications it overtook are
// applied after it.
const catchUpMax = 30 * time.Second

// readerProgress is how far the reader has read the listener socket, in
// barriers (netlink.Conn.SendBarrier): written by the reader, waited on by
// the applier.
type readerProgress struct {
	mu   sync.Mutex
	seen uint32        // the last barrier whose acknowledgement is queued
	any  bool          // seen holds one: sequence numbers start anywhere
	wake chan struct{} // closed and dropped when seen moves; nil if no one waits
}

// note records that the barrier seq was read and its batch queued.
func (p *readerProgress) note(seq uint32) {
	p.mu.Lock()
	if seq != p.seen {
		p.seen, p.any = seq, true
		if p.wake != nil {
			close(p.wake)
			p.wake = nil
		}
	}
	p.mu.Unlock()
}

// kick wakes the waiters without progress: the reader met a loss, after
// which a barrier's acknowledgement may never come.
func (p *readerProgress) kick() {
	p.mu.Lock()
	if p.wake != nil {
		close(p.wake)
		p.wake = nil
	}
	p.mu.Unlock()
}

// reached reports whether barrier seq was read, and if not returns a
// channel closed when the reader next moves on.
func (p *readerProgress) reached(seq uint32) (bool, <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.any && netlink.SeqReached(p.seen, seq) {
		return true, nil
	}
	if p.wake == nil {
		p.wake = make(chan struct{})
	}
	return false, p.wake
}

// catchUp waits until the reader has queued every notification the kernel
// sent before it was called, so that applyQueued then applies them before
// a re-read's dump. The reader lags behind the kernel on a loaded host;
// without the wait, notifications older than the dump would be applied
// after it and take the cache back in time for a while: a link that a
// re-read found deleted would be re-added by its own earlier change and
// deleted again, phantom events for watchers (TestRereadWaitsForReader).
//
// It sends a barrier on the listener socket (netlink.Conn.SendBarrier: an
// acknowledgement the kernel queues behind every notification it queued
// before) and waits for the reader to read it, however far behind it is (at most
// catchUpMax), and no longer than a loss (the acknowledgement may be the one dropped; the
// resync that follows covers everything) or ctx.
func (db *DB) catchUp(ctx context.Context) {
	seq, err := db.listen.SendBarrier()
	if err != nil {
		return // closing, or the socket failed: the reader reports it
	}
	losses := db.overflows.Load()
	timer := time.NewTimer(catchUpMax)
	defer timer.Stop()
	for {
		ok, moved := db.reader.reached(seq)
		if ok || db.overflows.Load() != losses {
			return
		}
		select {
		case <-moved:
		case <-ctx.Done():
			return
		case <-timer.C:
			return
		}
	}
}
