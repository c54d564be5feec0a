//go:build linux

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	rtrace "runtime/trace"
	"slices"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/bench/internal/benchns"
	"github.com/ipdb-go/ipdb/bench/internal/cpuprof"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"github.com/ipdb-go/ipdb/watch"
)

const watchLatTarget = time.Millisecond // p99, event to callback

func runWatchLat(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("watchlat", flag.ContinueOnError)
	rate := fs.Int("rate", 10000, "route adds per second")
	dur := fs.Duration("duration", 5*time.Second, "how long the generator runs")
	subs := fs.Int("subs", 10, "watch subscribers")
	asJSON := fs.Bool("json", false, "print JSON instead of the table")
	trace := fs.String("trace", "", "write per-route times (ns since start: sent, acked, change log, subscriber 1) as CSV to `file`")
	var prof cpuprof.Flag
	prof.Register(fs)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: bench watchlat [flags]\n\nAdds routes at a steady rate in a throwaway namespace while an ipdb DB\nfollows them and watch subscribers record when each add reaches them;\nprints event-to-callback latency percentiles per subscriber.\n\n")
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args, func() error {
		if err := errors.Join(atLeast("rate", *rate, 1), atLeast("subs", *subs, 1)); err != nil {
			return err
		}
		return watchEvents(*rate, *dur)
	}); err != nil {
		return err
	}
	rep, overall, err := measureWatchLat(ctx, *rate, *dur, *subs, *trace, &prof)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	if err := rep.write(); err != nil {
		return err
	}
	if overall.Missing > 0 {
		return errors.New("some subscribers missed adds (see above)")
	}
	return nil
}

// routeIndex is the i of benchns.RouteDst(i, 32), or -1.
func routeIndex(p netip.Prefix) int {
	if p.Bits() != 32 || !benchns.Base.Contains(p.Addr()) {
		return -1
	}
	a, b := p.Addr().As4(), benchns.Base.Addr().As4()
	return int(uint32(a[0])<<24|uint32(a[1])<<16|uint32(a[2])<<8|uint32(a[3])) - int(uint32(b[0])<<24|uint32(b[1])<<16|uint32(b[2])<<8|uint32(b[3]))
}

// latencyReport is watchlat's output.
type latencyReport struct {
	Title  string
	Facts  []string
	Rows   []latency
	Checks []checkLine
}

type checkLine struct {
	Target, Got string
	OK          bool
}

// latency is one row: percentiles in nanoseconds.
type latency struct {
	Name                      string
	Events, Missing           int
	P50, P90, P99, P999, Max  int64
	P50Send, P99Send, MaxSend int64
	fromAck, fromSend         []int64
}

func latencyRow(name string, got []atomic.Int64, sent, acked []int64) latency {
	var fromAck, fromSend []int64
	for i := range got {
		t := got[i].Load()
		if t == 0 {
			continue
		}
		fromAck = append(fromAck, t-acked[i])
		fromSend = append(fromSend, t-sent[i])
	}
	return latencyRowOf(name, fromAck, fromSend, len(got))
}

func latencyRowOf(name string, fromAck, fromSend []int64, want int) latency {
	l := latency{Name: name, Events: len(fromAck), Missing: want - len(fromAck), fromAck: fromAck, fromSend: fromSend}
	a, s := slices.Clone(fromAck), slices.Clone(fromSend)
	slices.Sort(a)
	slices.Sort(s)
	l.P50, l.P90, l.P99, l.P999, l.Max = pct(a, 50), pct(a, 90), pct(a, 99), pct(a, 99.9), pct(a, 100)
	l.P50Send, l.P99Send, l.MaxSend = pct(s, 50), pct(s, 99), pct(s, 100)
	return l
}

// pct is the p-th percentile (nearest rank) of sorted xs.
func pct(xs []int64, p float64) int64 {
	if len(xs) == 0 {
		return 0
	}
	i := int(p/100*float64(len(xs))+0.999999) - 1
	return xs[max(0, min(len(xs)-1, i))]
}

func us(ns int64) string { return fmt.Sprintf("%.0fµs", float64(ns)/1e3) }

func (r *latencyReport) write() error {
	var b strings.Builder
	fmt.Fprintln(&b, r.Title)
	for _, f := range r.Facts {
		fmt.Fprintf(&b, "  %s\n", f)
	}
	fmt.Fprintln(&b)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%-22s\tevents\tmissing\tp50\tp90\tp99\tp99.9\tmax\tp50 (send)\tp99 (send)\tmax (send)\t\n", "receiver")
	for _, l := range r.Rows {
		fmt.Fprintf(tw, "%-22s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", l.Name, l.Events, l.Missing,
			us(l.P50), us(l.P90), us(l.P99), us(l.P999), us(l.Max), us(l.P50Send), us(l.P99Send), us(l.MaxSend))
	}
	tw.Flush()
	fmt.Fprintf(&b, "\ntargets:\n")
	for _, c := range r.Checks {
		verdict := "MET "
		if !c.OK {
			verdict = "MISS"
		}
		fmt.Fprintf(&b, "  %s  %s: %s\n", verdict, c.Target, c.Got)
	}
	_, err := os.Stdout.WriteString(b.String())
	return err
}

// measureWatchLat runs one watch latency measurement: a fresh namespace, a
// DB, subs subscribers, and rate route adds per second for dur. It returns
// the report and its "all subscribers" row.
func measureWatchLat(ctx context.Context, rate int, dur time.Duration, subs int, trace string, prof *cpuprof.Flag) (*latencyReport, latency, error) {
	n := int(float64(rate) * dur.Seconds())
	ns, err := benchns.New(ctx)
	if err != nil {
		return nil, latency{}, err
	}
	defer ns.Close()
	if err := ns.SetupVeth(ctx); err != nil {
		return nil, latency{}, err
	}
	db, err := ipdb.Open(ctx, ipdb.WithNetNS(ns.Name))
	if err != nil {
		return nil, latency{}, err
	}
	defer db.Close()
	if err := db.WaitSynced(ctx); err != nil {
		return nil, latency{}, err
	}
	conn, err := netlink.Dial(&netlink.Config{NetNS: ns.Name})
	if err != nil {
		return nil, latency{}, err
	}
	defer conn.Close()
	link, err := conn.LinkByName(ctx, benchns.Dev)
	if err != nil {
		return nil, latency{}, err
	}
	gw := netip.MustParseAddr(benchns.Gateway)
	addOp := func(i int) netlink.Request {
		return netlink.RouteRequest(netlink.Add, &netlink.Route{Dst: benchns.RouteDst(i, 32), Gateway: gw, OIF: uint32(link.Index)})
	}

	// Times are nanoseconds since base, plus one, so that zero means
	// "not seen".
	base := time.Now()
	stamp := func() int64 { return int64(time.Since(base)) + 1 }
	warm := benchns.MaxRoutes(32) - 1 // 10.255.255.255/32
	warmSeen := make([]atomic.Bool, subs)
	cb := make([][]atomic.Int64, subs)
	w := watch.New(db)
	defer w.Close()
	filter := watch.All(watch.Kinds(netlink.KindRoute), watch.Ops(ipdb.OpAdd))
	for s := range cb {
		got := make([]atomic.Int64, n)
		cb[s] = got
		stop := w.Subscribe(ctx, filter, func(e watch.Event) bool {
			t := stamp()
			if e.Resync {
				return true // the missing adds then show as unseen
			}
			r, ok := e.New.(*netlink.Route)
			if !ok {
				return true
			}
			i := routeIndex(r.Dst)
			switch {
			case i == warm:
				warmSeen[s].Store(true)
			case i >= 0 && i < n:
				got[i].CompareAndSwap(0, t)
			}
			return true
		})
		defer stop()
	}
	// The change log read directly, without the watch layer: where the
	// time goes between the DB's commit and the subscribers.
	logSeen := make([]atomic.Int64, n)
	logCtx, logStop := context.WithCancel(ctx)
	logDone := make(chan struct{})
	defer func() { logStop(); <-logDone }()
	go func() {
		defer close(logDone)
		rev := db.Revision()
		for {
			changes, upTo, wake, err := db.ChangesSince(rev, 0)
			t := stamp()
			if err != nil {
				rev = db.Revision()
				continue
			}
			for _, c := range changes {
				if r, ok := c.New.(*netlink.Route); ok && c.Op == ipdb.OpAdd {
					if i := routeIndex(r.Dst); i >= 0 && i < n {
						logSeen[i].CompareAndSwap(0, t)
					}
				}
			}
			rev = upTo
			select {
			case <-wake:
			case <-logCtx.Done():
				return
			}
		}
	}()

	// Warm up: every subscriber has started (it begins at the revision
	// current when its goroutine runs) and sees an add.
	allWarm := func() bool {
		for i := range warmSeen {
			if !warmSeen[i].Load() {
				return false
			}
		}
		return true
	}
	for attempt := 0; !allWarm(); attempt++ {
		if attempt == 50 {
			return nil, latency{}, errors.New("not every subscriber saw the warm-up route")
		}
		if attempt > 0 {
			if err := conn.Do(ctx, netlink.RouteRequest(netlink.Delete, &netlink.Route{Dst: benchns.RouteDst(warm, 32)})); err != nil {
				return nil, latency{}, fmt.Errorf("warm-up route: %w", err)
			}
		}
		if err := conn.Do(ctx, addOp(warm)); err != nil {
			return nil, latency{}, fmt.Errorf("warm-up route: %w", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	stats0 := db.Stats()

	progress("namespace %s: %d route adds at %d/s for %v, %d subscribers ...", ns.Name, n, rate, dur, subs)
	sent, acked := make([]int64, n), make([]int64, n)
	if err := prof.Start(); err != nil {
		return nil, latency{}, err
	}
	t0 := time.Now()
	// An anchor for -exectrace: the trace's clock at this stamp, so that
	// a slow add in -trace's CSV can be found in the execution trace.
	rtrace.Logf(ctx, "watchlat", "stamp %d", stamp())
	period := time.Second / time.Duration(rate)
	for i := 0; i < n; {
		due := min(n, int(time.Since(t0)/period)+1)
		for ; i < due; i++ {
			op := addOp(i)
			sent[i] = stamp()
			if err := conn.Do(ctx, op); err != nil {
				prof.Stop()
				return nil, latency{}, fmt.Errorf("route add %d: %w", i, err)
			}
			acked[i] = stamp()
		}
		if i < n {
			if wait := time.Until(t0.Add(time.Duration(i) * period)); wait > 0 {
				time.Sleep(wait)
			}
		}
	}
	genTime := time.Since(t0)
	// Wait for the stragglers.
	complete := func() bool {
		for _, got := range cb {
			if got[n-1].Load() == 0 {
				return false
			}
		}
		return true
	}
	for deadline := time.Now().Add(10 * time.Second); !complete() && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if err := prof.Stop(); err != nil {
		return nil, latency{}, err
	}
	stats := db.Stats()
	w.Close()

	if trace != "" {
		var b strings.Builder
		b.WriteString("route,sent_ns,acked_ns,changelog_ns,sub1_ns\n")
		for i := range n {
			fmt.Fprintf(&b, "%d,%d,%d,%d,%d\n", i, sent[i], acked[i], logSeen[i].Load(), cb[0][i].Load())
		}
		if err := os.WriteFile(trace, []byte(b.String()), 0o644); err != nil {
			return nil, latency{}, err
		}
	}
	rep := latencyReport{
		Title: fmt.Sprintf("watchlat: route add to watch callback, %d subscribers, %d adds/s", subs, rate),
	}
	var uts unix.Utsname
	unix.Uname(&uts)
	rep.Facts = []string{
		fmt.Sprintf("generator:  %d adds with Conn.Do (one request, wait for the ACK), paced by wall clock: %.0f adds/s achieved over %v", n, float64(n)/genTime.Seconds(), genTime.Round(time.Millisecond)),
		fmt.Sprintf("DB:         ipdb.Open(WithNetNS), 32 MiB buffer: %d events in %d write txns (%.1f events/txn), %d overflows, %d resyncs",
			stats.Events-stats0.Events, stats.Batches-stats0.Batches, float64(stats.Events-stats0.Events)/float64(max(1, stats.Batches-stats0.Batches)), stats.Overflows-stats0.Overflows, stats.Resyncs-stats0.Resyncs),
		"subscribers: watch.New(db).Subscribe(ctx, All(Kinds(KindRoute), Ops(OpAdd)), fn); fn records time.Now() by route",
		"latency:    callback time minus the time Conn.Do returned with the kernel's ACK (\"from ack\"; the kernel sends the notification before the ACK, so it can be negative) and minus the time the request was sent (\"from send\")",
		fmt.Sprintf("machine:    %s, %d CPUs, kernel %s, %s", cpuModel(), runtime.NumCPU(), unix.ByteSliceToString(uts.Release[:]), runtime.Version()),
	}
	var all, allSend []int64
	for s, got := range cb {
		row := latencyRow(fmt.Sprintf("subscriber %d", s+1), got, sent, acked)
		rep.Rows = append(rep.Rows, row)
		all = append(all, row.fromAck...)
		allSend = append(allSend, row.fromSend...)
	}
	overall := latencyRowOf("all subscribers", all, allSend, n*(subs))
	rep.Rows = append(rep.Rows, overall)
	rep.Rows = append(rep.Rows, latencyRow("change log (no watch)", logSeen, sent, acked))
	rep.Checks = []checkLine{{
		Target: "p99 event-to-callback at most 1 ms (all subscribers, from ack)",
		Got:    fmt.Sprintf("p99 %s, p50 %s, max %s; from send: p99 %s", us(overall.P99), us(overall.P50), us(overall.Max), us(overall.P99Send)),
		OK:     overall.Missing == 0 && overall.P99 <= int64(watchLatTarget),
	}, {
		Target: "every subscriber saw every add",
		Got:    fmt.Sprintf("%d of %d missing", overall.Missing, n*(subs)),
		OK:     overall.Missing == 0,
	}}
	return &rep, overall, nil
}
