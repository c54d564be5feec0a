//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/bench/internal/benchns"
	"github.com/ipdb-go/ipdb/netlink"
)

// recordAttempts bounds the recordings of a stream (scenario 3 and the
// apply subcommand): one that overflowed is made again, from the start, in
// a fresh namespace; after recordAttempts overflows the scenario fails.
const recordAttempts = 3

// errOverflowed marks a recording that lost notifications (the recorder's
// socket overflowed: ENOBUFS) or whose live DB overflowed and resynced (its
// rate would be a resync's, not that of following the stream).
var errOverflowed = errors.New("recording overflowed")

// recordStream makes a complete recording of n route adds: a fresh
// namespace each attempt (the adds of a failed one are in the old), at
// most recordAttempts attempts while they overflow; any other error ends it
// at once. It returns the recording and one note per overflowed attempt.
func recordStream(ctx context.Context, n int) (*liveRun, []string, error) {
	return retryRecording(recordAttempts, n, func(attempt int) (*liveRun, error) {
		ns, err := benchns.New(ctx)
		if err != nil {
			return nil, err
		}
		defer ns.Close()
		if err := ns.SetupVeth(ctx); err != nil {
			return nil, err
		}
		progress("namespace %s: adding %d routes with netlink Pipeline while recording and following them (attempt %d of at most %d) ...", ns.Name, n, attempt, recordAttempts)
		return recordLive(ctx, ns, n)
	})
}

// retryRecording calls record (attempt 1, 2, ...) until it returns a
// recording that checkRecording finds complete, at most attempts times
// while the failure is an overflow. The error after the last attempt says
// that every attempt overflowed: nothing is measured from a partial stream.
func retryRecording(attempts, n int, record func(attempt int) (*liveRun, error)) (*liveRun, []string, error) {
	var notes []string
	for attempt := 1; attempt <= attempts; attempt++ {
		live, err := record(attempt)
		if err == nil {
			err = checkRecording(live, n)
		}
		if err == nil {
			return live, notes, nil
		}
		if !errors.Is(err, errOverflowed) {
			return nil, notes, err
		}
		notes = append(notes, fmt.Sprintf("attempt %d: %v", attempt, err))
		progress("recording attempt %d of %d: %v", attempt, attempts, err)
	}
	return nil, notes, fmt.Errorf("all %d recordings overflowed, nothing measured: %s", attempts, notes[len(notes)-1])
}

// checkRecording returns nil if live holds exactly the n route adds
// recordLive made, RTM_NEWROUTE for benchns.RouteDst(0..n-1, 32) each once,
// and its live DB neither overflowed nor resynced; otherwise an error,
// wrapping errOverflowed for a lost or overflowed stream.
func checkRecording(live *liveRun, n int) error {
	if live.stats.Overflows > 0 || live.stats.Resyncs > 0 {
		return fmt.Errorf("%w: the live DB (%d MiB buffer) overflowed %d times and resynced %d times",
			errOverflowed, liveReadBuffer>>20, live.stats.Overflows, live.stats.Resyncs)
	}
	if len(live.stream) != n {
		return fmt.Errorf("%w: %d notifications recorded, want %d", errOverflowed, len(live.stream), n)
	}
	seen := make([]bool, n)
	for i, m := range live.stream {
		u, err := netlink.DecodeUpdate(m.typ, m.flags, m.payload)
		if err != nil {
			return fmt.Errorf("recorded notification %d: %w", i, err)
		}
		r, ok := u.Object.(*netlink.Route)
		if !ok || m.typ != unix.RTM_NEWROUTE {
			return fmt.Errorf("recorded notification %d: type %d, %T, want RTM_NEWROUTE of a route", i, m.typ, u.Object)
		}
		k := routeIndex(r.Dst)
		if k < 0 || k >= n || r.Dst != benchns.RouteDst(k, 32) {
			return fmt.Errorf("recorded notification %d: route to %v, not one of the %d added", i, r.Dst, n)
		}
		if seen[k] {
			return fmt.Errorf("recorded notification %d: route to %v a second time", i, r.Dst)
		}
		seen[k] = true
	}
	return nil
}
