//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os/exec"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/bench/internal/benchns"
	"github.com/ipdb-go/ipdb/bench/internal/measure"
	"github.com/ipdb-go/ipdb/bench/internal/results"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// routeSizes loads n routes into a namespace and runs scenarios 1 and 2
// there, round by round; at the report's -n also 6 and 7.
func (r *reportRun) routeSizes(ctx context.Context, n int) error {
	c := &commonFlags{routes: n, count: r.cfg.count, prefixLen: 32}
	env, err := prepareIPDB(ctx, c)
	if err != nil {
		return err
	}
	defer env.ns.Close()
	r.rep.Fact(sc1, "at %d: loaded with ip -batch in %v (%.0f routes/s); IPv4 main %d, all tables %d; IPv6 all tables %d",
		n, env.load.Duration.Round(time.Millisecond), env.load.PerSecond(), env.mainRoutes, env.allRoutes, env.v6Routes)

	type row struct {
		scenario string
		res      *measure.Result
		command  string
		once     func() (measure.Sample, error)
	}
	var rows []row
	if r.cfg.runs(1) && inSizes(r.cfg.sizes, n) {
		for _, ct := range routeDumpContenders(env.routeEnv) {
			ct := ct
			rows = append(rows, row{sc1, &measure.Result{Name: ct.name, Expected: ct.expected}, ct.what,
				func() (measure.Sample, error) { return ct.once(ctx) }})
		}
	}
	if r.cfg.runs(2) && inSizes(r.cfg.sizes, n) {
		rows = append(rows,
			row{sc2, &measure.Result{Name: rowIP}, "ip -n NS route show > /dev/null",
				func() (measure.Sample, error) { return ipRouteShow(ctx, env.routeEnv) }},
			row{sc2, &measure.Result{Name: rowColdSync, Expected: env.kernelRoutes()}, "ipdb.Open(ctx, WithNetNS(ns)); WaitSynced(ctx): all kinds, families, tables and indexes",
				func() (measure.Sample, error) { return coldSyncOnce(ctx, env.ns.Name, nil) }},
			row{sc2, &measure.Result{Name: rowColdSyncV4, Expected: env.allRoutes}, "ipdb.Open(ctx, WithNetNS(ns), WithFamilies(AF_INET)); WaitSynced(ctx)",
				func() (measure.Sample, error) {
					return coldSyncOnce(ctx, env.ns.Name, nil, ipdb.WithFamilies(unix.AF_INET))
				}},
		)
	}
	for round := 1; round <= r.cfg.count; round++ {
		for _, rw := range rows {
			if rw.res.Err != nil {
				continue
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			s, err := rw.once()
			if err != nil {
				rw.res.Err = err
				continue
			}
			rw.res.Samples = append(rw.res.Samples, s)
			progress("%d routes, round %d/%d: %-32s %v", n, round, r.cfg.count, rw.res.Name, s.Wall.Round(time.Millisecond))
		}
	}
	var errs []error
	for _, rw := range rows {
		row := r.rep.Add(resultRow(rw.scenario, "", n, rw.res, rw.command))
		row.Floor = rw.res.Name == rowRawFloor
		if rw.res.Err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", rw.res.Name, rw.res.Err))
		} else if !rw.res.CountOK() {
			errs = append(errs, fmt.Errorf("%s: %d objects, want %d", rw.res.Name, rw.res.Objects(), rw.res.Expected))
		}
	}
	// Live heap per route: the DB against the peers' returned slices.
	for _, rw := range rows {
		if rw.res.LivePerObject() < 0 || (rw.scenario == sc1 && !strings.Contains(rw.res.Name, "/")) {
			continue
		}
		row := &results.Row{Scenario: sc2, Group: "live heap", Contender: rw.res.Name, N: n, Metric: "live heap", Unit: results.BytesPer, LowerBetter: true, Command: rw.command}
		for _, s := range rw.res.Samples {
			row.Values = append(row.Values, float64(s.LiveBytes)/float64(max(1, s.Objects)))
		}
		if rw.scenario == sc1 {
			row.Notes = "a returned []route held, not a cache"
		} else {
			row.Notes = fmt.Sprintf("whole open DB (fixed part %.1f MiB included)", float64(env.fixedHeap)/(1<<20))
		}
		r.rep.Add(row)
	}
	if n == r.cfg.n {
		if r.cfg.runs(6) {
			if err := r.lookups(ctx, env); err != nil {
				errs = append(errs, fmt.Errorf("scenario 6: %w", err))
			}
		}
		if r.cfg.runs(7) && r.ipdbBin != "" {
			if err := r.show(ctx, env); err != nil {
				errs = append(errs, fmt.Errorf("scenario 7: %w", err))
			}
		}
	}
	return errors.Join(errs...)
}

func inSizes(sizes []int, n int) bool {
	for _, s := range sizes {
		if s == n {
			return true
		}
	}
	return false
}

// lookups is scenario 6: exact and longest-prefix-match lookups from a
// synced DB's snapshot, against the kernel's own lookup over netlink.
func (r *reportRun) lookups(ctx context.Context, env *ipdbEnv) error {
	n := env.mainRoutes
	db, err := ipdb.Open(ctx, ipdb.WithNetNS(env.ns.Name))
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.WaitSynced(ctx); err != nil {
		return err
	}
	conn, err := netlink.Dial(&netlink.Config{NetNS: env.ns.Name})
	if err != nil {
		return err
	}
	defer conn.Close()
	loaded := r.cfg.n
	L := r.cfg.lookup
	kernelL := max(1, L/50)
	missL := max(1, L/20) // a miss tries all 33 prefix lengths
	rng := rand.New(rand.NewPCG(1, 2))
	dsts := make([]netip.Prefix, L)
	for i := range dsts {
		dsts[i] = benchns.RouteDst(rng.IntN(loaded), 32)
	}
	// Misses: addresses in 11.0.0.0/8, where no route is loaded and the
	// namespace has no default route: every prefix length is tried.
	misses := make([]netip.Addr, missL)
	for i := range misses {
		v := 11<<24 | uint32(rng.IntN(1<<24))
		misses[i] = netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	}
	snap := db.Snapshot()
	type lk struct {
		row *results.Row
		n   int
		fn  func() (int, error)
	}
	lks := []lk{
		{rateRow(sc6, "", "ipdb Snapshot.RoutesTo (exact)", n, "snap.RoutesTo(254, 10.x.y.z/32) for random loaded prefixes, one goroutine"), L, func() (int, error) {
			hits := 0
			for _, d := range dsts {
				for range snap.RoutesTo(unix.RT_TABLE_MAIN, d) {
					hits++
				}
			}
			return hits, nil
		}},
		{rateRow(sc6, "", "ipdb Snapshot.Lookup (LPM, hit at /32)", n, "snap.Lookup(254, addr) of random loaded /32 addresses"), L, func() (int, error) {
			hits := 0
			for _, d := range dsts {
				if _, err := snap.Lookup(unix.RT_TABLE_MAIN, d.Addr()); err == nil {
					hits++
				}
			}
			return hits, nil
		}},
		{rateRow(sc6, "", "ipdb Snapshot.Lookup (LPM, miss: /32 to /0)", n, "snap.Lookup(254, addr) of random 11.x.y.z (no route; all 33 prefix lengths tried)"), missL, func() (int, error) {
			hits := 0
			for _, a := range misses {
				if _, err := snap.Lookup(unix.RT_TABLE_MAIN, a); err == nil {
					hits++
				} else if !errors.Is(err, ipdb.ErrNotFound) {
					return 0, err
				}
			}
			return missL, nil // a miss is the right answer here
		}},
		{rateRow(sc6, "", "kernel RTM_GETROUTE (ipdb/netlink RouteGet)", n, "conn.RouteGet(ctx, addr, nil) per lookup: one netlink round trip to the kernel's FIB"), kernelL, func() (int, error) {
			hits := 0
			for _, d := range dsts[:kernelL] {
				if _, err := conn.RouteGet(ctx, d.Addr(), nil); err == nil {
					hits++
				}
			}
			return hits, nil
		}},
	}
	for round := 1; round <= r.cfg.count; round++ {
		for _, l := range lks {
			if l.row.Err != "" {
				continue
			}
			start := time.Now()
			hits, err := l.fn()
			d := time.Since(start)
			if err == nil && hits != l.n {
				err = fmt.Errorf("%d of %d lookups found a route", hits, l.n)
			}
			if err != nil {
				l.row.Err = err.Error()
				continue
			}
			l.row.Values = append(l.row.Values, float64(l.n)/d.Seconds())
		}
	}
	for _, l := range lks {
		l.row.Notes = fmt.Sprintf("%d lookups per run; N is the main table's routes", l.n)
		r.rep.Add(l.row)
	}
	return nil
}

// show is scenario 7: the ipdb command's show against ip, text and JSON,
// routes of both families in all tables.
func (r *reportRun) show(ctx context.Context, env *ipdbEnv) error {
	ns := env.ns.Name
	type contender struct {
		group, name string
		cmds        [][]string
	}
	cts := []contender{
		{"routes, text", rowShowRoutes, [][]string{{r.ipdbBin, "--netns", ns, "show", "routes"}}},
		{"routes, text", rowIPShowRoutes, [][]string{{"ip", "-n", ns, "-4", "route", "show", "table", "all"}, {"ip", "-n", ns, "-6", "route", "show", "table", "all"}}},
		{"routes, JSON", rowShowRoutesJSON, [][]string{{r.ipdbBin, "--netns", ns, "show", "routes", "-o", "json"}}},
		{"routes, JSON", rowIPShowRoutesJSON, [][]string{{"ip", "-n", ns, "-j", "-4", "route", "show", "table", "all"}, {"ip", "-n", ns, "-j", "-6", "route", "show", "table", "all"}}},
		{"everything, text", "ipdb show", [][]string{{r.ipdbBin, "--netns", ns, "show"}}},
		{"everything, text", "ip link, addr, route (-4, -6), neigh, rule", [][]string{
			{"ip", "-n", ns, "link", "show"}, {"ip", "-n", ns, "addr", "show"},
			{"ip", "-n", ns, "-4", "route", "show", "table", "all"}, {"ip", "-n", ns, "-6", "route", "show", "table", "all"},
			{"ip", "-n", ns, "neigh", "show", "nud", "all"}, {"ip", "-n", ns, "-4", "rule", "show"}, {"ip", "-n", ns, "-6", "rule", "show"}}},
	}
	rows := make([]*results.Row, len(cts))
	bytes := make([]int64, len(cts))
	cpus := make([][]float64, len(cts))
	for i, ct := range cts {
		var cmd []string
		for _, c := range ct.cmds {
			cmd = append(cmd, strings.Join(c, " ")+" > /dev/null")
		}
		rows[i] = &results.Row{Scenario: sc7, Group: ct.group, Contender: ct.name, N: env.kernelRoutes(), Metric: "time", Unit: results.Seconds, LowerBetter: true,
			Command: strings.Join(cmd, "; ")}
	}
	for round := 1; round <= r.cfg.count; round++ {
		for i, ct := range cts {
			if rows[i].Err != "" {
				continue
			}
			wall, cpu, out, err := timeCommands(ctx, ct.cmds)
			if err != nil {
				rows[i].Err = err.Error()
				continue
			}
			rows[i].Values = append(rows[i].Values, wall.Seconds())
			bytes[i] = out
			cpus[i] = append(cpus[i], cpu.Seconds())
		}
	}
	for i, row := range rows {
		row.Notes = fmt.Sprintf("%.1f MB of output; CPU (user+sys) median %s; process start included", float64(bytes[i])/1e6, results.Format(medianOf(cpus[i]), results.Seconds))
		r.rep.Add(row)
	}
	return nil
}

// timeCommands runs cmds one after the other with stdout counted and
// discarded, and returns their total wall and CPU time and output bytes.
func timeCommands(ctx context.Context, cmds [][]string) (wall, cpu time.Duration, out int64, err error) {
	for _, argv := range cmds {
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		var cw countWriter
		var stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &cw, &stderr
		start := time.Now()
		err := cmd.Run()
		wall += time.Since(start)
		if err != nil {
			return 0, 0, 0, fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, strings.TrimSpace(stderr.String()))
		}
		cpu += measure.ChildCPU(cmd.ProcessState.SysUsage())
		out += cw.n
	}
	return wall, cpu, out, nil
}

// countWriter counts and discards what is written.
type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}
