package abci_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/cometstream/cometstream/abci"
	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/internal/fixtures"
)

var _ abcitypes.Application = (*abci.App)(nil)

// waitLimit bounds every wait for another goroutine; it is never slept on.
const waitLimit = 10 * time.Second

// equateEmpty lets a block without valid transactions have nil or empty Txs.
var equateEmpty = cmpopts.EquateEmpty()

func newApp(t *testing.T, inner *fakeApp, sink abci.Sink) *abci.App {
	t.Helper()
	a, err := abci.New(abci.Config{App: inner, Sink: sink})
	track(t, a, err)
	syncing(a, sink)
	return a
}

// track fails t on err, closes a when t ends, and makes a fakeSink sink
// wait for a's hand-overs before it is read.
func track(t *testing.T, a *abci.App, err error) *abci.App {
	t.Helper()
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		if err := a.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return a
}

func syncing(a *abci.App, sink abci.Sink) {
	if fs, ok := sink.(*fakeSink); ok {
		fs.syncer = a
	}
}

func fixtureID(t *testing.T, name string) string {
	t.Helper()
	var tx struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(fixtures.Read(name), &tx); err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	return tx.ID
}

// commitBlock runs FinalizeBlock then Commit, failing on any error.
func commitBlock(t *testing.T, a *abci.App, req *abcitypes.RequestFinalizeBlock) {
	t.Helper()
	ctx := context.Background()
	if _, err := a.FinalizeBlock(ctx, req); err != nil {
		t.Fatalf("FinalizeBlock(%d): %v", req.Height, err)
	}
	if _, err := a.Commit(ctx, &abcitypes.RequestCommit{}); err != nil {
		t.Fatalf("Commit(%d): %v", req.Height, err)
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		cfg     abci.Config
		wantErr bool
	}{
		{name: "nil App", cfg: abci.Config{Sink: &fakeSink{}}, wantErr: true},
		{name: "nil Sink", cfg: abci.Config{App: &fakeApp{}}, wantErr: true},
		{name: "both nil", cfg: abci.Config{}, wantErr: true},
		{name: "defaults for Decoder and Logger", cfg: abci.Config{App: &fakeApp{}, Sink: &fakeSink{}}},
		{name: "custom Decoder", cfg: abci.Config{App: &fakeApp{}, Sink: &fakeSink{}, Decoder: events.Planetmint{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := abci.New(tt.cfg)
			if a != nil {
				track(t, a, nil)
			}
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("New error = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr != (a == nil) {
				t.Errorf("New returned app %v with error %v", a, err)
			}
		})
	}
}

func TestFinalizeBlockReturnsInnerAnswerUntouched(t *testing.T) {
	errInner := errors.New("inner FinalizeBlock failed")
	tests := []struct {
		name string
		resp *abcitypes.ResponseFinalizeBlock
		err  error
	}{
		{name: "response", resp: &abcitypes.ResponseFinalizeBlock{TxResults: results(0, 1), AppHash: []byte("h")}},
		{name: "response and error", resp: &abcitypes.ResponseFinalizeBlock{}, err: errInner},
		{name: "error only", err: errInner},
		{name: "nil response without error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inner := &fakeApp{finalizeBlock: answering(tt.resp, tt.err)}
			a := newApp(t, inner, &fakeSink{})
			req := &abcitypes.RequestFinalizeBlock{Height: 1, Txs: [][]byte{[]byte("a"), []byte("b")}}

			resp, err := a.FinalizeBlock(context.Background(), req)
			if resp != tt.resp {
				t.Errorf("FinalizeBlock response = %p, want the inner one %p", resp, tt.resp)
			}
			if err != tt.err {
				t.Errorf("FinalizeBlock error = %v, want the inner one %v", err, tt.err)
			}
			calls := inner.recorded()
			if len(calls) != 1 || calls[0].method != "FinalizeBlock" || calls[0].req != req {
				t.Errorf("inner calls = %+v, want one FinalizeBlock with the same request", calls)
			}
		})
	}
}

func TestCommitReturnsInnerAnswerUntouched(t *testing.T) {
	errInner := errors.New("inner Commit failed")
	tests := []struct {
		name string
		resp *abcitypes.ResponseCommit
		err  error
	}{
		{name: "response", resp: &abcitypes.ResponseCommit{RetainHeight: 7}},
		{name: "error", resp: &abcitypes.ResponseCommit{}, err: errInner},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inner := &fakeApp{
				finalizeBlock: answering(&abcitypes.ResponseFinalizeBlock{}, nil),
				commit: func(context.Context, *abcitypes.RequestCommit) (*abcitypes.ResponseCommit, error) {
					return tt.resp, tt.err
				},
			}
			a := newApp(t, inner, &fakeSink{})
			if _, err := a.FinalizeBlock(context.Background(), &abcitypes.RequestFinalizeBlock{Height: 1}); err != nil {
				t.Fatal(err)
			}
			req := &abcitypes.RequestCommit{}
			resp, err := a.Commit(context.Background(), req)
			if resp != tt.resp || err != tt.err {
				t.Errorf("Commit = %p, %v; want the inner %p, %v", resp, err, tt.resp, tt.err)
			}
			if calls := inner.recorded(); calls[len(calls)-1].req != req {
				t.Error("inner Commit did not get the same request")
			}
		})
	}
}

func TestCommittedBlockEvents(t *testing.T) {
	pmCreate := fixtures.Read("planetmint-v3.0-create.json")
	pmTransfer1 := fixtures.Read("planetmint-v3.0-transfer-1.json")
	pmTransfer2 := fixtures.Read("planetmint-v3.0-transfer-2.json")
	bdbCreate := fixtures.Read("bigchaindb-v2.0-create.json")
	garbage := []byte("\x00not a transaction")
	pmCreateID := fixtureID(t, "planetmint-v3.0-create.json")
	pmTransfer1ID := fixtureID(t, "planetmint-v3.0-transfer-1.json")
	bdbCreateID := fixtureID(t, "bigchaindb-v2.0-create.json")
	const (
		key1 = "4K9sWUMFwTgaDGPfdynrbxWqWS6sWmKbZoTjxLtVUibD"
		key2 = "3yfQPHeWAa1MxTX9Zf9176QqcpcnWcanVZZbaHb8B3h9"
	)
	pmCreateEv := func(i uint32) events.Tx {
		return events.Tx{Index: i, ID: pmCreateID, AssetIDs: []string{pmCreateID}, Operation: "CREATE",
			PublicKeys: []string{key1}, OwnersBefore: []string{key1}}
	}
	pmTransfer1Ev := func(i uint32) events.Tx {
		return events.Tx{Index: i, ID: pmTransfer1ID, AssetIDs: []string{pmCreateID}, Operation: "TRANSFER",
			PublicKeys: []string{key2}, OwnersBefore: []string{key1}}
	}
	rawEv := func(i uint32, tx []byte) events.Tx {
		return events.Tx{Index: i, ID: events.RawID(tx), AssetIDs: []string{events.RawID(tx)}}
	}

	hash := []byte{0xde, 0xad, 0xbe, 0xef}
	berlin := time.FixedZone("CET", 3600)
	blockTime := time.Date(2024, 5, 6, 7, 8, 9, 123456789, berlin)
	tests := []struct {
		name    string
		txs     [][]byte
		results []*abcitypes.ExecTxResult
		want    []events.Tx
	}{
		{
			name:    "only accepted transactions, with their index in the block",
			txs:     [][]byte{pmCreate, garbage, pmTransfer1, pmTransfer2, bdbCreate},
			results: results(0, 1, 0, 5, 0),
			want: []events.Tx{pmCreateEv(0), pmTransfer1Ev(2), {Index: 4, ID: bdbCreateID, AssetIDs: []string{bdbCreateID},
				Operation: "CREATE", PublicKeys: []string{key1}, OwnersBefore: []string{key1}}},
		},
		{
			name:    "undecodable accepted transaction is named by its CometBFT tx hash",
			txs:     [][]byte{garbage, pmCreate},
			results: results(0, 0),
			want:    []events.Tx{rawEv(0, garbage), pmCreateEv(1)},
		},
		{
			name: "empty block",
		},
		{
			name:    "every transaction rejected",
			txs:     [][]byte{pmCreate, pmTransfer1},
			results: results(1, 2),
		},
		{
			name:    "fewer results than transactions",
			txs:     [][]byte{pmCreate, pmTransfer1, garbage},
			results: results(0),
			want:    []events.Tx{pmCreateEv(0)},
		},
		{
			name: "no results at all",
			txs:  [][]byte{pmCreate},
		},
		{
			name:    "more results than transactions",
			txs:     [][]byte{pmCreate},
			results: results(0, 0, 0),
			want:    []events.Tx{pmCreateEv(0)},
		},
		{
			name:    "nil result",
			txs:     [][]byte{pmCreate, pmTransfer1},
			results: []*abcitypes.ExecTxResult{nil, {Code: 0}},
			want:    []events.Tx{pmTransfer1Ev(1)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &fakeSink{}
			a := newApp(t, &fakeApp{finalizeBlock: answering(&abcitypes.ResponseFinalizeBlock{TxResults: tt.results}, nil)}, sink)
			commitBlock(t, a, &abcitypes.RequestFinalizeBlock{Height: 42, Hash: hash, Time: blockTime, Txs: tt.txs})

			// Every result with its tx is kept, valid or not.
			var wantResults []events.TxResult
			for i, r := range tt.results {
				if i < len(tt.txs) && r != nil {
					sum := sha256.Sum256(tt.txs[i])
					wantResults = append(wantResults, events.TxResult{Index: uint32(i), Hash: sum[:], Code: r.Code})
				}
			}
			want := []*events.Block{{Height: 42, Hash: hash, Time: blockTime, Txs: tt.want, HasResults: true, Results: wantResults}}
			if diff := cmp.Diff(want, sink.appended(), equateEmpty); diff != "" {
				t.Errorf("appended blocks (-want +got):\n%s", diff)
			}
		})
	}
}

// The results keep what the tx_results stream shows of each transaction:
// code, codespace, gas and the ABCI events as the app returned them.
func TestCommittedBlockResults(t *testing.T) {
	txs := [][]byte{[]byte("a=1"), []byte("b=2")}
	res := []*abcitypes.ExecTxResult{
		{Code: 0, GasWanted: 10, GasUsed: 7, Events: []abcitypes.Event{
			{Type: "transfer", Attributes: []abcitypes.EventAttribute{
				{Key: "recipient", Value: "cosmos1x", Index: true}, {Key: "amount", Value: "5stake"},
			}},
			{Type: "message"},
		}},
		{Code: 5, Codespace: "bank", GasWanted: 10, GasUsed: 3, Log: "insufficient funds"},
	}
	sink := &fakeSink{}
	a := newApp(t, &fakeApp{finalizeBlock: answering(&abcitypes.ResponseFinalizeBlock{TxResults: res}, nil)}, sink)
	commitBlock(t, a, &abcitypes.RequestFinalizeBlock{Height: 3, Txs: txs})
	h0, h1 := sha256.Sum256(txs[0]), sha256.Sum256(txs[1])
	want := []events.TxResult{
		{Index: 0, Hash: h0[:], GasWanted: 10, GasUsed: 7, Events: []events.ABCIEvent{
			{Type: "transfer", Attributes: []events.ABCIAttribute{
				{Key: "recipient", Value: "cosmos1x", Index: true}, {Key: "amount", Value: "5stake"},
			}},
			{Type: "message"},
		}},
		{Index: 1, Hash: h1[:], Code: 5, Codespace: "bank", GasWanted: 10, GasUsed: 3},
	}
	got := sink.appended()
	if len(got) != 1 || !got[0].HasResults {
		t.Fatalf("appended %+v, want one block with results", got)
	}
	if diff := cmp.Diff(want, got[0].Results); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	// The block's events are copies: the app may reuse its response.
	res[0].Events[0].Attributes[0].Value = "changed"
	if got[0].Results[0].Events[0].Attributes[0].Value != "cosmos1x" {
		t.Error("the block shares the app's event attributes")
	}
}

func TestRequestNotModified(t *testing.T) {
	tx := fixtures.Read("planetmint-v3.0-create.json")
	req := &abcitypes.RequestFinalizeBlock{Height: 3, Hash: []byte{1, 2, 3}, Txs: [][]byte{tx, []byte("x")}}
	before := *req
	before.Txs = [][]byte{append([]byte(nil), tx...), []byte("x")}
	before.Hash = []byte{1, 2, 3}
	a := newApp(t, &fakeApp{finalizeBlock: answering(&abcitypes.ResponseFinalizeBlock{TxResults: results(0, 0)}, nil)}, &fakeSink{})
	commitBlock(t, a, req)
	if diff := cmp.Diff(before.Txs, req.Txs); diff != "" {
		t.Errorf("request txs changed (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(before.Hash, req.Hash); diff != "" {
		t.Errorf("request hash changed (-before +after):\n%s", diff)
	}
}

func TestNothingAppendedBeforeCommit(t *testing.T) {
	sink := &fakeSink{}
	a := newApp(t, &fakeApp{finalizeBlock: answering(&abcitypes.ResponseFinalizeBlock{TxResults: results(0)}, nil)}, sink)
	ctx := context.Background()
	if _, err := a.FinalizeBlock(ctx, &abcitypes.RequestFinalizeBlock{Height: 1, Txs: [][]byte{[]byte("tx")}}); err != nil {
		t.Fatal(err)
	}
	if got := sink.appended(); len(got) != 0 {
		t.Fatalf("%d blocks appended before Commit, want 0", len(got))
	}
	if _, err := a.Commit(ctx, &abcitypes.RequestCommit{}); err != nil {
		t.Fatal(err)
	}
	if got := sink.appended(); len(got) != 1 || got[0].Height != 1 {
		t.Fatalf("after Commit the sink holds %v, want block 1", got)
	}
	// The staged block is handed over once: a second Commit has nothing.
	if _, err := a.Commit(ctx, &abcitypes.RequestCommit{}); err != nil {
		t.Fatal(err)
	}
	if got := sink.appended(); len(got) != 1 {
		t.Errorf("a Commit without FinalizeBlock appended again: %d blocks", len(got))
	}
}

func TestCommitErrorAppendsNothing(t *testing.T) {
	errCommit := errors.New("commit failed")
	inner := &fakeApp{
		finalizeBlock: answering(&abcitypes.ResponseFinalizeBlock{TxResults: results(0)}, nil),
		commit: func(context.Context, *abcitypes.RequestCommit) (*abcitypes.ResponseCommit, error) {
			return nil, errCommit
		},
	}
	sink := &fakeSink{}
	a := newApp(t, inner, sink)
	ctx := context.Background()
	if _, err := a.FinalizeBlock(ctx, &abcitypes.RequestFinalizeBlock{Height: 1, Txs: [][]byte{[]byte("tx")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Commit(ctx, &abcitypes.RequestCommit{}); err != errCommit {
		t.Fatalf("Commit error = %v, want the inner %v", err, errCommit)
	}
	// Nor is the block of the failed Commit handed over later.
	inner.commit = nil
	if _, err := a.Commit(ctx, &abcitypes.RequestCommit{}); err != nil {
		t.Fatal(err)
	}
	if got := sink.appended(); len(got) != 0 {
		t.Errorf("sink got %d blocks, want none", len(got))
	}
}

func TestFinalizeBlockFailureStagesNothing(t *testing.T) {
	errFinalize := errors.New("finalize failed")
	tests := []struct {
		name string
		resp *abcitypes.ResponseFinalizeBlock
		err  error
	}{
		{name: "error", resp: &abcitypes.ResponseFinalizeBlock{TxResults: results(0)}, err: errFinalize},
		{name: "nil response", resp: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inner := &fakeApp{}
			sink := &fakeSink{}
			a := newApp(t, inner, sink)
			ctx := context.Background()
			// A block staged earlier but never committed is dropped too.
			inner.finalizeBlock = answering(&abcitypes.ResponseFinalizeBlock{TxResults: results(0)}, nil)
			if _, err := a.FinalizeBlock(ctx, &abcitypes.RequestFinalizeBlock{Height: 1, Txs: [][]byte{[]byte("tx")}}); err != nil {
				t.Fatal(err)
			}
			inner.finalizeBlock = answering(tt.resp, tt.err)
			if _, err := a.FinalizeBlock(ctx, &abcitypes.RequestFinalizeBlock{Height: 2, Txs: [][]byte{[]byte("tx")}}); err != tt.err {
				t.Fatalf("FinalizeBlock error = %v, want %v", err, tt.err)
			}
			if _, err := a.Commit(ctx, &abcitypes.RequestCommit{}); err != nil {
				t.Fatalf("Commit: %v", err)
			}
			if got := sink.appended(); len(got) != 0 {
				t.Errorf("sink got %d blocks, want none", len(got))
			}
		})
	}
}

func TestBlocksHandedOverInOrder(t *testing.T) {
	sink := &fakeSink{}
	a := newApp(t, &fakeApp{}, sink) // BaseApplication accepts every tx
	for h := int64(1); h <= 5; h++ {
		commitBlock(t, a, &abcitypes.RequestFinalizeBlock{Height: h, Txs: [][]byte{[]byte{byte(h)}}})
	}
	var heights []int64
	for _, b := range sink.appended() {
		heights = append(heights, b.Height)
		if len(b.Txs) != 1 || b.Txs[0].ID != events.RawID([]byte{byte(b.Height)}) {
			t.Errorf("block %d events = %+v", b.Height, b.Txs)
		}
	}
	if diff := cmp.Diff([]int64{1, 2, 3, 4, 5}, heights); diff != "" {
		t.Errorf("heights handed over (-want +got):\n%s", diff)
	}
}

func TestSinkFailuresDoNotReachConsensus(t *testing.T) {
	tests := []struct {
		name     string
		appendFn func(*events.Block) (bool, error)
	}{
		{name: "error", appendFn: func(*events.Block) (bool, error) { return false, errors.New("disk full") }},
		{name: "not added", appendFn: func(*events.Block) (bool, error) { return false, nil }},
		{name: "panic", appendFn: func(*events.Block) (bool, error) { panic("sink bug") }},
		{name: "panic with an error", appendFn: func(*events.Block) (bool, error) { panic(errors.New("sink bug")) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := &abcitypes.ResponseCommit{RetainHeight: 9}
			inner := &fakeApp{commit: func(context.Context, *abcitypes.RequestCommit) (*abcitypes.ResponseCommit, error) {
				return want, nil
			}}
			sink := &fakeSink{appendFn: tt.appendFn}
			a := newApp(t, inner, sink)
			for h := int64(1); h <= 2; h++ {
				ctx := context.Background()
				if _, err := a.FinalizeBlock(ctx, &abcitypes.RequestFinalizeBlock{Height: h}); err != nil {
					t.Fatal(err)
				}
				resp, err := a.Commit(ctx, &abcitypes.RequestCommit{})
				if resp != want || err != nil {
					t.Fatalf("Commit(%d) = %p, %v; want the inner %p, nil", h, resp, err, want)
				}
			}
			if got := len(sink.appended()); got != 2 {
				t.Errorf("sink was offered %d blocks, want 2: a failure must not stop the next one", got)
			}
		})
	}
}

// A slow sink delays Commit (Sink.Append must not block) but cannot change
// its answer. The sink here holds Commit until another goroutine lets it go.
func TestSlowSinkDoesNotChangeCommit(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	sink := &fakeSink{appendFn: func(*events.Block) (bool, error) {
		close(entered)
		<-release
		return true, nil
	}}
	want := &abcitypes.ResponseCommit{RetainHeight: 1}
	inner := &fakeApp{commit: func(context.Context, *abcitypes.RequestCommit) (*abcitypes.ResponseCommit, error) {
		return want, nil
	}}
	a := newApp(t, inner, sink)
	if _, err := a.FinalizeBlock(context.Background(), &abcitypes.RequestFinalizeBlock{Height: 1}); err != nil {
		t.Fatal(err)
	}
	type commitResult struct {
		resp *abcitypes.ResponseCommit
		err  error
	}
	done := make(chan commitResult, 1)
	go func() {
		resp, err := a.Commit(context.Background(), &abcitypes.RequestCommit{})
		done <- commitResult{resp, err}
	}()
	select {
	case <-entered:
	case <-time.After(waitLimit):
		t.Fatal("Commit never reached the sink")
	}
	close(release)
	select {
	case got := <-done:
		if got.resp != want || got.err != nil {
			t.Errorf("Commit = %p, %v; want the inner %p, nil", got.resp, got.err, want)
		}
	case <-time.After(waitLimit):
		t.Fatal("Commit did not return after the sink did")
	}
}

func TestConfiguredDecoder(t *testing.T) {
	const id = "1111111111111111111111111111111111111111111111111111111111111111"
	tests := []struct {
		name    string
		decoder events.Decoder
		want    events.Tx
	}{
		{
			name: "used for every accepted transaction",
			decoder: events.DecoderFunc(func([]byte) (events.Decoded, error) {
				return events.Decoded{ID: id, Operation: "MINT"}, nil
			}),
			want: events.Tx{Index: 0, ID: id, AssetIDs: []string{id}, Operation: "MINT"},
		},
		{
			name: "a panicking decoder does not reach consensus",
			decoder: events.DecoderFunc(func([]byte) (events.Decoded, error) {
				panic("decoder bug")
			}),
			want: events.Tx{Index: 0, ID: events.RawID([]byte("tx")), AssetIDs: []string{events.RawID([]byte("tx"))}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &fakeSink{}
			a, err := abci.New(abci.Config{App: &fakeApp{}, Sink: sink, Decoder: tt.decoder})
			track(t, a, err)
			syncing(a, sink)
			commitBlock(t, a, &abcitypes.RequestFinalizeBlock{Height: 1, Txs: [][]byte{[]byte("tx")}})
			got := sink.appended()
			if len(got) != 1 {
				t.Fatalf("sink got %d blocks, want 1", len(got))
			}
			if diff := cmp.Diff([]events.Tx{tt.want}, got[0].Txs); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUninterceptedCallsAreForwarded(t *testing.T) {
	errInner := errors.New("inner failed")
	infoResp := &abcitypes.ResponseInfo{Data: "fake", LastBlockHeight: 12}
	checkResp := &abcitypes.ResponseCheckTx{Code: 3, Log: "bad"}
	queryResp := &abcitypes.ResponseQuery{Value: []byte("v")}
	initResp := &abcitypes.ResponseInitChain{AppHash: []byte("genesis")}
	inner := &fakeApp{
		info: func(context.Context, *abcitypes.RequestInfo) (*abcitypes.ResponseInfo, error) {
			return infoResp, nil
		},
		checkTx: func(context.Context, *abcitypes.RequestCheckTx) (*abcitypes.ResponseCheckTx, error) {
			return checkResp, nil
		},
		query: func(context.Context, *abcitypes.RequestQuery) (*abcitypes.ResponseQuery, error) {
			return queryResp, errInner
		},
		initChain: func(context.Context, *abcitypes.RequestInitChain) (*abcitypes.ResponseInitChain, error) {
			return initResp, nil
		},
	}
	sink := &fakeSink{}
	a := newApp(t, inner, sink)
	ctx := context.Background()

	infoReq := &abcitypes.RequestInfo{Version: "1"}
	checkReq := &abcitypes.RequestCheckTx{Tx: []byte("tx")}
	queryReq := &abcitypes.RequestQuery{Path: "/p"}
	initReq := &abcitypes.RequestInitChain{ChainId: "test", InitialHeight: 1}

	tests := []struct {
		name     string
		call     func() (any, error)
		wantResp any
		wantErr  error
	}{
		{name: "Info", call: func() (any, error) { return a.Info(ctx, infoReq) }, wantResp: infoResp},
		{name: "CheckTx", call: func() (any, error) { return a.CheckTx(ctx, checkReq) }, wantResp: checkResp},
		{name: "Query", call: func() (any, error) { return a.Query(ctx, queryReq) }, wantResp: queryResp, wantErr: errInner},
		{name: "InitChain", call: func() (any, error) { return a.InitChain(ctx, initReq) }, wantResp: initResp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := tt.call()
			if resp != tt.wantResp || err != tt.wantErr {
				t.Errorf("%s = %v, %v; want the inner %v, %v", tt.name, resp, err, tt.wantResp, tt.wantErr)
			}
		})
	}

	want := []call{{"Info", infoReq}, {"CheckTx", checkReq}, {"Query", queryReq}, {"InitChain", initReq}}
	got := inner.recorded()
	methods := func(cs []call) []string {
		var ms []string
		for _, c := range cs {
			ms = append(ms, c.method)
		}
		return ms
	}
	if diff := cmp.Diff(methods(want), methods(got)); diff != "" {
		t.Fatalf("inner calls (-want +got):\n%s", diff)
	}
	for i := range want {
		if got[i].req != want[i].req {
			t.Errorf("inner %s got another request than the middleware's caller passed", got[i].method)
		}
	}
	if got := sink.appended(); len(got) != 0 {
		t.Errorf("forwarded calls appended %d blocks", len(got))
	}

	// A method the fake does not define reaches BaseApplication through both.
	resp, err := a.ProcessProposal(ctx, &abcitypes.RequestProcessProposal{Height: 1})
	if err != nil || resp.Status != abcitypes.ResponseProcessProposal_ACCEPT {
		t.Errorf("ProcessProposal = %v, %v; want ACCEPT", resp, err)
	}
}

// predecodingApp accepts every transaction and hands the stream fields of
// its own for them (or panics, with panicky set).
type predecodingApp struct {
	fakeApp
	panicky bool
	asked   []int64
}

func (p *predecodingApp) Predecoded(height int64) events.Predecoded {
	p.asked = append(p.asked, height)
	return predecodedFunc(func(i int) (events.Decoded, bool) {
		if p.panicky {
			panic("the app's decoding bug")
		}
		if i == 1 {
			return events.Decoded{}, false // left to the decoder
		}
		return events.Decoded{ID: fmt.Sprintf("app-id-%d", i), Operation: "APP"}, true
	})
}

type predecodedFunc func(i int) (events.Decoded, bool)

func (f predecodedFunc) Decoded(i int) (events.Decoded, bool) { return f(i) }

// TestPredecoderSkipsTheDecoder: a wrapped app that implements Predecoder
// is asked once per FinalizeBlock and its fields are the events; an index
// it leaves out goes to the decoder; a panic in its Decoded falls back to
// the decoder for the whole block, never reaching consensus.
func TestPredecoderSkipsTheDecoder(t *testing.T) {
	decoder := events.DecoderFunc(func(tx []byte) (events.Decoded, error) {
		return events.Decoded{ID: "decoder-" + string(tx), Operation: "DECODER"}, nil
	})
	for _, panicky := range []bool{false, true} {
		t.Run(fmt.Sprint("panicky=", panicky), func(t *testing.T) {
			inner := &predecodingApp{panicky: panicky}
			sink := &fakeSink{}
			a, err := abci.New(abci.Config{App: inner, Sink: sink, Decoder: decoder})
			track(t, a, err)
			syncing(a, sink)
			commitBlock(t, a, &abcitypes.RequestFinalizeBlock{Height: 7, Txs: [][]byte{[]byte("a"), []byte("b")}})
			got := sink.appended()
			if len(got) != 1 || len(got[0].Txs) != 2 {
				t.Fatalf("sink got %+v", got)
			}
			want := []string{"app-id-0", "decoder-b"}
			if panicky {
				want = []string{"decoder-a", "decoder-b"}
			}
			for i, tx := range got[0].Txs {
				if tx.ID != want[i] {
					t.Errorf("tx %d: id %q, want %q", i, tx.ID, want[i])
				}
			}
			if len(inner.asked) != 1 || inner.asked[0] != 7 {
				t.Errorf("Predecoded asked for %v, want [7]", inner.asked)
			}
		})
	}
}
