//go:build linux

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"syscall"
	"time"

	mdl "github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/bench/internal/benchns"
	"github.com/ipdb-go/ipdb/bench/internal/cpuprof"
	"github.com/ipdb-go/ipdb/bench/internal/measure"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// Rows of apply.
const (
	rowKernelAdd   = "kernel: Pipeline route add"
	rowLiveDB      = "live DB following the kernel"
	rowDecode      = "decode only"
	rowApplyOnly   = "apply only, batch 4096"
	rowDecodeApply = "decode+apply, batch 4096"
	applyTarget    = 500000 // events/s, decode+apply
	liveReadBuffer = 32 << 20
)

// recorded is one captured notification: netlink header type and flags,
// and the payload after the header, as the kernel sent it.
type recorded struct {
	typ, flags uint16
	payload    []byte
}

func runApply(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("apply", flag.ContinueOnError)
	n := fs.Int("n", 100000, "route add notifications to record (and events to replay)")
	count := fs.Int("count", 3, "runs per kernel-free contender; best and median are reported")
	asJSON := fs.Bool("json", false, "print JSON instead of the table")
	var prof cpuprof.Flag
	prof.Register(fs)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: bench apply [flags]\n\nRecords the RTM_NEWROUTE notifications of N route adds in a throwaway\nnamespace while an ipdb DB follows them live, then replays the recording\nwithout the kernel: netlink.DecodeUpdate and ipdb.Replay.Apply (the DB's own\napply path), events/s.\n\n")
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args, func() error {
		return errors.Join(inRange("n", *n, 1, benchns.MaxRoutes(32)), atLeast("count", *count, 1))
	}); err != nil {
		return err
	}
	live, retries, err := recordStream(ctx, *n)
	if err != nil {
		return err
	}
	progress("kernel added %d routes in %v; the live DB had all of them after %v; recorded %d notifications",
		*n, live.kernel.Round(time.Millisecond), live.db.Round(time.Millisecond), len(live.stream))

	report := &measure.Report{
		Title: fmt.Sprintf("apply: %d recorded RTM_NEWROUTE notifications, decoded and applied without the kernel", *n),
		Unit:  "event",
		Runs:  *count,
	}
	var uts unix.Utsname
	unix.Uname(&uts)
	report.Add("stream", "%d notifications recorded from a raw RTNLGRP_IPV4_ROUTE socket (32 MiB buffer) while netlink.Conn.Pipeline added 10.0.0.0/32+i via %s dev %s; %.1f MB of payload", len(live.stream), benchns.Gateway, benchns.Dev, float64(live.bytes)/1e6)
	report.Add("live DB", "ipdb.Open(WithNetNS, WithReadBuffer(32 MiB)): %d events in %d batches applied, %d overflows, %d resyncs", live.stats.Events, live.stats.Batches, live.stats.Overflows, live.stats.Resyncs)
	for _, note := range retries {
		report.Add("overflowed", "%s; recorded again in a fresh namespace", note)
	}
	report.Add("runs", "%d per kernel-free contender, interleaved round by round; kernel and live rows are the one recording run", *count)
	report.Add("machine", "%s, %d CPUs, kernel %s", cpuModel(), runtime.NumCPU(), unix.ByteSliceToString(uts.Release[:]))

	kernel := &measure.Result{Name: rowKernelAdd, Reference: true, Expected: *n,
		What: "the generator: Conn.Pipeline(RouteRequest(Add, ...)) in rounds of 1024 until every add is acknowledged (wall, process CPU)"}
	kernel.Samples = []measure.Sample{{Wall: live.kernel, CPU: live.kernelCPU, Objects: *n, LiveBytes: -1}}
	liveRow := &measure.Result{Name: rowLiveDB, Expected: *n,
		What: "from the first add until a Snapshot of the live DB shows the last route (it can only be as fast as the kernel emits)"}
	liveRow.Samples = []measure.Sample{{Wall: live.db, Objects: *n, LiveBytes: -1}}
	report.Results = []*measure.Result{kernel, liveRow}

	// Pre-decoded updates, for the apply-only row. Stored objects are
	// immutable, so every Replay can share them.
	decoded := make([]netlink.Update, len(live.stream))
	for i, m := range live.stream {
		if decoded[i], err = netlink.DecodeUpdate(m.typ, m.flags, m.payload); err != nil {
			return fmt.Errorf("decoding recorded notification %d: %w", i, err)
		}
	}
	type contender struct {
		res *measure.Result
		run measure.Run
	}
	var contenders []contender
	contenders = append(contenders, contender{
		&measure.Result{Name: rowDecode, Expected: *n, What: "netlink.DecodeUpdate(type, flags, payload) for each notification; nothing kept"},
		func() (int, any, error) { return decodeStream(live.stream) },
	})
	contenders = append(contenders, contender{
		&measure.Result{Name: rowApplyOnly, Expected: *n, What: "ipdb.NewReplay(); Apply(batch) on the pre-decoded updates: one memdb write txn and revision per batch; live B = heap the Replay holds"},
		func() (int, any, error) { return applyStream(decoded, 4096, *n) },
	})
	for _, batch := range []int{4096, 256, 16} {
		name := fmt.Sprintf("decode+apply, batch %d", batch)
		what := ""
		if batch == 4096 {
			what = "DecodeUpdate then Replay.Apply per batch, as the live DB's reader and applier do (4096 is its largest batch); the target row"
		}
		contenders = append(contenders, contender{
			&measure.Result{Name: name, Expected: *n, What: what},
			func() (int, any, error) { return decodeApplyStream(live.stream, batch, *n) },
		})
	}
	for _, ct := range contenders {
		report.Results = append(report.Results, ct.res)
	}
	if err := prof.Start(); err != nil {
		return err
	}
	for round := 1; round <= *count; round++ {
		for _, ct := range contenders {
			if ct.res.Err != nil {
				continue
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			s, err := measure.Measure(ct.run)
			if err != nil {
				ct.res.Err = err
				progress("round %d/%d %-28s error: %v", round, *count, ct.res.Name, err)
				continue
			}
			ct.res.Samples = append(ct.res.Samples, s)
			progress("round %d/%d %-28s %8v  %d events", round, *count, ct.res.Name, s.Wall.Round(time.Millisecond), s.Objects)
		}
	}
	if err := prof.Stop(); err != nil {
		return err
	}
	report.Checks = applyTargets(report, live)
	if err := writeReport(os.Stdout, report, *asJSON); err != nil {
		return err
	}
	if report.Failed() {
		return errors.New("a contender failed or returned the wrong number of events (see above)")
	}
	return nil
}

// liveRun is the recording run.
type liveRun struct {
	stream    []recorded
	bytes     int
	kernel    time.Duration // first add sent to last add acknowledged
	kernelCPU time.Duration
	db        time.Duration // first add sent to the last route in the DB
	stats     ipdb.Stats    // of the live DB, after
}

// recordLive opens a live DB and a raw recorder on ns, adds n routes with
// netlink Pipeline, and returns the recorded notifications and timings.
func recordLive(ctx context.Context, ns *benchns.NS, n int) (*liveRun, error) {
	f, err := os.Open(ns.Path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rec, err := mdl.Dial(unix.NETLINK_ROUTE, &mdl.Config{NetNS: int(f.Fd()), Groups: unix.RTMGRP_IPV4_ROUTE})
	if err != nil {
		return nil, fmt.Errorf("recorder: %w", err)
	}
	defer rec.Close()
	raw, err := rec.SyscallConn()
	if err != nil {
		return nil, err
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, liveReadBuffer)
	}); err != nil || serr != nil {
		return nil, fmt.Errorf("recorder buffer: %v %v", err, serr)
	}

	db, err := ipdb.Open(ctx, ipdb.WithNetNS(ns.Name), ipdb.WithReadBuffer(liveReadBuffer))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := db.WaitSynced(ctx); err != nil {
		return nil, err
	}
	base := db.Stats()

	conn, err := netlink.Dial(&netlink.Config{NetNS: ns.Name})
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	link, err := conn.LinkByName(ctx, benchns.Dev)
	if err != nil {
		return nil, err
	}
	gw := netip.MustParseAddr(benchns.Gateway)
	ops := make([]netlink.Request, n)
	for i := range ops {
		ops[i] = netlink.RouteRequest(netlink.Add, &netlink.Route{Dst: benchns.RouteDst(i, 32), Gateway: gw, OIF: uint32(link.Index)})
		if err := ops[i].Err(); err != nil {
			return nil, err
		}
	}

	out := &liveRun{stream: make([]recorded, 0, n)}
	recDone := make(chan error, 1)
	go func() {
		arena := make([]byte, 0, 1<<20)
		for len(out.stream) < n {
			msgs, err := rec.Receive()
			if errors.Is(err, unix.ENOBUFS) {
				recDone <- fmt.Errorf("%w: the recorder's socket (%d MiB) lost notifications: %v (after %d of %d)", errOverflowed, liveReadBuffer>>20, err, len(out.stream), n)
				return
			}
			if err != nil {
				recDone <- fmt.Errorf("recorder: %w (after %d notifications)", err, len(out.stream))
				return
			}
			for _, m := range msgs {
				if m.Header.Type != unix.RTM_NEWROUTE {
					continue
				}
				if cap(arena)-len(arena) < len(m.Data) {
					arena = make([]byte, 0, max(1<<20, len(m.Data)))
				}
				start := len(arena)
				arena = append(arena, m.Data...)
				out.stream = append(out.stream, recorded{typ: uint16(m.Header.Type), flags: uint16(m.Header.Flags), payload: arena[start:len(arena):len(arena)]})
				out.bytes += len(m.Data)
			}
		}
		recDone <- nil
	}()
	// Give up on a recorder that never completes.
	rec.SetReadDeadline(time.Now().Add(10 * time.Minute))

	last := benchns.RouteDst(n-1, 32)
	cpu0 := processCPUTime()
	start := time.Now()
	kernelDone := make(chan error, 1)
	go func() {
		for i := 0; i < n; i += 1024 {
			if errs := conn.Pipeline(ctx, ops[i:min(n, i+1024)]); errs != nil {
				kernelDone <- firstErr(errs)
				return
			}
		}
		out.kernel = time.Since(start)
		out.kernelCPU = processCPUTime() - cpu0
		kernelDone <- nil
	}()
	for {
		found := false
		for range db.Snapshot().RoutesTo(unix.RT_TABLE_MAIN, last) {
			found = true
		}
		if found {
			out.db = time.Since(start)
			break
		}
		if time.Since(start) > 10*time.Minute {
			return nil, fmt.Errorf("live DB does not show %v after 10 minutes: %+v", last, db.Stats())
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		time.Sleep(200 * time.Microsecond)
	}
	if err := <-kernelDone; err != nil {
		return nil, fmt.Errorf("adding routes: %w", err)
	}
	if err := <-recDone; err != nil {
		return nil, err
	}
	st := db.Stats()
	st.Events -= base.Events
	st.Batches -= base.Batches
	st.Overflows -= base.Overflows
	st.Resyncs -= base.Resyncs
	out.stats = st
	return out, nil
}

func decodeStream(stream []recorded) (int, any, error) {
	n := 0
	for i := range stream {
		m := &stream[i]
		u, err := netlink.DecodeUpdate(m.typ, m.flags, m.payload)
		if err != nil {
			return 0, nil, err
		}
		if u.Object != nil {
			n++
		}
	}
	return n, nil, nil
}

// applyStream applies pre-decoded updates to a fresh Replay in batches.
func applyStream(updates []netlink.Update, batch, want int) (int, any, error) {
	r, err := ipdb.NewReplay()
	if err != nil {
		return 0, nil, err
	}
	for i := 0; i < len(updates); i += batch {
		r.Apply(updates[i:min(len(updates), i+batch)])
	}
	return replayOutcome(r, want)
}

// decodeApplyStream decodes one batch of notifications at a time and
// applies it to a fresh Replay, as the live DB's reader and applier do.
func decodeApplyStream(stream []recorded, batch, want int) (int, any, error) {
	r, err := ipdb.NewReplay()
	if err != nil {
		return 0, nil, err
	}
	for i := 0; i < len(stream); i += batch {
		b := make([]netlink.Update, 0, batch) // the applier keeps no batch: a fresh one each time, as readLoop does
		for j := i; j < min(len(stream), i+batch); j++ {
			m := &stream[j]
			u, err := netlink.DecodeUpdate(m.typ, m.flags, m.payload)
			if err != nil {
				return 0, nil, err
			}
			b = append(b, u)
		}
		r.Apply(b)
	}
	return replayOutcome(r, want)
}

// replayOutcome checks a Replay after a stream of want adds: no error, the
// events counted, and want routes in the main table.
func replayOutcome(r *ipdb.Replay, want int) (int, any, error) {
	if err := r.Err(); err != nil {
		return 0, nil, err
	}
	if got := r.Events(); got != uint64(want) {
		return 0, nil, fmt.Errorf("replay applied %d events, want %d", got, want)
	}
	n := 0
	for range r.Snapshot().RoutesInTable(unix.AF_INET, unix.RT_TABLE_MAIN) {
		n++
	}
	return n, r, nil
}

// applyTargets: decode+apply of the recorded stream at least 500k
// events/s (best run and median), and the live DB kept up without loss.
func applyTargets(r *measure.Report, live *liveRun) []measure.Check {
	var checks []measure.Check
	if res := r.Find(rowDecodeApply); res != nil && res.Err == nil && len(res.Samples) > 0 {
		med := float64(res.Objects()) / res.Median().Seconds()
		checks = append(checks, measure.Check{
			Target: "decode+apply at least 500k events/s",
			Got:    fmt.Sprintf("%.0fk events/s median (%.0fk best)", med/1e3, res.PerSecond()/1e3),
			OK:     med >= applyTarget,
		})
	}
	checks = append(checks, measure.Check{
		Target: "live DB applied every event without overflow or resync",
		Got:    fmt.Sprintf("%d events, %d overflows, %d resyncs", live.stats.Events, live.stats.Overflows, live.stats.Resyncs),
		OK:     live.stats.Overflows == 0 && live.stats.Resyncs == 0 && live.stats.Events >= uint64(len(live.stream)),
	})
	return checks
}

func firstErr(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// processCPUTime is this process's user+system time so far.
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
