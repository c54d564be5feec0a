package ipdb

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/netlink"
)

// TestRefresherBacksOff: a kind whose re-reads find nothing is re-read at
// 1, 2, 4 ... up to refreshBackoff base intervals; a re-read that finds a
// difference, or a notification of a kind that wakes it, brings it back
// to the base interval.
func TestRefresherBacksOff(t *testing.T) {
	base := 2 * time.Second
	t0 := time.Unix(1000, 0)
	r := newRefresher(base, t0)
	// Each refreshed kind, and the proxy neighbour entries.
	all := len(refreshJobs) + 1
	if len(r.kinds) != all || len(refreshJobs) == 0 {
		t.Fatalf("%d kinds refreshed, want %d", len(r.kinds), all)
	}
	if got := r.dueJobs(t0.Add(base/2 - time.Millisecond)); len(got) != 0 {
		t.Fatalf("due before the first interval: %v", got)
	}
	// A tick a little early still finds the kinds due.
	if got := r.dueJobs(t0.Add(base - time.Millisecond)); len(got) != all {
		t.Fatalf("due just before the first interval: %v", got)
	}
	now := t0.Add(base)
	var gaps []time.Duration
	for range 8 {
		jobs := r.dueJobs(now)
		if len(jobs) != all {
			t.Fatalf("at %v: due %v, want every refreshed kind", now.Sub(t0), jobs)
		}
		for _, j := range jobs {
			r.done(j, false, now)
		}
		next := now
		for len(r.dueJobs(next)) == 0 {
			next = next.Add(base)
		}
		gaps = append(gaps, next.Sub(now))
		now = next
	}
	want := []time.Duration{4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second, 64 * time.Second, 64 * time.Second, 64 * time.Second, 64 * time.Second}
	for i := range want {
		if gaps[i] != want[i] {
			t.Fatalf("intervals %v, want %v", gaps, want)
		}
	}
	// A difference found: that kind is back at the base interval.
	for _, j := range r.dueJobs(now) {
		r.done(j, j == reconcileJob{kind: netlink.KindNeigh}, now)
	}
	if got := r.dueJobs(now.Add(base)); len(got) != 1 || got[0].kind != netlink.KindNeigh {
		t.Fatalf("after a difference, due at +base: %v", got)
	}
	// A neighbour notification (the kernel's multicast entries expire,
	// announced) wakes only the cheap re-read of the proxy entries, which
	// come and go with no notification at all.
	r.active(now, kindsOf(netlink.KindNeigh))
	if got := r.dueJobs(now.Add(base)); len(got) != 2 || !slices.Contains(got, proxyNeighJob) || slices.ContainsFunc(got, func(j reconcileJob) bool { return j.kind != netlink.KindNeigh }) {
		t.Fatalf("after a neighbour notification, due at +base: %v", got)
	}
	// An address notification wakes neighbours and FDB entries, a link
	// notification every kind.
	r.active(now, kindsOf(netlink.KindAddr))
	if got := r.dueJobs(now.Add(base)); len(got) != 3 || slices.ContainsFunc(got, func(j reconcileJob) bool { return j.kind == netlink.KindLink }) {
		t.Fatalf("after an address notification, due at +base: %v", got)
	}
	r.active(now, kindsOf(netlink.KindLink))
	if got := r.dueJobs(now.Add(base)); len(got) != all {
		t.Fatalf("after a link notification, due at +base: %v", got)
	}
	// Within refreshBusy intervals of a waking notification, a quiet
	// re-read keeps the base interval; after them it backs off again.
	k := &r.kinds[0]
	r.done(k.job, false, now.Add(base))
	if k.every != base {
		t.Errorf("a quiet re-read right after a notification: every %v, want %v", k.every, base)
	}
	r.done(k.job, false, now.Add((refreshBusy+1)*base))
	if k.every != 2*base {
		t.Errorf("a quiet re-read %d intervals after a notification: every %v, want %v", refreshBusy+1, k.every, 2*base)
	}
	if !isRefresh(refreshJobs[0]) || isRefresh(reconcileJob{kind: netlink.KindLink, s: scope{ifindex: 3}}) {
		t.Error("isRefresh")
	}
}

// TestRefreshSetBackoff checks that a database of a Set backs off further
// than a lone one (setRefreshBackoff), and still comes back to every
// interval on activity.
func TestRefreshSetBackoff(t *testing.T) {
	base := 2 * time.Second
	t0 := time.Unix(1000, 0)
	for _, perNS := range []bool{false, true} {
		r := newRefresher(base, t0)
		r.perNS = perNS
		now := t0
		for range 20 {
			now = now.Add(time.Hour)
			r.done(r.kinds[0].job, false, now)
		}
		want := refreshBackoff * base
		if perNS {
			want = setRefreshBackoff * base
		}
		if got := r.kinds[0].every; got != want {
			t.Errorf("perNS %v: backed off to %v, want %v", perNS, got, want)
		}
		var all kindSet
		for _, k := range netlink.Kinds() {
			all.add(k)
		}
		r.active(now, all)
		if got := r.kinds[0].every; got != base {
			t.Errorf("perNS %v: after activity every %v, want %v", perNS, got, base)
		}
	}
}

// TestNeighSkipNotWhileBusy: right after a notification that wakes the
// neighbour re-read, the counters' gate never skips it (the kernel makes
// its silent entries just then), and it may again once the namespace is
// quiet.
func TestNeighSkipNotWhileBusy(t *testing.T) {
	now := time.Now()
	r := newRefresher(2*time.Second, now)
	if r.neighBusy(now) {
		t.Fatal("busy before any notification")
	}
	r.active(now, kindsOf(netlink.KindLink))
	if !r.neighBusy(now) || !r.neighBusy(now.Add(5*time.Second)) {
		t.Fatal("not busy right after a link notification")
	}
	if r.neighBusy(now.Add(refreshBusy*2*time.Second + time.Millisecond)) {
		t.Fatal("still busy after refreshBusy intervals")
	}
	r.allocs, r.refs = 5, 7
	// Busy: no skip, and the counters start over (no Conn is needed).
	if r.neighSkip(context.Background(), nil) {
		t.Fatal("skipped while busy")
	}
	if r.allocs != 0 || r.refs != 0 {
		t.Fatalf("counters kept while busy: %d %d", r.allocs, r.refs)
	}
}
