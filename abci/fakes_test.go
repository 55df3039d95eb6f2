package abci_test

import (
	"context"
	"sync"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/cometstream/cometstream/events"
)

// fakeApp is the wrapped application. Each intercepted call is recorded with
// its request; a nil func field gives BaseApplication's answer.
type fakeApp struct {
	abcitypes.BaseApplication

	finalizeBlock func(context.Context, *abcitypes.RequestFinalizeBlock) (*abcitypes.ResponseFinalizeBlock, error)
	commit        func(context.Context, *abcitypes.RequestCommit) (*abcitypes.ResponseCommit, error)
	info          func(context.Context, *abcitypes.RequestInfo) (*abcitypes.ResponseInfo, error)
	checkTx       func(context.Context, *abcitypes.RequestCheckTx) (*abcitypes.ResponseCheckTx, error)
	query         func(context.Context, *abcitypes.RequestQuery) (*abcitypes.ResponseQuery, error)
	initChain     func(context.Context, *abcitypes.RequestInitChain) (*abcitypes.ResponseInitChain, error)

	mu    sync.Mutex
	calls []call
}

type call struct {
	method string
	req    any
}

func (a *fakeApp) record(method string, req any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls = append(a.calls, call{method, req})
}

func (a *fakeApp) recorded() []call {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]call(nil), a.calls...)
}

func (a *fakeApp) FinalizeBlock(ctx context.Context, req *abcitypes.RequestFinalizeBlock) (*abcitypes.ResponseFinalizeBlock, error) {
	a.record("FinalizeBlock", req)
	if a.finalizeBlock != nil {
		return a.finalizeBlock(ctx, req)
	}
	return a.BaseApplication.FinalizeBlock(ctx, req)
}

func (a *fakeApp) Commit(ctx context.Context, req *abcitypes.RequestCommit) (*abcitypes.ResponseCommit, error) {
	a.record("Commit", req)
	if a.commit != nil {
		return a.commit(ctx, req)
	}
	return a.BaseApplication.Commit(ctx, req)
}

func (a *fakeApp) Info(ctx context.Context, req *abcitypes.RequestInfo) (*abcitypes.ResponseInfo, error) {
	a.record("Info", req)
	if a.info != nil {
		return a.info(ctx, req)
	}
	return a.BaseApplication.Info(ctx, req)
}

func (a *fakeApp) CheckTx(ctx context.Context, req *abcitypes.RequestCheckTx) (*abcitypes.ResponseCheckTx, error) {
	a.record("CheckTx", req)
	if a.checkTx != nil {
		return a.checkTx(ctx, req)
	}
	return a.BaseApplication.CheckTx(ctx, req)
}

func (a *fakeApp) Query(ctx context.Context, req *abcitypes.RequestQuery) (*abcitypes.ResponseQuery, error) {
	a.record("Query", req)
	if a.query != nil {
		return a.query(ctx, req)
	}
	return a.BaseApplication.Query(ctx, req)
}

func (a *fakeApp) InitChain(ctx context.Context, req *abcitypes.RequestInitChain) (*abcitypes.ResponseInitChain, error) {
	a.record("InitChain", req)
	if a.initChain != nil {
		return a.initChain(ctx, req)
	}
	return a.BaseApplication.InitChain(ctx, req)
}

// fakeSink records the blocks handed over. appendFn, when set, answers
// instead of the default (added, no error); the block is recorded first.
type fakeSink struct {
	appendFn func(b *events.Block) (bool, error)
	// syncer, when set, is waited for before appended reads: the blocks
	// reach a sink on the recorder's goroutine.
	syncer interface{ Sync(context.Context) error }

	mu     sync.Mutex
	blocks []*events.Block
}

func (s *fakeSink) Append(b *events.Block) (bool, error) {
	s.mu.Lock()
	s.blocks = append(s.blocks, b)
	s.mu.Unlock()
	if s.appendFn != nil {
		return s.appendFn(b)
	}
	return true, nil
}

func (s *fakeSink) appended() []*events.Block {
	if s.syncer != nil {
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		if err := s.syncer.Sync(ctx); err != nil {
			panic(err) // a recorder that never hands over is a test failure
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*events.Block(nil), s.blocks...)
}

// results returns the TxResults of a FinalizeBlock answer with these codes.
func results(codes ...uint32) []*abcitypes.ExecTxResult {
	rs := make([]*abcitypes.ExecTxResult, len(codes))
	for i, c := range codes {
		rs[i] = &abcitypes.ExecTxResult{Code: c}
	}
	return rs
}

// answering returns a FinalizeBlock func answering resp (and err).
func answering(resp *abcitypes.ResponseFinalizeBlock, err error) func(context.Context, *abcitypes.RequestFinalizeBlock) (*abcitypes.ResponseFinalizeBlock, error) {
	return func(context.Context, *abcitypes.RequestFinalizeBlock) (*abcitypes.ResponseFinalizeBlock, error) {
		return resp, err
	}
}
