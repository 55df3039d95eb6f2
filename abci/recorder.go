package abci

import (
	"errors"
	"sync"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/hashicorp/go-hclog"

	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/internal/fault"
)

// RecorderConfig configures a Recorder.
type RecorderConfig struct {
	// Sink receives committed blocks. Required.
	Sink Sink
	// Decoder turns transaction bytes into events. Defaults to
	// events.Planetmint{}.
	Decoder events.Decoder
	// Logger defaults to a null logger.
	Logger hclog.Logger
}

// Recorder is the middleware's work without the wrapping: it turns each
// FinalizeBlock's results into a block and hands the block to the Sink
// once the application has committed it. App drives one around a wrapped
// application; a framework that reports its ABCI calls to listeners
// instead (the Cosmos SDK's ABCIListener) drives one directly, with the
// same crash points and the same never-fail hand-off.
type Recorder struct {
	sink    Sink
	decoder events.Decoder
	logger  hclog.Logger

	mu     sync.Mutex
	staged *events.Block // the block of the last FinalizeBlock, until Commit
}

// NewRecorder validates cfg and returns a Recorder.
func NewRecorder(cfg RecorderConfig) (*Recorder, error) {
	if cfg.Sink == nil {
		return nil, errors.New("abci recorder: Sink is required")
	}
	if cfg.Decoder == nil {
		cfg.Decoder = events.Planetmint{}
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	return &Recorder{sink: cfg.Sink, decoder: cfg.Decoder, logger: cfg.Logger.Named("abci")}, nil
}

// Finalized stages the block of a FinalizeBlock that answered resp; a nil
// resp (the call failed) stages nothing. It must not modify, and does
// not keep, req or resp.
func (r *Recorder) Finalized(req *abcitypes.RequestFinalizeBlock, resp *abcitypes.ResponseFinalizeBlock) {
	var staged *events.Block
	if req != nil && resp != nil {
		staged = r.stage(req, resp)
	}
	r.mu.Lock()
	r.staged = staged
	r.mu.Unlock()
	if staged != nil {
		fault.At(fault.AfterFinalize, staged.Height)
	}
}

// Committed hands the staged block to the sink: call it once the
// application's Commit has succeeded. Sink errors and panics are logged,
// never returned: the stream must not fail consensus.
func (r *Recorder) Committed() {
	r.mu.Lock()
	staged := r.staged
	r.staged = nil
	r.mu.Unlock()
	if staged == nil {
		return
	}
	fault.At(fault.AfterAppCommit, staged.Height)
	r.publish(staged)
}

// Abandon drops the staged block: the application's Commit failed.
func (r *Recorder) Abandon() {
	r.mu.Lock()
	r.staged = nil
	r.mu.Unlock()
}

func (r *Recorder) publish(b *events.Block) {
	defer func() {
		if p := recover(); p != nil {
			r.logger.Error("event sink panicked", "height", b.Height, "panic", p)
		}
	}()
	added, err := r.sink.Append(b)
	switch {
	case err != nil:
		r.logger.Error("event sink append failed", "height", b.Height, "error", err)
	case !added:
		r.logger.Debug("height already in the event log", "height", b.Height)
	default:
		r.logger.Trace("block handed to the stream", "height", b.Height, "txs", len(b.Txs))
	}
}
