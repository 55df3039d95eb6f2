package driver_test

import (
	"context"
	"encoding/xml"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cometstream/cometstream/bench/driver"
)

// TestMain lets the driver start this test binary as its client processes.
func TestMain(m *testing.M) {
	driver.MaybeRun()
	os.Exit(m.Run())
}

// TestSmoke runs every part of the driver once with a tiny configuration
// (10 subscribers, 5 blocks, 20 real transactions): a node, client
// processes over WebSocket and SSE, the floor, CometBFT's /websocket, node
// processes under 30 transactions each for their CPU, the report and the
// plots. It checks what was delivered, not how fast.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts eight nodes")
	}
	dir := t.TempDir()
	cfg := driver.Smoke()
	cfg.Repo = filepath.Join("..", "..")
	cfg.WorkDir = filepath.Join(dir, "work")
	cfg.Doc = filepath.Join(dir, "benchmarks.md")
	cfg.SVGThroughput = filepath.Join(dir, "throughput.svg")
	cfg.SVGLatency = filepath.Join(dir, "latency.svg")
	cfg.Results = filepath.Join(dir, "results.json")
	cfg.Command = "smoke test"
	cfg.Log = t.Logf
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := driver.Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if left := children(t); len(left) > 0 {
		t.Errorf("client processes left behind: %v", left)
	}

	// 2 block sizes x (burst, paced) x (node, floor, node over SSE).
	if len(res.FanOut) != 12 {
		t.Errorf("%d fan-out trials, want 12", len(res.FanOut))
	}
	sse := 0
	for _, tr := range res.FanOut {
		if tr.Target == driver.TargetSSE {
			sse++
		}
	}
	if sse != 4 {
		t.Errorf("%d SSE fan-out trials, want 4", sse)
	}
	for _, tr := range res.FanOut {
		if tr.Served != 10 || tr.Events != int64(10*tr.Txs*tr.Blocks) || tr.Delivered != tr.Events || tr.Lost != 0 {
			t.Errorf("%s %s txs=%d: served %d, events %d, delivered %d, lost %d; want 10 subscribers to get all %d",
				tr.Target, tr.Kind, tr.Txs, tr.Served, tr.Events, tr.Delivered, tr.Lost, 10*tr.Txs*tr.Blocks)
		}
	}
	// cometstream, CometBFT default and raised, tx_results with a query
	// and CometBFT with the same query, at 10 subscribers.
	if len(res.Real) != 5 {
		t.Errorf("%d real-transaction trials, want 5", len(res.Real))
	}
	for _, tr := range res.Real {
		if tr.Served != 10 || tr.Events != 10*20 {
			t.Errorf("%s: served %d, events %d; want 10 subscribers wanting 20 transactions each", tr.Target, tr.Served, tr.Events)
		}
		if (tr.Target == driver.TargetStream || tr.Target == driver.TargetTxResults) && tr.Lost != 0 {
			t.Errorf("%s lost %d events", tr.Target, tr.Lost)
		}
	}
	// CPU per transaction: off, on, on with 1 and with 10 subscribers,
	// each a node process that committed all 30 transactions.
	if len(res.CPUPerTx) != 4 {
		t.Errorf("%d CPU-per-transaction trials, want 4", len(res.CPUPerTx))
	}
	for _, tr := range res.CPUPerTx {
		if tr.Txs != 30 || tr.CPUPerTx <= 0 || tr.TxPerSec <= 0 || tr.Delivered != int64(tr.Subs*30) || tr.Served != tr.Subs {
			t.Errorf("cpu per tx, %s: %d committed, %.0f µs/tx, %.0f tx/s, %d of %d subscribers served, %d events delivered; want 30 committed, and every event to each",
				tr.Config, tr.Txs, tr.CPUPerTx, tr.TxPerSec, tr.Served, tr.Subs, tr.Delivered)
		}
	}

	// The commit flood: async then commit, every post answered 202 and
	// committed.
	if len(res.CommitFlood) != 2 {
		t.Errorf("%d commit-flood trials, want 2", len(res.CommitFlood))
	}
	for _, tr := range res.CommitFlood {
		if tr.Answers["202"] != 20 || tr.Committed != 20 || tr.MaxGap <= 0 {
			t.Errorf("commit flood mode=%s: answers %v, %d committed, longest gap %.0f ms; want 20 answered 202 and committed",
				tr.Mode, tr.Answers, tr.Committed, tr.MaxGap)
		}
	}

	doc, err := os.ReadFile(cfg.Doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Targets", "## 2. Fan-out", "## 3. Real transactions", "## 4. CPU per committed transaction", "## 9. Commit flood", "### SSE beside WebSocket", "throughput.svg", driver.TargetTxResults, "`tx_results` with a query"} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, svg := range []string{cfg.SVGThroughput, cfg.SVGLatency} {
		data, err := os.ReadFile(svg)
		if err != nil {
			t.Fatal(err)
		}
		if err := xml.Unmarshal(data, new(struct{ XMLName xml.Name })); err != nil {
			t.Errorf("%s is not XML: %v", svg, err)
		}
	}
}

// children lists the processes whose parent is this one.
func children(t *testing.T) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	me := strconv.Itoa(os.Getpid())
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so split after ")".
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(fields) > 1 && fields[1] == me {
			out = append(out, pid)
		}
	}
	return out
}
