package driver

import (
	"context"
	"errors"
	"fmt"
	neturl "net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cometstream/cometstream/bench"
	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/ledger/txbuild"
	"github.com/cometstream/cometstream/streamsvc"
)

// realTxs runs the part with real transactions through consensus: the
// chain's rate with the stream off, then, on a node with the stream on,
// cometstream's and CometBFT's /websocket delivery of the same load at each
// subscriber count, then CometBFT's again with its limits raised.
func (r *runner) realTxs(ctx context.Context) error {
	src := newTxSource(r.runID)
	run := func(o nodeOptions, fn func(n *benchNode) error) error {
		o.fast = r.cfg.FastBlocks
		n, err := startNode(ctx, r.work, o, r.nodeLog)
		if err != nil {
			return err
		}
		err = fn(n)
		if e := n.stop(); e != nil {
			err = errors.Join(err, fmt.Errorf("stop node %s: %w", o.name, e))
		}
		return err
	}
	err := run(nodeOptions{name: "real-stream-off"}, func(n *benchNode) error {
		_, err := r.txRate(ctx, n, "stream off", src, r.cfg.RateTxs)
		return err
	})
	if err != nil {
		return err
	}
	err = run(nodeOptions{name: "real-stream-on", stream: true}, func(n *benchNode) error {
		if _, err := r.txRate(ctx, n, "stream on, no subscribers", src, r.cfg.RateTxs); err != nil {
			return err
		}
		if err := r.rateWithSubscribers(ctx, n, slices.Max(r.cfg.RealSubscribers), src); err != nil {
			return err
		}
		for _, subs := range r.cfg.RealSubscribers {
			for rep := 1; rep <= r.cfg.RealRepeats; rep++ {
				if err := r.realTrial(ctx, n, TargetStream, subs, rep, src); err != nil {
					return err
				}
				if err := r.realTrial(ctx, n, TargetCometBFT, subs, rep, src); err != nil {
					return err
				}
				if err := r.realTrial(ctx, n, TargetTxResults, subs, rep, src); err != nil {
					return err
				}
				if err := r.realTrial(ctx, n, TargetCometBFTQuery, subs, rep, src); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return run(nodeOptions{name: "real-rpc-raised", stream: true, raisedRPC: true}, func(n *benchNode) error {
		for _, subs := range r.cfg.RealSubscribers {
			for rep := 1; rep <= r.cfg.RealRepeats; rep++ {
				if err := r.realTrial(ctx, n, TargetCometBFTRaised, subs, rep, src); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// realTrial broadcasts RealTxs signed transactions while subs subscribers
// of target follow the chain, and records what they received.
func (r *runner) realTrial(ctx context.Context, n *benchNode, target string, subs, rep int, src *txSource) error {
	url, mode, query := n.streamURL(streamsvc.PathTransactions), bench.ModeStream, ""
	stall := r.cfg.StallTimeout
	switch target {
	case TargetStream:
	case TargetTxResults:
		url = n.streamURL(streamsvc.PathTxResults) + "?" + streamsvc.ParamQuery + "=" + neturl.QueryEscape(BenchQuery)
	default:
		url, mode = n.rpcWebSocketURL(), bench.ModeCometBFT
		if target == TargetCometBFTQuery {
			query = BenchQuery
		}
		stall /= 6 // a cancelled CometBFT subscription never resumes
	}
	return r.withClients(ctx, url, mode, query, subs, false, func(cs *clientSet) error {
		t := Trial{Target: target, Kind: KindReal, Subs: subs, Rep: rep, Served: cs.connected(), SetupErrors: cs.readyErrors()}
		t.Load, _, _ = strings.Cut(loadAverage(), " ")
		base, err := cs.report()
		if err != nil {
			return err
		}
		d := delivery{commits: map[int64]int64{}, want: map[int64]int{}, served: t.Served}
		for _, b := range base {
			d.cpuStart = append(d.cpuStart, b.CPUNanos)
		}
		from, err := n.rpc.appHeight(ctx)
		if err != nil {
			return err
		}
		w := watchLog(n.Log(), from+1)
		cpu0 := processCPU()
		rate, err := r.txRate(ctx, n, fmt.Sprintf("stream on, %d %s subscribers (section 3, run %d)", subs, target, rep), src, r.cfg.RealTxs)
		blocks := w.stop(n.Log())
		if err != nil {
			return err
		}
		var total int64
		for _, b := range blocks {
			if b.txs > 0 {
				d.want[b.height] = b.txs
				d.commits[b.height] = b.appended
				total += int64(b.txs)
			}
		}
		if err := r.waitDelivered(ctx, cs, int64(t.Served)*total, stall); err != nil {
			return err
		}
		cpu := processCPU() - cpu0
		if d.reports, err = cs.report(); err != nil {
			return err
		}
		d.analyze(&t)
		t.TxPerSec = rate.TxPerSec
		if t.Delivered > 0 {
			t.ServerCPUPerEvent = float64(cpu) / float64(t.Delivered)
		}
		r.res.Real = append(r.res.Real, t)
		r.logf("%-36s subs=%-5d served=%-5d %9.0f events/s lost=%d/%d p50=%.1fms p99=%.1fms max=%.1fms ends=%v",
			t.Target, t.Subs, t.Served, t.EventsPerSec, t.Lost, t.Events, t.LatP50, t.LatP99, t.LatMax, t.Ends)
		return nil
	})
}

// rateWithSubscribers measures the chain's rate while subs cometstream
// subscribers read every event, and checks they got them all.
func (r *runner) rateWithSubscribers(ctx context.Context, n *benchNode, subs int, src *txSource) error {
	return r.withClients(ctx, n.streamURL(streamsvc.PathTransactions), bench.ModeStream, "", subs, false, func(cs *clientSet) error {
		if _, err := cs.report(); err != nil {
			return err
		}
		label := fmt.Sprintf("stream on, %d cometstream subscribers reading", subs)
		rate, err := r.txRate(ctx, n, label, src, r.cfg.RateTxs)
		if err != nil {
			return err
		}
		want := int64(cs.connected()) * int64(rate.Txs)
		if err := r.waitDelivered(ctx, cs, want, r.cfg.StallTimeout); err != nil {
			return err
		}
		st, err := cs.status()
		if err != nil {
			return err
		}
		if st.Msgs != want {
			r.note("%s: the subscribers received %d of %d events", label, st.Msgs, want)
		}
		return nil
	})
}

// txRate broadcasts k fresh transactions, BroadcastWorkers at a time
// with broadcast_tx_sync, and measures the time from the first broadcast to
// the commit of the last accepted one: the application's Commit, seen by
// polling CometBFT's RPC (abci_info, then blockchain for the counts) every
// 20 ms, with the stream on or off alike. abci_info answers only between
// ABCI calls, so a block it reports has also been handed to the stream.
func (r *runner) txRate(ctx context.Context, n *benchNode, label string, src *txSource, k int) (TxRate, error) {
	rate := TxRate{Label: label}
	txs, err := src.next(k)
	if err != nil {
		return rate, err
	}
	// What an earlier run left in the mempool would be counted here.
	if err := waitFor(ctx, 2*time.Minute, func() bool { n, err := n.rpc.unconfirmed(ctx); return err == nil && n == 0 }); err != nil {
		r.note("%s: the mempool still held transactions of an earlier run after 2 minutes", label)
	}
	start, err := n.rpc.appHeight(ctx)
	if err != nil {
		return rate, err
	}
	accepted := make(chan int, 1)
	var rejected atomic.Int64
	var refusals sync.Map // reason -> *atomic.Int64
	t0 := time.Now()
	go func() {
		work := make(chan []byte)
		var wg sync.WaitGroup
		for range r.cfg.BroadcastWorkers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for tx := range work {
					code, log, err := n.rpc.broadcast(ctx, tx)
					if err != nil || code != 0 {
						rejected.Add(1)
						why := fmt.Sprintf("code %d %s", code, log)
						if err != nil {
							why = err.Error()
						}
						n, _ := refusals.LoadOrStore(why, new(atomic.Int64))
						n.(*atomic.Int64).Add(1)
					}
				}
			}()
		}
		for _, tx := range txs {
			work <- tx
		}
		close(work)
		wg.Wait()
		accepted <- len(txs) - int(rejected.Load())
	}()

	noteRefusals := func() {
		refusals.Range(func(k, v any) bool {
			r.note("%s: %d transactions refused: %v", label, v.(*atomic.Int64).Load(), k)
			return true
		})
	}
	defer noteRefusals()
	// Done when every accepted transaction is committed, or when, all
	// broadcast, none has been for 30 s (an accepted transaction the chain
	// never commits is noted, not waited for).
	target, committed, h := -1, 0, start+1
	lastCommit := t0
	deadline := time.Now().Add(5 * time.Minute)
	for target < 0 || committed < target {
		select {
		case target = <-accepted:
		default:
		}
		if target >= 0 && time.Since(lastCommit) > 30*time.Second {
			r.note("%s: %d of %d accepted transactions committed, then none for 30 s: the chain stalled, or CometBFT "+
				"dropped checked transactions because its mempool filled meanwhile", label, committed, target)
			break
		}
		if time.Now().After(deadline) {
			return rate, fmt.Errorf("%s: %d of %d transactions committed after 5 minutes", label, committed, target)
		}
		if err := sleepUntil(ctx, time.Now().Add(20*time.Millisecond)); err != nil {
			return rate, err
		}
		latest, err := n.rpc.appHeight(ctx)
		if err != nil {
			return rate, err
		}
		for h <= latest {
			to := min(h+19, latest)
			counts, err := n.rpc.numTxs(ctx, h, to)
			if err != nil {
				return rate, err
			}
			for _, c := range counts {
				committed += c
				if c > 0 {
					rate.Blocks++
					lastCommit = time.Now()
				}
			}
			h = to + 1
		}
	}
	rate.Seconds = lastCommit.Sub(t0).Seconds()
	rate.Txs = committed
	rate.Rejected = int(rejected.Load())
	rate.TxPerSec = float64(committed) / rate.Seconds
	r.res.TxRate = append(r.res.TxRate, rate)
	r.logf("tx rate, %s: %d txs in %.2fs = %.0f tx/s over %d blocks", label, rate.Txs, rate.Seconds, rate.TxPerSec, rate.Blocks)
	return rate, nil
}

// txSource signs fresh BigchainDB 2.0 CREATE transactions (about 750 bytes
// each), which the ledger validates in full (id and signature).
type txSource struct {
	run string
	key txbuild.KeyPair
	n   int
}

func newTxSource(run string) *txSource { return &txSource{run: run, key: txbuild.NewKeyPair()} }

func (s *txSource) next(k int) ([][]byte, error) {
	out := make([][]byte, k)
	for i := range out {
		s.n++
		tx, err := txbuild.Create("2.0", s.key, map[string]any{"bench": s.run, "n": s.n}, nil, txbuild.To("1", s.key)).Sign()
		if err != nil {
			return nil, err
		}
		out[i] = tx.Raw
	}
	return out, nil
}

// logWatcher follows the node's event log during a trial, noting each
// block's height, number of events and hand-off time.
type logWatcher struct {
	cancel context.CancelFunc
	done   chan struct{}
	read   atomic.Int64 // the newest height read
	blocks []watchedBlock
}

type watchedBlock struct {
	height, appended int64
	txs              int
}

func watchLog(log *events.Log, from int64) *logWatcher {
	ctx, cancel := context.WithCancel(context.Background())
	w := &logWatcher{cancel: cancel, done: make(chan struct{})}
	rd := log.NewReader(from)
	go func() {
		defer close(w.done)
		for {
			b, err := rd.Next(ctx)
			if err != nil {
				return
			}
			// Appended is the Log's own stamp at the hand-off; the time
			// this reader woke is a close second.
			at := b.Appended.UnixNano()
			if b.Appended.IsZero() {
				at = time.Now().UnixNano()
			}
			w.blocks = append(w.blocks, watchedBlock{height: b.Height, appended: at, txs: len(b.Txs)})
			w.read.Store(b.Height)
		}
	}()
	return w
}

// stop waits (up to 10s) for the blocks already in log to be read, then
// ends the watcher and returns them.
func (w *logWatcher) stop(log *events.Log) []watchedBlock {
	_, newest := log.Bounds()
	_ = waitFor(context.Background(), 10*time.Second, func() bool { return w.read.Load() >= newest })
	w.cancel()
	<-w.done
	return w.blocks
}
