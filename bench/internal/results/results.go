// Package results holds the figures of one benchmark report (one row per
// contender, scenario and size, with every run's value) and writes them as
// a Markdown report, JSON and SVG charts.
package results

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Machine is where a report ran.
type Machine struct {
	CPU    string `json:"cpu"`
	Cores  int    `json:"cores"`
	Kernel string `json:"kernel"`
	Go     string `json:"go"`
	// Load is /proc/loadavg at the start, since other load on the machine
	// shows in every figure.
	Load string `json:"load"`
}

// String is the machine in one line.
func (m Machine) String() string {
	return fmt.Sprintf("%s, %d cores, Linux %s, %s", m.CPU, m.Cores, m.Kernel, m.Go)
}

// Units of Row.Unit. Values are stored in these base units.
const (
	Seconds   = "s"       // durations
	PerSecond = "/s"      // rates
	Percent   = "% core"  // CPU share of one core
	BytesPer  = "B/route" // bytes per route
	Count     = "count"   // plain numbers
)

// Row is one contender of one scenario at one size: every run's value.
type Row struct {
	// Scenario is the section the row belongs to, e.g. "1. dump+decode".
	Scenario string `json:"scenario"`
	// Group names the rows that measure the same thing and are compared
	// with each other (the ratio to the fastest); empty is the scenario's
	// main group.
	Group string `json:"group,omitempty"`
	// Contender is who ran, e.g. "ipdb/netlink RouteDump" or "ip route show".
	Contender string `json:"contender"`
	// N is the size the row ran at (routes, events, lookups); 0 if none.
	N int `json:"n"`
	// Metric is what Values measure ("time", "rate", "p99", "CPU").
	Metric string `json:"metric"`
	// Unit is one of the unit constants.
	Unit string `json:"unit"`
	// LowerBetter is true for times and costs, false for rates.
	LowerBetter bool `json:"lower_better"`
	// Values are the runs, in order.
	Values []float64 `json:"values"`
	// Notes are further figures of the row (allocations, overflows).
	Notes string `json:"notes,omitempty"`
	// Command is exactly what ran: the command line or library call.
	Command string `json:"command"`
	// Err says why the row has fewer runs than asked (or none).
	Err string `json:"error,omitempty"`
	// Floor marks a lower bound that is not a contender (e.g. a raw dump
	// without decoding): it gets a ratio but is never the fastest.
	Floor bool `json:"floor,omitempty"`
	// Resolution is the smallest difference the measurement can tell (in
	// Unit); for ratios, smaller medians count as Resolution, so that a
	// zero does not make every other row infinitely worse.
	Resolution float64 `json:"resolution,omitempty"`
	// Targets are the row's goals, each met or missed by its median
	// (Report.Verdict).
	Targets []Target `json:"targets,omitempty"`
}

// Median of the runs; NaN without runs.
func (r *Row) Median() float64 {
	if len(r.Values) == 0 {
		return math.NaN()
	}
	s := slices.Clone(r.Values)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Min and Max of the runs; NaN without runs.
func (r *Row) Min() float64 {
	if len(r.Values) == 0 {
		return math.NaN()
	}
	return slices.Min(r.Values)
}

// Max of the runs; NaN without runs.
func (r *Row) Max() float64 {
	if len(r.Values) == 0 {
		return math.NaN()
	}
	return slices.Max(r.Values)
}

// Report is a whole benchmark report.
type Report struct {
	Title   string  `json:"title"`
	Machine Machine `json:"machine"`
	// Invocation is the command line that made the report.
	Invocation string    `json:"invocation"`
	Started    time.Time `json:"started"`
	Finished   time.Time `json:"finished"`
	// Order lists the scenarios in the order they are written.
	Order []string `json:"scenarios"`
	// Facts are lines printed under a scenario's heading (setup, targets,
	// what was seen), by scenario.
	Facts map[string][]string `json:"facts"`
	Rows  []*Row              `json:"rows"`
}

// New returns an empty report.
func New(title string, m Machine, invocation string) *Report {
	return &Report{Title: title, Machine: m, Invocation: invocation, Started: time.Now(), Facts: map[string][]string{}}
}

// Add appends a row (and its scenario to Order if new) and returns it.
func (r *Report) Add(row *Row) *Row {
	if !slices.Contains(r.Order, row.Scenario) {
		r.Order = append(r.Order, row.Scenario)
	}
	r.Rows = append(r.Rows, row)
	return row
}

// Fact appends a line under scenario's heading.
func (r *Report) Fact(scenario, format string, args ...any) {
	if !slices.Contains(r.Order, scenario) {
		r.Order = append(r.Order, scenario)
	}
	r.Facts[scenario] = append(r.Facts[scenario], fmt.Sprintf(format, args...))
}

// peers are the rows row is compared with, row included: same scenario,
// group, size and unit.
func (r *Report) peers(row *Row) []*Row {
	var out []*Row
	for _, o := range r.Rows {
		if o.Scenario == row.Scenario && o.Group == row.Group && o.N == row.N && o.Unit == row.Unit {
			out = append(out, o)
		}
	}
	return out
}

// Ratio is how many times worse row's median is than the best median of
// its peers that are not floors (1 for the best): time over the fastest
// time, or the fastest rate over this rate. NaN when the row has no runs
// or no peer (a peer without runs, e.g. one that lost events, still
// counts), or the best time is 0.
func (r *Report) Ratio(row *Row) float64 {
	peers := r.peers(row)
	if len(row.Values) == 0 || len(peers) < 2 {
		return math.NaN()
	}
	best := math.NaN()
	for _, p := range peers {
		if p.Floor || len(p.Values) == 0 {
			continue
		}
		if m := max(p.Median(), p.Resolution); math.IsNaN(best) || (row.LowerBetter && m < best) || (!row.LowerBetter && m > best) {
			best = m
		}
	}
	if math.IsNaN(best) {
		return math.NaN()
	}
	m := max(row.Median(), row.Resolution)
	if row.LowerBetter {
		if best <= 0 {
			return math.NaN()
		}
		return m / best
	}
	if m <= 0 {
		return math.Inf(1)
	}
	return best / m
}

// scenarioRows are the rows of one scenario, in the order added.
func (r *Report) scenarioRows(scenario string) []*Row {
	var out []*Row
	for _, row := range r.Rows {
		if row.Scenario == scenario {
			out = append(out, row)
		}
	}
	return out
}

// WriteFiles writes report.md, results.json, one ratio chart per scenario
// with comparable rows (ratio-K.svg, K the scenario's leading number) and a
// scaling chart per scenario that ran at more than one size
// (scaling-K.svg) to dir, creating it.
func (r *Report) WriteFiles(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if r.Finished.IsZero() {
		r.Finished = time.Now()
	}
	charts := map[string][]string{}
	for i, sc := range r.Order {
		id := strconv.Itoa(i + 1)
		if num, _, ok := strings.Cut(sc, "."); ok {
			if _, err := strconv.Atoi(num); err == nil {
				id = num
			}
		}
		rows := r.scenarioRows(sc)
		if svg, ok := r.ratioChart(sc, rows); ok {
			name := "ratio-" + id + ".svg"
			if err := os.WriteFile(filepath.Join(dir, name), svg, 0o644); err != nil {
				return err
			}
			charts[sc] = append(charts[sc], name)
		}
		if svg, ok := scalingChart(sc, rows); ok {
			name := "scaling-" + id + ".svg"
			if err := os.WriteFile(filepath.Join(dir, name), svg, 0o644); err != nil {
				return err
			}
			charts[sc] = append(charts[sc], name)
		}
	}
	md := r.Markdown(charts)
	if err := os.WriteFile(filepath.Join(dir, "report.md"), []byte(md), 0o644); err != nil {
		return err
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "results.json"), append(js, '\n'), 0o644)
}

// sizes are the distinct N of rows, ascending.
func sizes(rows []*Row) []int {
	var ns []int
	for _, row := range rows {
		if !slices.Contains(ns, row.N) {
			ns = append(ns, row.N)
		}
	}
	slices.SortFunc(ns, cmp.Compare)
	return ns
}

// Load reads a report from the results.json that WriteFiles wrote, for
// writing it again (e.g. with newer charts).
func Load(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if r.Facts == nil {
		r.Facts = map[string][]string{}
	}
	return &r, nil
}
