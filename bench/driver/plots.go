package driver

import (
	"fmt"

	"github.com/cometstream/cometstream/bench"
)

var plotColors = map[int]string{1: "#9467bd", 100: "#1f77b4", 1000: "#d62728"}

// throughputPlot is section 2's burst events/s (the floor dashed) and
// section 3's medians.
func throughputPlot(res *Results) string {
	p := bench.Plot{Title: "Delivered events/s vs subscribers", XLabel: "subscribers", YLabel: "events/s", LogX: true, LogY: true}
	for _, txs := range []int{100, 1000} {
		for _, target := range []string{TargetStream, TargetFloor} {
			s := bench.Series{Name: fmt.Sprintf("%s, %s/block", target, plural(txs, "tx")), Color: plotColors[txs], Dashed: target == TargetFloor}
			for _, t := range res.FanOut {
				if t.Target == target && t.Kind == KindBurst && t.Txs == txs {
					s.Points = append(s.Points, [2]float64{float64(t.Subs), t.EventsPerSec})
				}
			}
			p.Series = append(p.Series, s)
		}
	}
	for _, c := range []struct{ target, name, color string }{
		{TargetStream, "cometstream, real txs", "#2ca02c"},
		{TargetCometBFT, "CometBFT, real txs", "#ff7f0e"},
		{TargetCometBFTRaised, "CometBFT raised, real txs", "#8c564b"},
	} {
		s := bench.Series{Name: c.name, Color: c.color}
		for _, a := range aggregateReal(res) {
			if a.Target == c.target && a.Rate > 0 {
				s.Points = append(s.Points, [2]float64{float64(a.Subs), a.Rate})
			}
		}
		p.Series = append(p.Series, s)
	}
	return p.SVG()
}

// latencyPlot is section 2's paced p99 latency.
func latencyPlot(res *Results) string {
	p := bench.Plot{Title: "Commit to last receipt, p99 (paced blocks)", XLabel: "subscribers", YLabel: "ms", LogX: true, LogY: true}
	for _, txs := range []int{1, 100, 1000} {
		for _, target := range []string{TargetStream, TargetFloor} {
			s := bench.Series{Name: fmt.Sprintf("%s, %s/block", target, plural(txs, "tx")), Color: plotColors[txs], Dashed: target == TargetFloor}
			for _, t := range res.FanOut {
				if t.Target == target && t.Kind == KindPaced && t.Txs == txs && t.LatP99 > 0 {
					s.Points = append(s.Points, [2]float64{float64(t.Subs), t.LatP99})
				}
			}
			if len(s.Points) > 0 {
				p.Series = append(p.Series, s)
			}
		}
	}
	return p.SVG()
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmtInt(int64(n)) + " " + unit + "s"
}
