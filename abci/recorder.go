package abci

import (
	"context"
	"errors"
	"sync"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/hashicorp/go-hclog"

	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/internal/fault"
)

// RecorderConfig configures a Recorder.
type RecorderConfig struct {
	// Sink receives committed blocks, on the Recorder's goroutine. Required.
	Sink Sink
	// Decoder turns transaction bytes into events. Defaults to
	// events.Planetmint{}.
	Decoder events.Decoder
	// Predecoder, when set, hands the stream the transactions the
	// application decoded itself, so that Decoder reads only the others.
	// The middleware sets it to the wrapped application when that
	// implements Predecoder.
	Predecoder Predecoder
	// MaxQueued caps the committed blocks waiting for the Recorder's
	// goroutine (behind a slow or failing disk). A block committed past it
	// is not queued: the Sink, an events.Log, finds the gap and rebuilds
	// the height from its Source, as after a crash. Defaults to 256.
	MaxQueued int
	// Logger defaults to a null logger.
	Logger hclog.Logger
}

// Predecoder is implemented by an application that decodes its
// transactions while it executes them: the stream takes the fields from it
// instead of parsing every transaction a second time. Predecoded is called
// on consensus's path, right after the application's FinalizeBlock for
// height returned: it must only return what FinalizeBlock kept (nil for
// none), and the work of events.Predecoded.Decoded is done later, on the
// stream's goroutine.
type Predecoder interface {
	Predecoded(height int64) events.Predecoded
}

// Recorder is the middleware's work without the wrapping. On consensus's
// path it only keeps references: FinalizeBlock's request and response
// (Finalized), then, once the application has committed, a place in a
// queue (Committed). Its own goroutine turns each queued block into the
// block event (decoding, hashing) and hands it to the Sink, in height
// order, so that neither the decoding nor the log's durable write nor the
// readers' wake-up is paid inside Commit. A block committed but not yet
// handed over when the process dies is what start-up reconciliation
// rebuilds from CometBFT's stores.
//
// App drives one around a wrapped application; a framework that reports
// its ABCI calls to listeners instead (the Cosmos SDK's ABCIListener)
// drives one directly, with the same crash points and the same never-fail
// hand-off. Close stops the goroutine after the queue is drained.
type Recorder struct {
	sink      Sink
	decoder   events.Decoder
	pre       Predecoder
	maxQueued int
	logger    hclog.Logger

	mu      sync.Mutex
	cond    *sync.Cond // signals queue, busy and closed changes
	staged  *capture   // the block of the last FinalizeBlock, until Commit
	queue   []*capture // committed, waiting for the goroutine, in height order
	spare   []*capture // the goroutine's last batch, reused: Committed does not allocate
	busy    bool       // the goroutine is handing a batch over
	closed  bool
	dropped int64
	done    chan struct{} // closed when the goroutine has returned
}

// capture is what consensus's path keeps of one block: references only.
// CometBFT and the application change neither the request's transactions
// nor the results once FinalizeBlock has returned.
type capture struct {
	height  int64
	hash    []byte
	time    time.Time
	txs     [][]byte
	results []*abcitypes.ExecTxResult
	pre     events.Predecoded
}

// NewRecorder validates cfg and starts the Recorder's goroutine.
func NewRecorder(cfg RecorderConfig) (*Recorder, error) {
	if cfg.Sink == nil {
		return nil, errors.New("abci recorder: Sink is required")
	}
	if cfg.MaxQueued < 0 {
		return nil, errors.New("abci recorder: MaxQueued must not be negative")
	}
	if cfg.Decoder == nil {
		cfg.Decoder = events.Planetmint{}
	}
	if cfg.MaxQueued == 0 {
		cfg.MaxQueued = 256
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	r := &Recorder{sink: cfg.Sink, decoder: cfg.Decoder, pre: cfg.Predecoder, maxQueued: cfg.MaxQueued,
		logger: cfg.Logger.Named("abci"), done: make(chan struct{})}
	r.cond = sync.NewCond(&r.mu)
	go r.run()
	return r, nil
}

// Finalized stages the block of a FinalizeBlock that answered resp; a nil
// resp (the call failed) stages nothing. It keeps references to req's
// transactions and resp's results, and modifies neither.
func (r *Recorder) Finalized(req *abcitypes.RequestFinalizeBlock, resp *abcitypes.ResponseFinalizeBlock) {
	var staged *capture
	if req != nil && resp != nil {
		staged = &capture{height: req.Height, hash: req.Hash, time: req.Time, txs: req.Txs, results: resp.TxResults}
		if r.pre != nil {
			staged.pre = r.predecoded(req.Height)
		}
	}
	r.mu.Lock()
	r.staged = staged
	r.mu.Unlock()
	if staged != nil {
		fault.At(fault.AfterFinalize, staged.height)
	}
}

// predecoded asks the application, which must not fail consensus either.
func (r *Recorder) predecoded(height int64) (p events.Predecoded) {
	defer func() {
		if v := recover(); v != nil {
			r.logger.Error("the application's Predecoded panicked; the decoder reads the block", "height", height, "panic", v)
			p = nil
		}
	}()
	return r.pre.Predecoded(height)
}

// Committed queues the staged block for the Sink: call it once the
// application's Commit has succeeded. It never blocks on the Sink, and
// nothing the Sink does (errors, panics) reaches the caller: the stream
// must not fail or slow consensus.
func (r *Recorder) Committed() {
	r.mu.Lock()
	c := r.staged
	r.staged = nil
	if c == nil {
		r.mu.Unlock()
		return
	}
	fault.At(fault.AfterAppCommit, c.height)
	switch {
	case r.closed:
		r.mu.Unlock()
		r.logger.Warn("block committed after the recorder closed; start-up reconciliation records it", "height", c.height)
		return
	case len(r.queue) >= r.maxQueued:
		r.dropped++
		n := r.dropped
		r.mu.Unlock()
		if n == 1 || n%100 == 0 {
			r.logger.Error("the stream is behind: committed block not queued, the event log rebuilds it from the chain",
				"height", c.height, "queued", r.maxQueued, "dropped", n)
		}
		return
	}
	r.queue = append(r.queue, c)
	r.cond.Broadcast()
	r.mu.Unlock()
}

// Abandon drops the staged block: the application's Commit failed.
func (r *Recorder) Abandon() {
	r.mu.Lock()
	r.staged = nil
	r.mu.Unlock()
}

// Sync waits until every block queued so far has been handed to the Sink,
// or ctx ends.
func (r *Recorder) Sync(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		r.mu.Lock()
		r.cond.Broadcast()
		r.mu.Unlock()
	})
	defer stop()
	r.mu.Lock()
	defer r.mu.Unlock()
	for len(r.queue) > 0 || r.busy {
		if err := ctx.Err(); err != nil {
			return err
		}
		r.cond.Wait()
	}
	return nil
}

// Close hands the queued blocks to the Sink and stops the goroutine, or
// gives up when ctx ends (what is left is start-up reconciliation's).
// Blocks committed after Close are not recorded. Close the Recorder
// before its Sink.
func (r *Recorder) Close(ctx context.Context) error {
	r.mu.Lock()
	r.closed = true
	r.cond.Broadcast()
	r.mu.Unlock()
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return errors.Join(errors.New("abci recorder: close: blocks left in the queue"), ctx.Err())
	}
}

// run hands the queued blocks over, in order, until Close.
func (r *Recorder) run() {
	defer close(r.done)
	r.mu.Lock()
	for {
		r.busy = false
		r.cond.Broadcast()
		for len(r.queue) == 0 && !r.closed {
			r.cond.Wait()
		}
		if len(r.queue) == 0 {
			r.mu.Unlock()
			return
		}
		batch := r.queue
		r.queue = r.spare[:0]
		r.busy = true
		r.mu.Unlock()
		for i, c := range batch {
			r.publish(r.build(c))
			batch[i] = nil // the block's bytes are the log's now, or garbage
		}
		r.mu.Lock()
		r.spare = batch
	}
}

// build makes the block event. A panic here (a decoding bug in the app's
// Predecoded) must not take the node down: the block is built again by the
// Decoder alone, and failing that, without transactions.
func (r *Recorder) build(c *capture) *events.Block {
	if c.pre != nil {
		if b, ok := r.tryBuild(c, c.pre); ok {
			return b
		}
	}
	if b, ok := r.tryBuild(c, nil); ok {
		return b
	}
	return &events.Block{Height: c.height, Hash: c.hash, Time: c.time.UTC()}
}

func (r *Recorder) tryBuild(c *capture, pre events.Predecoded) (b *events.Block, ok bool) {
	defer func() {
		if p := recover(); p != nil {
			r.logger.Error("building the block event panicked", "height", c.height, "predecoded", pre != nil, "panic", p)
			ok = false
		}
	}()
	return blockEvent(r.decoder, pre, r.logger, c.height, c.hash, c.time, c.txs, c.results), true
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
