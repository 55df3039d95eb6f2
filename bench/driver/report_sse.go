package driver

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/cometstream/cometstream/bench"
)

// sseSection is section 2's SSE trials beside the WebSocket ones of the
// same subscriber count and block size.
func sseSection(w func(string, ...any), res *Results) {
	if !slices.ContainsFunc(res.FanOut, func(t Trial) bool { return t.Target == TargetSSE }) {
		return
	}
	w("### SSE beside WebSocket\n\n")
	w("The same node, blocks and pace (the WebSocket burst's block count and paced interval) with the subscribers ")
	w("reading `valid_transactions` as Server-Sent Events: a GET with `Accept: text/event-stream`, answered by the ")
	w("same server on the same path (the client processes' `sse` mode: net/http, a line reader capped at 1 MiB, the ")
	w("height of each `data:` line recorded as a WebSocket message's). They ran right after the WebSocket trials (and ")
	w("the floor's) of the same configuration. Events/s: burst; latency: paced, commit to a subscriber's receipt of the block's last ")
	w("event; CPU: the node process's over the burst, per delivered event.\n\n")
	w("| subscribers | txs/block | events/s WebSocket / SSE | SSE of WebSocket | lost WebSocket / SSE | latency p50 / p99 / max (ms), WebSocket | SSE | node CPU/event WebSocket / SSE | clients CPU/event WebSocket / SSE |\n")
	w("|---|---|---|---|---|---|---|---|---|\n")
	for _, s := range res.FanOut {
		if s.Target != TargetSSE || s.Kind != KindBurst {
			continue
		}
		ws := findTrial(res.FanOut, TargetStream, KindBurst, s.Subs, s.Txs)
		if ws == nil {
			continue
		}
		wp := findTrial(res.FanOut, TargetStream, KindPaced, s.Subs, s.Txs)
		sp := findTrial(res.FanOut, TargetSSE, KindPaced, s.Subs, s.Txs)
		frac := "–"
		if ws.EventsPerSec > 0 {
			frac = fmt.Sprintf("%.0f%%", 100*s.EventsPerSec/ws.EventsPerSec)
		}
		wsLost, sseLost := ws.Lost, s.Lost
		wsLat, sseLat := "–", "–"
		if wp != nil {
			wsLost += wp.Lost
			wsLat = fmtLatency(wp)
		}
		if sp != nil {
			sseLost += sp.Lost
			sseLat = fmtLatency(sp)
		}
		served := fmtInt(int64(s.Subs))
		if s.Served != s.Subs || ws.Served != ws.Subs {
			served += fmt.Sprintf(" (%s / %s served)", fmtInt(int64(ws.Served)), fmtInt(int64(s.Served)))
		}
		w("| %s | %s | %s / %s | %s | %s / %s | %s | %s | %s / %s | %s / %s |\n", served, fmtInt(int64(s.Txs)),
			fmtRate(ws.EventsPerSec), fmtRate(s.EventsPerSec), frac, fmtInt(wsLost), fmtInt(sseLost), wsLat, sseLat,
			fmtNs(ws.ServerCPUPerEvent), fmtNs(s.ServerCPUPerEvent), fmtNs(ws.ClientCPUPerEvent), fmtNs(s.ClientCPUPerEvent))
	}
	w("\n")
	var mem []string
	for _, m := range res.IdleMemory {
		if m.Mode != bench.ModeSSE {
			continue
		}
		wsMem := "–"
		for _, o := range res.IdleMemory {
			if o.Subs == m.Subs && o.Mode != bench.ModeSSE {
				wsMem = fmtInt(int64(math.Round(o.BytesPerSub))) + " B"
			}
		}
		mem = append(mem, fmt.Sprintf("| %s | %s | %s B |\n", fmtInt(int64(m.Subs)), wsMem, fmtInt(int64(math.Round(m.BytesPerSub)))))
	}
	if len(mem) == 0 {
		return
	}
	w("The node's memory per idle subscriber (Go heap + stacks after a full GC, as in section 5), measured once per ")
	w("subscriber count, before its first block size, from 100 subscribers up:\n\n")
	w("| subscribers | WebSocket | SSE |\n|---|---|---|\n%s\n", strings.Join(mem, ""))
}

// sseCounts lists the subscriber counts of the SSE trials: "1, 100 and
// 1,000"; "" for none.
func sseCounts(res *Results) string {
	var counts []string
	for _, t := range res.FanOut {
		if c := fmtInt(int64(t.Subs)); t.Target == TargetSSE && !slices.Contains(counts, c) {
			counts = append(counts, c)
		}
	}
	if len(counts) < 2 {
		return strings.Join(counts, "")
	}
	return strings.Join(counts[:len(counts)-1], ", ") + " and " + counts[len(counts)-1]
}
