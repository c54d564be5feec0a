package results

import (
	"encoding/xml"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func sample() *Report {
	r := New("t", Machine{CPU: "cpu", Cores: 2, Kernel: "6.18", Go: "go1.26"}, "go run . report")
	for _, n := range []int{1000, 10000} {
		f := float64(n) / 1000
		r.Add(&Row{Scenario: "1. dump", Contender: "ip", N: n, Unit: Seconds, LowerBetter: true, Values: []float64{2 * f, 1 * f, 3 * f}, Command: "ip route show"})
		r.Add(&Row{Scenario: "1. dump", Contender: "ours", N: n, Unit: Seconds, LowerBetter: true, Values: []float64{1 * f, 1 * f}, Command: "RouteDump"})
		r.Add(&Row{Scenario: "1. dump", Contender: "raw", N: n, Unit: Seconds, LowerBetter: true, Values: []float64{0.5 * f}, Floor: true})
	}
	r.Add(&Row{Scenario: "6. lookups", Contender: "fast", N: 5, Unit: PerSecond, Values: []float64{1e6}})
	r.Add(&Row{Scenario: "6. lookups", Contender: "slow", N: 5, Unit: PerSecond, Values: []float64{2.5e5}})
	r.Add(&Row{Scenario: "6. lookups", Contender: "failed", N: 5, Unit: PerSecond, Err: "boom"})
	r.Add(&Row{Scenario: "6. lookups", Group: "lossy", Contender: "alone", N: 5, Unit: PerSecond, Values: []float64{10}})
	r.Add(&Row{Scenario: "6. lookups", Group: "lossy", Contender: "failed", N: 5, Unit: PerSecond, Err: "lost"})
	return r
}

func TestMedianSpread(t *testing.T) {
	row := &Row{Values: []float64{3, 1, 2, 10}}
	if got := row.Median(); got != 2.5 {
		t.Errorf("median %v, want 2.5", got)
	}
	if row.Min() != 1 || row.Max() != 10 {
		t.Errorf("min %v max %v", row.Min(), row.Max())
	}
	if !math.IsNaN((&Row{}).Median()) {
		t.Error("median of no runs is not NaN")
	}
}

func TestRatio(t *testing.T) {
	r := sample()
	want := map[string]float64{"ip": 2, "ours": 1, "raw": 0.5, "fast": 1, "slow": 4, "alone": 1}
	for _, row := range r.Rows {
		got := r.Ratio(row)
		if row.Contender == "failed" {
			// no runs: no ratio, but the chart shows it beside its peers
			if !math.IsNaN(got) {
				t.Errorf("failed row has ratio %v", got)
			}
			continue
		}
		if math.Abs(got-want[row.Contender]) > 1e-9 {
			t.Errorf("%s at %d: ratio %v, want %v", row.Contender, row.N, got, want[row.Contender])
		}
	}
}

func TestWriteFiles(t *testing.T) {
	dir := t.TempDir()
	if err := sample().WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## 1. dump", "| ip |  | 1000 |", "2.00×", "1.00 s – 3.00 s (±50%)", "`ip route show`", "cpu, 2 cores, Linux 6.18, go1.26", "ERROR: boom", "![scaling-1.svg](scaling-1.svg)"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q:\n%s", want, md)
		}
	}
	for _, f := range []string{"ratio-1.svg", "scaling-1.svg", "ratio-6.svg"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		d := xml.NewDecoder(strings.NewReader(string(b)))
		for {
			_, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s is not well-formed XML: %v", f, err)
			}
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "ratio-6.svg")); !strings.Contains(string(b), "no result") {
		t.Error("ratio-6.svg does not show the row without a result beside its peer")
	}
	again, err := Load(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Rows) != len(sample().Rows) || again.Machine != sample().Machine || again.Rows[0].Values[2] != 3 {
		t.Errorf("results.json does not load back: %+v", again)
	}
	if _, err := os.Stat(filepath.Join(dir, "scaling-6.svg")); err == nil {
		t.Error("scaling chart for a scenario run at one size")
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		v    float64
		unit string
		want string
	}{
		{0.0005, Seconds, "500 µs"}, {0.25, Seconds, "250.0 ms"}, {2.5, Seconds, "2.50 s"}, {12, Seconds, "12.0 s"},
		{1.5e6, PerSecond, "1.50M/s"}, {25000, PerSecond, "25k/s"}, {0.31, Percent, "0.31 %"}, {512, BytesPer, "512 B/route"},
	} {
		if got := Format(c.v, c.unit); got != c.want {
			t.Errorf("Format(%v, %q) = %q, want %q", c.v, c.unit, got, c.want)
		}
	}
}

// TestMarkdownResolution: a scenario whose rows have a resolution says in
// its facts that medians below it count as it in `× fastest` (the storm's
// 0 µs beside 1.1 ms "1.11×" was unexplained); others say nothing.
func TestMarkdownResolution(t *testing.T) {
	r := sample()
	r.Add(&Row{Scenario: "4. storm", Contender: "ours", N: 5, Unit: Seconds, LowerBetter: true, Values: []float64{1.1e-3}, Resolution: 1e-3})
	r.Add(&Row{Scenario: "4. storm", Contender: "peer", N: 5, Unit: Seconds, LowerBetter: true, Values: []float64{0}, Resolution: 1e-3})
	md := r.Markdown(nil)
	storm := md[strings.Index(md, "## 4. storm"):]
	if !strings.Contains(storm, "- resolution: this measurement cannot tell times below 1.0 ms apart") {
		t.Errorf("scenario 4 lacks the resolution note:\n%s", storm)
	}
	if strings.Count(md, "- resolution:") != 1 {
		t.Errorf("the resolution note is not in scenario 4 only:\n%s", md)
	}
	for _, row := range r.Rows {
		if row.Scenario == "4. storm" {
			if got, want := r.Ratio(row), map[string]float64{"ours": 1.1, "peer": 1}[row.Contender]; math.Abs(got-want) > 1e-9 {
				t.Errorf("%s: ratio %v, want %v", row.Contender, got, want)
			}
		}
	}
}
