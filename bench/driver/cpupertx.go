package driver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/cometstream/cometstream/bench"
	"github.com/cometstream/cometstream/streamsvc"
)

// CPUTrial is one trial of the CPU-per-transaction benchmark: a fresh node
// process under CPUTxs fresh transactions, with the stream off, or on with
// Subs subscribers reading valid_transactions.
type CPUTrial struct {
	Config string `json:"config"` // CPUConfig(Stream, Subs)
	Stream bool   `json:"stream"`
	Subs   int    `json:"subs"`
	Rep    int    `json:"rep"`
	// Broadcast transactions, of which Txs were committed in Blocks blocks, Seconds from the first
	// broadcast to the commit of the last; Rejected were refused.
	Broadcast int     `json:"broadcast"`
	Txs       int     `json:"txs"`
	Rejected  int     `json:"rejected"`
	Blocks    int     `json:"blocks"`
	Seconds   float64 `json:"seconds"`
	TxPerSec  float64 `json:"tx_per_sec"`
	// CPUSeconds is the node process's utime+stime over Seconds;
	// CPUPerTx the same per committed transaction, µs.
	CPUSeconds float64 `json:"node_cpu_s"`
	CPUPerTx   float64 `json:"node_cpu_us_per_tx"`
	// Served subscribers received Delivered of the Served*Txs events.
	Served    int    `json:"served,omitempty"`
	Delivered int64  `json:"delivered,omitempty"`
	Load      string `json:"load,omitempty"`
}

// CPUConfig names a configuration: "off", "on", "on+N".
func CPUConfig(stream bool, subs int) string {
	switch {
	case !stream:
		return "off"
	case subs == 0:
		return "on"
	default:
		return fmt.Sprintf("on+%d", subs)
	}
}

// cpuPerTx runs CPURepeats rounds of the configurations (off, on, then on
// with each of CPUSubscribers), interleaved so that a change of the
// machine's load weighs on all of them, each trial on a fresh node process
// with the default timeouts (unless FastBlocks).
func (r *runner) cpuPerTx(ctx context.Context) error {
	src := newTxSource(r.runID + "-cpu")
	type config struct {
		stream bool
		subs   int
	}
	configs := []config{{false, 0}, {true, 0}}
	for _, s := range r.cfg.CPUSubscribers {
		configs = append(configs, config{true, s})
	}
	for rep := 1; rep <= r.cfg.CPURepeats; rep++ {
		for _, c := range configs {
			if err := r.cpuTrial(ctx, src, CPUTrial{Config: CPUConfig(c.stream, c.subs), Stream: c.stream, Subs: c.subs, Rep: rep}); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *runner) cpuTrial(ctx context.Context, src *txSource, t CPUTrial) error {
	txs, err := src.next(r.cfg.CPUTxs) // signed before the node starts
	if err != nil {
		return err
	}
	name := fmt.Sprintf("cpu-%d-%s", t.Rep, strings.ReplaceAll(t.Config, "+", "-"))
	p, err := startNodeProc(ctx, r.work, nodeOptions{name: name, stream: t.Stream, fast: r.cfg.FastBlocks}, r.nodeLog)
	if err != nil {
		return err
	}
	measure := func(cs *clientSet) error {
		t.Load, _, _ = strings.Cut(loadAverage(), " ")
		load, cpu, err := r.broadcastLoad(ctx, p.rpc, "cpu per tx, "+t.Config, txs, p.cpu)
		if err != nil {
			return err
		}
		t.Broadcast = len(txs)
		t.Txs, t.Rejected, t.Blocks, t.Seconds, t.TxPerSec = load.Txs, load.Rejected, load.Blocks, load.Seconds, load.TxPerSec
		t.CPUSeconds = cpu.Seconds()
		if t.Txs > 0 {
			t.CPUPerTx = 1e6 * t.CPUSeconds / float64(t.Txs)
		}
		if cs != nil {
			t.Served = cs.connected()
			if err := r.waitDelivered(ctx, cs, int64(t.Served)*int64(t.Txs), r.cfg.StallTimeout); err != nil {
				return err
			}
			st, err := cs.status()
			if err != nil {
				return err
			}
			t.Delivered = st.Msgs
		}
		r.res.CPUPerTx = append(r.res.CPUPerTx, t)
		r.logf("cpu per tx %d, %-8s %d txs, %.0f tx/s, node CPU %.2fs = %.0f µs/tx, delivered %d",
			t.Rep, t.Config, t.Txs, t.TxPerSec, t.CPUSeconds, t.CPUPerTx, t.Delivered)
		return nil
	}
	if t.Subs > 0 {
		err = r.withClients(ctx, p.streamURL(streamsvc.PathTransactions), bench.ModeStream, "", t.Subs, false, measure)
	} else {
		err = measure(nil)
	}
	if e := p.stop(); e != nil {
		err = errors.Join(err, fmt.Errorf("stop node process %s: %w", name, e))
	}
	_ = os.RemoveAll(p.cfg.Home) // the homes of 20 trials would only fill the disk
	return err
}
