package driver

import (
	"fmt"
	"slices"
	"strings"
)

// floodMode sums one mode's trials: the longest gap of any, the trials'
// longest gaps, the posts and the 202 answers of all.
type floodMode struct {
	maxGap    float64
	gaps      []float64
	posts, ok int
	trials    int
	answers   map[string]int
}

// medianGap is the median of the trials' longest gaps. Whether a flood's
// 2,000 transactions land in one block or are split over two (CheckTx
// takes about as long as a block) moves a trial's longest gap by up to a
// second in either mode, so the verdict takes the median of the trials,
// and the table shows each.
func (m *floodMode) medianGap() float64 {
	g := slices.Clone(m.gaps)
	slices.Sort(g)
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
			m = &floodMode{answers: map[string]int{}}
			out[t.Mode] = m
		}
		m.maxGap = max(m.maxGap, t.MaxGap)
		m.gaps = append(m.gaps, t.MaxGap)
		m.posts += t.Posts
		m.ok += t.Answers["202"]
		m.trials++
		for k, v := range t.Answers {
			m.answers[k] += v
		}
	}
	return out
}

// commitFloodTarget is the target: the longest block gap under
// the commit floods within 10 % of the async controls'.
func commitFloodTarget(res *Results) (targetRow, bool) {
	modes := floodModes(res)
	async, commit := modes[FloodAsync], modes[FloodCommit]
	if async == nil || commit == nil || async.maxGap <= 0 {
		return targetRow{}, false
	}
	ratio := commit.medianGap() / async.medianGap()
	result := fmt.Sprintf("longest gap between block times in a flood of %s concurrent posts, median of %s per mode: %s with mode=commit, %s with mode=async (%+.1f%%); the longest of all: %s and %s",
		fmtInt(int64(res.CommitFlood[0].Posts)), plural(commit.trials, "flood"), ms(commit.medianGap()), ms(async.medianGap()), 100*(ratio-1),
		ms(commit.maxGap), ms(async.maxGap))
	verdict := "met"
	switch {
	case ratio > 1.1:
		verdict = fmt.Sprintf("**missed** by %.1f%% (see section 9)", 100*(ratio-1.1))
	case commit.ok != commit.posts:
		verdict = fmt.Sprintf("met, but only %s of %s commit posts answered 202 (%s)", fmtInt(int64(commit.ok)), fmtInt(int64(commit.posts)), fmtCounts(commit.answers))
	}
	return targetRow{"A flood of mode=commit posts moves block time no more than mode=async does (longest block gap within 10 % of the async control)", result, verdict}, true
}

func commitFloodSection(w func(string, ...any), res *Results) {
	if len(res.CommitFlood) == 0 {
		return
	}
	w("## 9. Commit flood: concurrent `mode=commit` posts beside `mode=async`\n\n")
	w("A fresh single-validator node (stream on) gets N fresh signed CREATEs posted to the Web API all at once, ")
	w("first with `mode=async` (the control: the answer comes when the mempool took the transaction), then with ")
	w("`mode=commit` (the answer waits for the block). The figure is the longest gap between consecutive block times ")
	w("(the headers' BFT time) from the block before the flood to two blocks past the one of its last transaction ")
	w("(a stall may come after it); the Commits column is the same between the node's own Commits. Before the waiters followed the event log, each one was a ")
	w("`tx.hash` query on CometBFT's event bus, matched by consensus against every transaction: 1,500 posts gave a ")
	w("10.5 s gap against 2.0 s with `mode=async`, and with 2,000, 1,999 answers were 504. The Targets verdict ")
	w("compares the medians of the trials' longest gaps: whether a flood lands in one block or is split over two ")
	w("moves a trial's figure by up to a second, in either mode.\n\n")
	w("| run | mode | posts | answers | committed | blocks | longest block gap | median gap | longest gap between Commits | posts answered in | load |\n")
	w("|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, t := range res.CommitFlood {
		w("| %d | %s | %s | %s | %s | %d (heights %d-%d) | %s | %s | %s | %.1f s | %s |\n", t.Rep, t.Mode, fmtInt(int64(t.Posts)), fmtCounts(t.Answers),
			fmtInt(int64(t.Committed)), t.Blocks, t.FromHeight, t.ToHeight, ms(t.MaxGap), ms(t.MedianGap), ms(t.MaxCommitGap), t.Seconds, firstField(t.Load))
	}
	w("\n")
	if t := res.CommitFlood[0]; t.Command != res.Command || t.Commit != res.Machine.Commit {
		cmd := t.Command
		if cmd == "bin/benchrun" {
			cmd = "make bench"
		}
		w("Measured separately from the rest of this report: `%s` at commit `%s`, %s.\n\n", cmd, t.Commit, t.Started.Format("2006-01-02 15:04 MST"))
	}
}

func ms(v float64) string { return fmtMs(v) + " ms" }

func firstField(s string) string {
	f, _, _ := strings.Cut(s, " ")
	return f
}
