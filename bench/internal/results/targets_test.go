package results

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTargets: each target is met or missed by the row's median (not its
// best run), absolute or relative to another row of the same group and
// size; a row without runs is not measured and counts among the misses;
// report.md carries the verdict in the row and lists the misses on top.
func TestTargets(t *testing.T) {
	r := New("t", Machine{CPU: "cpu", Cores: 2}, "go run . report")
	ip := r.Add(&Row{Scenario: "1. dump", Contender: "ip", N: 10, Unit: Seconds, LowerBetter: true, Values: []float64{1, 1, 1}})
	fast := r.Add(&Row{Scenario: "1. dump", Contender: "ours", N: 10, Unit: Seconds, LowerBetter: true, Values: []float64{0.1, 1.2, 1.25},
		Targets: []Target{{Text: "at most 1.3x ip", AtMost: true, Limit: 1.3, Of: "ip"}, {Text: "at most 1.1x ip", AtMost: true, Limit: 1.1, Of: "ip"}}})
	rate := r.Add(&Row{Scenario: "3. apply", Contender: "apply", N: 10, Unit: PerSecond, Values: []float64{4e5, 6e5, 4.5e5},
		Targets: []Target{{Text: "at least 500k/s", Limit: 5e5}}})
	none := r.Add(&Row{Scenario: "3. apply", Contender: "broken", N: 10, Unit: PerSecond, Err: "boom",
		Targets: []Target{{Text: "at least 1/s", Limit: 1}}})
	orphan := r.Add(&Row{Scenario: "1. dump", Contender: "alone", N: 20, Unit: Seconds, LowerBetter: true, Values: []float64{1},
		Targets: []Target{{Text: "at most 1x ip", AtMost: true, Limit: 1, Of: "ip"}}})
	_ = ip
	for _, c := range []struct {
		row     *Row
		t       int
		verdict string
		got     string
	}{
		{fast, 0, Met, "1.20× ip"},    // median 1.2, though the best run is 0.1
		{fast, 1, Missed, "1.20× ip"}, // the best run would meet it; the median does not
		{rate, 0, Missed, "450k/s"},   // median 450k, best 600k
		{none, 0, NotMeasured, "no runs"},
		{orphan, 0, NotMeasured, "no runs of ip"}, // ip ran at N=10 only
	} {
		v, got := r.Verdict(c.row, c.row.Targets[c.t])
		if v != c.verdict || got != c.got {
			t.Errorf("%s, %q: %s (%s), want %s (%s)", c.row.Contender, c.row.Targets[c.t].Text, v, got, c.verdict, c.got)
		}
	}
	if n, m := len(r.Outcomes()), len(r.Misses()); n != 5 || m != 4 {
		t.Errorf("%d outcomes, %d misses; want 5 and 4", n, m)
	}
	dir := t.TempDir()
	if err := r.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"## Targets\n\n1 of 5 targets met",
		"- 3. apply / apply at N=10: at least 500k/s: missed (450k/s)",
		"| ours |  | 10 |  | 1.20 s |",
		"at most 1.3x ip: **met** (1.20× ip); at most 1.1x ip: **missed** (1.20× ip) |",
		"at least 1/s: **not measured** (no runs) |",
	} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q:\n%s", want, md)
		}
	}
	// results.json keeps the targets: a re-render gives the same verdicts.
	back, err := Load(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Misses()) != 4 {
		t.Errorf("after Load: %d misses, want 4", len(back.Misses()))
	}
}
