package measure

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is the outcome of one subcommand run: its context and one Result
// per contender.
type Report struct {
	// Title heads the table.
	Title string
	// Unit names the objects, e.g. "route".
	Unit string
	// Runs is how many times each contender ran.
	Runs int
	// Facts are key/value lines printed above the table (environment,
	// setup timings), in order.
	Facts []Fact
	// Results are the contenders, in table order.
	Results []*Result
	// Checks are targets (from the issues) evaluated on the results,
	// printed under the table. A missed target is reported, not an error.
	Checks []Check
}

// Check is one target and whether this run met it.
type Check struct {
	Target string `json:"target"`
	Got    string `json:"got"`
	OK     bool   `json:"ok"`
}

// Find returns the result named name, or nil.
func (r *Report) Find(name string) *Result {
	for _, res := range r.Results {
		if res.Name == name {
			return res
		}
	}
	return nil
}

// Fact is one key/value line of a report.
type Fact struct {
	Key, Value string
}

// Add appends a fact.
func (r *Report) Add(key, format string, args ...any) {
	r.Facts = append(r.Facts, Fact{key, fmt.Sprintf(format, args...)})
}

func (r *Report) reference() *Result {
	for _, res := range r.Results {
		if res.Reference && res.Err == nil && len(res.Samples) > 0 {
			return res
		}
	}
	return nil
}

// Failed reports whether any contender failed or produced a wrong count.
func (r *Report) Failed() bool {
	for _, res := range r.Results {
		if res.Err != nil || !res.CountOK() {
			return true
		}
	}
	return false
}

// WriteTable prints the report as a plain-text table.
func (r *Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", r.Title)
	for _, f := range r.Facts {
		fmt.Fprintf(&b, "  %-14s %s\n", f.Key+":", f.Value)
	}
	fmt.Fprintln(&b)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	u := r.Unit
	ref := r.reference()
	var missing []string
	width := 0
	for _, res := range r.Results {
		width = max(width, len(res.Name))
	}
	name := func(s string) string { return fmt.Sprintf("%-*s", width, s) } // left-aligned in a right-aligned table
	fmt.Fprintf(tw, "%s\t", name("contender"))
	fmt.Fprintf(tw, "best\tmedian\tcpu (med)\t%ss\t%ss/s\talloc B/%s\tallocs/%s\tlive B/%s\tx ref (best)\tx ref (med)\t\n", u, u, u, u, u)
	for _, res := range r.Results {
		if res.Err != nil || len(res.Samples) == 0 {
			why := res.Note
			if res.Err != nil {
				why = "ERROR: " + res.Err.Error()
			}
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t\n", name(res.Name))
			missing = append(missing, fmt.Sprintf("  %s: %s\n", res.Name, why))
			continue
		}
		count := fmt.Sprint(res.Objects())
		if !res.CountOK() {
			count += fmt.Sprintf(" (want %d!)", res.Expected)
		}
		ratioBest, ratioMed := "-", "-"
		if ref != nil {
			ratioBest = fmt.Sprintf("%.2fx", float64(res.Best())/float64(ref.Best()))
			ratioMed = fmt.Sprintf("%.2fx", float64(res.Median())/float64(ref.Median()))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n",
			name(res.Name), dur(res.Best()), dur(res.Median()), dur(res.MedianCPU()), count,
			rate(res.PerSecond()), num(res.AllocPerObject()), num(res.MallocsPerObject()), num(res.LivePerObject()),
			ratioBest, ratioMed)
	}
	tw.Flush()
	fmt.Fprintln(&b)
	for _, res := range r.Results {
		if res.What != "" {
			fmt.Fprintf(&b, "  %s: %s\n", res.Name, res.What)
		}
	}
	for _, m := range missing {
		b.WriteString(m)
	}
	if len(r.Checks) > 0 {
		fmt.Fprintf(&b, "\ntargets:\n")
		for _, c := range r.Checks {
			verdict := "MET "
			if !c.OK {
				verdict = "MISS"
			}
			fmt.Fprintf(&b, "  %s  %s: %s\n", verdict, c.Target, c.Got)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func dur(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	default:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	}
}

func rate(x float64) string {
	switch {
	case x >= 1e6:
		return fmt.Sprintf("%.2fM", x/1e6)
	case x >= 1e3:
		return fmt.Sprintf("%.0fk", x/1e3)
	default:
		return fmt.Sprintf("%.0f", x)
	}
}

func num(x float64) string {
	if x < 0 {
		return "-"
	}
	if x < 10 {
		return fmt.Sprintf("%.2f", x)
	}
	return fmt.Sprintf("%.0f", x)
}

// jsonResult is the JSON form of a Result.
type jsonResult struct {
	Name             string   `json:"name"`
	What             string   `json:"what,omitempty"`
	Reference        bool     `json:"reference,omitempty"`
	Error            string   `json:"error,omitempty"`
	Note             string   `json:"note,omitempty"`
	Objects          int      `json:"objects"`
	Expected         int      `json:"expected,omitempty"`
	CountOK          bool     `json:"count_ok"`
	BestNS           int64    `json:"best_ns"`
	MedianNS         int64    `json:"median_ns"`
	MedianCPUNS      int64    `json:"median_cpu_ns"`
	PerSecond        float64  `json:"per_second"`
	AllocPerObject   *float64 `json:"alloc_bytes_per_object,omitempty"`
	MallocsPerObject *float64 `json:"allocs_per_object,omitempty"`
	LivePerObject    *float64 `json:"live_bytes_per_object,omitempty"`
	RatioBest        *float64 `json:"ratio_to_reference_best,omitempty"`
	RatioMedian      *float64 `json:"ratio_to_reference_median,omitempty"`
	WallNS           []int64  `json:"wall_ns"`
}

// WriteJSON prints the report as one JSON object.
func (r *Report) WriteJSON(w io.Writer) error {
	out := struct {
		Title   string            `json:"title"`
		Unit    string            `json:"unit"`
		Runs    int               `json:"runs"`
		Facts   map[string]string `json:"facts"`
		Results []jsonResult      `json:"results"`
		Checks  []Check           `json:"targets,omitempty"`
	}{Checks: r.Checks, Title: r.Title, Unit: r.Unit, Runs: r.Runs, Facts: map[string]string{}}
	for _, f := range r.Facts {
		out.Facts[f.Key] = f.Value
	}
	ref := r.reference()
	opt := func(x float64) *float64 {
		if x < 0 {
			return nil
		}
		return &x
	}
	for _, res := range r.Results {
		j := jsonResult{Name: res.Name, What: res.What, Reference: res.Reference, Note: res.Note, Expected: res.Expected, CountOK: res.CountOK()}
		if res.Err != nil {
			j.Error = res.Err.Error()
		}
		if len(res.Samples) > 0 {
			j.Objects = res.Objects()
			j.BestNS = int64(res.Best())
			j.MedianNS = int64(res.Median())
			j.MedianCPUNS = int64(res.MedianCPU())
			j.PerSecond = res.PerSecond()
			j.AllocPerObject = opt(res.AllocPerObject())
			j.MallocsPerObject = opt(res.MallocsPerObject())
			j.LivePerObject = opt(res.LivePerObject())
			for _, s := range res.Samples {
				j.WallNS = append(j.WallNS, int64(s.Wall))
			}
			if ref != nil && res.Err == nil {
				j.RatioBest = opt(float64(res.Best()) / float64(ref.Best()))
				j.RatioMedian = opt(float64(res.Median()) / float64(ref.Median()))
			}
		}
		out.Results = append(out.Results, j)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
