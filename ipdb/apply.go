package ipdb

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ipdb-go/ipdb/netlink"
)

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
	var refresh *refresher
	if db.opts.refresh > 0 {
		if s := db.opts.sharedRefresh; s != nil {
			tick = s.join(db)
			defer s.leave(db)
		} else {
			t := time.NewTicker(db.opts.refresh)
			defer t.Stop()
			tick = t.C
		}
		refresh = newRefresher(db.opts.refresh, time.Now())
		refresh.perNS = db.opts.sharedRefresh != nil
		db.nextRefresh.Store(refresh.nextDue().UnixNano())
	}
	busy := false
	for {
		if busy {
			if refresh != nil {
				db.nextRefresh.Store(refresh.nextDue().UnixNano())
			}
			db.busy.Add(-1)
			busy = false
		}
		batches, jobs, lost, ticked, ok := db.queue.wait(ctx, tick)
		if !ok {
			return
		}
		db.busy.Add(1)
		busy = true
		if refresh != nil {
			now := time.Now()
			var notified kindSet
			for _, b := range batches {
				for _, u := range b {
					notified.add(u.Object.Kind())
				}
			}
			refresh.active(now, notified)
			if ticked {
				jobs = append(jobs, refresh.dueJobs(now)...)
			}
		}
		requested := jobs // with done channels to close (DB.RereadLink)
		var fx rereads
		fx.now = jobs
		for _, b := range batches {
			db.applyBatch(b, &fx)
		}
		db.settleLater(&fx)
		followups := fx.now
		if lost {
			db.waitQuiet(ctx)
			if err := db.fullSync(ctx, false); err != nil {
				if ctx.Err() != nil {
					return
				}
				db.fail(err)
				db.queue.markLost() // try again
				finishJobs(requested)
				continue
			}
			followups = nil // a full resync covers them
		}
		for _, job := range dedupJobs(followups) {
			// Notifications that arrived meanwhile are older than the
			// re-read's dump: apply them first, so that the dump, not
			// they, has the last word and watchers see no state the
			// kernel has already left (a link deleted by a re-read and
			// re-added by its own stale notifications). The reader may
			// lag behind the kernel: catchUp waits until it has read
			// everything sent so far.
			db.catchUp(ctx)
			if !db.applyQueued() {
				break // a gap: the resync that follows covers the jobs
			}
			if job.resync {
				if err := db.fullSync(ctx, false); err != nil {
					if ctx.Err() != nil {
						return
					}
					db.fail(err)
					db.queue.markLost()
				}
				continue
			}
			refreshJob := refresh != nil && isRefresh(job)
			asked := job
			if refreshJob && job.kind == netlink.KindNeigh && job != proxyNeighJob && refresh.neighSkip(ctx, db.cmd) {
				// No entry came or went in the tables: only the proxy
				// entries, which the counters leave out, can differ.
				job = proxyNeighJob
			}
			if refreshJob && job == mplsRefreshJob && !db.hasMPLSRoutes() {
				refresh.done(asked, false, time.Now())
				continue
			}
			changed, err := db.reconcile(ctx, job)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				db.fail(err)
				db.queue.markLost()
			}
			if refreshJob {
				// A bridge in an STP topology change will change without
				// telling when it ends: keep re-reading links meanwhile.
				pending := job.kind == netlink.KindLink && db.bridgeInTopologyChange()
				refresh.done(asked, changed || pending || err != nil, time.Now())
			}
		}
		finishJobs(requested)
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
	var fx rereads
	for _, b := range batches {
		db.applyBatch(b, &fx)
	}
	db.settleLater(&fx)
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

// applyBatch applies one batch of notifications in one write transaction
// and adds the reconciles they call for to fx.
func (db *DB) applyBatch(batch []netlink.Update, fx *rereads) {
	fx.linkwatch = db.linkwatch
	w := db.newWriter()
	var changes []Change
	for _, u := range batch {
		changes = db.applyUpdate(w, u, changes, fx)
	}
	db.events.Add(uint64(len(batch)))
	db.batches.Add(1)
	db.batch = batch
	db.commit(w, changes)
	db.batch = nil
	if db.opts.member != nil {
		db.opts.member.applied(db, batch)
	}
	db.committed(batch, fx)
}

// applyUpdate applies one notification inside w, with its kind's
// unannounced effects (effects.go).
func (db *DB) applyUpdate(w *writer, u netlink.Update, changes []Change, fx *rereads) []Change {
	sp := defOf(u.Object.Kind())
	if sp == nil || !db.opts.keeps(sp) {
		return changes
	}
	key := sp.key(u.Object)
	if key == nil {
		return changes
	}
	old, _ := w.lookup(sp, key)
	c := causeOf(u, old)
	sp.changed(c, fx)
	if sp.notObject != nil && sp.notObject(u.Object) {
		return changes
	}
	if c.deleted {
		if old != nil {
			_ = w.remove(sp, old)
			changes = append(changes, Change{Kind: sp.kind, Op: OpDelete, Old: old})
		}
		return sp.inTxn(w, c, changes, fx)
	}
	if !sp.keep(&db.opts, u.Object) {
		return changes
	}
	changes = sp.inTxn(w, c, changes, fx)
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

// commit ends a write transaction: a revision if anything changed.
func (db *DB) commit(w *writer, changes []Change) {
	w.base.Abort()
	txn := w.txn
	if len(changes) == 0 {
		if w.reordered {
			// A new list order of unchanged objects: no revision.
			db.commitMu.Lock()
			txn.Commit()
			db.commitMu.Unlock()
			return
		}
		txn.Abort()
		return
	}
	rev := db.rev.Load() + 1
	db.commitMu.Lock()
	txn.Commit()
	db.rev.Store(rev)
	db.commitMu.Unlock()
	db.log.commit(rev, changes)
	if db.opts.member != nil {
		db.opts.member.committed(db, rev, changes, db.batch)
	}
}

// settleLater queues fx's deferred re-reads: fx.later to run after
// settleDelay, fx.settled after linkSettleDelay, each coalescing repeats.
func (db *DB) settleLater(fx *rereads) {
	db.later.add(db, settleDelay, fx.later)
	db.settled.add(db, linkSettleDelay, fx.settled)
}

// delayedJobs are re-reads waiting for a delay, coalesced: one timer for
// all of them.
type delayedJobs struct {
	mu    sync.Mutex
	jobs  map[reconcileJob]struct{} // guarded by mu
	timer *time.Timer               // guarded by mu
}

func (d *delayedJobs) add(db *DB, delay time.Duration, jobs []reconcileJob) {
	if len(jobs) == 0 {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.jobs == nil {
		d.jobs = map[reconcileJob]struct{}{}
	}
	for _, j := range jobs {
		d.jobs[j] = struct{}{}
	}
	if d.timer == nil && !db.closed.Load() {
		d.timer = time.AfterFunc(delay, func() {
			d.mu.Lock()
			var due []reconcileJob
			for j := range d.jobs {
				due = append(due, j)
			}
			clear(d.jobs)
			d.timer = nil
			d.mu.Unlock()
			db.queue.pushJobs(due)
		})
	}
}

func (d *delayedJobs) stop() {
	d.mu.Lock()
	if d.timer != nil {
		d.timer.Stop()
	}
	d.mu.Unlock()
}
