//go:build linux

package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/bench/internal/benchns"
	"github.com/ipdb-go/ipdb/bench/internal/cpuprof"
	"github.com/ipdb-go/ipdb/bench/internal/measure"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// Rows of resync.
const (
	rowResync        = "ipdb Resync (nothing changed)"
	rowOverflowEnd   = "overflow: burst end -> exact"
	rowOverflowStart = "overflow: burst start -> exact"
	resyncTarget     = 1.5 // x cold sync
	overflowBuffer   = 4096
)

func runResync(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("resync", flag.ContinueOnError)
	var c commonFlags
	c.register(fs)
	var prof cpuprof.Flag
	prof.Register(fs)
	burst := fs.Int("burst", 5000, "route changes (`ip route replace` with another protocol) in the overflow burst")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: bench resync [flags]\n\nWith N IPv4 routes loaded, times a forced full mark-and-sweep (DB.Resync)\nand the recovery from a real overflow (a DB opened with a %d-byte receive\nbuffer and an ip -batch burst of route changes) against the cold sync of\nthe same run.\n\n", overflowBuffer)
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args, func() error {
		if err := c.check(); err != nil {
			return err
		}
		if *burst < 1 || *burst > c.routes {
			return fmt.Errorf("-burst %d: must be 1 to -n (%d)", *burst, c.routes)
		}
		return nil
	}); err != nil {
		return err
	}
	env, err := prepareIPDB(ctx, &c)
	if err != nil {
		return err
	}
	defer env.ns.Close()

	ip := &measure.Result{Name: rowIP, What: "`ip -n NS route show > /dev/null`, for scale"}
	cold := &measure.Result{Name: rowColdSync, Reference: true, Expected: env.kernelRoutes(),
		What: "ipdb.Open(WithNetNS) until WaitSynced, the reference for the ratios"}
	resync := &measure.Result{Name: rowResync, Expected: env.kernelRoutes(),
		What: "DB.Resync(ctx) on the DB just synced: full re-dump, mark and sweep in one write txn; must commit no revision"}
	ovEnd := &measure.Result{Name: rowOverflowEnd, Expected: env.kernelRoutes(),
		What: fmt.Sprintf("DB opened WithReadBuffer(%d); `ip -batch` replaces %d routes with another protocol; from ip's exit until every changed route shows in the DB (then checked route for route against a kernel dump)", overflowBuffer, *burst)}
	ovStart := &measure.Result{Name: rowOverflowStart, Expected: env.kernelRoutes(),
		What: "the same, from the start of the burst"}
	report := &measure.Report{
		Title:   fmt.Sprintf("resync: mark-and-sweep and overflow recovery with %d IPv4 routes", c.routes),
		Unit:    "route",
		Runs:    c.count,
		Results: []*measure.Result{ip, cold, resync, ovEnd, ovStart},
	}
	addEnvFacts(report, &c, env.routeEnv)
	report.Add("kernel", "IPv4 all tables %d + IPv6 all tables %d = %d routes", env.allRoutes, env.v6Routes, env.kernelRoutes())

	var revProblems []string
	var overflows, resyncs []uint64
	var lastSyncs []time.Duration
	if err := prof.Start(); err != nil {
		return err
	}
	for round := 1; round <= c.count; round++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if s, err := ipRouteShow(ctx, env.routeEnv); err != nil {
			ip.Err = err
		} else {
			ip.Samples = append(ip.Samples, s)
		}

		var db *ipdb.DB
		s, err := coldSyncOnce(ctx, env.ns.Name, &db)
		if err != nil {
			return fmt.Errorf("cold sync: %w", err)
		}
		cold.Samples = append(cold.Samples, s)
		progress("round %d/%d %-32s %8v  %d routes", round, c.count, rowColdSync, s.Wall.Round(time.Millisecond), s.Objects)

		rev, before := db.Revision(), db.Stats()
		s, err = measure.Measure(func() (int, any, error) { return 0, nil, db.Resync(ctx) })
		if err != nil {
			db.Close()
			return fmt.Errorf("resync: %w", err)
		}
		after := db.Stats()
		s.Objects = after.Routes
		resync.Samples = append(resync.Samples, s)
		if db.Revision() != rev || after.Resyncs != before.Resyncs+1 {
			what := ""
			if changes, _, _, err := db.ChangesSince(rev, 5); err == nil {
				for _, ch := range changes {
					what += fmt.Sprintf(" [rev %d %s %s: old %v new %v]", ch.Rev, ch.Kind, ch.Op, ch.Old, ch.New)
				}
			}
			revProblems = append(revProblems, fmt.Sprintf("round %d: revision %d -> %d, resyncs %d -> %d, events %d -> %d;%s", round, rev, db.Revision(), before.Resyncs, after.Resyncs, before.Events, after.Events, what))
		}
		progress("round %d/%d %-32s %8v  %d routes (LastSync %v)", round, c.count, rowResync, s.Wall.Round(time.Millisecond), s.Objects, after.LastSync.Round(time.Millisecond))
		if err := db.Close(); err != nil {
			return err
		}

		ov, err := overflowOnce(ctx, env, *burst, c.prefixLen, round)
		if err != nil {
			ovEnd.Err = err
			ovStart.Err = err
			progress("round %d/%d overflow: %v", round, c.count, err)
			continue
		}
		ovEnd.Samples = append(ovEnd.Samples, measure.Sample{Wall: ov.fromEnd, Objects: ov.routes, LiveBytes: -1})
		ovStart.Samples = append(ovStart.Samples, measure.Sample{Wall: ov.fromStart, Objects: ov.routes, LiveBytes: -1})
		overflows, resyncs, lastSyncs = append(overflows, ov.overflows), append(resyncs, ov.resyncs), append(lastSyncs, ov.lastSync)
		progress("round %d/%d overflow: burst %v, then exact after %v (overflows %d, resyncs %d, last resync %v)",
			round, c.count, ov.burst.Round(time.Millisecond), ov.fromEnd.Round(time.Millisecond), ov.overflows, ov.resyncs, ov.lastSync.Round(time.Millisecond))
	}
	if err := prof.Stop(); err != nil {
		return err
	}
	report.Add("overflow", "per round: overflows %v, resyncs %v, Stats().LastSync %v", overflows, resyncs, roundDurations(lastSyncs))
	report.Checks = resyncTargets(report, c.routes, revProblems, overflows, resyncs)
	if err := writeReport(os.Stdout, report, c.json); err != nil {
		return err
	}
	if report.Failed() {
		return errors.New("a contender failed or returned the wrong number of routes (see above)")
	}
	return nil
}

// overflowOutcome is one overflow round.
type overflowOutcome struct {
	burst, fromEnd, fromStart time.Duration
	routes                    int // DB routes after, checked against a kernel dump
	overflows, resyncs        uint64
	lastSync                  time.Duration
}

// overflowOnce opens a DB with a tiny receive buffer, replaces the first
// burst routes with protocol static (odd rounds) or boot (even rounds, as
// loaded), and waits until the DB shows every one of them with the new
// protocol. A route, once right, stays right (the kernel does not go
// back), so the wait scans forward. Then the whole DB is compared with a
// kernel dump.
func overflowOnce(ctx context.Context, env *ipdbEnv, burst, bits, round int) (overflowOutcome, error) {
	var out overflowOutcome
	db, err := ipdb.Open(ctx, ipdb.WithNetNS(env.ns.Name), ipdb.WithReadBuffer(overflowBuffer))
	if err != nil {
		return out, err
	}
	defer db.Close()
	if err := db.WaitSynced(ctx); err != nil {
		return out, err
	}
	base := db.Stats()
	proto, want := "static", netlink.RouteProtocol(unix.RTPROT_STATIC)
	if round%2 == 0 {
		proto, want = "boot", netlink.RouteProtocol(unix.RTPROT_BOOT)
	}

	cmd := env.ns.Command(ctx, "-batch", "-")
	var stderr strings.Builder
	cmd.Stderr, cmd.Stdout = &stderr, io.Discard
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return out, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return out, err
	}
	exited := make(chan error, 1)
	var end time.Time
	go func() {
		w := bufio.NewWriterSize(stdin, 1<<20)
		for i := 0; i < burst; i++ {
			fmt.Fprintf(w, "route replace %s via %s dev %s proto %s\n", benchns.RouteDst(i, bits).String(), benchns.Gateway, benchns.Dev, proto)
		}
		werr := w.Flush()
		stdin.Close()
		err := cmd.Wait()
		end = time.Now()
		if err == nil {
			err = werr
		}
		exited <- err
	}()
	next := 0
	var ipErr error
	ipDone := false
	deadline := time.Now().Add(5 * time.Minute)
	for {
		if !ipDone {
			select {
			case ipErr = <-exited:
				ipDone = true
				if ipErr != nil {
					return out, fmt.Errorf("ip -batch: %w: %s", ipErr, strings.TrimSpace(stderr.String()))
				}
			default:
			}
		}
		snap := db.Snapshot()
		for next < burst && routeHasProto(snap, benchns.RouteDst(next, bits), want) {
			next++
		}
		if next == burst && ipDone {
			break
		}
		if time.Now().After(deadline) {
			return out, fmt.Errorf("DB not exact after 5 minutes: %d of %d changed routes seen; stats %+v", next, burst, db.Stats())
		}
		if err := ctx.Err(); err != nil {
			return out, err
		}
		time.Sleep(500 * time.Microsecond)
	}
	exact := time.Now()
	out.burst, out.fromEnd, out.fromStart = end.Sub(start), exact.Sub(end), exact.Sub(start)
	if out.fromEnd < 0 {
		out.fromEnd = 0
	}
	st := db.Stats()
	out.overflows, out.resyncs, out.lastSync = st.Overflows-base.Overflows, st.Resyncs-base.Resyncs, st.LastSync
	n, err := compareWithKernel(ctx, db, env.ns.Name)
	if err != nil {
		return out, err
	}
	out.routes = n
	return out, nil
}

func routeHasProto(snap *ipdb.Snapshot, dst netip.Prefix, want netlink.RouteProtocol) bool {
	for r := range snap.RoutesTo(unix.RT_TABLE_MAIN, dst) {
		if r.Protocol == want {
			return true
		}
	}
	return false
}

// compareWithKernel checks that the DB's routes are exactly the kernel's
// (same keys, and for each the same route as decoded from a fresh dump,
// cache info aside) and returns their number.
func compareWithKernel(ctx context.Context, db *ipdb.DB, ns string) (int, error) {
	conn, err := netlink.Dial(&netlink.Config{NetNS: ns})
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	kernel := map[string]*netlink.Route{}
	err = conn.RouteDump(ctx, &netlink.RouteFilter{}, func(r *netlink.Route) error {
		if r.Flags&unix.RTM_F_CLONED == 0 {
			kernel[ipdb.Key(r)] = r
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	n := 0
	var diffs []string
	for r := range db.Snapshot().Routes() {
		n++
		k, ok := kernel[ipdb.Key(r)]
		switch {
		case !ok:
			diffs = append(diffs, "extra in DB: "+r.Dst.String())
		case k.Protocol != r.Protocol || k.Gateway != r.Gateway || k.OIF != r.OIF || k.Type != r.Type || k.Flags != r.Flags:
			diffs = append(diffs, fmt.Sprintf("differs: %v: DB proto %d, kernel proto %d", r.Dst, r.Protocol, k.Protocol))
		}
		if len(diffs) > 5 {
			break
		}
	}
	if len(diffs) == 0 && n != len(kernel) {
		diffs = append(diffs, fmt.Sprintf("DB has %d routes, kernel %d", n, len(kernel)))
	}
	if len(diffs) > 0 {
		return n, fmt.Errorf("DB differs from the kernel: %s", strings.Join(diffs, "; "))
	}
	return n, nil
}

func roundDurations(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}

// resyncTargets: a forced resync and the recovery from a real overflow at
// most 1.5x the cold sync of the same run (medians); a resync with nothing
// changed commits no revision; the overflow variant really overflowed.
func resyncTargets(r *measure.Report, n int, revProblems []string, overflows, resyncs []uint64) []measure.Check {
	cold := r.Find(rowColdSync)
	if cold == nil || len(cold.Samples) == 0 {
		return nil
	}
	at := atSize(n)
	var checks []measure.Check
	for _, name := range []string{rowResync, rowOverflowEnd} {
		res := r.Find(name)
		if res == nil || res.Err != nil || len(res.Samples) == 0 {
			continue
		}
		ratio := float64(res.Median()) / float64(cold.Median())
		checks = append(checks, measure.Check{
			Target: name + " at most 1.5x cold sync" + at,
			Got:    fmt.Sprintf("%.2fx median (%v vs %v)", ratio, res.Median().Round(time.Millisecond), cold.Median().Round(time.Millisecond)),
			OK:     ratio <= resyncTarget,
		})
	}
	checks = append(checks, measure.Check{
		Target: "Resync with nothing changed commits no revision, Stats().Routes equals the kernel's",
		Got:    fmt.Sprintf("%s; routes %s", orOK(revProblems), countsOK(r.Find(rowResync))),
		OK:     len(revProblems) == 0 && r.Find(rowResync).CountOK(),
	})
	if len(overflows) > 0 {
		ok := true
		for i := range overflows {
			ok = ok && overflows[i] > 0 && resyncs[i] > 0
		}
		checks = append(checks, measure.Check{
			Target: "overflow variant: Overflows > 0 and Resyncs > 0, then DB equals a kernel dump",
			Got:    fmt.Sprintf("overflows %v, resyncs %v, routes %s", overflows, resyncs, countsOK(r.Find(rowOverflowEnd))),
			OK:     ok && r.Find(rowOverflowEnd).CountOK(),
		})
	}
	return checks
}

func orOK(problems []string) string {
	if len(problems) == 0 {
		return "revision unchanged"
	}
	return strings.Join(problems, "; ")
}

func countsOK(res *measure.Result) string {
	if res == nil || len(res.Samples) == 0 {
		return "-"
	}
	var got []string
	for _, s := range res.Samples {
		got = append(got, fmt.Sprint(s.Objects))
	}
	return fmt.Sprintf("%s (want %d)", strings.Join(got, ", "), res.Expected)
}
