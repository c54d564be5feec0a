//go:build linux

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/bench/internal/benchns"
	"github.com/ipdb-go/ipdb/bench/internal/measure"
	"github.com/ipdb-go/ipdb/bench/internal/results"
)

// Scenario headings of the report, in the order of issue 10.
const (
	sc1 = "1. dump+decode N IPv4 routes"
	sc2 = "2. cold sync: ipdb.Open to Synced, live B/route"
	sc3 = "3. event apply rate from a recorded stream"
	sc4 = "4. event storm: N route adds by another process while listening"
	sc5 = "5. txn commit of N routes vs ip -batch; plan of N present routes"
	sc6 = "6. lookups from the cache: exact and longest-prefix match"
	sc7 = "7. ipdb show vs ip and ip -j"
	sc8 = "8. idle cost of a synced DB"
	sc9 = "9. watch latency: route add to callback"
)

// reportConfig is everything the report command takes.
type reportConfig struct {
	out    string
	sizes  []int // ascending; scenarios 1 and 2 run at each
	n      int   // size of scenarios 3-7
	count  int   // runs per contender
	only   map[int]bool
	ipdb   string // built ipdb binary, "" to build one
	lookup int    // lookups per run in scenario 6

	smallBuf int // the storm's small buffer

	idle                          time.Duration
	idleLinks, idleNeighs, idleBr int
	idleSettle                    time.Duration

	rate     int
	watchDur time.Duration
	subs     int

	invocation string
}

func (c *reportConfig) register(fs *flag.FlagSet) {
	fs.StringVar(&c.out, "out", "results", "folder for report.md, results.json and the SVG charts (created)")
	fs.Func("sizes", "comma-separated route counts for the scaling scenarios 1 and 2 (default 10000,50000,100000,200000)", func(s string) error {
		c.sizes = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				return fmt.Errorf("bad size %q", f)
			}
			c.sizes = append(c.sizes, n)
		}
		return nil
	})
	fs.IntVar(&c.n, "n", 0, "routes (and events) of scenarios 3 to 7; 0 means the largest of -sizes")
	fs.IntVar(&c.count, "count", 3, "runs per contender; the median and the spread are reported")
	fs.Func("only", "comma-separated scenario numbers to run (default all, 1-9)", func(s string) error {
		c.only = map[int]bool{}
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 || n > 9 {
				return fmt.Errorf("bad scenario %q (1-9)", f)
			}
			c.only[n] = true
		}
		return nil
	})
	fs.StringVar(&c.ipdb, "ipdb", "", "ipdb command binary for scenario 7 (default: go build ./cmd/ipdb of the main module, now)")
	fs.IntVar(&c.lookup, "lookups", 1000000, "cache lookups per run in scenario 6 (misses: a twentieth of it; kernel lookups: a fiftieth)")
	fs.IntVar(&c.smallBuf, "small-buffer", 4096, "the storm's small receive buffer in bytes (scenario 4)")
	fs.DurationVar(&c.idle, "idle", 20*time.Second, "measuring window of one idle run (scenario 8)")
	fs.DurationVar(&c.idleSettle, "idle-settle", time.Minute, "time after the first window before the settled windows of scenario 8 (the kernel's own aftermath of bringing the links up: IGMP/MLD reports, their multicast neighbour entries expiring)")
	fs.IntVar(&c.idleLinks, "idle-links", 1000, "ifb links of the idle namespace")
	fs.IntVar(&c.idleNeighs, "idle-neighs", 50000, "permanent neighbours of the idle namespace")
	fs.IntVar(&c.idleBr, "idle-bridges", 10, "bridges of the idle namespace")
	fs.IntVar(&c.rate, "rate", 10000, "route adds per second of the watch latency scenario")
	fs.DurationVar(&c.watchDur, "watch", 3*time.Second, "duration of one watch latency run")
	fs.IntVar(&c.subs, "subs", 10, "watch subscribers")
}

func (c *reportConfig) check() error {
	if len(c.sizes) == 0 {
		c.sizes = []int{10000, 50000, 100000, 200000}
	}
	slices.Sort(c.sizes)
	c.sizes = slices.Compact(c.sizes)
	if c.n == 0 {
		c.n = c.sizes[len(c.sizes)-1]
	}
	if c.n < 0 {
		return fmt.Errorf("-n %d: must be 0 (the largest of -sizes) or 1 to %d", c.n, benchMaxRoutes())
	}
	if big := c.sizes[len(c.sizes)-1]; big > benchMaxRoutes() {
		return fmt.Errorf("-sizes: %d is more than the %d routes that fit", big, benchMaxRoutes())
	}
	if c.n < 1 || c.n > benchMaxRoutes() {
		return fmt.Errorf("-n %d: must be 0 (the largest of -sizes) or 1 to %d", c.n, benchMaxRoutes())
	}
	if c.watchDur <= 0 {
		return fmt.Errorf("-watch %v: must be positive", c.watchDur)
	}
	if n := int(float64(c.rate) * c.watchDur.Seconds()); c.rate >= 1 && n < 1 {
		return fmt.Errorf("-rate %d x -watch %v: less than one route add", c.rate, c.watchDur)
	}
	return errors.Join(atLeast("count", c.count, 1), atLeast("lookups", c.lookup, 1), atLeast("small-buffer", c.smallBuf, 1),
		positive("idle", c.idle), notNegative("idle-settle", c.idleSettle), atLeast("idle-links", c.idleLinks, 1),
		atLeast("idle-neighs", c.idleNeighs, 0), atLeast("idle-bridges", c.idleBr, 0),
		atLeast("rate", c.rate, 1), atLeast("subs", c.subs, 1))
}

func (c *reportConfig) runs(k int) bool { return c.only == nil || c.only[k] }

func runReport(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	var c reportConfig
	c.register(fs)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: bench report [flags]\n\nRuns every scenario of issue 10 side by side, -count runs each, in throwaway\nnamespaces, and writes report.md, results.json and SVG charts to -out.\n\n")
		fs.PrintDefaults()
	}
	render := fs.String("render", "", "write report.md and the charts again from `DIR`/results.json (after a change of the charts), measuring nothing")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to `FILE` (go tool pprof)")
	if err := parseArgs(fs, args, c.check); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *render != "" {
		rep, err := results.Load(filepath.Join(*render, "results.json"))
		if err != nil {
			return err
		}
		setTargets(rep)
		if err := rep.WriteFiles(*render); err != nil {
			return err
		}
		printTargets(rep)
		return nil
	}
	c.invocation = "cd bench && go run . report " + strings.Join(args, " ")
	rep, err := makeReport(ctx, &c)
	if rep != nil {
		progress("report written to %s", filepath.Join(c.out, "report.md"))
		printTargets(rep)
	}
	return err
}

// makeReport runs the selected scenarios and writes the report after each
// one, so that a failure later keeps what was measured. A scenario that
// fails is noted in the report and the others still run; the error says
// which failed.
func makeReport(ctx context.Context, c *reportConfig) (*results.Report, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	rep := results.New("ipdb benchmark report", machine(), strings.TrimSpace(c.invocation))
	for k, sc := range []string{sc1, sc2, sc3, sc4, sc5, sc6, sc7, sc8, sc9} {
		if c.runs(k + 1) {
			rep.Order = append(rep.Order, sc)
		}
	}
	save := func() error {
		rep.Finished = time.Now()
		setTargets(rep)
		return rep.WriteFiles(c.out)
	}
	var failed []string
	// step runs one part of the report; its failure and duration are noted
	// under scenario.
	step := func(label, scenario string, fn func() error) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		runtime.GC()
		debug.FreeOSMemory()
		progress("== %s", label)
		rep.Fact(scenario, "%s: load average at start %s", label, machine().Load)
		start := time.Now()
		if err := fn(); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			progress("%s: %v", label, err)
			rep.Fact(scenario, "FAILED (%s): %v", label, err)
			failed = append(failed, label)
		}
		rep.Fact(scenario, "%s took %v", label, time.Since(start).Round(time.Second))
		return save()
	}
	r := &reportRun{cfg: c, rep: rep}
	defer r.cleanup()
	if c.runs(1) || c.runs(2) || c.runs(6) || c.runs(7) {
		if c.runs(7) {
			if err := step("building ipdb", sc7, r.buildIPDB); err != nil {
				return rep, err
			}
		}
		sizes := slices.Clone(c.sizes)
		if (c.runs(6) || c.runs(7)) && !slices.Contains(sizes, c.n) {
			sizes = append(sizes, c.n)
			slices.Sort(sizes)
		}
		for _, n := range sizes {
			if err := step(fmt.Sprintf("scenarios 1 and 2 (and 6, 7 at -n) at %d routes", n), sc1, func() error { return r.routeSizes(ctx, n) }); err != nil {
				return rep, err
			}
		}
	}
	for _, s := range []struct {
		k    int
		name string
		fn   func(context.Context) error
	}{
		{3, sc3, r.applyRate},
		{4, sc4, r.storm},
		{5, sc5, r.commit},
		{8, sc8, r.idleCost},
		{9, sc9, r.watchLatency},
	} {
		if !c.runs(s.k) {
			continue
		}
		if err := step(fmt.Sprintf("scenario %d", s.k), s.name, func() error { return s.fn(ctx) }); err != nil {
			return rep, err
		}
	}
	if err := save(); err != nil {
		return rep, err
	}
	if len(failed) > 0 {
		return rep, fmt.Errorf("scenarios failed (see the report): %s", strings.Join(failed, "; "))
	}
	return rep, nil
}

// reportRun is one report in progress.
type reportRun struct {
	cfg *reportConfig
	rep *results.Report
	// ipdbBin is the built ipdb command (scenario 7), in binDir if this
	// run built it.
	ipdbBin, binDir string
}

// cleanup removes what the run left on disk.
func (r *reportRun) cleanup() {
	if r.binDir != "" {
		os.RemoveAll(r.binDir)
	}
}

func machine() results.Machine {
	var uts unix.Utsname
	unix.Uname(&uts)
	load, _ := os.ReadFile("/proc/loadavg")
	return results.Machine{
		CPU: cpuModel(), Cores: runtime.NumCPU(), Kernel: unix.ByteSliceToString(uts.Release[:]),
		Go: runtime.Version(), Load: strings.Join(strings.Fields(string(load))[:min(3, len(strings.Fields(string(load))))], " "),
	}
}

// buildIPDB builds the main module's ipdb command now, so that scenario 7
// measures whatever show is in the working tree.
func (r *reportRun) buildIPDB() error {
	if r.cfg.ipdb != "" {
		r.ipdbBin = r.cfg.ipdb
		r.rep.Fact(sc7, "ipdb binary: %s (given with -ipdb)", r.ipdbBin)
		return nil
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/ipdb-go/ipdb").Output()
	if err != nil {
		return fmt.Errorf("finding the main module (run from bench/): %w", err)
	}
	dir := strings.TrimSpace(string(out))
	tmp, err := os.MkdirTemp("", "ipdb-bench-bin-")
	if err != nil {
		return err
	}
	r.binDir = tmp
	bin := filepath.Join(tmp, "ipdb")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/ipdb")
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/ipdb in %s: %w: %s", dir, err, strings.TrimSpace(string(b)))
	}
	r.ipdbBin = bin
	rev := "unknown revision"
	if b, err := exec.Command("git", "-C", dir, "describe", "--always", "--dirty").Output(); err == nil {
		rev = strings.TrimSpace(string(b))
	}
	r.rep.Fact(sc7, "ipdb binary: `go build ./cmd/ipdb` in %s at %s, built at the start of this run", dir, rev)
	return nil
}

// resultRow turns measured runs into a report row: wall time in seconds,
// and the allocation and live-heap figures as notes.
func resultRow(scenario, group string, n int, res *measure.Result, command string) *results.Row {
	row := &results.Row{Scenario: scenario, Group: group, Contender: res.Name, N: n, Metric: "time", Unit: results.Seconds, LowerBetter: true, Command: command}
	for _, s := range res.Samples {
		row.Values = append(row.Values, s.Wall.Seconds())
	}
	var notes []string
	if len(res.Samples) > 0 {
		notes = append(notes, fmt.Sprintf("%d objects", res.Objects()))
		if !res.CountOK() {
			notes = append(notes, fmt.Sprintf("WRONG COUNT (want %d)", res.Expected))
		}
		notes = append(notes, "cpu "+results.Format(res.MedianCPU().Seconds(), results.Seconds))
		if a := res.AllocPerObject(); a >= 0 {
			notes = append(notes, fmt.Sprintf("alloc %.0f B, %.1f allocs per object", a, res.MallocsPerObject()))
		}
		if l := res.LivePerObject(); l >= 0 {
			notes = append(notes, fmt.Sprintf("live %.0f B/object", l))
		}
	}
	row.Notes = strings.Join(notes, "; ")
	if res.Err != nil {
		row.Err = res.Err.Error()
	}
	return row
}

// rateRow is a row of rates: objects per second of each run.
func rateRow(scenario, group, name string, n int, command string) *results.Row {
	return &results.Row{Scenario: scenario, Group: group, Contender: name, N: n, Metric: "rate", Unit: results.PerSecond, Command: command}
}

func benchMaxRoutes() int { return benchns.MaxRoutes(32) }
