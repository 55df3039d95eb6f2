package cometstream

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/hashicorp/go-hclog"

	"github.com/cometstream/cometstream/abci"
	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/internal/fault"
	"github.com/cometstream/cometstream/jetstream"
	"github.com/cometstream/cometstream/streamsvc"
	"github.com/cometstream/cometstream/tlsreload"
)

// Stream is the assembled event stream of one application: the event log,
// the ABCI middleware that feeds it and the WebSocket server that serves it.
type Stream struct {
	cfg     Config
	logger  hclog.Logger
	log     *events.Log
	server  *streamsvc.Server
	metrics *streamsvc.Metrics
	cert    *tlsreload.Cert   // nil without TLS
	tokens  *streamsvc.Tokens // nil when open
	sink    *jetstream.Sink   // nil unless [stream.jetstream] enable
	blocks  atomic.Pointer[Blocks]
	rec     atomic.Pointer[recorder] // the middleware's or the listener's, once made
	wrapped atomic.Bool
	started atomic.Bool
}

// Open validates cfg, fills its defaults and opens the durable event log
// under cfg.DataDir. Nothing listens until Start.
func Open(cfg Config) (_ *Stream, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("cometstream config: %w", err)
	}
	cfg = cfg.withDefaults()
	// A malformed fault plan is refused here, where the user sees it; the
	// points themselves read the plan where they sit.
	if _, err := fault.Armed(); err != nil {
		return nil, err
	}
	s := &Stream{cfg: cfg, logger: cfg.Logger.Named("cometstream")}
	store, err := events.OpenSegmentStore(events.SegmentConfig{
		Dir:           filepath.Join(cfg.DataDir, "eventlog"),
		RetainHeights: cfg.RetainHeights,
		RetainBytes:   cfg.RetainBytes,
		CacheBlocks:   cfg.CacheBlocks,
		Logger:        s.logger.Named("eventlog"),
	})
	if err != nil {
		return nil, fmt.Errorf("open event log: %w", err)
	}
	if s.log, err = events.OpenLog(events.LogConfig{Store: store, Source: source{s}, Logger: s.logger}); err != nil {
		_ = store.Close()
		return nil, fmt.Errorf("open event log: %w", err)
	}
	defer func() {
		if err != nil {
			_ = s.log.Close()
		}
	}()
	if cfg.JetStream.Enable {
		sc, err := cfg.JetStream.sinkConfig(s)
		if err != nil {
			return nil, err
		}
		if s.sink, err = jetstream.New(sc); err != nil {
			return nil, err
		}
	}
	if s.metrics, err = newMetrics(cfg, s.log, s.sink); err != nil {
		return nil, err
	}
	var tlsCfg *tls.Config
	if cfg.TLSCertFile != "" {
		if s.cert, err = tlsreload.Load(cfg.TLSCertFile, cfg.TLSKeyFile, s.logger); err != nil {
			return nil, fmt.Errorf("stream TLS: %w", err)
		}
		tlsCfg = s.cert.Config()
	}
	if cfg.TokensFile != "" {
		if s.tokens, err = streamsvc.LoadTokens(cfg.TokensFile); err != nil {
			return nil, fmt.Errorf("stream tokens_file: %w", err)
		}
	}
	s.server, err = streamsvc.New(streamsvc.Config{
		Log:                     s.log,
		Addr:                    cfg.ListenAddr,
		Logger:                  cfg.Logger,
		TLS:                     tlsCfg,
		Tokens:                  s.tokens,
		Metrics:                 s.metrics,
		EnableCompression:       cfg.Compression,
		MaxConnections:          cfg.MaxConnections,
		MaxConnectionsPerIP:     cfg.MaxConnsPerIP,
		ClientMessagesPerSecond: cfg.ClientMsgsPerSec,
		WriteTimeout:            cfg.WriteTimeout,
		PingInterval:            cfg.PingInterval,
		PongTimeout:             cfg.PongTimeout,
		ReadLimit:               cfg.ReadLimit,
		HandshakeTimeout:        cfg.HandshakeTimeout,
		AllowedOrigins:          cfg.AllowedOrigins,
		MaxLagHeights:           cfg.MaxLagHeights,
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Wrap returns app behind the stream's ABCI middleware: give the result to
// CometBFT (proxy.NewLocalClientCreator). Call it once, before the node is
// created, so that the blocks CometBFT's handshake replays reach the log.
func (s *Stream) Wrap(app abcitypes.Application) (abcitypes.Application, error) {
	if !s.wrapped.CompareAndSwap(false, true) {
		return nil, errors.New("cometstream: Wrap or Recorder called twice: one application feeds one log")
	}
	a, err := abci.New(abci.Config{App: app, Sink: sink{s}, Decoder: s.cfg.Decoder, Logger: s.cfg.Logger})
	if err != nil {
		return nil, err
	}
	var r recorder = a
	s.rec.Store(&r)
	return a, nil
}

// recorder is what Close and Start need of the middleware or the
// Recorder: both queue committed blocks for a goroutine of their own.
type recorder interface {
	Sync(ctx context.Context) error
	Close(ctx context.Context) error
}

// Recorder returns the stream's recorder, for an application framework
// that reports its ABCI calls to listeners instead of being wrapped (the
// Cosmos SDK's ABCIListener, see the cosmos module): call its Finalized
// after each FinalizeBlock and Committed after each successful Commit. It
// is the alternative to Wrap: one of the two, once.
func (s *Stream) Recorder() (*abci.Recorder, error) {
	if !s.wrapped.CompareAndSwap(false, true) {
		return nil, errors.New("cometstream: Wrap or Recorder called twice: one application feeds one log")
	}
	rec, err := abci.NewRecorder(abci.RecorderConfig{Sink: sink{s}, Decoder: s.cfg.Decoder, Logger: s.cfg.Logger})
	if err != nil {
		return nil, err
	}
	var r recorder = rec
	s.rec.Store(&r)
	return rec, nil
}

// Start records in the log the committed heights it lacks, read from
// blocks, then serves the stream. Call it after CometBFT's node is built
// (its handshake has replayed through Wrap's middleware) and before or
// after the node starts. blocks stays the source that fills any gap while
// running.
func (s *Stream) Start(blocks Blocks) error {
	if blocks == nil {
		return errors.New("cometstream: Start needs the chain's Blocks (NodeBlocks or CometBlocks)")
	}
	if !s.started.CompareAndSwap(false, true) {
		return errors.New("cometstream: already started")
	}
	s.blocks.Store(&blocks)
	// The blocks CometBFT's handshake replayed are queued in the
	// middleware: in the log first, so that reconciliation starts after
	// them instead of racing them.
	if p := s.rec.Load(); p != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if err := (*p).Sync(ctx); err != nil {
			s.logger.Warn("replayed blocks still queued at start; reconciliation records what is missing", "error", err)
		}
		cancel()
	}
	if err := s.reconcile(blocks); err != nil {
		// The log stays as it was; the filler keeps trying and Health
		// says so. The chain must not stop for the stream.
		s.logger.Error("reconciling the event log with the chain failed", "error", err)
	}
	if err := s.server.Start(); err != nil {
		return err
	}
	if s.sink != nil {
		// Connects in the background: NATS may be down, the sink waits.
		return s.sink.Start()
	}
	return nil
}

// reconcile appends the heights between the log's newest and the chain's
// committed one. An empty log starts at the source's base, so enabling the
// stream on a chain with history serves that history.
func (s *Stream) reconcile(blocks Blocks) error {
	base, committed, err := blocks.Range()
	if err != nil {
		return err
	}
	_, newest := s.log.Bounds()
	from := newest + 1
	if newest == 0 {
		from = base
	}
	if from > committed {
		return nil
	}
	s.logger.Info("recording committed heights missing from the event log", "from", from, "to", committed)
	return s.log.Reconcile(context.Background(), from, committed)
}

// Sync waits until every block committed so far is in the log (the
// middleware hands blocks over on a goroutine of its own), or ctx ends.
func (s *Stream) Sync(ctx context.Context) error {
	if p := s.rec.Load(); p != nil {
		return (*p).Sync(ctx)
	}
	return nil
}

// Close writes the committed blocks still queued in the middleware, ends
// every subscriber with 1001 (going away) and closes the log. It waits for
// what the stream started, or until ctx ends. Call it after CometBFT has
// stopped.
func (s *Stream) Close(ctx context.Context) error {
	var errs []error
	// The queued blocks first: CometBFT has stopped, and what it
	// committed last goes to the log before the log closes.
	if p := s.rec.Load(); p != nil {
		errs = append(errs, (*p).Close(ctx))
	}
	if s.sink != nil {
		errs = append(errs, s.sink.Close(ctx))
	}
	if s.started.Load() {
		errs = append(errs, s.server.Close(ctx))
	}
	errs = append(errs, s.log.Close())
	return errors.Join(errs...)
}

// RootHandler returns the Web API root handler (GET / and GET /api/v1/),
// advertising this stream, for apps that serve the API root themselves.
func (s *Stream) RootHandler() (http.Handler, error) {
	return streamsvc.NewRootHandler(streamsvc.RootConfig{AdvertisedURL: s.cfg.AdvertisedURL, Version: s.cfg.Version})
}

// Reload re-reads the TLS certificate and the tokens file (on SIGHUP, say).
// What fails to load is reported and the previous one stays in force.
func (s *Stream) Reload() error {
	var errs []error
	if s.cert != nil {
		errs = append(errs, s.cert.Reload())
	}
	if s.tokens != nil {
		errs = append(errs, s.tokens.Reload())
	}
	return errors.Join(errs...)
}

// Addr returns the listen address, nil before Start.
func (s *Stream) Addr() net.Addr { return s.server.Addr() }

// Log returns the event log (for tests and tools that read it in process).
func (s *Stream) Log() *events.Log { return s.log }

// Health is the stream's state for /healthz.
type Health struct {
	OldestHeight int64 `json:"oldest_streamed_height"`
	LatestHeight int64 `json:"latest_streamed_height"`
	// Degraded is true while the log cannot record a committed height
	// (a full disk, a height the chain's stores no longer hold); Reason
	// says why and MissingFrom is the first height not yet recorded.
	// Subscribers wait at that height; nothing is lost.
	Degraded    bool   `json:"degraded"`
	Reason      string `json:"degraded_reason,omitempty"`
	MissingFrom int64  `json:"missing_from_height,omitempty"`
	// JetStream is the sink's state, nil when it is off.
	JetStream *JetStreamHealth `json:"jetstream,omitempty"`
}

// JetStreamHealth is the JetStream sink's state.
type JetStreamHealth struct {
	// Height is the last height the JetStream stream holds whole; Lag is
	// how many heights of the log it lacks; Lagging is Lag past
	// max_lag_heights.
	Height  int64  `json:"published_height"`
	Lag     int64  `json:"lag_heights"`
	Lagging bool   `json:"lagging"`
	Errors  uint64 `json:"errors"`
}

// Health reports the log's bounds and whether it is degraded.
func (s *Stream) Health() Health {
	h := s.log.Health()
	out := Health{Degraded: h.Degraded, Reason: h.Reason, MissingFrom: h.MissingFrom}
	out.OldestHeight, out.LatestHeight = s.log.Bounds()
	if s.sink != nil {
		st := s.sink.Stats()
		out.JetStream = &JetStreamHealth{Height: st.Height, Lag: st.Lag, Errors: st.Errors,
			Lagging: st.Lag > s.cfg.JetStream.MaxLagHeights}
	}
	return out
}

// sink is the middleware's hand-off: the log's append, timed, with the
// crash-test points around it.
type sink struct{ s *Stream }

func (k sink) Append(b *events.Block) (bool, error) {
	fault.Stall(fault.StallLogWrite, b.Height)
	fault.At(fault.BeforeLogWrite, b.Height)
	start := time.Now()
	added, err := k.s.log.Append(b)
	k.s.metrics.HandOff.Observe(time.Since(start).Seconds())
	fault.At(fault.AfterLogWrite, b.Height)
	return added, err
}

// source turns the Blocks given to Start into the log's events.Source.
type source struct{ s *Stream }

func (src source) Block(h int64) (*events.Block, error) {
	p := src.s.blocks.Load()
	if p == nil {
		return nil, errors.New("no block source before Start")
	}
	blk, err := (*p).Block(h)
	if err != nil {
		return nil, err
	}
	if blk.Results != nil {
		return abci.BlockEvent(src.s.cfg.Decoder, src.s.logger, h, blk.Hash, blk.Time, blk.Txs, blk.Results), nil
	}
	results := make([]*abcitypes.ExecTxResult, len(blk.Codes))
	for i, c := range blk.Codes {
		results[i] = &abcitypes.ExecTxResult{Code: c}
	}
	b := abci.BlockEvent(src.s.cfg.Decoder, src.s.logger, h, blk.Hash, blk.Time, blk.Txs, results)
	b.Results, b.HasResults = nil, false // codes alone are no results
	return b, nil
}
