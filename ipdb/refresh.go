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
// refreshBackoff intervals; any notification brings every kind back to
// the base interval. An idle namespace with a large neighbour or FDB table
// costs a dump of it a minute instead of one every 2 s. Only the applier
// goroutine uses a refresher.
type refresher struct {
	base  time.Duration
	kinds []refreshKind
	// allocs is the neighbour tables' allocation count (all namespaces
	// together) read before the last neighbour re-read, or 0.
	allocs uint64
	// perNS: skip by this namespace's own neighbour references, as the
	// databases of a Set do (neighSkip); skips counts the re-reads
	// skipped in a row.
	perNS bool
	skips int
}

type refreshKind struct {
	job   reconcileJob
	every time.Duration // current interval
	due   time.Time
}

func newRefresher(base time.Duration, now time.Time) *refresher {
	r := &refresher{base: base}
	for _, j := range refreshJobs {
		r.kinds = append(r.kinds, refreshKind{job: j, every: base, due: now.Add(base)})
	}
	return r
}

// active brings every kind back to the base interval, due at most one
// base interval from now: something happened in the namespace.
func (r *refresher) active(now time.Time) {
	for i := range r.kinds {
		k := &r.kinds[i]
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

// setRefreshBackoff is refreshBackoff for the databases of a Set: a quiet
// namespace of a set backs off to 128 intervals (256 s by default)
// between two re-reads of a kind, so that 1,000 idle namespaces cost
// under 1 % of a core (bench netns). Any notification in the namespace
// still brings it back to every interval.
const setRefreshBackoff = 128

// backoff returns how many base intervals a kind may wait at most.
func (r *refresher) backoff() time.Duration {
	if r.perNS {
		return setRefreshBackoff
	}
	return refreshBackoff
}

// nextDue returns when the first kind is due.
func (r *refresher) nextDue() time.Time {
	var t time.Time
	for i, k := range r.kinds {
		if i == 0 || k.due.Before(t) {
			t = k.due
		}
	}
	return t
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
			k.every = min(2*k.every, r.backoff()*r.base)
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
//
// The databases of a Set (r.perNS) ask their own namespace instead: the
// global counters move with every neighbour of every namespace, so on a
// host with many namespaces they never hold still, and each skipped dump
// would have walked the kernel's global neighbour hash table
// (neigh_dump_table), which made the idle cost of 1,000 namespaces grow
// with the square of their number. The sum of the reference counts of
// the namespace's per-device neighbour parameters (one per entry,
// announced or not: netlink.Conn.NeighParmsRefs) moves when an entry of
// this namespace comes or goes; since an entry replacing another on the
// same device leaves it unchanged, every setNeighFullEvery-th re-read is
// done whatever it says.
func (r *refresher) neighSkip(ctx context.Context, c *netlink.Conn) bool {
	var n uint64
	var ok bool
	if r.perNS {
		refs, _, err := c.NeighParmsRefs(ctx)
		n, ok = refs+1, err == nil // +1: 0 means unknown
	} else {
		n, ok = readNeighCounters(ctx, c)
	}
	if !ok {
		r.allocs, r.skips = 0, 0
		return false
	}
	skip := n == r.allocs && (!r.perNS || r.skips < setNeighFullEvery-1)
	r.allocs = n
	if skip {
		r.skips++
	} else {
		r.skips = 0
	}
	return skip
}

// setNeighFullEvery: a database of a Set re-reads its neighbours in full
// at least every this many periodic neighbour re-reads (about 17 min
// when quiet, with the default 2 s refresh).
const setNeighFullEvery = 4

// readNeighCounters sums ndts_allocs and ndts_destroys of every neighbour
// table; ok is false on any error.
func readNeighCounters(ctx context.Context, c *netlink.Conn) (n uint64, ok bool) {
	tables, err := c.NeighTables(ctx)
	if err != nil || len(tables) == 0 {
		return 0, false
	}
	for _, t := range tables {
		n += t.Allocs + t.Destroys
	}
	return n, true
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
