//go:build linux

package main

import (
	"context"
	"fmt"
	"os/exec"
	"runtime"
	"time"

	"github.com/ipdb-go/ipdb/bench/internal/cpuprof"
	"github.com/ipdb-go/ipdb/bench/internal/measure"
	"github.com/ipdb-go/ipdb/bench/internal/results"
	"github.com/ipdb-go/ipdb/netlink"
)

// applyRate is scenario 3: the route adds of N are recorded once while a
// live DB follows them; then the recording is decoded and applied without
// the kernel, -count runs each.
func (r *reportRun) applyRate(ctx context.Context) error {
	n := r.cfg.n
	live, retries, err := recordStream(ctx, n)
	for _, note := range retries {
		r.rep.Fact(sc3, "recording %s; recorded again in a fresh namespace (at most %d attempts)", note, recordAttempts)
	}
	if err != nil {
		return err
	}
	r.rep.Fact(sc3, "recording: %d RTM_NEWROUTE notifications (%.1f MB) from a raw RTNLGRP_IPV4_ROUTE socket while netlink Conn.Pipeline added %d routes",
		len(live.stream), float64(live.bytes)/1e6, n)
	r.rep.Fact(sc3, "live DB (32 MiB buffer) while recording: %d events in %d batches, %d overflows, %d resyncs",
		live.stats.Events, live.stats.Batches, live.stats.Overflows, live.stats.Resyncs)
	r.rep.Fact(sc3, "target (issue 3): decode+apply at batch 4096 at least 500k events/s")
	kern := rateRow(sc3, "live (one run)", rowKernelAdd, n, "conn.Pipeline(ctx, RouteRequest(Add, ...)) in rounds of 1024, until every add is acknowledged")
	kern.Values = []float64{float64(n) / live.kernel.Seconds()}
	follow := rateRow(sc3, "live (one run)", rowLiveDB, n, "ipdb.Open(WithNetNS, WithReadBuffer(32 MiB)): from the first add until a Snapshot shows the last route")
	follow.Values = []float64{float64(n) / live.db.Seconds()}
	r.rep.Add(kern)
	r.rep.Add(follow)

	decoded := make([]netlink.Update, len(live.stream))
	for i, m := range live.stream {
		if decoded[i], err = netlink.DecodeUpdate(m.typ, m.flags, m.payload); err != nil {
			return fmt.Errorf("decoding recorded notification %d: %w", i, err)
		}
	}
	type ct struct {
		res     *measure.Result
		command string
		run     measure.Run
	}
	cts := []ct{
		{&measure.Result{Name: rowDecode, Expected: n}, "netlink.DecodeUpdate(type, flags, payload) per notification, nothing kept",
			func() (int, any, error) { return decodeStream(live.stream) }},
		{&measure.Result{Name: rowApplyOnly, Expected: n}, "ipdb.NewReplay(); Apply(batch of 4096 pre-decoded updates): one memdb write txn per batch",
			func() (int, any, error) { return applyStream(decoded, 4096, n) }},
	}
	for _, batch := range []int{4096, 256, 16} {
		cts = append(cts, ct{&measure.Result{Name: fmt.Sprintf("decode+apply, batch %d", batch), Expected: n},
			fmt.Sprintf("DecodeUpdate then Replay.Apply per batch of %d, as the live DB's reader and applier do", batch),
			func() (int, any, error) { return decodeApplyStream(live.stream, batch, n) }})
	}
	for round := 1; round <= r.cfg.count; round++ {
		for _, c := range cts {
			if c.res.Err != nil {
				continue
			}
			s, err := measure.Measure(c.run)
			if err != nil {
				c.res.Err = err
				continue
			}
			c.res.Samples = append(c.res.Samples, s)
		}
	}
	for _, c := range cts {
		group := ""
		if c.res.Name == rowDecode || c.res.Name == rowApplyOnly {
			group = "parts"
		}
		row := resultRow(sc3, group, n, c.res, c.command)
		row.Metric, row.Unit, row.LowerBetter = "rate", results.PerSecond, false
		for i, s := range c.res.Samples {
			row.Values[i] = float64(s.Objects) / s.Wall.Seconds()
		}
		r.rep.Add(row)
	}
	return nil
}

// commit is scenario 5.
func (r *reportRun) commit(ctx context.Context) error {
	n := r.cfg.n
	ip := &results.Row{Scenario: sc5, Contender: rowIPBatch, N: n, Metric: "time", Unit: results.Seconds, LowerBetter: true,
		Command: "ip -n NS -batch - < 'route add 10.x.y.z/32 via 192.0.2.2 dev b0' x N, in a fresh namespace"}
	tx := &results.Row{Scenario: sc5, Contender: rowTxnCommit, N: n, Metric: "time", Unit: results.Seconds, LowerBetter: true,
		Command: "txn.New(db, conn, nil).Routes(specs...).Commit(ctx): plan, pipelined apply, verify through the DB (WithKinds(link, addr, route), WithTables(254)), in another fresh namespace"}
	plan := &results.Row{Scenario: sc5, Group: "plan", Contender: rowTxnPlan, N: n, Metric: "time", Unit: results.Seconds, LowerBetter: true,
		Command: "txn.New(db, conn, nil).Routes(specs...).Plan() with all N routes present (must be empty)"}
	var writes []uint64
	var errs []error
	for round := 1; round <= r.cfg.count; round++ {
		t, err := commitRound(ctx, n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ip.Values = append(ip.Values, t.ipBatch.Seconds())
		tx.Values = append(tx.Values, t.commit.Seconds())
		plan.Values = append(plan.Values, t.plan.Seconds())
		writes = append(writes, t.writes)
		progress("commit round %d/%d: ip -batch %v, txn %v, plan %v", round, r.cfg.count, t.ipBatch.Round(time.Millisecond), t.commit.Round(time.Millisecond), t.plan.Round(time.Millisecond))
	}
	for _, row := range []*results.Row{ip, tx, plan} {
		if len(row.Values) > 0 {
			row.Notes = fmt.Sprintf("%.0fk routes/s (median)", float64(n)/(&results.Row{Values: row.Values}).Median()/1e3)
		}
		r.rep.Add(row)
	}
	plan.Notes += fmt.Sprintf("; netlink writes of committing the present routes again: %v", writes)
	r.rep.Fact(sc5, "targets: commit at most 1.0x ip -batch (median); plan of present routes at most 1 s per 1M routes; no writes for present routes")
	if len(errs) > 0 {
		return fmt.Errorf("%d of %d rounds failed; first: %w", len(errs), r.cfg.count, errs[0])
	}
	return nil
}

// watchLatency is scenario 9: watchlat's measurement, quiet and with one
// busy loop per CPU in other processes.
func (r *reportRun) watchLatency(ctx context.Context) error {
	c := r.cfg
	mk := func(group, name string) *results.Row {
		return &results.Row{Scenario: sc9, Group: group, Contender: name, N: int(float64(c.rate) * c.watchDur.Seconds()), Metric: group, Unit: results.Seconds, LowerBetter: true,
			Command: fmt.Sprintf("watch.New(db).Subscribe(ctx, All(Kinds(KindRoute), Ops(OpAdd)), fn) x %d; conn.Do(RouteRequest(Add)) at %d/s for %v; callback time minus the ACK's", c.subs, c.rate, c.watchDur)}
	}
	rows := map[string]*results.Row{}
	var order []*results.Row
	for _, cond := range []string{"quiet", "contended"} {
		for _, p := range []string{"p50", "p99"} {
			row := mk(p, fmt.Sprintf("%d subscribers, %s", c.subs, cond)) // see targetsFor
			if cond == "contended" {
				row.Command += fmt.Sprintf("; meanwhile %d `sh -c 'while :; do :; done'` processes", runtime.NumCPU())
			}
			rows[cond+p] = row
			order = append(order, row)
		}
	}
	missing := map[string][]int{}
	var errs []error
	for round := 1; round <= c.count; round++ {
		for _, cond := range []string{"quiet", "contended"} {
			var stop func()
			if cond == "contended" {
				var err error
				if stop, err = burnCPU(runtime.NumCPU()); err != nil {
					return err
				}
			}
			rep, overall, err := measureWatchLat(ctx, c.rate, c.watchDur, c.subs, "", &cpuprof.Flag{})
			if stop != nil {
				stop()
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", cond, err))
				continue
			}
			_ = rep
			rows[cond+"p50"].Values = append(rows[cond+"p50"].Values, float64(overall.P50)/1e9)
			rows[cond+"p99"].Values = append(rows[cond+"p99"].Values, float64(overall.P99)/1e9)
			missing[cond] = append(missing[cond], overall.Missing)
			progress("watch round %d/%d %s: p50 %s p99 %s missing %d", round, c.count, cond, us(overall.P50), us(overall.P99), overall.Missing)
		}
	}
	for _, row := range order {
		cond := "quiet"
		if rows["contendedp50"] == row || rows["contendedp99"] == row {
			cond = "contended"
		}
		row.Notes = fmt.Sprintf("events missed per run: %v", missing[cond])
		r.rep.Add(row)
	}
	r.rep.Fact(sc9, "quiet means no load added by the benchmark; whatever else runs on the machine still runs (see the load average above)")
	r.rep.Fact(sc9, "target (issue 4): p99 at most 1 ms over all subscribers, quiet; every subscriber sees every add")
	if len(errs) > 0 {
		return fmt.Errorf("%d runs failed; first: %w", len(errs), errs[0])
	}
	return nil
}

// burnCPU starts k busy-looping shell processes and returns a function
// that kills them (by their own process ids) and waits for them.
func burnCPU(k int) (func(), error) {
	var cmds []*exec.Cmd
	stop := func() {
		for _, c := range cmds {
			c.Process.Kill()
			c.Wait()
		}
	}
	for range k {
		c := exec.Command("sh", "-c", "while :; do :; done")
		if err := c.Start(); err != nil {
			stop()
			return nil, fmt.Errorf("starting a CPU burner: %w", err)
		}
		cmds = append(cmds, c)
	}
	time.Sleep(100 * time.Millisecond)
	return stop, nil
}
