package abci

import (
	"context"
	"crypto/sha256"
	"errors"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/hashicorp/go-hclog"

	"github.com/cometstream/cometstream/events"
)

// Sink receives each committed block. The events.Log satisfies it. Append
// must not block on readers; it is called from Commit.
type Sink interface {
	Append(b *events.Block) (added bool, err error)
}

// Config configures the middleware: the wrapped application and its
// Recorder's settings.
type Config struct {
	// App is the wrapped application. Required.
	App abcitypes.Application
	// Sink receives committed blocks. Required.
	Sink Sink
	// Decoder turns transaction bytes into events. Defaults to
	// events.Planetmint{}; bytes it rejects still get an event named by
	// their CometBFT tx hash (events.RawID).
	Decoder events.Decoder
	// Logger defaults to a null logger.
	Logger hclog.Logger
}

// App wraps an application; see the package documentation.
type App struct {
	application
	rec *Recorder
}

var _ application = (*App)(nil)

// New returns the middleware around cfg.App.
func New(cfg Config) (*App, error) {
	if cfg.App == nil {
		return nil, errors.New("abci middleware: App is required")
	}
	pre, _ := cfg.App.(Predecoder)
	rec, err := NewRecorder(RecorderConfig{Sink: cfg.Sink, Decoder: cfg.Decoder, Predecoder: pre, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	return &App{application: cfg.App, rec: rec}, nil
}

// Sync waits until every committed block has reached the sink, or ctx
// ends (see Recorder.Sync).
func (a *App) Sync(ctx context.Context) error { return a.rec.Sync(ctx) }

// Close hands the blocks still queued to the sink and stops the
// middleware's goroutine (see Recorder.Close): call it once CometBFT has
// stopped, before closing the sink.
func (a *App) Close(ctx context.Context) error { return a.rec.Close(ctx) }

// FinalizeBlock forwards the call and stages the block's valid transactions.
// The wrapped application's response and error are returned untouched.
func (a *App) FinalizeBlock(ctx context.Context, req *abcitypes.RequestFinalizeBlock) (*abcitypes.ResponseFinalizeBlock, error) {
	resp, err := a.application.FinalizeBlock(ctx, req)
	if err != nil {
		a.rec.Finalized(req, nil) // a failed FinalizeBlock stages nothing
	} else {
		a.rec.Finalized(req, resp)
	}
	return resp, err
}

// Commit forwards the call and, when the wrapped application committed,
// queues the staged block for the sink (see Recorder). Nothing of the
// sink's reaches the caller: the stream must not fail or slow consensus.
func (a *App) Commit(ctx context.Context, req *abcitypes.RequestCommit) (*abcitypes.ResponseCommit, error) {
	resp, err := a.application.Commit(ctx, req)
	if err != nil {
		a.rec.Abandon()
		return resp, err
	}
	a.rec.Committed()
	return resp, err
}

// BlockEvent builds the event of a committed block from its transactions
// and their results: every result is kept (the tx_results stream's), and
// only transactions with code 0 become transaction events. The node also
// uses it to rebuild, from CometBFT's stores, a block the log missed.
func BlockEvent(d events.Decoder, logger hclog.Logger, height int64, hash []byte, t time.Time, txs [][]byte, results []*abcitypes.ExecTxResult) *events.Block {
	return blockEvent(d, nil, logger, height, hash, t, txs, results)
}

// blockEvent is BlockEvent taking the application's own decoding of the
// transactions where pre has it.
func blockEvent(d events.Decoder, pre events.Predecoded, logger hclog.Logger, height int64, hash []byte, t time.Time, txs [][]byte, results []*abcitypes.ExecTxResult) *events.Block {
	if len(results) != len(txs) {
		logger.Error("tx results do not match txs", "height", height, "txs", len(txs), "results", len(results))
	}
	b := &events.Block{Height: height, Hash: hash, Time: t.UTC(), HasResults: true}
	if len(txs) > 0 {
		b.Results = make([]events.TxResult, 0, len(txs))
	}
	for i, tx := range txs {
		if i >= len(results) || results[i] == nil {
			continue // no result: neither valid nor reported
		}
		sum := sha256.Sum256(tx) // once: the result's hash, and the id of a tx no decoder reads
		b.Results = append(b.Results, txResult(uint32(i), sum, results[i]))
		if results[i].Code != codeOK {
			continue
		}
		var ev events.Tx
		var err error
		if dec, ok := predecoded(pre, i); ok {
			ev, err = events.NewTxPredecoded(dec, uint32(i), sum)
		} else {
			ev, err = events.NewTxHashed(d, uint32(i), tx, sum)
		}
		if err != nil {
			logger.Debug("tx not decoded, using its CometBFT tx hash as id", "height", height, "index", i, "error", err)
		}
		b.Txs = append(b.Txs, ev)
	}
	return b
}

// txResult copies what the tx_results stream needs of r: the app may reuse
// nothing of it after FinalizeBlock, but the copy keeps the log's blocks
// independent of CometBFT's objects.
func txResult(index uint32, hash [32]byte, r *abcitypes.ExecTxResult) events.TxResult {
	out := events.TxResult{Index: index, Hash: hash[:], Code: r.Code, Codespace: r.Codespace,
		GasWanted: r.GasWanted, GasUsed: r.GasUsed}
	if len(r.Events) > 0 {
		out.Events = make([]events.ABCIEvent, len(r.Events))
		for i, e := range r.Events {
			out.Events[i].Type = e.Type
			if len(e.Attributes) > 0 {
				attrs := make([]events.ABCIAttribute, len(e.Attributes))
				for j, a := range e.Attributes {
					attrs[j] = events.ABCIAttribute{Key: a.Key, Value: a.Value, Index: a.Index}
				}
				out.Events[i].Attributes = attrs
			}
		}
	}
	return out
}

func predecoded(pre events.Predecoded, i int) (events.Decoded, bool) {
	if pre == nil {
		return events.Decoded{}, false
	}
	return pre.Decoded(i)
}
