package driver

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cometstream/cometstream/bench"
)

// report writes docs/benchmarks.md from res.
func report(res *Results, cfg Config, findings string) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	m := res.Machine

	w("# Benchmarks\n\n")
	w("Written by `bench/cmd/benchrun` (`make bench`) from one run on one machine: every number below comes from it. ")
	w("Nobody in this field publishes numbers for their event stream; these put cometstream's beside CometBFT's own ")
	w("`/websocket` subscription and beside the raw-socket floor of the same machine, measured in the same run.\n\n")
	if res.Smoke {
		w("**This is a smoke run (tiny configuration): its numbers mean nothing.**\n\n")
	}
	for _, img := range []string{cfg.SVGThroughput, cfg.SVGLatency} {
		if img != "" {
			w("![%s](%s)\n\n", strings.TrimSuffix(filepath.Base(img), ".svg"), relTo(cfg.Doc, img))
		}
	}
	if cfg.SVGThroughput != "" {
		w("Throughput: bursts of synthetic blocks (section 2; the floor dashed) and, for the real-transaction ")
		w("lines, the medians of section 3. Latency: paced synthetic blocks, p99 of Commit to a subscriber's ")
		w("receipt of a block's last message.\n\n")
	}

	w("## The run\n\n")
	w("| | |\n|---|---|\n")
	w("| machine | %s, %d cores, %.1f GiB RAM, Linux %s, %s, open files limit %d per process |\n", m.CPU, m.Cores, m.MemGiB, m.Kernel, m.Go, m.FDLimit)
	dirty := ""
	if m.Dirty {
		dirty = " (with uncommitted changes to tracked files)"
	}
	w("| commit | `%s`%s |\n", m.Commit, dirty)
	if res.Command == "bin/benchrun" {
		w("| command | `make bench` (builds `bin/benchrun` and runs it with no arguments) |\n")
	} else {
		w("| command | `%s` |\n", res.Command)
	}
	w("| started | %s, took %s |\n", res.Started.Format(time.RFC3339), res.Duration)
	w("| load average (1, 5, 15 min) | %s before, %s after: the machine was shared with other work, so absolute numbers are noisy; each comparison below was measured back to back in the same run |\n\n", m.LoadBefore, m.LoadAfter)

	w("## Targets\n\n")
	w("| target | result | verdict |\n|---|---|---|\n")
	for _, t := range targets(res) {
		w("| %s | %s | %s |\n", t.target, t.result, t.verdict)
	}
	w("\n")

	handoffSection(w, res)
	fanOutSection(w, res)
	realSection(w, res)
	txRateSection(w, res)
	memorySection(w, res)
	encodeSection(w, res)
	inProcessSection(w, res)
	proposalsSection(w, res)
	commitFloodSection(w, res)

	if len(res.Notes) > 0 {
		w("## Notes from the run\n\n")
		for _, n := range res.Notes {
			w("- %s\n", n)
		}
		w("\n")
	}
	if findings != "" {
		w("## Findings\n\n%s\n", strings.TrimSpace(findings))
		w("\n")
	}

	w("## Reproduce\n\n")
	cmd := res.Command
	if cmd == "bin/benchrun" {
		cmd = "make bench"
	}
	w("```sh\n%s\n```\n\n", cmd)
	w("`make bench` builds `bin/benchrun` and runs it: the Go benchmarks, then the load driver, then this file, ")
	w("`bench/results.json` (the raw results) and the plots. `bin/benchrun -render` writes this file again from ")
	w("`bench/results.json` without a run. The Go benchmarks run alone with the commands below. Iterations and ")
	w("blocks per trial are cut so that the whole takes about %s on this 2-core machine: a few blocks per trial ", res.Duration)
	w("for the big configurations, one run of each Go benchmark command.\n\n")
	w("<details><summary>Go benchmark output</summary>\n\n")
	for _, g := range res.GoBench {
		w("```\n$ %s\n%s\n```\n\n", g.Command, strings.TrimSpace(g.Raw))
	}
	w("</details>\n")
	return b.String()
}

type targetRow struct{ target, result, verdict string }

func targets(res *Results) []targetRow {
	var rows []targetRow

	// Commit hand-off flat in the number of subscribers: the rule is that
	// 10,000 parked subscribers add less than 10 ns each (100 µs in all),
	// i.e. that Commit's goroutine does no work per subscriber; waking
	// them costs a few hundred ns each wherever it runs.
	ho := goBenchByName(res, "BenchmarkCommitHandoff/")
	var parts []string
	worstAdded := 0.0
	found := false
	for _, store := range []string{"mem", "segment"} {
		for _, txs := range []string{"1", "1000"} {
			base, ok0 := ho[fmt.Sprintf("store=%s/txs=%s/subs=0", store, txs)]
			top, ok1 := ho[fmt.Sprintf("store=%s/txs=%s/subs=10000", store, txs)]
			if !ok0 || !ok1 {
				continue
			}
			found = true
			added := top.Metrics["ns/op"] - base.Metrics["ns/op"]
			worstAdded = max(worstAdded, added)
			parts = append(parts, fmt.Sprintf("%s store, %s-tx blocks: %s with 0 subscribers, %s with 10,000 (%+.1f ns per subscriber)",
				store, txs, fmtNs(base.Metrics["ns/op"]), fmtNs(top.Metrics["ns/op"]), added/10000))
		}
	}
	if found {
		verdict := fmt.Sprintf("met by the rule (10,000 subscribers add less than 10 ns each): at most %+.1f ns each", worstAdded/10000)
		if worstAdded > 100_000 {
			verdict = fmt.Sprintf("**missed**: 10,000 subscribers add up to %.0f ns each to Commit (rule: under 10; see Findings)", worstAdded/10000)
		}
		rows = append(rows, targetRow{"Commit hand-off flat in the number of subscribers (go test, Commit alone)", strings.Join(parts, "; "), verdict})
	}
	var insitu []string
	var first, last *Trial
	for i, t := range res.FanOut {
		if t.Target == TargetStream && t.Kind == KindPaced && t.Txs == 1 {
			insitu = append(insitu, fmt.Sprintf("N=%s: %s (max %s)", fmtInt(int64(t.Subs)), fmtNs(1000*t.HandoffP50), fmtNs(1000*t.HandoffMax)))
			if first == nil {
				first = &res.FanOut[i]
			}
			last = &res.FanOut[i]
		}
	}
	if first != nil && last != first {
		added := 1000 * (last.HandoffP50 - first.HandoffP50) / float64(last.Subs-first.Subs)
		v := fmt.Sprintf("met by the same rule: %+.1f ns per subscriber", added)
		if added > 10 {
			v = fmt.Sprintf("**missed**: %.0f ns per subscriber (rule: under 10)", added)
		}
		rows = append(rows, targetRow{"the same in the node: Log.Append of a 1-tx block with N WebSocket subscribers parked (driver, p50)", strings.Join(insitu, "; "), v})
	}

	// 10,000 subscribers on one node; zero events lost.
	maxSubs, served, lostAtMax, trialsAtMax := 0, 0, int64(0), 0
	var lost, events int64
	for _, t := range res.FanOut {
		if t.Target == TargetSSE {
			lost += t.Lost
			events += t.Events
		}
		if t.Target != TargetStream {
			continue
		}
		lost += t.Lost
		events += t.Events
		if t.Subs > maxSubs {
			maxSubs, served, lostAtMax, trialsAtMax = t.Subs, 0, 0, 0
		}
		if t.Subs == maxSubs {
			served = max(served, t.Served)
			lostAtMax += t.Lost
			trialsAtMax++
		}
	}
	for _, t := range res.Real {
		if t.Target == TargetStream {
			lost += t.Lost
			events += t.Events
		}
	}
	if maxSubs > 0 {
		v := "met"
		if served < 10000 || lostAtMax > 0 {
			v = fmt.Sprintf("**missed**: %d of 10,000", served)
			if maxSubs < 10000 {
				v = "not measured in this run"
			}
		}
		rows = append(rows, targetRow{"10,000 concurrent subscribers served by one node",
			fmt.Sprintf("%s of %s subscribers connected to one node, %d trials, %s events lost", fmtInt(int64(served)), fmtInt(int64(maxSubs)), trialsAtMax, fmtInt(lostAtMax)), v})
		v = "met"
		if lost > 0 {
			v = fmt.Sprintf("**missed** by %s events", fmtInt(lost))
		}
		rows = append(rows, targetRow{"zero events lost (cometstream)", fmt.Sprintf("%s of %s events lost over every cometstream trial (WebSocket and SSE)", fmtInt(lost), fmtInt(events)), v})
	}

	// >= 10x CometBFT's /websocket.
	var ratios []string
	allMet, any := true, false
	aggs := aggregateReal(res)
	findAgg := func(target string, subs int) *realAgg {
		for i := range aggs {
			if aggs[i].target == target && aggs[i].subs == subs {
				return &aggs[i]
			}
		}
		return nil
	}
	for _, subs := range realSubs(res) {
		cs := findAgg(TargetStream, subs)
		for _, target := range []string{TargetCometBFT, TargetCometBFTRaised} {
			cb := findAgg(target, subs)
			if cs == nil || cb == nil {
				continue
			}
			any = true
			ratio := math.Inf(1)
			if cb.rate > 0 {
				ratio = cs.rate / cb.rate
			}
			if ratio < 10 {
				allMet = false
			}
			label := "default"
			if target == TargetCometBFTRaised {
				label = "raised"
			}
			ratios = append(ratios, fmt.Sprintf("N=%s, %s limits: %s", fmtInt(int64(subs)), label, fmtRatio(ratio)))
		}
	}
	if any {
		v := "met"
		if !allMet {
			v = "**missed** where below 10x (see section 3 and Findings)"
		}
		rows = append(rows, targetRow{"delivered events/s >= 10x CometBFT `/websocket` at the same subscriber count (real txs, medians)", strings.Join(ratios, "; "), v})
	}

	// tx_results with a query >= 10x CometBFT's /websocket with that query
	// from 100 subscribers up, with 0 loss.
	var qratios []string
	qMet, qAny := true, false
	for _, subs := range realSubs(res) {
		cs, cb := findAgg(TargetTxResults, subs), findAgg(TargetCometBFTQuery, subs)
		if cs == nil || cb == nil {
			continue
		}
		qAny = true
		ratio := math.Inf(1)
		if cb.rate > 0 {
			ratio = cs.rate / cb.rate
		}
		if (subs >= 100 && ratio < 10) || cs.lost > 0 {
			qMet = false
		}
		qratios = append(qratios, fmt.Sprintf("N=%s: %s, %s lost", fmtInt(int64(subs)), fmtRatio(ratio), fmtInt(cs.lost)))
	}
	if qAny {
		v := "met"
		if !qMet {
			v = "**missed** (see section 3)"
		}
		rows = append(rows, targetRow{"`tx_results` with a query: 0 lost and >= 10x CometBFT `/websocket` with the same query from 100 subscribers up (real txs, medians; query `" + BenchQuery + "`)", strings.Join(qratios, "; "), v})
	}

	// >= half of the floor.
	var fracs []string
	minFrac, met, total := math.Inf(1), 0, 0
	for _, t := range res.FanOut {
		if t.Target != TargetStream || t.Kind != KindBurst {
			continue
		}
		f := findTrial(res.FanOut, TargetFloor, KindBurst, t.Subs, t.Txs)
		if f == nil || f.EventsPerSec == 0 {
			continue
		}
		frac := t.EventsPerSec / f.EventsPerSec
		minFrac = min(minFrac, frac)
		total++
		cell := fmt.Sprintf("%s x %s: %.0f%%", fmtInt(int64(t.Subs)), fmtInt(int64(t.Txs)), 100*frac)
		if frac >= 0.5 {
			met++
		} else {
			cell = "**" + cell + "**"
		}
		fracs = append(fracs, cell)
	}
	if total > 0 {
		v := "met"
		if met < total {
			v = fmt.Sprintf("**missed** in %d of %d (lowest %.0f%%, %.0f%% short of half): see Findings", total-met, total, 100*minFrac, 100*(0.5-minFrac))
		}
		rows = append(rows, targetRow{">= half of the raw-socket floor (burst events/s, subscribers x txs/block)", strings.Join(fracs, "; "), v})
	}

	// <= 16 KiB per idle subscriber. The verdict takes the precise
	// measurements: go test's (clients outside the process's heap) and the
	// node's at its largest subscriber count, where the rest of the node's
	// heap, which moves by megabytes as the chain runs, weighs least.
	var mem []string
	worst, top := 0.0, Memory{}
	for _, im := range res.IdleMemory {
		if im.Mode == bench.ModeSSE {
			continue // the target is the WebSocket subscriber's; section 2 compares SSE's
		}
		mem = append(mem, fmt.Sprintf("%s B with %s subscribers (node process)", fmtInt(int64(math.Round(im.BytesPerSub))), fmtInt(int64(im.Subs))))
		if im.Subs > top.Subs {
			top = im
		}
	}
	worst = top.BytesPerSub
	if l, ok := goBenchByName(res, "BenchmarkSubscriberMemory/")["idle"]; ok {
		mem = append(mem, fmt.Sprintf("%s B (go test, 1,000 subscribers)", fmtInt(int64(math.Round(l.Metrics["B/sub"])))))
		worst = max(worst, l.Metrics["B/sub"])
	}
	if len(mem) > 0 {
		v := fmt.Sprintf("met, %s B under at the worst (see Findings)", fmtInt(int64(16<<10-worst)))
		if worst > 16<<10 {
			v = fmt.Sprintf("**missed** by %s B (see Findings)", fmtInt(int64(worst-16<<10)))
		}
		rows = append(rows, targetRow{"<= 16 KiB (16,384 B) per idle subscriber (Go heap + stacks; the verdict takes go test and the largest count)", strings.Join(mem, "; "), v})
	}
	if row, ok := commitFloodTarget(res); ok {
		rows = append(rows, row)
	}
	return rows
}

func handoffSection(w func(string, ...any), res *Results) {
	ho := goBenchByName(res, "BenchmarkCommitHandoff/")
	if len(ho) == 0 {
		return
	}
	w("## 1. Commit hand-off\n\n")
	w("`BenchmarkCommitHandoff` (abci): the middleware's `Commit`, the call CometBFT waits for under its mempool lock, ")
	w("with a real `events.Log` as its sink, while N readers are parked on the log as stream subscribers' writers are. ")
	w("Only `Commit` is timed; FinalizeBlock and the readers catching up run with the timer stopped. Time per block ")
	w("(per transaction in brackets).\n\n")
	subsCols := []string{"0", "1000", "10000"}
	w("| store | txs/block | 0 subscribers | 1,000 | 10,000 |\n|---|---|---|---|---|\n")
	for _, store := range []string{"mem", "segment"} {
		for _, txs := range []string{"1", "100", "1000"} {
			w("| %s | %s |", store, txs)
			for _, s := range subsCols {
				l, ok := ho[fmt.Sprintf("store=%s/txs=%s/subs=%s", store, txs, s)]
				if !ok {
					w(" – |")
					continue
				}
				w(" %s (%s/tx) |", fmtNs(l.Metrics["ns/op"]), fmtNs(l.Metrics["ns/tx"]))
			}
			w("\n")
		}
	}
	w("\n")
	ws := goBenchByName(res, "BenchmarkCommitHandoffWebSocket/")
	if len(ws) > 0 {
		w("`BenchmarkCommitHandoffWebSocket` (streamsvc): the same `Commit` with a `streamsvc.Server` and real WebSocket ")
		w("subscribers on loopback (clients in the same process, so 1,000 is the most the open-files limit allows; ")
		w("the load driver below runs 10,000 with clients in other processes).\n\n")
		w("| txs/block | 0 subscribers | 1,000 |\n|---|---|---|\n")
		for _, txs := range []string{"1", "100", "1000"} {
			w("| %s |", txs)
			for _, s := range []string{"0", "1000"} {
				if l, ok := ws[fmt.Sprintf("txs=%s/subs=%s", txs, s)]; ok {
					w(" %s (%s/tx) |", fmtNs(l.Metrics["ns/op"]), fmtNs(l.Metrics["ns/tx"]))
				} else {
					w(" – |")
				}
			}
			w("\n")
		}
		w("\n")
	}
}

func fanOutSection(w func(string, ...any), res *Results) {
	if len(res.FanOut) == 0 {
		return
	}
	w("## 2. Fan-out: delivered events/s and Commit-to-receipt latency\n\n")
	w("The node's stream runs in the driver's process (`cometstream.Open`, the assembly `node.New` uses, over a chain of no blocks: ")
	w("a log waits at a missing height rather than leap over it, so it cannot share a log with a live chain). The driver **appends synthetic blocks to its `events.Log`** (what the ABCI middleware ")
	w("does after Commit), so that block sizes are exact: CREATE events with real 64-digit ids, about 220-byte ")
	w("messages on `valid_transactions`; the stream runs without a chain (cometstream.Open over an empty chain), so the synthetic blocks are its only heights. ")
	w("The subscribers are separate OS processes (this program in its load-client ")
	w("role), up to 2,500 connections each, from source addresses 127.0.0.2 to 127.0.0.5; each connection's goroutine ")
	w("timestamps every message with `time.Now().UnixNano()` (the same clock as the driver's). Commit time is ")
	w("`time.Now()` just before `Log.Append`.\n\n")
	w("- **burst**: the blocks appended back to back; events/s = events delivered / (last receipt - first commit).\n")
	w("- **paced**: one block per interval (twice the burst's time per block, at least 20 ms), so that each block is ")
	w("normally delivered before the next: latency = commit to a subscriber's receipt of the block's last message, ")
	w("over every (subscriber, block); max is the last subscriber of the worst block.\n")
	w("- **floor**: the same clients, blocks and frames against `bench/floor` (one goroutine per socket writing ")
	w("pre-framed bytes with writev, nothing else), in the same process, right after.\n")
	if counts := sseCounts(res); counts != "" {
		w("- **SSE**: at %s subscribers, the node's trials again with Server-Sent Events clients, after the floor's ", counts)
		w("(the last table of this section).\n")
	}
	w("- CPU: the node process's (user+system) over the burst, per delivered event; the clients' likewise.\n")
	w("- Log.Append: the hand-off itself, timed in the driver around the call, with the subscribers parked (paced): ")
	w("the same call the middleware makes in Commit, on the node's durable SegmentStore.\n")
	w("- subscriptions the server ended during the trials: %s.\n\n", fanOutEnds(res))
	w("| subscribers | txs/block | blocks burst/paced | events/s | floor events/s | of floor | lost | latency p50 / p99 / max (ms), paced | floor latency p50 / p99 / max (ms) | paced interval | Log.Append p50 / max, paced | node CPU/event (floor's) | clients CPU/event (floor's) |\n")
	w("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, t := range res.FanOut {
		if t.Target != TargetStream || t.Kind != KindBurst {
			continue
		}
		p := findTrial(res.FanOut, TargetStream, KindPaced, t.Subs, t.Txs)
		f := findTrial(res.FanOut, TargetFloor, KindBurst, t.Subs, t.Txs)
		fp := findTrial(res.FanOut, TargetFloor, KindPaced, t.Subs, t.Txs)
		lost := t.Lost
		pacedBlocks, interval, lat, flat, handoff := "–", "–", "–", "–", "–"
		if p != nil {
			lost += p.Lost
			pacedBlocks = strconv.Itoa(p.Blocks)
			interval = p.Interval.String()
			lat = fmtLatency(p)
			handoff = fmt.Sprintf("%s / %s", fmtNs(1000*p.HandoffP50), fmtNs(1000*p.HandoffMax))
		}
		floorRate, frac, fcpu, fccpu := "–", "–", "–", "–"
		if f != nil && f.EventsPerSec > 0 {
			floorRate = fmtRate(f.EventsPerSec)
			frac = fmt.Sprintf("%.0f%%", 100*t.EventsPerSec/f.EventsPerSec)
			fcpu, fccpu = fmtNs(f.ServerCPUPerEvent), fmtNs(f.ClientCPUPerEvent)
		}
		if fp != nil {
			flat = fmtLatency(fp)
		}
		served := fmtInt(int64(t.Subs))
		if t.Served != t.Subs {
			served = fmt.Sprintf("%s (%s served)", served, fmtInt(int64(t.Served)))
		}
		w("| %s | %s | %d/%s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", served, fmtInt(int64(t.Txs)), t.Blocks, pacedBlocks,
			fmtRate(t.EventsPerSec), floorRate, frac, fmtInt(lost), lat, flat, interval, handoff,
			fmtNs(t.ServerCPUPerEvent)+" ("+fcpu+")", fmtNs(t.ClientCPUPerEvent)+" ("+fccpu+")")
	}
	w("\nBurst latency (queueing behind the earlier blocks of the burst included), for reference:\n\n")
	w("| subscribers | txs/block | cometstream p50 / p99 / max (ms) | floor p50 / p99 / max (ms) | load average (1 min) at the start, cometstream / floor |\n|---|---|---|---|---|\n")
	for _, t := range res.FanOut {
		if t.Target != TargetStream || t.Kind != KindBurst {
			continue
		}
		fl, fload := "–", "–"
		if f := findTrial(res.FanOut, TargetFloor, KindBurst, t.Subs, t.Txs); f != nil {
			fl, fload = fmtLatency(f), f.Load
		}
		w("| %s | %s | %s | %s | %s / %s |\n", fmtInt(int64(t.Subs)), fmtInt(int64(t.Txs)), fmtLatency(&t), fl, t.Load, fload)
	}
	w("\n")
	sseSection(w, res)
}

func fanOutEnds(res *Results) string {
	ends := map[string]int{}
	for _, t := range res.FanOut {
		for k, v := range t.Ends {
			ends[t.Target+": "+k] += v
		}
	}
	if len(ends) == 0 {
		return "none"
	}
	return fmtCounts(ends)
}

func realSection(w func(string, ...any), res *Results) {
	if len(res.Real) == 0 {
		return
	}
	w("## 3. Real transactions: cometstream vs CometBFT's `/websocket`\n\n")
	w("The same node (stream on), the same load, one target after the other: the driver broadcasts fresh signed ")
	w("BigchainDB 2.0 CREATE transactions (`ledger/txbuild`, about 750 bytes, fully validated by the ledger) with ")
	w("`broadcast_tx_sync`, 8 in flight, through real consensus, while N subscribers follow either cometstream's ")
	w("`valid_transactions` or CometBFT's RPC `/websocket` with `subscribe` to `tm.event='Tx'`. Commit time is the ")
	w("event log's hand-off stamp of each block (`events.Block.Appended`, taken in `Log.Append` during Commit); ")
	w("CometBFT fires its Tx events later, after saving its state, and that delay is part of its latency. ")
	w("\"default limits\" is CometBFT's configuration as shipped (100 subscription clients, 200-event buffers, 900 ")
	w("connections); \"limits raised\" is a second node with `max_open_connections = 0`, ")
	w("`max_subscription_clients = 20000`, `experimental_subscription_buffer_size = 10000` and ")
	w("`experimental_websocket_write_buffer_size = 10000`. Events/s = events delivered / (last receipt - first ")
	w("commit): where a trial's transactions land in two blocks a second apart, a stream that delivers each block ")
	w("at once shows the chain's rate, not its own.\n\n")
	w("`%s` and `%s` are the same comparison through a CometBFT query: `tx_results?query=` and ", TargetTxResults, TargetCometBFTQuery)
	w("`subscribe` with the same query (`%s`), matched on both sides by CometBFT's `libs/pubsub/query`; the ", BenchQuery)
	w("ledger emits no ABCI events, so the query can only name CometBFT's own keys, and it selects every transaction.\n\n")
	w("Each configuration ran %d times, interleaved (cometstream, then CometBFT, then again); the table gives ", maxRep(res))
	w("the medians of events/s, latency p50 and chain tx/s, the worst p99 and max, and the sums of events; every ")
	w("run is in the table after it.\n\n")
	w("| subscribers | stream | served | events wanted | delivered | lost (per run) | events/s, median [min-max] | latency p50 / p99 / max (ms) | chain tx/s | node CPU/event | subscriptions ended by the server |\n")
	w("|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, a := range aggregateReal(res) {
		ends := "none"
		if len(a.ends) > 0 {
			ends = fmtCounts(a.ends)
		}
		served := fmtInt(int64(a.served))
		if len(a.setup) > 0 {
			served += " (refused: " + fmtCounts(a.setup) + ")"
		}
		lat := "–"
		if a.latMax > 0 {
			lat = fmt.Sprintf("%s / %s / %s", fmtMs(a.latP50), fmtMs(a.latP99), fmtMs(a.latMax))
		}
		w("| %s | %s | %s | %s | %s | %s (%s) | %s [%s-%s] | %s | %.0f | %s | %s |\n", fmtInt(int64(a.subs)), a.target, served,
			fmtInt(a.events), fmtInt(a.delivered), fmtInt(a.lost), a.lostRuns, fmtRate(a.rate), fmtRate(a.rateMin), fmtRate(a.rateMax),
			lat, a.txRate, fmtNs(a.cpu), ends)
	}
	w("\n\"lost\" counts only what subscribed connections missed; a refused subscriber (\"served\" below ")
	w("\"subscribers\") got nothing at all. \"served\" is the smallest over the runs.\n\n")
	w("<details><summary>Every run</summary>\n\n")
	w("| subscribers | stream | run | served | events wanted | delivered | lost | events/s | latency p50 / p99 / max (ms) | chain tx/s | load (1 min) | ended by the server |\n")
	w("|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, t := range res.Real {
		ends := "none"
		if len(t.Ends) > 0 {
			ends = fmtCounts(t.Ends)
		}
		w("| %s | %s | %d | %s | %s | %s | %s | %s | %s | %.0f | %s | %s |\n", fmtInt(int64(t.Subs)), t.Target, t.Rep, fmtInt(int64(t.Served)),
			fmtInt(t.Events), fmtInt(t.Delivered), fmtInt(t.Lost), fmtRate(t.EventsPerSec), fmtLatency(&t), t.TxPerSec, t.Load, ends)
	}
	w("\n</details>\n\n")
}

// realAgg is one (subscribers, target) of section 3 over its runs.
type realAgg struct {
	subs                    int
	target                  string
	served                  int
	events, delivered, lost int64
	lostRuns                string
	rate, rateMin, rateMax  float64
	latP50, latP99, latMax  float64
	txRate, cpu             float64
	ends, setup             map[string]int
}

func aggregateReal(res *Results) []realAgg {
	var out []realAgg
	index := map[string]int{}
	group := map[string][]Trial{}
	for _, t := range res.Real {
		k := fmt.Sprintf("%d/%s", t.Subs, t.Target)
		if _, ok := index[k]; !ok {
			index[k] = len(out)
			out = append(out, realAgg{subs: t.Subs, target: t.Target, served: t.Served, rateMin: math.Inf(1),
				ends: map[string]int{}, setup: map[string]int{}})
		}
		group[k] = append(group[k], t)
	}
	for k, ts := range group {
		a := &out[index[k]]
		var rates, p50s, txRates, cpus []float64
		var lostRuns []string
		for _, t := range ts {
			a.served = min(a.served, t.Served)
			a.events += t.Events
			a.delivered += t.Delivered
			a.lost += t.Lost
			lostRuns = append(lostRuns, fmtInt(t.Lost))
			rates = append(rates, t.EventsPerSec)
			a.rateMin, a.rateMax = min(a.rateMin, t.EventsPerSec), max(a.rateMax, t.EventsPerSec)
			if t.LatMax > 0 {
				p50s = append(p50s, t.LatP50)
			}
			a.latP99, a.latMax = max(a.latP99, t.LatP99), max(a.latMax, t.LatMax)
			txRates = append(txRates, t.TxPerSec)
			cpus = append(cpus, t.ServerCPUPerEvent)
			for e, n := range t.Ends {
				a.ends[e] += n
			}
			for e, n := range t.SetupErrors {
				a.setup[e] += n
			}
		}
		a.lostRuns = strings.Join(lostRuns, ", ")
		a.rate = bench.Percentile(rates, 50)
		if len(p50s) > 0 {
			a.latP50 = bench.Percentile(p50s, 50)
		}
		a.txRate = bench.Percentile(txRates, 50)
		a.cpu = bench.Percentile(cpus, 50)
	}
	return out
}

func maxRep(res *Results) int {
	n := 1
	for _, t := range res.Real {
		n = max(n, t.Rep)
	}
	return n
}

func txRateSection(w func(string, ...any), res *Results) {
	if len(res.TxRate) == 0 {
		return
	}
	w("## 4. The node's sustained tx/s, stream on and off\n\n")
	w("Each line broadcasts fresh signed transactions as fast as 8 concurrent `broadcast_tx_sync` calls go, on a ")
	w("fresh single-validator node with CometBFT's default timeouts (a block a second), and times the first ")
	w("broadcast to the application's Commit of the last (`abci_info` polled every 20 ms, stream on or off alike). ")
	w("The first lines use more transactions, so that several blocks are timed; the \"(section 3)\" lines are the ")
	w("trials of section 3, where 2,000 transactions fill one or two blocks and the block boundary weighs more.\n\n")
	w("| configuration | txs | blocks | seconds | tx/s |\n|---|---|---|---|---|\n")
	for _, r := range res.TxRate {
		w("| %s | %s | %d | %.2f | %.0f |\n", r.Label, fmtInt(int64(r.Txs)), r.Blocks, r.Seconds, r.TxPerSec)
	}
	w("\n")
}

func memorySection(w func(string, ...any), res *Results) {
	mem := goBenchByName(res, "BenchmarkSubscriberMemory/")
	if len(res.IdleMemory) == 0 && len(mem) == 0 {
		return
	}
	w("## 5. Memory per subscriber\n\n")
	w("Go heap plus goroutine stacks after a full GC (`runtime.MemStats` HeapAlloc + StackInuse), server side. ")
	w("In the driver the node runs in its process and the clients in others, so the growth is the node's alone. ")
	w("`BenchmarkSubscriberMemory` (streamsvc) makes its clients with raw syscalls, invisible to Go's heap, and ")
	w("takes (1,000 subscribers - 1) / 999 so that the blocks and frames all subscribers share cancel out; ")
	w("its lagging subscribers stopped reading while 50 blocks of 100 transactions were committed, so the ")
	w("server's writes to them block. Target: 16 KiB (16,384 B) per idle subscriber.\n\n")
	w("| measure | subscribers | Go memory per subscriber | kernel TCP memory per subscriber |\n|---|---|---|---|\n")
	for _, im := range res.IdleMemory {
		measure := "idle, node process (driver)"
		if im.Mode == bench.ModeSSE {
			measure = "idle SSE, node process (driver)"
		}
		w("| %s | %s | %s B | – |\n", measure, fmtInt(int64(im.Subs)), fmtInt(int64(math.Round(im.BytesPerSub))))
	}
	for _, k := range []string{"idle", "lagging"} {
		if l, ok := mem[k]; ok {
			w("| %s (go test) | 1,000 | %s B | %s B |\n", k, fmtInt(int64(math.Round(l.Metrics["B/sub"]))), fmtInt(int64(math.Round(l.Metrics["kernel-B/sub"]))))
		}
	}
	w("\n")
}

func encodeSection(w func(string, ...any), res *Results) {
	enc := goBenchByName(res, "BenchmarkEncode/")
	if len(enc) == 0 {
		return
	}
	w("## 6. Encoding cost per block\n\n")
	w("`BenchmarkEncode` (streamsvc, internal): making a block's frames, paid once per block and stream whatever the ")
	w("number of subscribers.\n\n")
	w("| stream | txs/block | per block | per tx | allocs/block | bytes allocated/block |\n|---|---|---|---|---|---|\n")
	for _, name := range sortedKeys(enc) {
		l := enc[name]
		stream, txs := param(name, "stream"), param(name, "txs")
		w("| %s | %s | %s | %s | %.0f | %s |\n", stream, txs, fmtNs(l.Metrics["ns/op"]), fmtNs(l.Metrics["ns/tx"]), l.Metrics["allocs/op"], fmtInt(int64(l.Metrics["B/op"])))
	}
	w("\n")
}

func inProcessSection(w func(string, ...any), res *Results) {
	fo := goBenchByName(res, "BenchmarkFanOut/")
	if len(fo) == 0 {
		return
	}
	w("## 7. In-process fan-out (go test)\n\n")
	w("`BenchmarkFanOut` (streamsvc): Append to the last subscriber holding the block, with minimal clients in the ")
	w("same process (a socket and a frame counter that allocates nothing), so allocations are the server's.\n\n")
	w("| subscribers | txs/block | per block | events/s | allocs/block | allocs per subscriber per block |\n|---|---|---|---|---|---|\n")
	names := sortedKeys(fo)
	sort.SliceStable(names, func(i, j int) bool {
		si, _ := strconv.Atoi(param(names[i], "subs"))
		sj, _ := strconv.Atoi(param(names[j], "subs"))
		return si < sj
	})
	for _, name := range names {
		l := fo[name]
		subs, _ := strconv.Atoi(param(name, "subs"))
		w("| %s | %s | %s | %s | %.0f | %.1f |\n", fmtInt(int64(subs)), param(name, "txs"), fmtNs(l.Metrics["ns/op"]),
			fmtRate(l.Metrics["events/s"]), l.Metrics["allocs/op"], l.Metrics["allocs/op"]/float64(max(subs, 1)))
	}
	w("\n")
}

func proposalsSection(w func(string, ...any), res *Results) {
	wake := goBenchByName(res, "BenchmarkWakeReaders/")
	frames := goBenchByName(res, "BenchmarkTxFrames/")
	if len(wake) == 0 && len(frames) == 0 {
		return
	}
	w("## 8. Hot-path changes, measured beside the design they replace\n\n")
	w("Benchmarks in `bench/` (handoff_test.go, encode_test.go) of the changes under Findings, so that the gain is ")
	w("known before (or without) the change.\n\n")
	if len(wake) > 0 {
		w("`BenchmarkWakeReaders`: the time the publishing call spends waking N parked readers. `close-in-append` is ")
		w("`events.Log`'s design before commit 7e839d0 (close the wake channel in the caller, that is in Commit, under ")
		w("the log's mutex, which `Wait` took too); `notifier` closes it on another goroutine and makes `Wait` an ")
		w("atomic load, as `events.Log` has done since 7e839d0.\n\n")
		w("| design | 0 readers | 1,000 | 10,000 |\n|---|---|---|---|\n")
		for _, d := range []string{"close-in-append", "notifier"} {
			w("| %s |", d)
			for _, n := range []string{"0", "1000", "10000"} {
				if l, ok := wake[fmt.Sprintf("design=%s/readers=%s", d, n)]; ok {
					w(" %s |", fmtNs(l.Metrics["ns/op"]))
				} else {
					w(" – |")
				}
			}
			w("\n")
		}
		w("\n")
	}
	if len(frames) > 0 {
		w("`BenchmarkTxFrames`: a block's `valid_transactions` frames made with `json.Marshal` per transaction into a ")
		w("growing slice (streamsvc's way before b6fb159) or by `streamsvc.TxFrames`, which appends the JSON into a ")
		w("slice sized once, with `json.Marshal` kept for strings that need escaping (the test holds both byte-equal).\n\n")
		w("| way | txs/block | per block | per tx | allocs/block | bytes allocated/block |\n|---|---|---|---|---|---|\n")
		for _, impl := range []string{"json-marshal", "append"} {
			for _, txs := range []string{"1", "100", "1000"} {
				if l, ok := frames[fmt.Sprintf("impl=%s/txs=%s", impl, txs)]; ok {
					w("| %s | %s | %s | %s | %.0f | %s |\n", impl, txs, fmtNs(l.Metrics["ns/op"]), fmtNs(l.Metrics["ns/tx"]),
						l.Metrics["allocs/op"], fmtInt(int64(l.Metrics["B/op"])))
				}
			}
		}
		w("\n")
	}
}

// Plots.

func throughputPlot(res *Results) string {
	p := bench.Plot{Title: "Delivered events/s vs subscribers", XLabel: "subscribers", YLabel: "events/s", LogX: true, LogY: true}
	colors := map[int]string{1: "#9467bd", 100: "#1f77b4", 1000: "#d62728"}
	for _, txs := range []int{100, 1000} {
		for _, target := range []string{TargetStream, TargetFloor} {
			s := bench.Series{Name: fmt.Sprintf("%s, %s/block", target, plural(txs, "tx")), Color: colors[txs], Dashed: target == TargetFloor}
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
			if a.target == c.target && a.rate > 0 {
				s.Points = append(s.Points, [2]float64{float64(a.subs), a.rate})
			}
		}
		p.Series = append(p.Series, s)
	}
	return p.SVG()
}

func latencyPlot(res *Results) string {
	p := bench.Plot{Title: "Commit to last receipt, p99 (paced blocks)", XLabel: "subscribers", YLabel: "ms", LogX: true, LogY: true}
	colors := map[int]string{1: "#9467bd", 100: "#1f77b4", 1000: "#d62728"}
	for _, txs := range []int{1, 100, 1000} {
		for _, target := range []string{TargetStream, TargetFloor} {
			s := bench.Series{Name: fmt.Sprintf("%s, %s/block", target, plural(txs, "tx")), Color: colors[txs], Dashed: target == TargetFloor}
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

// Helpers.

func goBenchByName(res *Results, prefix string) map[string]GoBenchLine {
	out := map[string]GoBenchLine{}
	for _, g := range res.GoBench {
		for _, l := range g.Results {
			if rest, ok := strings.CutPrefix(l.Name, prefix); ok {
				out[rest] = l
			}
		}
	}
	return out
}

func findTrial(ts []Trial, target, kind string, subs, txs int) *Trial {
	for i := range ts {
		t := &ts[i]
		if t.Target == target && t.Kind == kind && t.Subs == subs && t.Txs == txs {
			return t
		}
	}
	return nil
}

func realSubs(res *Results) []int {
	var out []int
	for _, t := range res.Real {
		if !slices.Contains(out, t.Subs) {
			out = append(out, t.Subs)
		}
	}
	return out
}

// param returns v from "a=1/k=v/..." for key k.
func param(name, key string) string {
	for _, part := range strings.Split(name, "/") {
		if v, ok := strings.CutPrefix(part, key+"="); ok {
			return v
		}
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		si, ti := param(keys[i], "stream"), param(keys[j], "stream")
		if si != ti {
			return si < ti
		}
		a, _ := strconv.Atoi(param(keys[i], "txs"))
		b, _ := strconv.Atoi(param(keys[j], "txs"))
		return a < b
	})
	return keys
}

func relTo(doc, file string) string {
	if doc == "" {
		return file
	}
	if rel, err := filepath.Rel(filepath.Dir(doc), file); err == nil {
		return rel
	}
	return file
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmtInt(int64(n)) + " " + unit + "s"
}

func fmtLatency(t *Trial) string {
	if t.Delivered == 0 || t.LatMax == 0 {
		return "–"
	}
	return fmt.Sprintf("%s / %s / %s", fmtMs(t.LatP50), fmtMs(t.LatP99), fmtMs(t.LatMax))
}

func fmtMs(ms float64) string {
	switch {
	case ms >= 100:
		return fmt.Sprintf("%.0f", ms)
	case ms >= 10:
		return fmt.Sprintf("%.1f", ms)
	default:
		return fmt.Sprintf("%.2f", ms)
	}
}

// fmtNs writes a duration in ns with a readable unit.
func fmtNs(ns float64) string {
	switch {
	case ns == 0 || math.IsNaN(ns):
		return "–"
	case ns >= 1e9:
		return fmt.Sprintf("%.2f s", ns/1e9)
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	default:
		return fmt.Sprintf("%.0f ns", ns)
	}
}

func fmtRate(v float64) string {
	switch {
	case v == 0:
		return "–"
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}

func fmtRatio(r float64) string {
	if math.IsInf(r, 1) {
		return "CometBFT delivered nothing"
	}
	return fmt.Sprintf("%.1fx", r)
}

// fmtInt writes n with thousands separators.
func fmtInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

func fmtCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d × %s", m[k], strings.ReplaceAll(k, "|", "/"))
	}
	return strings.Join(parts, "; ")
}
