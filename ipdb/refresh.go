package ipdb

import (
	"context"
	"sync"
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
	// refs is the references this namespace's neighbour entries hold on
	// their devices' parameters, read before the last neighbour re-read
	// that read them, or 0; neighTurn counts the periodic neighbour
	// re-reads.
	refs      uint64
	neighTurn int
	// perNS marks a database of a Set, which backs off further
	// (setRefreshBackoff).
	perNS bool
}

type refreshKind struct {
	job    reconcileJob
	wakers kindSet
	every  time.Duration // current interval
	due    time.Time
	// busy is until when the kind stays at the base interval after a
	// waker's notification, found something or not (refreshBusy).
	busy time.Time
}

// refreshBusy is how many base intervals a kind stays at the base
// interval after a notification that wakes it: the silent changes come a
// little after the activity (a bridge that gets its carrier sends its
// IGMP and MLD reports after a random delay of up to a second, twice, and
// the kernel makes their multicast entries then), so one quiet re-read
// right after the notification proves little.
const refreshBusy = 3

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
	// The proxy entries come and go with no notification at all
	// (pneigh_create, pneigh_delete), by a user's hand, in the middle of
	// other changes: any notification wakes their re-read, which is
	// cheap (the kernel walks only its proxy table, pneigh_dump_table).
	r.kinds = append(r.kinds, refreshKind{job: proxyNeighJob, wakers: ^kindSet(0), every: base, due: now.Add(base)})
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
		k.busy = now.Add(refreshBusy * r.base)
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

// done records the outcome of job's re-read at now: whether it found a
// difference.
func (r *refresher) done(job reconcileJob, changed bool, now time.Time) {
	for i := range r.kinds {
		k := &r.kinds[i]
		if k.job != job {
			continue
		}
		if changed || now.Before(k.busy) {
			k.every = r.base
		} else {
			k.every = min(2*k.every, r.backoff()*r.base)
		}
		k.due = now.Add(k.every)
	}
}

// neighSkip reports whether the periodic neighbour re-read can be limited
// to the proxy entries, because no entry can have come silently since the
// last one. The kernel creates entries without a notification (an entry
// for a next hop to resolve, announced once resolved or failed; the
// multicast entries of its own IGMP and MLD reports, NOARP, never
// announced, even when the report is dropped on a link without carrier),
// while the entries it destroys are announced (neigh_cleanup_and_release
// sends RTM_DELNEIGH). So the re-read is skipped when no neighbour entry
// was allocated in any namespace (netlink.NeighTable: ndts_allocs, counted
// for every namespace together) or, when some were, the references that
// this namespace's entries hold on their devices' parameters did not move
// on any device (netlink.Conn.NeighParmsFingerprint: each entry holds one
// from its creation to its destruction; the sum of them is not enough, as
// a device deleted with one reference while an entry comes on another
// leaves it unchanged, which CI's txn soak caught): a host with many
// namespaces allocates entries all the time. An entry created silently while another is destroyed leaves the
// references as they were, so every neighFullEvery-th re-read is a full
// one whatever the counters say, and none is skipped while the namespace
// is busy (neighBusy). The counters are read first, so an entry
// created during the re-read that follows is seen next time. Any error
// means re-read.
func (r *refresher) neighSkip(ctx context.Context, c *netlink.Conn) bool {
	r.neighTurn++
	if r.neighTurn%neighFullEvery == 0 || r.neighBusy(time.Now()) {
		r.allocs, r.refs = 0, 0
		return false
	}
	n, err := neighAllocs.read(ctx, c)
	if err != nil || n == 0 {
		r.allocs = 0
		return false
	}
	if n == r.allocs {
		return true
	}
	r.allocs = n
	refs, err := c.NeighParmsFingerprint(ctx)
	if err != nil {
		r.refs = 0
		return false
	}
	skip := refs == r.refs && refs != 0
	r.refs = refs
	return skip
}

// neighBusy reports whether the neighbour re-read is in its busy
// intervals after a waking notification (refreshBusy): the silent entries
// come just then, and the counters neighSkip reads can miss one (an entry
// made while another of the same device goes), so nothing is skipped
// until the namespace is quiet again.
func (r *refresher) neighBusy(now time.Time) bool {
	for i := range r.kinds {
		if k := &r.kinds[i]; k.job.kind == netlink.KindNeigh && k.job != proxyNeighJob {
			return now.Before(k.busy)
		}
	}
	return false
}

// neighAllocs is the kernel's count of neighbour entries ever allocated,
// read at most once per neighAllocsTTL for every database of the process:
// the count is global (every namespace shows the same ndt_stats), while
// its dump walks the parameters of every namespace's devices
// (neightbl_dump_info), so a set of 1,000 namespaces reading it once per
// database would walk them a million times per refresh round. A value up
// to neighAllocsTTL old is as good as a fresh one for neighSkip: it is
// read before the re-read it gates, so an entry it does not count yet
// changes the next value, and is re-read one interval later.
var neighAllocs allocsCache

// neighAllocsTTL is how long a read of the allocation count serves: less
// than the refresh's base interval, so that the databases due in one
// round of a Set's scheduler share one read.
const neighAllocsTTL = time.Second

type allocsCache struct {
	mu     sync.Mutex
	at     time.Time
	allocs uint64
}

// read returns the sum of the neighbour tables' allocation counts (see
// netlink.NeighTable), from a read less than neighAllocsTTL old if there
// is one, else read now through c.
func (a *allocsCache) read(ctx context.Context, c *netlink.Conn) (uint64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.at.IsZero() && time.Since(a.at) < neighAllocsTTL {
		return a.allocs, nil
	}
	tables, err := c.NeighTables(ctx)
	if err != nil {
		return 0, err
	}
	var n uint64
	for _, t := range tables {
		n += t.Allocs
	}
	a.allocs, a.at = n, time.Now()
	return n, nil
}

// neighFullEvery: every this many periodic neighbour re-reads, one is
// full whatever the counters say (see neighSkip).
const neighFullEvery = 8

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
	if job == proxyNeighJob {
		return true
	}
	for _, j := range refreshJobs {
		if j == job {
			return true
		}
	}
	return false
}
