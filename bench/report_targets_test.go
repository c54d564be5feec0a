//go:build linux

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/bench/internal/results"
)

// TestReportTargets: the rows of a real report (results/results.json, as
// the report command wrote it) get the issues' targets, every one of them
// measured and met or missed by its median, and report.md carries them;
// without the kernel.
func TestReportTargets(t *testing.T) {
	rep, err := results.Load(filepath.Join("results", "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	setTargets(rep)
	per := map[string]int{}
	for _, o := range rep.Outcomes() {
		per[o.Row.Scenario]++
		if o.Verdict == results.NotMeasured {
			t.Errorf("not measured: %s", o)
		}
	}
	// Targets per scenario and size: 1: 3 per size; 2: 2 per size; 3: 1;
	// 5: 2; 7: 2; 8: 1; 9: 1; 4 and 6 have none.
	sizes := 0
	for _, row := range rep.Rows {
		if row.Scenario == sc1 && row.Contender == rowOurs {
			sizes++
		}
	}
	if sizes == 0 {
		t.Fatal("no ipdb/netlink RouteDump rows in results/results.json")
	}
	want := map[string]int{sc1: 3 * sizes, sc2: 2 * sizes, sc3: 1, sc5: 2, sc7: 2, sc8: 1, sc9: 1}
	for sc, n := range want {
		if per[sc] != n {
			t.Errorf("%s: %d targets, want %d", sc, per[sc], n)
		}
	}
	for sc, n := range per {
		if _, ok := want[sc]; !ok {
			t.Errorf("%s: %d targets, want none", sc, n)
		}
	}
	dir := t.TempDir()
	if err := rep.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	met := 0
	for _, line := range bytes.Split(md, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("| ")) {
			met += bytes.Count(line, []byte("**met**")) + bytes.Count(line, []byte("**missed**"))
		}
	}
	if total := len(rep.Outcomes()); met != total {
		t.Errorf("report.md marks %d targets met or missed, want %d", met, total)
	}
	if !strings.Contains(string(md), "## Targets") {
		t.Error("report.md has no Targets summary")
	}
}
