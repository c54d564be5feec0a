//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/ipdb-go/ipdb/bench/internal/measure"
)

// The show scenario (issue 11): the ipdb command's one-shot `show routes`
// against ip printing the same routes, as separate processes, side by side:
//
//	ip -j route show table all   vs  ipdb --netns NS show routes -o json
//	ip route show table all      vs  ipdb --netns NS show routes
//
// Each run is a child process writing to /dev/null; wall time, the child's
// user+system CPU and its maximum resident set are recorded (the CPU from
// getrusage, the resident set through /usr/bin/time -f %M when it exists). Targets: at most 1.2x ip's time and at most 30 MB of memory.

const (
	rowShowIPJSON   = "ip -j route show table all"
	rowShowOursJSON = "ipdb show routes -o json"
	rowShowIPText   = "ip route show table all"
	rowShowOursText = "ipdb show routes"
)

func runShow(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("show", flag.ContinueOnError)
	var c commonFlags
	c.register(fs)
	bin := fs.String("ipdb", "", "ipdb binary to run (default: built from ../cmd/ipdb into a temporary directory)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: bench show [flags]\n\nRuns `ipdb show routes` (JSON and table) and `ip route show table all` (JSON and\ntext) on N routes, -count times each, interleaved, and prints time, CPU and max RSS.\n\n")
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args, c.check); err != nil {
		return err
	}
	if *bin == "" {
		dir, err := os.MkdirTemp("", "ipdb-bench-show")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		*bin = filepath.Join(dir, "ipdb")
		progress("building %s ...", *bin)
		// Build in the main module (bench's go.mod replaces it with ../),
		// whose go.sum covers the command's own dependencies.
		root, err := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", "github.com/ipdb-go/ipdb").Output()
		if err != nil {
			return fmt.Errorf("locating the ipdb module: %w", err)
		}
		build := exec.CommandContext(ctx, "go", "build", "-o", *bin, "./cmd/ipdb")
		build.Dir = string(bytes.TrimSpace(root))
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("go build cmd/ipdb: %w", err)
		}
	}
	env, err := prepareRoutes(ctx, &c)
	if err != nil {
		return err
	}
	defer env.ns.Close()

	ipdbCmd := func(extra ...string) *exec.Cmd {
		return exec.CommandContext(ctx, *bin, append([]string{"--netns", env.ns.Name, "show", "routes"}, extra...)...)
	}
	// Correctness first: the JSON must be ip's, byte for byte (these routes
	// carry no key ipdb adds).
	want, err := env.ns.IPOutput(ctx, "-j", "route", "show", "table", "all")
	if err != nil {
		return err
	}
	got, err := ipdbCmd("-o", "json").Output()
	if err != nil {
		return fmt.Errorf("ipdb show routes -o json: %w", err)
	}
	routes := bytes.Count(want, []byte(`"dst":`))
	if !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(want)) {
		return fmt.Errorf("ipdb show routes -o json (%d bytes, %d routes) differs from ip -j route show table all (%d bytes, %d routes)",
			len(got), bytes.Count(got, []byte(`"dst":`)), len(want), routes)
	}
	progress("ipdb's JSON equals ip's for %d routes", routes)

	type contender struct {
		res *measure.Result
		cmd func() *exec.Cmd
		rss []int64 // KiB, per run
	}
	mk := func(name, what string, ref bool, cmd func() *exec.Cmd) *contender {
		return &contender{res: &measure.Result{Name: name, What: what, Reference: ref}, cmd: cmd}
	}
	jsonRows := []*contender{
		mk(rowShowIPJSON, "`ip -n NS -j route show table all > /dev/null`", true,
			func() *exec.Cmd { return env.ns.Command(ctx, "-j", "route", "show", "table", "all") }),
		mk(rowShowOursJSON, "`ipdb --netns NS show routes -o json > /dev/null`: streams the route dump through the renderer serve shares, no cache", false,
			func() *exec.Cmd { return ipdbCmd("-o", "json") }),
	}
	textRows := []*contender{
		mk(rowShowIPText, "`ip -n NS route show table all > /dev/null`", true,
			func() *exec.Cmd { return env.ns.Command(ctx, "route", "show", "table", "all") }),
		mk(rowShowOursText, "`ipdb --netns NS show routes > /dev/null`: aligned columns, widths measured on the first 4096 rows", false,
			func() *exec.Cmd { return ipdbCmd() }),
	}
	all := append(slices.Clone(jsonRows), textRows...)
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer null.Close()
	timeBin, _ := exec.LookPath("/usr/bin/time")
	rssDir, err := os.MkdirTemp("", "ipdb-bench-rss")
	if err != nil {
		return err
	}
	defer os.RemoveAll(rssDir)
	rssFile := filepath.Join(rssDir, "maxrss")
	if timeBin == "" {
		progress("no /usr/bin/time: max RSS from ru_maxrss, which includes this process's resident set at fork")
	}
	for round := 1; round <= c.count; round++ {
		for _, ct := range all {
			if err := ctx.Err(); err != nil {
				return err
			}
			if ct.res.Err != nil {
				continue
			}
			cmd := ct.cmd()
			if timeBin != "" {
				// ru_maxrss of a direct child counts this (large) process's
				// resident set at fork; /usr/bin/time forks from a small one.
				cmd.Args = append([]string{timeBin, "-f", "%M", "-o", rssFile}, cmd.Args...)
				cmd.Path = timeBin
			}
			cmd.Stdout = null
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			start := time.Now()
			err := cmd.Run()
			wall := time.Since(start)
			if err != nil {
				ct.res.Err = fmt.Errorf("%v: %s", err, bytes.TrimSpace(stderr.Bytes()))
				progress("round %d/%d %-28s error: %v", round, c.count, ct.res.Name, ct.res.Err)
				continue
			}
			if timeBin != "" {
				b, err := os.ReadFile(rssFile)
				var kib int64
				if _, serr := fmt.Sscan(string(b), &kib); err != nil || serr != nil {
					return fmt.Errorf("reading %s: %v %v", rssFile, err, serr)
				}
				ct.rss = append(ct.rss, kib)
			} else if ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage); ru != nil {
				ct.rss = append(ct.rss, ru.Maxrss)
			}
			ct.res.Samples = append(ct.res.Samples, measure.Sample{
				Wall: wall, CPU: measure.ChildCPU(cmd.ProcessState.SysUsage()), Objects: routes, LiveBytes: -1,
			})
			progress("round %d/%d %-28s %8v", round, c.count, ct.res.Name, wall.Round(time.Millisecond))
		}
	}

	failed := false
	for _, rows := range [][]*contender{jsonRows, textRows} {
		title := "show: " + rows[1].res.Name + " vs " + rows[0].res.Name
		report := &measure.Report{Title: fmt.Sprintf("%s, %d routes", title, routes), Unit: "route", Runs: c.count}
		addEnvFacts(report, &c, env)
		for _, ct := range rows {
			report.Results = append(report.Results, ct.res)
			report.Add("max RSS", "%s: median %s, max %s", ct.res.Name, mib(medianInt(ct.rss)), mib(slices.Max(append([]int64{0}, ct.rss...))))
		}
		report.Checks = showTargets(rows[0].res, rows[1].res, rows[1].rss)
		if err := writeReport(os.Stdout, report, c.json); err != nil {
			return err
		}
		fmt.Println()
		failed = failed || report.Failed()
	}
	if failed {
		return errors.New("a contender failed (see above)")
	}
	return nil
}

func mib(kib int64) string { return fmt.Sprintf("%.1f MB", float64(kib)/1024) }

func medianInt(xs []int64) int64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// showTargets are issue 11's: at most 1.2x ip's time (median wall, and
// CPU, which the shared machine disturbs less) and at most 30 MB.
func showTargets(ip, ours *measure.Result, rss []int64) []measure.Check {
	ok := func(res *measure.Result) bool { return res != nil && res.Err == nil && len(res.Samples) > 0 }
	if !ok(ip) || !ok(ours) {
		return nil
	}
	wall := float64(ours.Median()) / float64(ip.Median())
	cpu := float64(ours.MedianCPU()) / float64(ip.MedianCPU())
	maxRSS := slices.Max(append([]int64{0}, rss...))
	return []measure.Check{
		{Target: "at most 1.2x the time of " + ip.Name, Got: fmt.Sprintf("%.2fx median wall (%.2fx best), %.2fx median CPU", wall, float64(ours.Best())/float64(ip.Best()), cpu), OK: wall <= 1.2},
		{Target: "at most 30 MB of memory", Got: "max RSS " + mib(maxRSS), OK: maxRSS <= 30*1024},
	}
}
