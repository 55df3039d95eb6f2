//go:build testnet

package integration_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/google/go-cmp/cmp"

	"github.com/cometstream/cometstream/client"
	"github.com/cometstream/cometstream/ledger/txbuild"
)

// Load shape: each worker sends a CREATE every loadInterval, garbage
// every fourth round, and every fifth CREATE is later spent by a
// conflicting trio.
const (
	loadInterval   = 40 * time.Millisecond
	conflictDelay  = 2 * time.Second // enough for the CREATE to be committed
	conflictPeriod = 5
)

// tnLoad submits transactions to the nodes' RPC, rotating through them and
// skipping any that is down or catching up: signed CREATEs, garbage that
// CheckTx refuses, and trios (two TRANSFERs of one output and a second
// encoding of the first) that each pass CheckTx, which checks against
// committed state only, so that blocks carry transactions FinalizeBlock
// refuses (double spend, duplicate), which must never be streamed.
type tnLoad struct {
	stop      chan struct{}
	halted    sync.Once
	wg        sync.WaitGroup
	creates   atomic.Int64 // CREATEs CheckTx accepted
	garbage   atomic.Int64
	conflicts atomic.Int64 // trios sent
	refused   atomic.Int64 // broadcasts no node took
}

func startTestnetLoad(t *testing.T, addrs []string, workers int) *tnLoad {
	t.Helper()
	rpcs := make([]*rpchttp.HTTP, len(addrs))
	for i, a := range addrs {
		var err error
		if rpcs[i], err = rpchttp.NewWithTimeout("http://"+a, "/websocket", 5); err != nil {
			t.Fatal(err)
		}
	}
	l := &tnLoad{stop: make(chan struct{})}
	for w := range workers {
		l.wg.Add(1)
		go l.worker(w, rpcs)
	}
	t.Cleanup(l.halt)
	return l
}

func (l *tnLoad) worker(w int, rpcs []*rpchttp.HTTP) {
	defer l.wg.Done()
	owner, bob, carol := txbuild.NewKeyPair(), txbuild.NewKeyPair(), txbuild.NewKeyPair()
	next := w
	// send hands raw to the next node that takes it; code is CheckTx's.
	send := func(raw []byte) (code uint32, ok bool) {
		for range rpcs {
			r := rpcs[next%len(rpcs)]
			next++
			res, err := r.BroadcastTxSync(context.Background(), raw)
			if err == nil {
				return res.Code, true
			}
		}
		l.refused.Add(1)
		return 0, false
	}
	type pending struct {
		tx *txbuild.Signed
		at time.Time
	}
	var queue []pending
	tick := time.NewTicker(loadInterval)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-l.stop:
			return
		case <-tick.C:
		}
		create := txbuild.Create("3.0", owner, fmt.Sprintf("QmTestnet%d-%d", w, i), nil, txbuild.To("1", owner)).MustSign()
		if code, ok := send(create.Raw); ok && code == 0 {
			l.creates.Add(1)
			if i%conflictPeriod == 0 {
				queue = append(queue, pending{create, time.Now()})
			}
		}
		if i%4 == 3 {
			send([]byte(fmt.Sprintf(`{"not":"a transaction %d"}`, i)))
			l.garbage.Add(1)
		}
		if len(queue) > 0 && time.Since(queue[0].at) > conflictDelay {
			c := queue[0].tx
			queue = queue[1:]
			toBob := txbuild.Transfer("3.0", c.ID, nil, []txbuild.Input{c.Spend(0, owner)}, txbuild.To("1", bob)).MustSign()
			toCarol := txbuild.Transfer("3.0", c.ID, nil, []txbuild.Input{c.Spend(0, owner)}, txbuild.To("1", carol)).MustSign()
			send(toBob.Raw)
			send(toCarol.Raw)
			send(append([]byte(" "), toBob.Raw...))
			l.conflicts.Add(1)
		}
	}
}

func (l *tnLoad) halt() {
	l.halted.Do(func() { close(l.stop) })
	l.wg.Wait()
}

func (l *tnLoad) String() string {
	return fmt.Sprintf("%d CREATEs accepted by CheckTx, %d garbage, %d conflicting trios, %d broadcasts no node took",
		l.creates.Load(), l.garbage.Load(), l.conflicts.Load(), l.refused.Load())
}

// tnChain is CometBFT's view of heights 1..upTo, from a running node.
type tnChain struct {
	upTo   int64
	blocks []client.BlockEvent
	txs    []client.TxEvent
}

func (tn *tnNet) chain(t *testing.T, upTo int64) tnChain {
	t.Helper()
	blocks, txs := chainFromRPC(t, tn.source(t).rpc, upTo)
	return tnChain{upTo: upTo, blocks: blocks, txs: txs}
}

// from returns the chain's events at heights >= from.
func (c tnChain) from(from int64) ([]client.BlockEvent, []client.TxEvent) {
	var blocks []client.BlockEvent
	var txs []client.TxEvent
	for _, b := range c.blocks {
		if b.Height >= from {
			blocks = append(blocks, b)
		}
	}
	for _, tx := range c.txs {
		if tx.Height >= from {
			txs = append(txs, tx)
		}
	}
	return blocks, txs
}

// checkNode reads both of n's streams from height from with the Go client
// and compares them with the chain; it also checks that n's own CometBFT
// holds the same block at c.upTo (so the chain is n's too).
func checkNode(t *testing.T, n *tnNode, c tnChain, from int64) {
	t.Helper()
	blk, err := n.rpc.Block(context.Background(), &c.upTo)
	if err != nil {
		t.Fatalf("%s: block %d: %v", n.Name, c.upTo, err)
	}
	if got, want := fmt.Sprintf("%X", blk.BlockID.Hash), c.blocks[c.upTo-1].Hash; got != want {
		t.Fatalf("%s: CometBFT's block %d is %s, another node's is %s", n.Name, c.upTo, got, want)
	}
	wantBlocks, wantTxs := c.from(from)
	var gotBlocks []client.BlockEvent
	for _, e := range readRange(t, []string{n.StreamURL}, true, from, c.upTo) {
		gotBlocks = append(gotBlocks, *e.Block)
	}
	if diff := cmp.Diff(wantBlocks, gotBlocks); diff != "" {
		t.Errorf("%s valid_blocks from height %d to %d (-CometBFT +stream):\n%s", n.Name, from, c.upTo, diff)
	}
	var gotTxs []client.TxEvent
	for _, e := range readRange(t, []string{n.StreamURL}, false, from, c.upTo) {
		gotTxs = append(gotTxs, *e.Tx)
	}
	if diff := cmp.Diff(wantTxs, gotTxs); diff != "" {
		t.Errorf("%s valid_transactions from height %d to %d (-CometBFT +stream):\n%s", n.Name, from, c.upTo, diff)
	}
}

// readRange is readStream from any height: the events of heights
// from..upTo, read until an event past upTo (or block upTo) arrives.
func readRange(t *testing.T, urls []string, blocks bool, from, upTo int64) []client.Event {
	t.Helper()
	c := startCollector(t, client.Config{URLs: urls, Blocks: blocks, FromHeight: from}, upTo)
	return c.wait(t, 60*time.Second)
}

// collector runs a Go client in the background and keeps what it
// delivers, until its finishing height is reached.
type collector struct {
	blocks bool
	until  atomic.Int64
	top    atomic.Int64 // highest height delivered
	mu     sync.Mutex
	got    []client.Event
	done   chan error
	cancel context.CancelFunc
}

var errCollected = errors.New("collected")

// startCollector starts a client; until is the finishing height (see
// finishAt), 0 for none yet.
func startCollector(t *testing.T, cfg client.Config, until int64) *collector {
	t.Helper()
	cl, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	c := &collector{blocks: cfg.Blocks, done: make(chan error, 1), cancel: cancel}
	if until == 0 {
		until = math.MaxInt64
	}
	c.until.Store(until)
	go func() {
		c.done <- cl.Run(ctx, func(e client.Event) error {
			if !c.blocks && e.Height() > c.until.Load() {
				return errCollected
			}
			c.mu.Lock()
			c.got = append(c.got, e)
			c.mu.Unlock()
			c.top.Store(e.Height())
			if c.blocks && e.Height() >= c.until.Load() {
				return errCollected
			}
			return nil
		})
	}()
	t.Cleanup(cancel)
	return c
}

// finishAt makes the collector stop after height h: at block h on
// valid_blocks, at the first transaction past h on valid_transactions.
func (c *collector) finishAt(h int64) { c.until.Store(h) }

// wait returns the events up to the finishing height (the client may have
// delivered a few past it before finishAt).
func (c *collector) wait(t *testing.T, timeout time.Duration) []client.Event {
	t.Helper()
	defer c.cancel()
	select {
	case err := <-c.done:
		if !errors.Is(err, errCollected) {
			t.Fatalf("client stopped after %d events: %v", len(c.events()), err)
		}
	case <-time.After(timeout):
		t.Fatalf("client reached height %d of %d within %v", c.top.Load(), c.until.Load(), timeout)
	}
	var out []client.Event
	for _, e := range c.events() {
		if e.Height() <= c.until.Load() {
			out = append(out, e)
		}
	}
	return out
}

func (c *collector) events() []client.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]client.Event(nil), c.got...)
}

// compareEvents checks a client's events (blocks or transactions) against
// the chain from height from.
func compareEvents(t *testing.T, name string, blocks bool, got []client.Event, c tnChain, from int64) {
	t.Helper()
	wantBlocks, wantTxs := c.from(from)
	if blocks {
		var gotBlocks []client.BlockEvent
		for _, e := range got {
			gotBlocks = append(gotBlocks, *e.Block)
		}
		if diff := cmp.Diff(wantBlocks, gotBlocks); diff != "" {
			t.Errorf("%s: blocks %d..%d (-CometBFT +client):\n%s", name, from, c.upTo, diff)
		}
		return
	}
	var gotTxs []client.TxEvent
	for _, e := range got {
		gotTxs = append(gotTxs, *e.Tx)
	}
	if diff := cmp.Diff(wantTxs, gotTxs); diff != "" {
		t.Errorf("%s: transactions %d..%d (-CometBFT +client):\n%s", name, from, c.upTo, diff)
	}
}
