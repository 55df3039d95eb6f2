package bench

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// Plot is a line chart written as SVG with nothing but the standard
// library: log or linear axes, one line with markers per series, a legend.
type Plot struct {
	Title, XLabel, YLabel string
	LogX, LogY            bool
	Series                []Series
}

// Series is one line. Points with a non-positive coordinate on a log axis
// are left out.
type Series struct {
	Name   string
	Color  string // any SVG color
	Dashed bool
	Points [][2]float64
}

const (
	plotW, plotH                 = 760, 440
	padL, padR, padT, padB       = 80, 230, 40, 56
	innerW, innerH               = plotW - padL - padR, plotH - padT - padB
	plotFont                     = `font-family="DejaVu Sans, Helvetica, Arial, sans-serif"`
	legendLine, legendX, legendY = 22, plotW - padR + 16, padT + 8
)

// SVG renders the plot.
func (p Plot) SVG() string {
	xs, ys := p.extent()
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" %s font-size="12">`+"\n",
		plotW, plotH, plotW, plotH, plotFont)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", plotW, plotH)
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="15" font-weight="bold">%s</text>`+"\n", padL, html.EscapeString(p.Title))
	if xs == nil {
		fmt.Fprintf(&b, `<text x="%d" y="%d">no data</text></svg>`+"\n", padL, padT+innerH/2)
		return b.String()
	}
	xa := newAxis(xs[0], xs[1], p.LogX, float64(padL), float64(padL+innerW))
	ya := newAxis(ys[0], ys[1], p.LogY, float64(padT+innerH), float64(padT))

	// Grid and ticks.
	for _, t := range xa.ticks() {
		x := xa.pos(t)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#e4e4e4"/>`+"\n", x, padT, x, padT+innerH)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", x, padT+innerH+18, tickLabel(t))
	}
	for _, t := range ya.ticks() {
		y := ya.pos(t)
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e4e4e4"/>`+"\n", padL, y, padL+innerW, y)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", padL-8, y+4, tickLabel(t))
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#555"/>`+"\n", padL, padT, innerW, innerH)
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">%s</text>`+"\n", padL+innerW/2, plotH-14, html.EscapeString(p.XLabel))
	fmt.Fprintf(&b, `<text transform="translate(18 %d) rotate(-90)" text-anchor="middle">%s</text>`+"\n", padT+innerH/2, html.EscapeString(p.YLabel))

	// Lines, markers, legend.
	for i, s := range p.Series {
		dash := ""
		if s.Dashed {
			dash = ` stroke-dasharray="6 4"`
		}
		var pts []string
		for _, pt := range s.Points {
			if !p.usable(pt) {
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", xa.pos(pt[0]), ya.pos(pt[1])))
		}
		if len(pts) > 1 {
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>`+"\n", strings.Join(pts, " "), s.Color, dash)
		}
		for _, pt := range pts {
			x, y, _ := strings.Cut(pt, ",")
			fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="3.5" fill="%s"/>`+"\n", x, y, s.Color)
		}
		ly := legendY + i*legendLine
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"%s/>`+"\n",
			legendX, ly, legendX+24, ly, s.Color, dash)
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`+"\n", legendX+30, ly+4, html.EscapeString(s.Name))
	}
	b.WriteString("</svg>\n")
	return b.String()
}

func (p Plot) usable(pt [2]float64) bool {
	for i, v := range pt {
		log := p.LogX
		if i == 1 {
			log = p.LogY
		}
		if math.IsNaN(v) || math.IsInf(v, 0) || log && v <= 0 {
			return false
		}
	}
	return true
}

// extent returns the data's [min, max] on each axis, nil without data.
func (p Plot) extent() (xs, ys []float64) {
	for _, s := range p.Series {
		for _, pt := range s.Points {
			if !p.usable(pt) {
				continue
			}
			if xs == nil {
				xs, ys = []float64{pt[0], pt[0]}, []float64{pt[1], pt[1]}
			}
			xs[0], xs[1] = min(xs[0], pt[0]), max(xs[1], pt[0])
			ys[0], ys[1] = min(ys[0], pt[1]), max(ys[1], pt[1])
		}
	}
	return xs, ys
}

// axis maps data values to pixels.
type axis struct {
	lo, hi   float64 // data range, widened to whole decades or nice steps
	log      bool
	from, to float64 // pixels
}

func newAxis(lo, hi float64, log bool, from, to float64) axis {
	if log {
		lo = math.Pow(10, math.Floor(math.Log10(lo)))
		hi = math.Pow(10, math.Ceil(math.Log10(hi)))
		if hi <= lo {
			hi = lo * 10
		}
	} else {
		lo = min(lo, 0)
		step := niceStep((hi - lo) / 5)
		hi = math.Ceil(hi/step) * step
		if hi <= lo {
			hi = lo + 1
		}
	}
	return axis{lo: lo, hi: hi, log: log, from: from, to: to}
}

func (a axis) pos(v float64) float64 {
	f := (v - a.lo) / (a.hi - a.lo)
	if a.log {
		f = (math.Log10(v) - math.Log10(a.lo)) / (math.Log10(a.hi) - math.Log10(a.lo))
	}
	return a.from + f*(a.to-a.from)
}

func (a axis) ticks() []float64 {
	var out []float64
	if a.log {
		for v := a.lo; v <= a.hi*1.0001; v *= 10 {
			out = append(out, v)
		}
		return out
	}
	step := niceStep((a.hi - a.lo) / 5)
	for v := a.lo; v <= a.hi+step/1000; v += step {
		out = append(out, v)
	}
	return out
}

// niceStep rounds x up to 1, 2 or 5 times a power of ten.
func niceStep(x float64) float64 {
	if x <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= x {
			return m * p
		}
	}
	return 10 * p
}

// tickLabel writes 1,000 as 1k, 1,000,000 as 1M.
func tickLabel(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1e9:
		return trimFloat(v/1e9) + "G"
	case a >= 1e6:
		return trimFloat(v/1e6) + "M"
	case a >= 1e3:
		return trimFloat(v/1e3) + "k"
	default:
		return trimFloat(v)
	}
}

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}
