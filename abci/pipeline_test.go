package abci_test

import (
	"context"
	"errors"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/google/go-cmp/cmp"

	"github.com/cometstream/cometstream/abci"
	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/internal/fixtures"
)

// TestMiddlewareFeedsEventLog runs the middleware around the fake app with a
// real in-memory events.Log as its sink, and follows it with readers as a
// stream subscriber would.
func TestMiddlewareFeedsEventLog(t *testing.T) {
	store, err := events.NewMemStore(16)
	if err != nil {
		t.Fatal(err)
	}
	log, err := events.NewLog(store, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()

	rejected := []byte("rejected by the app")
	inner := &fakeApp{finalizeBlock: func(_ context.Context, req *abcitypes.RequestFinalizeBlock) (*abcitypes.ResponseFinalizeBlock, error) {
		resp := &abcitypes.ResponseFinalizeBlock{}
		for _, tx := range req.Txs {
			code := abcitypes.CodeTypeOK
			if string(tx) == string(rejected) {
				code = 1
			}
			resp.TxResults = append(resp.TxResults, &abcitypes.ExecTxResult{Code: code})
		}
		return resp, nil
	}}
	app, err := abci.New(abci.Config{App: inner, Sink: log})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close(context.Background())

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	live := log.NewReader(0)   // follows with Next, waiting in a goroutine
	polled := log.NewReader(0) // follows with TryNext

	// Block 1: a whole Planetmint chain, with a rejected tx in the middle.
	chain := fixtures.Chains["planetmint-v3.0"]
	createID := fixtureID(t, chain[0])
	req1 := &abcitypes.RequestFinalizeBlock{
		Height: 1,
		Hash:   []byte("hash-1"),
		Time:   time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		Txs:    [][]byte{fixtures.Read(chain[0]), rejected, fixtures.Read(chain[1]), fixtures.Read(chain[2])},
	}
	type nextResult struct {
		b   *events.Block
		err error
	}
	waiting := make(chan nextResult, 1)
	go func() {
		b, err := live.Next(ctx)
		waiting <- nextResult{b, err}
	}()

	if _, err := app.FinalizeBlock(ctx, req1); err != nil {
		t.Fatal(err)
	}
	if _, err := polled.TryNext(); !errors.Is(err, events.ErrNotYet) {
		t.Fatalf("before Commit: TryNext error = %v, want ErrNotYet", err)
	}
	if _, err := app.Commit(ctx, &abcitypes.RequestCommit{}); err != nil {
		t.Fatal(err)
	}

	type txSummary struct {
		Index    uint32
		ID       string
		AssetIDs []string
		Op       string
	}
	summarize := func(b *events.Block) []txSummary {
		var s []txSummary
		for _, tx := range b.Txs {
			s = append(s, txSummary{tx.Index, tx.ID, tx.AssetIDs, tx.Operation})
		}
		return s
	}
	want1 := []txSummary{
		{0, createID, []string{createID}, "CREATE"},
		{2, fixtureID(t, chain[1]), []string{createID}, "TRANSFER"},
		{3, fixtureID(t, chain[2]), []string{createID}, "TRANSFER"},
	}
	var got *events.Block
	select {
	case res := <-waiting:
		if res.err != nil {
			t.Fatalf("live reader: Next: %v", res.err)
		}
		got = res.b
	case <-ctx.Done():
		t.Fatal("the live reader did not get block 1")
	}
	if got.Height != 1 || string(got.Hash) != "hash-1" || !got.Time.Equal(req1.Time) {
		t.Fatalf("live reader got %+v, want block 1", got)
	}
	if diff := cmp.Diff(want1, summarize(got)); diff != "" {
		t.Errorf("block 1 events (-want +got):\n%s", diff)
	}
	polledBlock, err := polled.TryNext()
	if err != nil || polledBlock != got {
		t.Fatalf("polled reader: TryNext = %v, %v; want the same block 1", polledBlock, err)
	}

	// Block 2 is empty and must still reach readers (valid_blocks).
	commitBlock(t, app, &abcitypes.RequestFinalizeBlock{Height: 2, Hash: []byte("hash-2")})
	b2, err := live.Next(ctx)
	if err != nil || b2.Height != 2 || len(b2.Txs) != 0 {
		t.Fatalf("live reader: Next = %+v, %v; want empty block 2", b2, err)
	}

	// Block 2 executed again after a restart is not streamed twice.
	commitBlock(t, app, &abcitypes.RequestFinalizeBlock{Height: 2, Hash: []byte("hash-2"), Txs: [][]byte{[]byte("x")}})
	if oldest, newest := log.Bounds(); oldest != 1 || newest != 2 {
		t.Errorf("Bounds = %d, %d; want 1, 2", oldest, newest)
	}
	if b, err := live.TryNext(); !errors.Is(err, events.ErrNotYet) {
		t.Errorf("after a replayed block: TryNext = %v, %v; want ErrNotYet", b, err)
	}
	if b, err := log.Get(2); err != nil || b != b2 {
		t.Errorf("Get(2) = %v, %v; want the first block 2", b, err)
	}

	// Block 3: the BigchainDB chain, every tx accepted.
	bdb := fixtures.Chains["bigchaindb-v2.0"]
	var txs [][]byte
	for _, name := range bdb {
		txs = append(txs, fixtures.Read(name))
	}
	commitBlock(t, app, &abcitypes.RequestFinalizeBlock{Height: 3, Txs: txs})
	b3, err := live.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bdbCreate := fixtureID(t, bdb[0])
	want3 := []txSummary{
		{0, bdbCreate, []string{bdbCreate}, "CREATE"},
		{1, fixtureID(t, bdb[1]), []string{bdbCreate}, "TRANSFER"},
		{2, fixtureID(t, bdb[2]), []string{bdbCreate}, "TRANSFER"},
	}
	if diff := cmp.Diff(want3, summarize(b3)); diff != "" {
		t.Errorf("block 3 events (-want +got):\n%s", diff)
	}
	if lag := polled.Lag(); lag != 2 {
		t.Errorf("polled reader Lag = %d, want 2", lag)
	}
}
