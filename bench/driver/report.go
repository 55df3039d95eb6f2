package driver

import (
	_ "embed"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/template"

	"github.com/cometstream/cometstream/bench"
)

// report.tmpl is docs/benchmarks.md: its text, and the tables filled from
// the view below.
//
//go:embed report.tmpl
var reportTemplate string

// report writes docs/benchmarks.md from res.
func report(res *Results, cfg Config, findings string) (string, error) {
	t, err := template.New("report.tmpl").Funcs(reportFuncs).Parse(reportTemplate)
	if err != nil {
		return "", err
	}
	v := &view{Results: res, Findings: strings.TrimSpace(findings), Command: res.Command}
	if res.Command == "bin/benchrun" {
		v.Command = "make bench"
	}
	for _, img := range []string{cfg.SVGThroughput, cfg.SVGLatency} {
		if img != "" {
			v.Images = append(v.Images, [2]string{strings.TrimSuffix(filepath.Base(img), ".svg"), relTo(cfg.Doc, img)})
		}
	}
	v.Real = aggregateReal(res)
	v.CPU = aggregateCPU(res)
	v.Flood = floodModes(res)
	v.Targets = targets(v)
	var b strings.Builder
	if err := t.Execute(&b, v); err != nil {
		return "", err
	}
	return b.String(), nil
}

// view is what the template reads: the results and what is computed from
// more than one of them.
type view struct {
	*Results
	Command  string      // the command that reproduces the run
	Images   [][2]string // name, path relative to the report
	Findings string
	Targets  []targetRow
	Real     []realAgg
	CPU      []cpuAgg
	Flood    map[string]*floodMode
}

type targetRow struct{ Target, Result, Verdict string }

// Go benchmark lines, by the name after a prefix ("store=mem/txs=1/subs=0").

// Bench returns the lines of the benchmark named prefix ("BenchmarkFanOut"),
// keyed by the rest of their names.
func (v *view) Bench(prefix string) map[string]*GoBenchLine {
	out := map[string]*GoBenchLine{}
	for _, g := range v.GoBench {
		for i, l := range g.Results {
			if rest, ok := strings.CutPrefix(l.Name, prefix+"/"); ok {
				out[rest] = &g.Results[i]
			}
		}
	}
	return out
}

// BenchRows returns Bench(prefix)'s lines ordered by the parameters keys,
// numbers as numbers.
func (v *view) BenchRows(prefix string, keys ...string) []*GoBenchLine {
	var out []*GoBenchLine
	for _, l := range v.Bench(prefix) {
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b *GoBenchLine) int {
		for _, k := range keys {
			pa, pb := a.P(k), b.P(k)
			na, ea := strconv.Atoi(pa)
			nb, eb := strconv.Atoi(pb)
			if ea == nil && eb == nil && na != nb {
				return na - nb
			}
			if c := strings.Compare(pa, pb); ea != nil && c != 0 {
				return c
			}
		}
		return 0
	})
	return out
}

// M is the line's metric unit ("ns/op"), 0 for none or a nil line.
func (l *GoBenchLine) M(unit string) float64 {
	if l == nil {
		return 0
	}
	return l.Metrics[unit]
}

// P is the value of the name's parameter key ("txs" in ".../txs=100/...").
func (l *GoBenchLine) P(key string) string {
	for _, part := range strings.Split(l.Name, "/") {
		if v, ok := strings.CutPrefix(part, key+"="); ok {
			return v
		}
	}
	return ""
}

// Num is the parameter key as a number (at least 1, to divide by).
func (l *GoBenchLine) Num(key string) float64 {
	n, err := strconv.ParseFloat(l.P(key), 64)
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// Trials of section 2.

// fanOutRow is one (subscribers, txs/block) of section 2: the WebSocket
// burst, and the other trials of the same configuration.
type fanOutRow struct{ Burst, Paced, Floor, FloorPaced, SSE, SSEPaced *Trial }

// Lost is what the WebSocket subscribers missed, burst and paced;
// SSELost the same over SSE.
func (r fanOutRow) Lost() int64    { return lost(r.Burst, r.Paced) }
func (r fanOutRow) SSELost() int64 { return lost(r.SSE, r.SSEPaced) }

func lost(ts ...*Trial) int64 {
	var n int64
	for _, t := range ts {
		if t != nil {
			n += t.Lost
		}
	}
	return n
}

// FanOutRows returns section 2's rows; withSSE keeps only those with SSE
// trials.
func (v *view) FanOutRows(withSSE bool) []fanOutRow {
	find := func(target, kind string, subs, txs int) *Trial {
		for i := range v.FanOut {
			if t := &v.FanOut[i]; t.Target == target && t.Kind == kind && t.Subs == subs && t.Txs == txs {
				return t
			}
		}
		return nil
	}
	var rows []fanOutRow
	for i := range v.FanOut {
		t := &v.FanOut[i]
		if t.Target != TargetStream || t.Kind != KindBurst {
			continue
		}
		r := fanOutRow{Burst: t, Paced: find(TargetStream, KindPaced, t.Subs, t.Txs),
			Floor: find(TargetFloor, KindBurst, t.Subs, t.Txs), FloorPaced: find(TargetFloor, KindPaced, t.Subs, t.Txs),
			SSE: find(TargetSSE, KindBurst, t.Subs, t.Txs), SSEPaced: find(TargetSSE, KindPaced, t.Subs, t.Txs)}
		if !withSSE || r.SSE != nil {
			rows = append(rows, r)
		}
	}
	return rows
}

// FanOutEnds counts the subscriptions the server ended, by target and
// reason.
func (v *view) FanOutEnds() map[string]int {
	ends := map[string]int{}
	for _, t := range v.FanOut {
		for k, n := range t.Ends {
			ends[t.Target+": "+k] += n
		}
	}
	return ends
}

// SSECounts lists the subscriber counts with SSE trials: "1, 100 and 1,000".
func (v *view) SSECounts() string {
	var counts []string
	for _, t := range v.FanOut {
		if c := fmtInt(int64(t.Subs)); t.Target == TargetSSE && !slices.Contains(counts, c) {
			counts = append(counts, c)
		}
	}
	if len(counts) < 2 {
		return strings.Join(counts, "")
	}
	return strings.Join(counts[:len(counts)-1], ", ") + " and " + counts[len(counts)-1]
}

// Section 3.

// realAgg is one (subscribers, target) of section 3 over its runs.
type realAgg struct {
	Subs, Served             int
	Target                   string
	Events, Delivered, Lost  int64
	LostRuns                 []int64
	Rate, RateMin, RateMax   float64
	LatP50, LatP99, LatMax   float64
	TxRate, CPU              float64
	Ends, Setup              map[string]int
	ratesAll, p50s, txs, cpu []float64
}

func aggregateReal(res *Results) []realAgg {
	var out []realAgg
	index := map[string]int{}
	for _, t := range res.Real {
		k := fmt.Sprintf("%d/%s", t.Subs, t.Target)
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, realAgg{Subs: t.Subs, Target: t.Target, Served: t.Served, RateMin: math.Inf(1),
				Ends: map[string]int{}, Setup: map[string]int{}})
		}
		a := &out[i]
		a.Served = min(a.Served, t.Served)
		a.Events += t.Events
		a.Delivered += t.Delivered
		a.Lost += t.Lost
		a.LostRuns = append(a.LostRuns, t.Lost)
		a.ratesAll = append(a.ratesAll, t.EventsPerSec)
		a.RateMin, a.RateMax = min(a.RateMin, t.EventsPerSec), max(a.RateMax, t.EventsPerSec)
		if t.LatMax > 0 {
			a.p50s = append(a.p50s, t.LatP50)
		}
		a.LatP99, a.LatMax = max(a.LatP99, t.LatP99), max(a.LatMax, t.LatMax)
		a.txs = append(a.txs, t.TxPerSec)
		a.cpu = append(a.cpu, t.ServerCPUPerEvent)
		for e, n := range t.Ends {
			a.Ends[e] += n
		}
		for e, n := range t.SetupErrors {
			a.Setup[e] += n
		}
	}
	for i := range out {
		a := &out[i]
		a.Rate, a.TxRate, a.CPU = bench.Percentile(a.ratesAll, 50), bench.Percentile(a.txs, 50), bench.Percentile(a.cpu, 50)
		if len(a.p50s) > 0 {
			a.LatP50 = bench.Percentile(a.p50s, 50)
		}
	}
	return out
}

func findReal(aggs []realAgg, target string, subs int) *realAgg {
	for i := range aggs {
		if aggs[i].Target == target && aggs[i].Subs == subs {
			return &aggs[i]
		}
	}
	return nil
}

// RealRuns is the most runs of a section 3 configuration.
func (v *view) RealRuns() int {
	n := 1
	for _, t := range v.Real {
		n = max(n, len(t.LostRuns))
	}
	return n
}

// Section 4.

// cpuAgg is one configuration of the CPU-per-transaction trials: medians
// and spreads of its trials, and its ratios to the stream off.
type cpuAgg struct {
	Config                 string
	Trials                 int
	CPU, CPUMin, CPUMax    float64 // µs per committed transaction
	Rate, RateMin, RateMax float64 // tx/s
	// CPUOfOff and RateOfOff are this median over off's; PairedCPU and
	// PairedRate the median over the rounds of this trial over the same
	// round's off trial, which a change of the machine's load between
	// rounds moves less.
	CPUOfOff, RateOfOff, PairedCPU, PairedRate float64
	// Events the subscribers wanted (served x committed), Lost of them.
	Events, Lost int64
}

func aggregateCPU(res *Results) []cpuAgg {
	var order []string
	byConfig := map[string][]CPUTrial{}
	off := map[int]CPUTrial{}
	for _, t := range res.CPUPerTx {
		if _, ok := byConfig[t.Config]; !ok {
			order = append(order, t.Config)
		}
		byConfig[t.Config] = append(byConfig[t.Config], t)
		if !t.Stream {
			off[t.Rep] = t
		}
	}
	out := make([]cpuAgg, 0, len(order))
	for _, c := range order {
		a := cpuAgg{Config: c, Trials: len(byConfig[c])}
		var cpus, rates, pc, pr []float64
		for _, t := range byConfig[c] {
			cpus, rates = append(cpus, t.CPUPerTx), append(rates, t.TxPerSec)
			if o, ok := off[t.Rep]; ok && o.CPUPerTx > 0 && o.TxPerSec > 0 {
				pc, pr = append(pc, t.CPUPerTx/o.CPUPerTx), append(pr, t.TxPerSec/o.TxPerSec)
			}
			if t.Subs > 0 {
				a.Events += int64(t.Served) * int64(t.Txs)
				a.Lost += int64(t.Served)*int64(t.Txs) - t.Delivered
			}
		}
		a.CPUMin, a.CPUMax, a.RateMin, a.RateMax = slices.Min(cpus), slices.Max(cpus), slices.Min(rates), slices.Max(rates)
		a.CPU, a.Rate = bench.Percentile(cpus, 50), bench.Percentile(rates, 50)
		a.PairedCPU, a.PairedRate = bench.Percentile(pc, 50), bench.Percentile(pr, 50)
		out = append(out, a)
	}
	if len(out) > 0 && out[0].Config == "off" {
		for i := range out {
			out[i].CPUOfOff, out[i].RateOfOff = out[i].CPU/out[0].CPU, out[i].Rate/out[0].Rate
		}
	}
	return out
}

// Section 9.

// floodMode sums one mode's commit floods.
type floodMode struct {
	MaxGap    float64
	Gaps      []float64 // each flood's longest block gap
	Posts, OK int
	Answers   map[string]int
}

// MedianGap is the median of the floods' longest gaps: whether a flood's
// transactions land in one block or two moves a flood's longest gap by up
// to a second in either mode, so the verdict takes the median.
func (m *floodMode) MedianGap() float64 {
	g := slices.Sorted(slices.Values(m.Gaps))
	if len(g)%2 == 1 {
		return g[len(g)/2]
	}
	return (g[len(g)/2-1] + g[len(g)/2]) / 2
}

func floodModes(res *Results) map[string]*floodMode {
	out := map[string]*floodMode{}
	for _, t := range res.CommitFlood {
		m := out[t.Mode]
		if m == nil {
			m = &floodMode{Answers: map[string]int{}}
			out[t.Mode] = m
		}
		m.MaxGap = max(m.MaxGap, t.MaxGap)
		m.Gaps = append(m.Gaps, t.MaxGap)
		m.Posts += t.Posts
		m.OK += t.Answers["202"]
		for k, n := range t.Answers {
			m.Answers[k] += n
		}
	}
	return out
}

// FloodApart is the flood's command and commit when they are not the
// rest of the report's (the flood may be measured alone and merged in).
func (v *view) FloodApart() *FloodTrial {
	if len(v.CommitFlood) == 0 {
		return nil
	}
	if t := v.CommitFlood[0]; t.Command != v.Results.Command || t.Commit != v.Machine.Commit {
		return &t
	}
	return nil
}

func relTo(doc, file string) string {
	if rel, err := filepath.Rel(filepath.Dir(doc), file); err == nil && doc != "" {
		return rel
	}
	return file
}
