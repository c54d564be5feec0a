package ipdb

import (
	"context"
	"time"

	"github.com/ipdb-go/ipdb/netlink"
)

// refreshBackoff bounds how far the periodic refresh backs off in a quiet
// namespace: at most this many WithRefresh intervals between two re-reads
// of a kind (64 s with the default 2 s).
const refreshBackoff = 32

// refresher schedules the periodic re-reads of the kinds the kernel
// changes with no notification at all (kindEffects.refresh): links (an
// alias written through sysfs), neighbours (the multicast entries the
// kernel creates for its own reports) and FDB entries (the device address
// lists). Such silent changes come with activity: addresses and links
// that change, packets sent. So a kind is re-read every WithRefresh
// interval while the namespace is busy or its last re-read found a
// difference, and each re-read that finds none doubles its interval, up to
// refreshBackoff intervals; a notification of one of its wakers
// (kindEffects.refreshWakers) brings a kind back to the base interval.
// (The kernel's own multicast neighbour entries expire, announced, every
// few seconds in a namespace with many links; were any notification a
// waker, such a namespace would never back off.) An idle namespace with a large neighbour or FDB table
// costs a dump of it a minute instead of one every 2 s. Only the applier
// goroutine uses a refresher.
type refresher struct {
	base  time.Duration
	kinds []refreshKind
	// allocs is the neighbour tables' allocation count (all namespaces
	// together) read before the last neighbour re-read, or 0.
	allocs uint64
}

type refreshKind struct {
	job    reconcileJob
	wakers kindSet
	every  time.Duration // current interval
	due    time.Time
}

// kindSet is a set of kinds, one bit per netlink.Kind.
type kindSet uint64

func (s *kindSet) add(k netlink.Kind)  { *s |= 1 << k }
func (s kindSet) meets(t kindSet) bool { return s&t != 0 }
func kindsOf(ks ...netlink.Kind) (s kindSet) {
	for _, k := range ks {
		s.add(k)
	}
	return s
}

func newRefresher(base time.Duration, now time.Time) *refresher {
	r := &refresher{base: base}
	for _, j := range refreshJobs {
		wakers := kindsOf(defOf(j.kind).effects.refreshWakers...)
		if j == mplsRefreshJob {
			// Activity around MPLS routes: their links and themselves.
			wakers = kindsOf(netlink.KindLink, netlink.KindRoute)
		}
		r.kinds = append(r.kinds, refreshKind{job: j, wakers: wakers, every: base, due: now.Add(base)})
	}
	return r
}

// active brings every kind that one of notified wakes back to the base
// interval, due at most one base interval from now: something happened in
// the namespace.
func (r *refresher) active(now time.Time, notified kindSet) {
	for i := range r.kinds {
		k := &r.kinds[i]
		if !k.wakers.meets(notified) {
			continue
		}
		k.every = r.base
		if d := now.Add(r.base); k.due.After(d) {
			k.due = d
		}
	}
}

// dueJobs returns the re-reads due at now, or within half a base interval:
// the ticker that calls it fires every base interval, and a kind due just
// after a tick must not wait for the next one.
func (r *refresher) dueJobs(now time.Time) []reconcileJob {
	var jobs []reconcileJob
	soon := now.Add(r.base / 2)
	for i := range r.kinds {
		if k := &r.kinds[i]; !soon.Before(k.due) {
			jobs = append(jobs, k.job)
		}
	}
	return jobs
}

// done records the outcome of kind's re-read at now: whether it found a
// difference.
func (r *refresher) done(kind netlink.Kind, changed bool, now time.Time) {
	for i := range r.kinds {
		k := &r.kinds[i]
		if k.job.kind != kind {
			continue
		}
		if changed {
			k.every = r.base
		} else {
			k.every = min(2*k.every, refreshBackoff*r.base)
		}
		k.due = now.Add(k.every)
	}
}

// neighSkip reports whether the periodic neighbour re-read can be limited
// to the proxy entries: no neighbour entry was allocated or destroyed in
// any namespace since the last one (netlink.NeighTable: ndts_allocs and ndts_destroys, which count
// the entries the kernel creates without a notification too), so nothing
// can differ. It reads the counters first, so an entry created during the
// re-read that follows is seen next time. Any error means re-read.
func (r *refresher) neighSkip(ctx context.Context, c *netlink.Conn) bool {
	tables, err := c.NeighTables(ctx)
	if err != nil || len(tables) == 0 {
		r.allocs = 0
		return false
	}
	var n uint64
	for _, t := range tables {
		n += t.Allocs + t.Destroys
	}
	skip := n == r.allocs
	r.allocs = n
	return skip
}

// bridgeInTopologyChange reports whether a bridge of the committed state
// is in an STP topology change (netlink.Bridge.InTopologyChange), whose
// end changes its ageing time without a notification.
func (db *DB) bridgeInTopologyChange() bool {
	for l := range db.Snapshot().Links() {
		if l.Info == nil {
			continue
		}
		if br, ok := l.Info.Data.(*netlink.Bridge); ok && br.InTopologyChange() {
			return true
		}
	}
	return false
}

// proxyNeighJob re-reads the proxy neighbour entries only.
var proxyNeighJob = reconcileJob{kind: netlink.KindNeigh, s: scope{proxy: true}}

// isRefresh reports whether job is one of the periodic re-reads.
func isRefresh(job reconcileJob) bool {
	for _, j := range refreshJobs {
		if j == job {
			return true
		}
	}
	return false
}
