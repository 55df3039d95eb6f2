package cosmos

import (
	"context"

	storetypes "cosmossdk.io/store/types"
	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/cometstream/cometstream/abci"
)

// Listener is the SDK's ABCIListener over a stream's Recorder.
type Listener struct {
	rec *abci.Recorder
}

var _ storetypes.ABCIListener = (*Listener)(nil)

// NewListener returns the listener that feeds rec.
func NewListener(rec *abci.Recorder) *Listener { return &Listener{rec: rec} }

// ListenFinalizeBlock stages the block BaseApp finalized. It never fails:
// an error here would only be logged by BaseApp, and the stream's own
// failures are its concern, not the chain's.
func (l *Listener) ListenFinalizeBlock(_ context.Context, req abcitypes.RequestFinalizeBlock, res abcitypes.ResponseFinalizeBlock) error {
	l.rec.Finalized(&req, &res)
	return nil
}

// ListenCommit hands the staged block to the stream: BaseApp calls it once
// its Commit has committed the block's state.
func (l *Listener) ListenCommit(context.Context, abcitypes.ResponseCommit, []*storetypes.StoreKVPair) error {
	l.rec.Committed()
	return nil
}
