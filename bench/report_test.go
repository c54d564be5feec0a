//go:build linux

package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/bench/internal/benchns"
	"github.com/ipdb-go/ipdb/bench/internal/results"
)

// BenchmarkReportSmoke runs the whole report with tiny sizes and short
// windows, so that every scenario's code runs in CI and cannot rot:
//
//	go test -run '^$' -bench ReportSmoke -benchtime 1x .
//
// The figures mean nothing at these sizes; the benchmark fails if a
// scenario fails or the report's files are missing.
func BenchmarkReportSmoke(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("the report creates network namespaces, which needs root")
	}
	defer benchns.CloseAll()
	for range b.N {
		dir := b.TempDir()
		c := &reportConfig{
			out: dir, sizes: []int{500, 2000}, n: 2000, count: 1, lookup: 2000, smallBuf: 4096,
			idle: 500 * time.Millisecond, idleLinks: 20, idleNeighs: 100, idleBr: 1,
			rate: 2000, watchDur: 300 * time.Millisecond, subs: 3,
			invocation: "cd bench && go test -run '^$' -bench ReportSmoke -benchtime 1x .",
		}
		rep, err := makeReport(context.Background(), c)
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range []string{"report.md", "results.json", "ratio-1.svg", "scaling-1.svg"} {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				b.Error(err)
			}
		}
		seen := map[string]bool{}
		for _, row := range rep.Rows {
			seen[row.Scenario] = true
		}
		for _, sc := range []string{sc1, sc2, sc3, sc4, sc5, sc6, sc7, sc8, sc9} {
			if !seen[sc] {
				b.Errorf("no rows for %q", sc)
			}
		}
		// Every target's row ran: each is met or missed, none unmeasured.
		per := map[string]bool{}
		for _, o := range rep.Outcomes() {
			per[o.Row.Scenario] = true
			if o.Verdict == results.NotMeasured {
				b.Errorf("target not measured: %s", o)
			}
		}
		for _, sc := range []string{sc1, sc2, sc3, sc5, sc7, sc8, sc9} {
			if !per[sc] {
				b.Errorf("no target for %q", sc)
			}
		}
		b.ReportMetric(float64(len(rep.Rows)), "rows")
	}
}
