package driver

import (
	"context"
	"errors"
	"fmt"
	neturl "net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cometstream/cometstream/bench"
	"github.com/cometstream/cometstream/ledger/txbuild"
	"github.com/cometstream/cometstream/streamsvc"
)

// realTxs runs the part with real transactions through consensus: on a
// node with the stream on, cometstream's and CometBFT's /websocket delivery
// of the same load at each subscriber count, then CometBFT's again with its
// limits raised.
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
	err := run(nodeOptions{name: "real-stream-on", stream: true}, func(n *benchNode) error {
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
		watch := watchBlocks(n.Log(), from+1)
		txs, err := src.next(r.cfg.RealTxs)
		if err != nil {
			watch.stop()
			return err
		}
		cpu0 := processCPU()
		rate, _, err := r.broadcastLoad(ctx, n.rpc, fmt.Sprintf("%d %s subscribers (section 3, run %d)", subs, target, rep), txs, nil)
		if err == nil {
			// Committed is not yet appended: the middleware's goroutine
			// appends after Commit.
			err = waitFor(ctx, 10*time.Second, func() bool { return watch.newest() >= rate.Height })
		}
		blocks := watch.stop()
		if err != nil {
			return err
		}
		var total int64
		for _, b := range blocks {
			if len(b.Txs) > 0 {
				d.want[b.Height] = len(b.Txs)
				d.commits[b.Height] = b.Appended.UnixNano()
				total += int64(len(b.Txs))
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

// loadResult is what the chain made of one broadcast of fresh
// transactions.
type loadResult struct {
	Txs      int     // committed
	Rejected int     // refused by broadcast_tx_sync
	Seconds  float64 // first broadcast to the commit of the last
	TxPerSec float64
	Blocks   int   // blocks holding the transactions
	Height   int64 // the last of them
}

// broadcastLoad broadcasts txs, BroadcastWorkers at a time with
// broadcast_tx_sync, and measures the time from the first broadcast to the
// commit of the last accepted one: the application's Commit, seen by
// polling CometBFT's RPC (abci_info, then blockchain for the counts) every
// 20 ms, with the stream on or off alike. With cpu set, it also returns
// the CPU time cpu reports over the same span (read at the first broadcast
// and whenever a commit of the load is seen).
func (r *runner) broadcastLoad(ctx context.Context, rpc *rpcClient, label string, txs [][]byte, cpu func() (time.Duration, error)) (loadResult, time.Duration, error) {
	var rate loadResult
	// What an earlier run left in the mempool would be counted here.
	if err := waitFor(ctx, 2*time.Minute, func() bool { n, err := rpc.unconfirmed(ctx); return err == nil && n == 0 }); err != nil {
		r.note("%s: the mempool still held transactions of an earlier run after 2 minutes", label)
	}
	start, err := startAfterCommit(ctx, rpc)
	if err != nil {
		return rate, 0, err
	}
	var cpu0, cpuLast time.Duration
	if cpu != nil {
		if cpu0, err = cpu(); err != nil {
			return rate, 0, err
		}
		cpuLast = cpu0
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
					code, log, err := rpc.broadcast(ctx, tx)
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
	// broadcast, none has been for loadStall (an accepted transaction the
	// chain never commits is noted, not waited for).
	target, committed, h := -1, 0, start+1
	lastCommit := t0
	deadline := time.Now().Add(5 * time.Minute)
	for target < 0 || committed < target {
		select {
		case target = <-accepted:
		default:
		}
		if target >= 0 && time.Since(lastCommit) > loadStall {
			r.note("%s: %d of %d accepted transactions committed, then none for %s: the chain stalled, or CometBFT "+
				"dropped checked transactions because its mempool filled meanwhile", label, committed, target, loadStall)
			break
		}
		if time.Now().After(deadline) {
			return rate, 0, fmt.Errorf("%s: %d of %d transactions committed after 5 minutes", label, committed, target)
		}
		if err := sleepUntil(ctx, time.Now().Add(20*time.Millisecond)); err != nil {
			return rate, 0, err
		}
		latest, err := rpc.appHeight(ctx)
		if err != nil {
			return rate, 0, err
		}
		for h <= latest {
			to := min(h+19, latest)
			counts, err := rpc.numTxs(ctx, h, to)
			if err != nil {
				return rate, 0, err
			}
			seen := false
			for height, c := range counts {
				committed += c
				if c > 0 {
					rate.Blocks++
					rate.Height = max(rate.Height, height)
					seen = true
				}
			}
			if seen {
				lastCommit = time.Now()
				if cpu != nil {
					if cpuLast, err = cpu(); err != nil {
						return rate, 0, err
					}
				}
			}
			h = to + 1
		}
	}
	rate.Seconds = lastCommit.Sub(t0).Seconds()
	rate.Txs = committed
	rate.Rejected = int(rejected.Load())
	rate.TxPerSec = float64(committed) / rate.Seconds
	r.logf("load, %s: %d txs in %.2fs = %.0f tx/s over %d blocks", label, rate.Txs, rate.Seconds, rate.TxPerSec, rate.Blocks)
	return rate, cpuLast - cpu0, nil
}

// startAfterCommit waits for the application's next Commit and returns
// its height: a load that starts right after one meets the block
// boundaries at the same points in every trial (where they fall decides
// how many transactions wait for a next block and are checked again by
// CometBFT's recheck, and so both the tx/s and the CPU per transaction).
func startAfterCommit(ctx context.Context, rpc *rpcClient) (int64, error) {
	h, err := rpc.appHeight(ctx)
	if err != nil {
		return 0, err
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if err := sleepUntil(ctx, time.Now().Add(5*time.Millisecond)); err != nil {
			return 0, err
		}
		next, err := rpc.appHeight(ctx)
		if err != nil {
			return 0, err
		}
		if next > h {
			return next, nil
		}
	}
	return h, nil // no block for 10 s: start anyway
}

// loadStall ends a load's wait for its accepted transactions once none has
// been committed for this long.
const loadStall = 15 * time.Second

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
