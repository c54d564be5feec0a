package ipdb

import (
	"context"
	"sync"
	"time"

	"github.com/ipdb-go/ipdb/netlink"
)

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

// wait returns everything queued, blocking until there is something, tick
// fires (ticked: time to see which periodic re-reads are due) or ctx ends
// (ok false).
func (q *updateQueue) wait(ctx context.Context, tick <-chan time.Time) (batches [][]netlink.Update, jobs []reconcileJob, lost, ticked, ok bool) {
	for {
		q.mu.Lock()
		batches, jobs, lost = q.batches, q.jobs, q.lost
		q.batches, q.jobs, q.n, q.lost = nil, nil, 0, false
		q.mu.Unlock()
		if len(batches) > 0 || len(jobs) > 0 || lost {
			// A busy queue must not starve the periodic refresh.
			select {
			case <-tick:
				ticked = true
			default:
			}
			return batches, jobs, lost, ticked, true
		}
		select {
		case <-q.signal:
		case <-tick:
			return nil, nil, false, true, true
		case <-ctx.Done():
			return nil, nil, false, false, false
		}
	}
}

// empty reports whether nothing is queued: no batch, job or gap.
func (q *updateQueue) empty() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.batches) == 0 && len(q.jobs) == 0 && !q.lost
}

// keysOf returns the keys key gives to the queued notifications (nil:
// not one to count), as a set. An empty set if the stream has a gap: the
// resync that follows covers everything.
func (q *updateQueue) keysOf(key func(netlink.Update) []byte) map[string]struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.lost {
		return nil
	}
	var keys map[string]struct{}
	for _, b := range q.batches {
		for _, u := range b {
			if k := key(u); k != nil {
				if keys == nil {
					keys = make(map[string]struct{})
				}
				keys[string(k)] = struct{}{}
			}
		}
	}
	return keys
}
