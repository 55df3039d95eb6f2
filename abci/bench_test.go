package abci_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/hashicorp/go-hclog"

	"github.com/cometstream/cometstream/abci"
	"github.com/cometstream/cometstream/events"
)

// BenchmarkCommitHandoff times the middleware's Commit, the call CometBFT
// waits for, with a real events.Log as its sink: over a MemStore and over a
// SegmentStore (durable, in a temp dir), for blocks of 1, 100 and 1,000
// transactions, while 0, 1,000 or 10,000 readers wait on the log as stream
// subscribers do. Only Commit is timed, each call by the clock (ns/op is
// their mean, p99-ns their 99th percentile): FinalizeBlock, the
// middleware's goroutine writing the block and the readers' catching up
// are not timed (b's own timer is left running, since stopping it reads
// memory statistics, which stops the world while those goroutines run),
// and every
// reader is parked on the log again before the next Commit, the state a
// real node is in when blocks are a fraction of a second apart. The target
// is a cost that does not grow with the number of readers.
//
// ns/op is per block; ns/tx divides it by the block's transactions.
func BenchmarkCommitHandoff(b *testing.B) {
	for _, store := range []string{"mem", "segment"} {
		for _, txs := range []int{1, 100, 1000} {
			for _, subs := range []int{0, 1000, 10000} {
				b.Run(fmt.Sprintf("store=%s/txs=%d/subs=%d", store, txs, subs), func(b *testing.B) {
					benchCommitHandoff(b, store, txs, subs)
				})
			}
		}
	}
}

func benchCommitHandoff(b *testing.B, storeKind string, txs, subs int) {
	log := benchLog(b, storeKind)
	req, decoder := benchBlockRequest(txs)
	app, err := abci.New(abci.Config{App: acceptAll{}, Sink: log, Decoder: decoder})
	if err != nil {
		b.Fatal(err)
	}
	defer app.Close(context.Background())

	ctx, cancel := context.WithCancel(context.Background())
	var parked, exited sync.WaitGroup
	parked.Add(subs)
	exited.Add(subs)
	for range subs {
		go func() {
			defer exited.Done()
			follow(ctx, log, &parked)
		}()
	}
	defer func() {
		cancel()
		exited.Wait()
	}()
	parked.Wait()

	commit := &abcitypes.RequestCommit{}
	h := int64(0)
	var took []time.Duration
	for b.Loop() {
		h++
		req.Height = h
		if _, err := app.FinalizeBlock(ctx, req); err != nil {
			b.Fatal(err)
		}
		parked.Add(subs)
		start := time.Now()
		if _, err := app.Commit(ctx, commit); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
		// The block reaches the log on the middleware's goroutine; the
		// readers wake from there.
		if err := app.Sync(ctx); err != nil {
			b.Fatal(err)
		}
		parked.Wait()
	}
	if _, newest := log.Bounds(); newest != h {
		b.Fatalf("log newest height %d after %d commits", newest, h)
	}
	var sum time.Duration
	for _, d := range took {
		sum += d
	}
	slices.Sort(took)
	mean := float64(sum.Nanoseconds()) / float64(len(took))
	b.ReportMetric(mean, "ns/op")
	b.ReportMetric(mean/float64(txs), "ns/tx")
	b.ReportMetric(float64(took[(len(took)*99)/100].Nanoseconds()), "p99-ns")
}

// follow reads the log as a stream subscriber's writer does (take the wake
// channel, read until ErrNotYet, wait on the channel) and marks itself
// parked each time it has read everything.
func follow(ctx context.Context, log *events.Log, parked *sync.WaitGroup) {
	r := log.NewReader(0)
	for {
		wake := log.Wait()
		for {
			_, err := r.TryNext()
			if errors.Is(err, events.ErrNotYet) {
				break
			}
			if err != nil {
				panic(fmt.Sprintf("reader: %v", err)) // a bug in the log: the benchmark must not go on
			}
		}
		parked.Done()
		select {
		case <-wake:
		case <-ctx.Done():
			return
		}
	}
}

func benchLog(b *testing.B, kind string) *events.Log {
	b.Helper()
	var store events.Store
	var err error
	switch kind {
	case "mem":
		store, err = events.NewMemStore(1024)
	case "segment":
		store, err = events.OpenSegmentStore(events.SegmentConfig{Dir: b.TempDir()})
	default:
		err = fmt.Errorf("unknown store %q", kind)
	}
	if err != nil {
		b.Fatal(err)
	}
	log, err := events.NewLog(store, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = log.Close() })
	return log
}

// benchBlockRequest returns a FinalizeBlock request of n transactions and a
// decoder that answers, for each, what events.Planetmint reads from a
// CREATE: ids, an asset, a public key and an owner. Decoding is
// FinalizeBlock's work, outside the timed Commit; a table lookup keeps the
// untimed part of each iteration short.
func benchBlockRequest(n int) (*abcitypes.RequestFinalizeBlock, events.Decoder) {
	const key = "3KrJ8gSSy7y1rsMU7tXJCh9uCSDNjSYxgxcGb2vGgxmb"
	decoded := make(map[string]events.Decoded, n)
	txs := make([][]byte, n)
	for i := range txs {
		txs[i] = fmt.Appendf(nil, `{"id":"%064x","operation":"CREATE"}`, i)
		id := events.RawID(txs[i])
		decoded[string(txs[i])] = events.Decoded{ID: id, AssetIDs: []string{id}, Operation: "CREATE",
			PublicKeys: []string{key}, OwnersBefore: []string{key}}
	}
	dec := events.DecoderFunc(func(tx []byte) (events.Decoded, error) {
		d, ok := decoded[string(tx)]
		if !ok {
			return events.Decoded{}, events.ErrUndecodable
		}
		return d, nil
	})
	req := &abcitypes.RequestFinalizeBlock{
		Hash: make([]byte, 32),
		Time: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		Txs:  txs,
	}
	return req, dec
}

// acceptAll accepts every transaction and commits at no cost, so that the
// timed Commit is the middleware's hand-off alone.
type acceptAll struct{ abcitypes.BaseApplication }

func (acceptAll) FinalizeBlock(_ context.Context, req *abcitypes.RequestFinalizeBlock) (*abcitypes.ResponseFinalizeBlock, error) {
	return &abcitypes.ResponseFinalizeBlock{TxResults: results(make([]uint32, len(req.Txs))...)}, nil
}

// BenchmarkBlockEvent times the work the middleware's goroutine does per
// block after Commit (FinalizeBlock and Commit only keep references):
// decoding each valid transaction, hashing every transaction and copying
// its result and ABCI events for tx_results, for blocks of 1, 100 and
// 1,000 transactions of 750 bytes, with no events or with a Cosmos-like 4
// events of 3 attributes each.
func BenchmarkBlockEvent(b *testing.B) {
	for _, events := range []int{0, 4} {
		for _, txs := range []int{1, 100, 1000} {
			b.Run(fmt.Sprintf("events=%d/txs=%d", events, txs), func(b *testing.B) {
				req, decoder := benchBlockRequest(txs)
				for i := range req.Txs {
					req.Txs[i] = append(req.Txs[i], make([]byte, 750-len(req.Txs[i]))...)
				}
				resp, err := withEvents{n: events}.FinalizeBlock(context.Background(), req)
				if err != nil {
					b.Fatal(err)
				}
				logger := hclog.NewNullLogger()
				b.ReportAllocs()
				for b.Loop() {
					abci.BlockEvent(decoder, logger, req.Height, req.Hash, req.Time, req.Txs, resp.TxResults)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(txs), "ns/tx")
			})
		}
	}
}

// withEvents accepts every transaction with n ABCI events of 3 attributes.
type withEvents struct {
	abcitypes.BaseApplication
	n int
}

func (w withEvents) FinalizeBlock(_ context.Context, req *abcitypes.RequestFinalizeBlock) (*abcitypes.ResponseFinalizeBlock, error) {
	evs := make([]abcitypes.Event, w.n)
	for i := range evs {
		evs[i] = abcitypes.Event{Type: "transfer", Attributes: []abcitypes.EventAttribute{
			{Key: "recipient", Value: "cosmos1qy352eufqy352eufqy352eufqy35qqqptw34ca", Index: true},
			{Key: "sender", Value: "cosmos1qy352eufqy352eufqy352eufqy35qqqptw34cb", Index: true},
			{Key: "amount", Value: "1000stake", Index: true},
		}}
	}
	res := make([]*abcitypes.ExecTxResult, len(req.Txs))
	for i := range res {
		res[i] = &abcitypes.ExecTxResult{GasWanted: 200000, GasUsed: 61234, Events: evs}
	}
	return &abcitypes.ResponseFinalizeBlock{TxResults: res}, nil
}
