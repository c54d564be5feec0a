package results

import (
	"fmt"
	"html"
	"math"
	"slices"
	"strings"
)

// palette of series colours (colour-blind safe, Okabe–Ito).
var palette = []string{"#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"}

const font = `font-family="sans-serif" font-size="12"`

// ratioChart draws one horizontal bar per row that has peers (the ratio
// of its median to the best of its group and size), grouped as in the
// table. The axis is logarithmic when the largest ratio exceeds 20.
func (r *Report) ratioChart(scenario string, rows []*Row) ([]byte, bool) {
	type bar struct {
		label string
		ratio float64
		group string
	}
	var bars []bar
	for _, row := range rows {
		x := r.Ratio(row)
		if math.IsNaN(x) {
			if len(row.Values) > 0 || len(r.peers(row)) < 2 {
				continue
			}
			x = math.Inf(1) // no result beside peers that have one
		}
		label := row.Contender
		if row.Group != "" {
			label = row.Group + ": " + label
		}
		if row.N > 0 {
			label += fmt.Sprintf(" (N=%d)", row.N)
		}
		bars = append(bars, bar{label, x, fmt.Sprintf("%s/%d", row.Group, row.N)})
	}
	if len(bars) == 0 {
		return nil, false
	}
	maxR := 1.0
	labelW := 0
	for _, b := range bars {
		if !math.IsInf(b.ratio, 0) {
			maxR = math.Max(maxR, b.ratio)
		}
		labelW = max(labelW, len(b.label))
	}
	logScale := maxR > 20
	left := float64(min(80, labelW))*6.5 + 20
	plotW := 420.0
	rowH := 22.0
	top := 40.0
	gaps := 0
	for i := 1; i < len(bars); i++ {
		if bars[i].group != bars[i-1].group {
			gaps++
		}
	}
	h := top + float64(len(bars))*rowH + float64(gaps)*8 + 40
	w := left + plotW + 180
	pos := func(x float64) float64 {
		if logScale {
			return plotW * math.Log10(math.Max(x, 1)) / math.Log10(maxR)
		}
		return plotW * x / maxR
	}
	var s strings.Builder
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f">`+"\n", w, h, w, h)
	fmt.Fprintf(&s, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	scale := "linear"
	if logScale {
		scale = "log"
	}
	fmt.Fprintf(&s, `<text x="10" y="20" %s font-weight="bold">%s: median relative to the fastest of its group (1.00× = fastest; %s axis)</text>`+"\n", font, esc(scenario), scale)
	y := top
	colour := 0
	for i, b := range bars {
		if i > 0 && b.group != bars[i-1].group {
			y += 8
			colour++
		}
		fill := palette[colour%len(palette)]
		bw := pos(b.ratio)
		txt := fmt.Sprintf("%.2f×", b.ratio)
		if math.IsInf(b.ratio, 0) {
			bw, txt = plotW, "no result (see the table)"
		}
		fmt.Fprintf(&s, `<text x="%.0f" y="%.0f" %s text-anchor="end">%s</text>`+"\n", left-8, y+15, font, esc(trunc(b.label, 80)))
		if math.IsInf(b.ratio, 0) {
			fmt.Fprintf(&s, `<rect x="%.0f" y="%.0f" width="%.1f" height="%.0f" fill="none" stroke="#888" stroke-dasharray="4,3"/>`+"\n", left, y+3, bw, rowH-6)
		} else {
			fmt.Fprintf(&s, `<rect x="%.0f" y="%.0f" width="%.1f" height="%.0f" fill="%s"/>`+"\n", left, y+3, math.Max(bw, 1), rowH-6, fill)
		}
		fmt.Fprintf(&s, `<text x="%.0f" y="%.0f" %s>%s</text>`+"\n", left+math.Max(bw, 1)+5, y+15, font, txt)
		y += rowH
	}
	fmt.Fprintf(&s, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#888"/>`+"\n", left, top, left, y)
	if one := pos(1); !logScale || one >= 0 {
		fmt.Fprintf(&s, `<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="#888" stroke-dasharray="3,3"/>`+"\n", left+one, top, left+one, y)
	}
	s.WriteString("</svg>\n")
	return []byte(s.String()), true
}

// scalingChart draws median time against N on log-log axes, one line per
// contender of the scenario's main group that ran at two or more sizes.
func scalingChart(scenario string, rows []*Row) ([]byte, bool) {
	series := map[string][][2]float64{}
	var names []string
	for _, row := range rows {
		if row.Group != "" || row.Unit != Seconds || row.N <= 0 || len(row.Values) == 0 {
			continue
		}
		if _, ok := series[row.Contender]; !ok {
			names = append(names, row.Contender)
		}
		series[row.Contender] = append(series[row.Contender], [2]float64{float64(row.N), row.Median()})
	}
	names = slices.DeleteFunc(names, func(n string) bool { return len(series[n]) < 2 })
	if len(names) == 0 {
		return nil, false
	}
	xs := sizes(rows)
	xmin, xmax := float64(xs[0]), float64(xs[len(xs)-1])
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for _, n := range names {
		for _, p := range series[n] {
			if p[1] > 0 {
				ymin, ymax = math.Min(ymin, p[1]), math.Max(ymax, p[1])
			}
		}
	}
	if math.IsInf(ymin, 0) {
		return nil, false
	}
	lyMin, lyMax := math.Floor(math.Log10(ymin)), math.Ceil(math.Log10(ymax))
	if lyMax == lyMin {
		lyMax++
	}
	lxMin, lxMax := math.Log10(xmin), math.Log10(xmax)
	if lxMax == lxMin {
		lxMax = lxMin + 1
	}
	const left, top, pw, ph = 70.0, 40.0, 520.0, 320.0
	legendW := 0
	for _, n := range names {
		legendW = max(legendW, len(n))
	}
	w := left + pw + 30 + float64(legendW)*6.5 + 30
	h := top + ph + 50
	px := func(x float64) float64 { return left + pw*(math.Log10(x)-lxMin)/(lxMax-lxMin) }
	py := func(y float64) float64 { return top + ph - ph*(math.Log10(y)-lyMin)/(lyMax-lyMin) }
	var s strings.Builder
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f">`+"\n", w, h, w, h)
	fmt.Fprintf(&s, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&s, `<text x="10" y="20" %s font-weight="bold">%s: median time against N (log–log)</text>`+"\n", font, esc(scenario))
	fmt.Fprintf(&s, `<rect x="%.0f" y="%.0f" width="%.0f" height="%.0f" fill="none" stroke="#888"/>`+"\n", left, top, pw, ph)
	for e := lyMin; e <= lyMax; e++ {
		y := py(math.Pow(10, e))
		fmt.Fprintf(&s, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#ddd"/>`+"\n", left, y, left+pw, y)
		fmt.Fprintf(&s, `<text x="%.0f" y="%.1f" %s text-anchor="end">%s</text>`+"\n", left-6, y+4, font, esc(Format(math.Pow(10, e), Seconds)))
	}
	for _, n := range xs {
		x := px(float64(n))
		fmt.Fprintf(&s, `<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="#ddd"/>`+"\n", x, top, x, top+ph)
		fmt.Fprintf(&s, `<text x="%.1f" y="%.0f" %s text-anchor="middle">%s</text>`+"\n", x, top+ph+16, font, kilo(n))
	}
	fmt.Fprintf(&s, `<text x="%.0f" y="%.0f" %s text-anchor="middle">N (routes)</text>`+"\n", left+pw/2, top+ph+36, font)
	for i, n := range names {
		c := palette[i%len(palette)]
		pts := slices.Clone(series[n])
		slices.SortFunc(pts, func(a, b [2]float64) int { return int(a[0] - b[0]) })
		var path []string
		for _, p := range pts {
			if p[1] <= 0 {
				continue
			}
			path = append(path, fmt.Sprintf("%.1f,%.1f", px(p[0]), py(p[1])))
			fmt.Fprintf(&s, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`+"\n", px(p[0]), py(p[1]), c)
		}
		fmt.Fprintf(&s, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", strings.Join(path, " "), c)
		ly := top + 10 + float64(i)*18
		fmt.Fprintf(&s, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="%s" stroke-width="2"/>`+"\n", left+pw+20, ly, left+pw+40, ly, c)
		fmt.Fprintf(&s, `<text x="%.0f" y="%.0f" %s>%s</text>`+"\n", left+pw+45, ly+4, font, esc(n))
	}
	s.WriteString("</svg>\n")
	return []byte(s.String()), true
}

func kilo(n int) string {
	switch {
	case n >= 1000000 && n%1000000 == 0:
		return fmt.Sprintf("%dM", n/1000000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	default:
		return fmt.Sprint(n)
	}
}

func esc(s string) string { return html.EscapeString(s) }

func trunc(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
