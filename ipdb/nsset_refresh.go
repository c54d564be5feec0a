package ipdb

import (
	"sync"
	"time"
)

// refreshScheduler drives the periodic refresh (refresh.go) of every
// database of a Set from one goroutine, instead of a ticker per database:
// each applier publishes when its next re-read is due (DB.nextRefresh),
// and the scheduler, waking once per base interval, ticks only the
// databases that are due. An idle set of 1,000 namespaces thus wakes one
// goroutine per interval plus the appliers whose re-read is due (at most
// every setRefreshBackoff intervals each when quiet), not 1,000 per interval.
type refreshScheduler struct {
	base time.Duration
	mu   sync.Mutex
	// dbs holds each joined database's tick channel; guarded by mu.
	dbs  map[*DB]chan time.Time
	stop chan struct{}
	wg   sync.WaitGroup
}

func newRefreshScheduler(base time.Duration) *refreshScheduler {
	s := &refreshScheduler{base: base, dbs: map[*DB]chan time.Time{}, stop: make(chan struct{})}
	s.wg.Add(1)
	go s.run()
	return s
}

// join registers db's applier and returns its tick channel.
func (s *refreshScheduler) join(db *DB) <-chan time.Time {
	ch := make(chan time.Time, 1)
	s.mu.Lock()
	s.dbs[db] = ch
	s.mu.Unlock()
	return ch
}

func (s *refreshScheduler) leave(db *DB) {
	s.mu.Lock()
	delete(s.dbs, db)
	s.mu.Unlock()
}

func (s *refreshScheduler) run() {
	defer s.wg.Done()
	t := time.NewTicker(s.base)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case now := <-t.C:
			// Due within half an interval, as refresher.dueJobs counts.
			soon := now.Add(s.base / 2).UnixNano()
			s.mu.Lock()
			var due []chan time.Time
			for db, ch := range s.dbs {
				if db.nextRefresh.Load() <= soon {
					due = append(due, ch)
				}
			}
			s.mu.Unlock()
			for _, ch := range due {
				select {
				case ch <- now:
				default:
				}
			}
		}
	}
}

func (s *refreshScheduler) close() {
	close(s.stop)
	s.wg.Wait()
}
