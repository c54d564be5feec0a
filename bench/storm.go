//go:build linux

package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	vnl "github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/bench/internal/benchns"
	"github.com/ipdb-go/ipdb/bench/internal/results"
	"github.com/ipdb-go/ipdb/ipdb"
)

// stormWait is how long after the burst a listener may take to equal the
// kernel before the run counts as failed.
const stormWait = 60 * time.Second

// stormOutcome is one listener's run of the storm.
type stormOutcome struct {
	burst time.Duration // ip -batch start to exit
	// exact is from the burst's end (ip's exit) until the listener's
	// view equals the kernel; -1 if it never did.
	exact time.Duration
	// overflows and resyncs (ipdb), seen routes before giving up (peer).
	overflows, resyncs uint64
	seen               int
	// lost is the peer's error when it stopped (its loss report), or the
	// DB's difference from the kernel.
	lost string
}

// storm is scenario 4: another process (ip -batch) adds N routes while a
// listener follows: ipdb with a given receive buffer, or vishvananda's
// RouteSubscribeWithOptions with the same buffer. Each run is a fresh
// namespace.
func (r *reportRun) storm(ctx context.Context) error {
	n := r.cfg.n
	rmemDefault := 212992
	if b, err := os.ReadFile("/proc/sys/net/core/rmem_default"); err == nil {
		if v, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			rmemDefault = v
		}
	}
	type ct struct {
		group, name, command string
		buf                  int // 0: the library's default
		ipdb                 bool
	}
	own := "ipdb's default buffer (32 MiB)"
	def := fmt.Sprintf("kernel default buffer (rmem_default, %d B)", rmemDefault)
	small := fmt.Sprintf("small buffer (%d B)", r.cfg.smallBuf)
	vishCmd := "RouteSubscribeWithOptions(ch (cap 1024), done, {Namespace, ReceiveBufferSize: %d, ReceiveBufferForceSize: true, ErrorCallback}); the consumer keeps a set of routes seen"
	cts := []ct{
		{own, "ipdb", "ipdb.Open(ctx, WithNetNS(ns)); WaitSynced; then Snapshot().RoutesTo until every added route is there", 0, true},
		{own, "vishvananda RouteSubscribe", fmt.Sprintf(vishCmd, 32<<20), 32 << 20, false},
		{def, "ipdb", fmt.Sprintf("ipdb.Open(ctx, WithNetNS(ns), WithReadBuffer(%d))", rmemDefault), rmemDefault, true},
		{def, "vishvananda RouteSubscribe", fmt.Sprintf(vishCmd, rmemDefault), rmemDefault, false},
		{small, "ipdb", fmt.Sprintf("ipdb.Open(ctx, WithNetNS(ns), WithReadBuffer(%d))", r.cfg.smallBuf), r.cfg.smallBuf, true},
		{small, "vishvananda RouteSubscribe", fmt.Sprintf(vishCmd, r.cfg.smallBuf), r.cfg.smallBuf, false},
	}
	rows := make([]*results.Row, len(cts))
	notes := make([][]string, len(cts))
	var bursts []float64
	for i, c := range cts {
		rows[i] = &results.Row{Scenario: sc4, Group: c.group, Contender: c.name, N: n, Metric: "burst end -> equal", Unit: results.Seconds, LowerBetter: true, Command: c.command,
			Resolution: 1e-3} // the DB is polled every 0.5 ms, and a scan of the snapshot takes time too
	}
	for round := 1; round <= r.cfg.count; round++ {
		for i, c := range cts {
			if err := ctx.Err(); err != nil {
				return err
			}
			var out stormOutcome
			var err error
			if c.ipdb {
				out, err = stormIPDB(ctx, n, c.buf)
			} else {
				out, err = stormVish(ctx, n, c.buf)
			}
			if err != nil {
				notes[i] = append(notes[i], fmt.Sprintf("run %d: %v", round, err))
				progress("storm round %d %s %s: %v", round, c.group, c.name, err)
				continue
			}
			bursts = append(bursts, out.burst.Seconds())
			var note string
			if out.exact >= 0 {
				rows[i].Values = append(rows[i].Values, out.exact.Seconds())
			}
			if c.ipdb {
				note = fmt.Sprintf("run %d: %d overflows, %d resyncs", round, out.overflows, out.resyncs)
			} else {
				note = fmt.Sprintf("run %d: %d of %d adds seen", round, out.seen, n)
			}
			if out.lost != "" {
				note += "; " + out.lost
			}
			notes[i] = append(notes[i], note)
			progress("storm round %d %-28s %-30s burst %v, equal after %v; %s", round, c.group, c.name, out.burst.Round(time.Millisecond), out.exact.Round(time.Millisecond), note)
		}
	}
	for i, row := range rows {
		row.Notes = strings.Join(notes[i], "; ")
		if len(row.Values) < r.cfg.count {
			row.Err = fmt.Sprintf("%d of %d runs never equalled the kernel", r.cfg.count-len(row.Values), r.cfg.count)
		}
		r.rep.Add(row)
	}
	r.rep.Fact(sc4, "burst: `ip -n NS -batch -` adding %d routes `route add 10.x.y.z/32 via 192.0.2.2 dev b0`, another process; burst length median %s", n, results.Format(medianOf(bursts), results.Seconds))
	r.rep.Fact(sc4, "time is from ip's exit until the listener's view equals the kernel (ipdb: every added route in a Snapshot, then the whole route table compared route for route with a kernel dump; peer: every add received). A run that does not get there within %v, or whose DB differs from the kernel, has no time; the notes say what happened", stormWait)
	return nil
}

// startBurst starts `ip -batch` adding n routes and returns a channel that
// receives ip's exit (with the burst's start and end times set).
func startBurst(ctx context.Context, ns *benchns.NS, n int) (start time.Time, end *time.Time, done <-chan error, err error) {
	cmd := ns.Command(ctx, "-batch", "-")
	var stderr strings.Builder
	cmd.Stderr, cmd.Stdout = &stderr, io.Discard
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return time.Time{}, nil, nil, err
	}
	start = time.Now()
	if err := cmd.Start(); err != nil {
		return time.Time{}, nil, nil, err
	}
	exited := make(chan error, 1)
	end = new(time.Time)
	go func() {
		w := bufio.NewWriterSize(stdin, 1<<20)
		buf := make([]byte, 0, 96)
		var werr error
		for i := 0; i < n && werr == nil; i++ {
			buf = append(buf[:0], "route add "...)
			buf = benchns.RouteDst(i, 32).AppendTo(buf)
			buf = append(buf, " via "+benchns.Gateway+" dev "+benchns.Dev+"\n"...)
			_, werr = w.Write(buf)
		}
		if werr == nil {
			werr = w.Flush()
		}
		stdin.Close()
		err := cmd.Wait()
		*end = time.Now()
		if err != nil {
			err = fmt.Errorf("ip -batch: %w: %s", err, strings.TrimSpace(stderr.String()))
		} else if werr != nil {
			err = werr
		}
		exited <- err
	}()
	return start, end, exited, nil
}

func stormNS(ctx context.Context) (*benchns.NS, error) {
	ns, err := benchns.New(ctx)
	if err != nil {
		return nil, err
	}
	if err := ns.SetupVeth(ctx); err != nil {
		ns.Close()
		return nil, err
	}
	return ns, nil
}

func stormIPDB(ctx context.Context, n, buf int) (stormOutcome, error) {
	out := stormOutcome{exact: -1}
	ns, err := stormNS(ctx)
	if err != nil {
		return out, err
	}
	defer ns.Close()
	opts := []ipdb.Option{ipdb.WithNetNS(ns.Name)}
	if buf > 0 {
		opts = append(opts, ipdb.WithReadBuffer(buf))
	}
	db, err := ipdb.Open(ctx, opts...)
	if err != nil {
		return out, err
	}
	defer db.Close()
	if err := db.WaitSynced(ctx); err != nil {
		return out, err
	}
	base := db.Stats()
	start, end, exited, err := startBurst(ctx, ns, n)
	if err != nil {
		return out, err
	}
	next, ipDone := 0, false
	var deadline time.Time
	for {
		if !ipDone {
			select {
			case err := <-exited:
				if err != nil {
					return out, err
				}
				ipDone = true
				deadline = end.Add(stormWait)
			default:
			}
		}
		snap := db.Snapshot()
		for next < n && routePresent(snap, next) {
			next++
		}
		if next == n && ipDone {
			break
		}
		if ipDone && time.Now().After(deadline) {
			st := db.Stats()
			out.overflows, out.resyncs = st.Overflows-base.Overflows, st.Resyncs-base.Resyncs
			out.burst = end.Sub(start)
			out.lost = fmt.Sprintf("NOT EQUAL after %v: route %d of %d (%v) missing from the DB; DB err %v", stormWait, next, n, benchns.RouteDst(next, 32), db.Err())
			return out, nil
		}
		if err := ctx.Err(); err != nil {
			return out, err
		}
		if err := db.Err(); err != nil {
			return out, fmt.Errorf("DB failed: %w", err)
		}
		time.Sleep(500 * time.Microsecond)
	}
	exact := time.Now()
	out.burst, out.exact = end.Sub(start), max(0, exact.Sub(*end))
	// A resync may still be running; let the DB settle before comparing.
	st := db.Stats()
	out.overflows, out.resyncs = st.Overflows-base.Overflows, st.Resyncs-base.Resyncs
	if _, err := compareWithKernel(ctx, db, ns.Name); err != nil {
		out.lost = "after all adds were seen, " + err.Error()
		out.exact = -1
	}
	return out, nil
}

func routePresent(snap *ipdb.Snapshot, i int) bool {
	for range snap.RoutesTo(unix.RT_TABLE_MAIN, benchns.RouteDst(i, 32)) {
		return true
	}
	return false
}

func stormVish(ctx context.Context, n, buf int) (stormOutcome, error) {
	out := stormOutcome{exact: -1}
	ns, err := stormNS(ctx)
	if err != nil {
		return out, err
	}
	defer ns.Close()
	h, err := netns.GetFromPath(ns.Path)
	if err != nil {
		return out, err
	}
	defer h.Close()
	ch := make(chan vnl.RouteUpdate, 1024)
	done := make(chan struct{})
	var mu sync.Mutex
	var subErr error
	err = vnl.RouteSubscribeWithOptions(ch, done, vnl.RouteSubscribeOptions{
		Namespace: &h, ReceiveBufferSize: buf, ReceiveBufferForceSize: true,
		ErrorCallback: func(err error) {
			mu.Lock()
			if subErr == nil {
				subErr = err
			}
			mu.Unlock()
		},
	})
	if err != nil {
		close(done)
		return out, fmt.Errorf("RouteSubscribeWithOptions: %w", err)
	}
	// The consumer keeps a set of the routes seen and notes when it has
	// all of them, or when the channel closes (the library's loss report).
	type result struct {
		at     time.Time
		seen   int
		closed bool
	}
	res := make(chan result, 1)
	go func() {
		seen := make(map[[4]byte]struct{}, n)
		for u := range ch {
			if u.Type != unix.RTM_NEWROUTE || u.Dst == nil || u.Table != unix.RT_TABLE_MAIN {
				continue
			}
			var k [4]byte
			if ip4 := u.Dst.IP.To4(); ip4 != nil && ip4[0] == 10 {
				copy(k[:], ip4)
				seen[k] = struct{}{}
				if len(seen) == n {
					res <- result{at: time.Now(), seen: n}
					for range ch { // drain until done closes the socket
					}
					return
				}
			}
		}
		res <- result{at: time.Now(), seen: len(seen), closed: true}
	}()
	defer func() {
		close(done)
		// Unblock the library's receive loop: it closes ch once its socket
		// is closed; the consumer drains it.
	}()
	time.Sleep(50 * time.Millisecond) // subscribed before the burst starts
	start, end, exited, err := startBurst(ctx, ns, n)
	if err != nil {
		return out, err
	}
	if err := <-exited; err != nil {
		return out, err
	}
	out.burst = end.Sub(start)
	select {
	case r := <-res:
		out.seen = r.seen
		if r.closed {
			mu.Lock()
			out.lost = fmt.Sprintf("subscription ended after %d of %d adds: %v", r.seen, n, subErr)
			mu.Unlock()
		} else {
			out.exact = max(0, r.at.Sub(*end))
		}
	case <-time.After(stormWait):
		mu.Lock()
		out.lost = fmt.Sprintf("not all adds after %v; error callback: %v", stormWait, subErr)
		mu.Unlock()
	case <-ctx.Done():
		return out, ctx.Err()
	}
	return out, nil
}
