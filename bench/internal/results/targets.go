package results

import (
	"fmt"
	"math"
	"strings"
)

// Target is a goal for a row's median: at most (AtMost) or at least Limit
// in the row's Unit, or, when Of is set, Limit times the median of the row
// of the same scenario, group and size whose contender is Of.
type Target struct {
	// Text is the target as its issue states it, e.g. "at most 1.5x ip
	// route show (issue 3, set at 1M routes)".
	Text   string  `json:"text"`
	AtMost bool    `json:"at_most"`
	Limit  float64 `json:"limit"`
	Of     string  `json:"of,omitempty"`
}

// Verdicts of Report.Verdict.
const (
	Met         = "met"
	Missed      = "missed"
	NotMeasured = "not measured"
)

// Verdict compares row's median with t: Met or Missed, and the figure
// compared (the median, or its ratio to the Of row's median); NotMeasured
// when row, or the row t refers to, has no runs.
func (r *Report) Verdict(row *Row, t Target) (verdict, got string) {
	med := row.Median()
	if math.IsNaN(med) {
		return NotMeasured, "no runs"
	}
	bound, got := t.Limit, Format(med, row.Unit)
	if t.Of != "" {
		ref := r.find(row.Scenario, row.Group, row.N, t.Of)
		if ref == nil || math.IsNaN(ref.Median()) || ref.Median() <= 0 {
			return NotMeasured, "no runs of " + t.Of
		}
		bound = t.Limit * ref.Median()
		got = fmt.Sprintf("%.2f× %s", med/ref.Median(), t.Of)
	}
	if t.AtMost && med <= bound || !t.AtMost && med >= bound {
		return Met, got
	}
	return Missed, got
}

// find returns the row of scenario, group and size n whose contender is
// name, or nil.
func (r *Report) find(scenario, group string, n int, name string) *Row {
	for _, o := range r.Rows {
		if o.Scenario == scenario && o.Group == group && o.N == n && o.Contender == name {
			return o
		}
	}
	return nil
}

// TargetOutcome is one target of one row with its verdict.
type TargetOutcome struct {
	Row     *Row
	Target  Target
	Verdict string // Met, Missed or NotMeasured
	Got     string // the figure compared
}

// String is the outcome in one line: scenario, contender, size, target,
// verdict and figure.
func (o TargetOutcome) String() string {
	who := o.Row.Contender
	if o.Row.Group != "" {
		who = o.Row.Group + ": " + who
	}
	return fmt.Sprintf("%s / %s at N=%d: %s: %s (%s)", o.Row.Scenario, who, o.Row.N, o.Target.Text, o.Verdict, o.Got)
}

// Outcomes are the verdicts of every target of every row, in row order.
func (r *Report) Outcomes() []TargetOutcome {
	var out []TargetOutcome
	for _, row := range r.Rows {
		for _, t := range row.Targets {
			v, got := r.Verdict(row, t)
			out = append(out, TargetOutcome{row, t, v, got})
		}
	}
	return out
}

// Misses are the outcomes that are not Met: missed or not measured.
func (r *Report) Misses() []TargetOutcome {
	var out []TargetOutcome
	for _, o := range r.Outcomes() {
		if o.Verdict != Met {
			out = append(out, o)
		}
	}
	return out
}

// targetCell is the Markdown cell of a row's targets with their verdicts.
func (r *Report) targetCell(row *Row) string {
	var parts []string
	for _, t := range row.Targets {
		v, got := r.Verdict(row, t)
		parts = append(parts, fmt.Sprintf("%s: **%s** (%s)", t.Text, v, got))
	}
	return strings.Join(parts, "; ")
}
