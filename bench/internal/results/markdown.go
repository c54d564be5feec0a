package results

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Markdown is the report as Markdown: a header with the machine and the
// command, then per scenario its facts, a table (one row per contender and
// size: median, spread of the runs, ratio to the fastest, what ran, on
// which machine) and its charts (file names from charts).
func (r *Report) Markdown(charts map[string][]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", r.Title)
	fmt.Fprintf(&b, "- machine: %s (load average at start: %s)\n", r.Machine, r.Machine.Load)
	fmt.Fprintf(&b, "- command: `%s`\n", r.Invocation)
	fmt.Fprintf(&b, "- run: %s to %s (%v)\n", r.Started.UTC().Format(time.RFC3339), r.Finished.UTC().Format(time.RFC3339), r.Finished.Sub(r.Started).Round(time.Second))
	b.WriteString("- columns: `median` and `spread` (min–max of the runs, and ± half that range as a share of the median) over `runs` runs; " +
		"`× fastest` is the median relative to the best median among rows of the same group and size (time over the fastest time, or the best rate over this rate); " +
		"`target` is the row's target, **met** or **missed** by its median (or not measured), with the figure compared; " +
		"`what ran` is the exact command or library call; every row ran on the machine above, in this one invocation.\n\n")
	outcomes := r.Outcomes()
	if len(outcomes) > 0 {
		misses := r.Misses()
		fmt.Fprintf(&b, "## Targets\n\n%d of %d targets met (each row's median against its target; the `target` column of each table says the same).", len(outcomes)-len(misses), len(outcomes))
		if len(misses) == 0 {
			b.WriteString(" None missed.\n\n")
		} else {
			b.WriteString(" Missed or not measured:\n\n")
			for _, o := range misses {
				fmt.Fprintf(&b, "- %s\n", cell(o.String()))
			}
			b.WriteString("\n")
		}
	}
	mach := r.Machine.String()
	for _, sc := range r.Order {
		fmt.Fprintf(&b, "## %s\n\n", sc)
		for _, f := range r.Facts[sc] {
			fmt.Fprintf(&b, "- %s\n", f)
		}
		rows := r.scenarioRows(sc)
		if res := resolutionNote(rows); res != "" {
			fmt.Fprintf(&b, "- %s\n", res)
		}
		if len(r.Facts[sc]) > 0 || resolutionNote(rows) != "" {
			b.WriteString("\n")
		}
		if len(rows) > 0 {
			b.WriteString("| contender | group | N | metric | median | spread | runs | × fastest | target | notes | what ran | machine |\n")
			b.WriteString("|---|---|--:|---|--:|---|--:|--:|---|---|---|---|\n")
			for _, row := range rows {
				med, spread := "-", "-"
				if len(row.Values) > 0 {
					med = Format(row.Median(), row.Unit)
					spread = fmt.Sprintf("%s – %s (±%.0f%%)", Format(row.Min(), row.Unit), Format(row.Max(), row.Unit), halfRange(row))
				}
				ratio := "-"
				if x := r.Ratio(row); !math.IsNaN(x) {
					ratio = fmt.Sprintf("%.2f×", x)
				}
				notes := row.Notes
				if row.Err != "" {
					notes = strings.TrimSpace(notes + " ERROR: " + row.Err)
				}
				n := "-"
				if row.N > 0 {
					n = fmt.Sprint(row.N)
				}
				fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %d | %s | %s | %s | %s | %s |\n",
					cell(row.Contender), cell(row.Group), n, cell(row.Metric), med, spread, len(row.Values), ratio, cell(r.targetCell(row)), cell(notes), code(row.Command), cell(mach))
			}
			b.WriteString("\n")
		}
		for _, c := range charts[sc] {
			fmt.Fprintf(&b, "![%s](%s)\n\n", c, c)
		}
	}
	return b.String()
}

// resolutionNote explains the ratios of rows with a Resolution: a median
// below it counts as it, so a row whose median is below the resolution
// (e.g. 0 µs) is as fast as one just above it, not infinitely faster.
func resolutionNote(rows []*Row) string {
	var res []string
	for _, row := range rows {
		if row.Resolution > 0 {
			if s := Format(row.Resolution, row.Unit); !slices.Contains(res, s) {
				res = append(res, s)
			}
		}
	}
	if len(res) == 0 {
		return ""
	}
	return fmt.Sprintf("resolution: this measurement cannot tell times below %s apart, so `× fastest` counts a median below it as %s (a 0 µs row is 1.00×, and one of 1.1 ms about 1.1×, not infinitely slower)",
		strings.Join(res, ", "), strings.Join(res, ", "))
}

// halfRange is half the spread of the runs as a percentage of the median.
func halfRange(row *Row) float64 {
	m := row.Median()
	if m == 0 || math.IsNaN(m) {
		return 0
	}
	return (row.Max() - row.Min()) / 2 / math.Abs(m) * 100
}

func cell(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ").Replace(s)
}

func code(s string) string {
	if s == "" {
		return ""
	}
	return "`" + strings.NewReplacer("|", "\\|", "`", "'", "\n", " ").Replace(s) + "`"
}

// Format prints v in unit with a readable scale.
func Format(v float64, unit string) string {
	if math.IsNaN(v) {
		return "-"
	}
	switch unit {
	case Seconds:
		a := math.Abs(v)
		switch {
		case a >= 10:
			return fmt.Sprintf("%.1f s", v)
		case a >= 1:
			return fmt.Sprintf("%.2f s", v)
		case a >= 1e-3:
			return fmt.Sprintf("%.1f ms", v*1e3)
		default:
			return fmt.Sprintf("%.0f µs", v*1e6)
		}
	case PerSecond:
		switch {
		case v >= 1e6:
			return fmt.Sprintf("%.2fM/s", v/1e6)
		case v >= 1e3:
			return fmt.Sprintf("%.0fk/s", v/1e3)
		default:
			return fmt.Sprintf("%.0f/s", v)
		}
	case Percent:
		return fmt.Sprintf("%.2f %%", v)
	case BytesPer:
		return fmt.Sprintf("%.0f B/route", v)
	default:
		if v == math.Trunc(v) {
			return fmt.Sprintf("%.0f", v)
		}
		return fmt.Sprintf("%.2f", v)
	}
}
