package streamsvc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hashicorp/go-hclog"

	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/internal/httpserve"
	"github.com/cometstream/cometstream/wire"
)

// Stream paths, relative to the stream port's root, re-exported from
// package wire.
const (
	PathTransactions = wire.PathTransactions
	PathBlocks       = wire.PathBlocks
)

// cacheSlots is how many recent blocks keep their encoded frames.
const cacheSlots = 64

// Server serves the event streams. It implements http.Handler, so it can be
// mounted anywhere; Start runs it on Config.Addr.
type Server struct {
	cfg      Config
	logger   hclog.Logger
	upgrader websocket.Upgrader
	streams  map[string]streamCaches
	admit    *admission
	metrics  *Metrics

	done      chan struct{} // closed by Close: subscribers leave with 1001
	woken     chan struct{} // closed when the waker has returned (or will never start)
	wakerOnce sync.Once
	nextID    atomic.Uint64

	mu      sync.Mutex
	closed  bool
	subs    sync.WaitGroup
	active  map[*subscriber]struct{}
	httpSrv *httpserve.Server
}

// New validates cfg and returns a Server.
func New(cfg Config) (*Server, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	s := &Server{
		cfg:    cfg,
		logger: cfg.Logger.Named("stream"),
		done:   make(chan struct{}),
		woken:  make(chan struct{}),
		active: make(map[*subscriber]struct{}),
		streams: map[string]streamCaches{
			PathTransactions: newStreamCaches(encodeTxs, false),
			PathBlocks:       newStreamCaches(encodeBlock, true),
			PathTxResults:    newStreamCaches(encodeTxResults, false),
		},
		admit:   newAdmission(cfg.MaxConnections, cfg.MaxConnectionsPerIP),
		metrics: cfg.Metrics,
	}
	s.upgrader = websocket.Upgrader{
		HandshakeTimeout:  cfg.HandshakeTimeout,
		EnableCompression: cfg.EnableCompression,
		// Client frames are read by inbound, never through gorilla's
		// reader: ask for the smallest buffer it allows (125 bytes)
		// instead of reusing the 4 KiB one net/http used.
		ReadBufferSize: 1,
		// Subscribers write through the pre-framed path; gorilla's own
		// buffer is only borrowed for control frames, so pool it.
		WriteBufferPool: &sync.Pool{},
		CheckOrigin:     func(*http.Request) bool { return true }, // checked before Upgrade, see handshake
		Error: func(w http.ResponseWriter, _ *http.Request, status int, reason error) {
			WriteError(w, status, "websocket handshake failed: "+reason.Error())
		},
	}
	return s, nil
}

// startWaker starts the waker with the first subscriber (a Server that
// never has one starts no goroutine).
func (s *Server) startWaker() { s.wakerOnce.Do(func() { go s.waker() }) }

// waker interrupts the subscribers' reads (see subscriber) when a block
// arrives and when the server closes. The next wake-up is taken before the
// subscribers are: a block appended while it goes through them wakes it
// again, and one appended before a subscriber armed its read is seen by
// that subscriber itself.
func (s *Server) waker() {
	defer close(s.woken)
	next := s.cfg.Log.Wait()
	var subs []*subscriber
	var caches []*frameCache
	for {
		stop := false
		select {
		case <-next:
		case <-s.done:
			stop = true
		}
		next = s.cfg.Log.Wait()
		caches = caches[:0]
		s.mu.Lock()
		for sub := range s.active {
			subs = append(subs, sub)
			if !slices.Contains(caches, sub.cache) {
				caches = append(caches, sub.cache)
			}
		}
		s.mu.Unlock()
		if !stop {
			s.preencode(caches)
		}
		for _, sub := range subs {
			sub.interrupt()
		}
		clear(subs)
		subs = subs[:0]
		clear(caches)
		if stop {
			return
		}
	}
}

// preencode makes the newest block's frames in the caches subscribers
// use, here rather than in the first subscriber to need them: a
// subscriber still writing the block before is not woken by this, so the
// encoding of one block overlaps the writing of the one before. Caches no
// subscriber uses are left alone (no subscriber, no cost).
func (s *Server) preencode(caches []*frameCache) {
	if len(caches) == 0 {
		return
	}
	_, newest := s.cfg.Log.Bounds()
	b, err := s.cfg.Log.Get(newest)
	if err != nil || b == nil {
		return // the subscribers read it themselves, and report what fails
	}
	for _, c := range caches {
		c.get(b)
	}
}

// ServeHTTP implements http.Handler. Routing is an exact match of the
// escaped path on the two stream paths, with no redirects: anything else,
// /api%2Fv1%2Fstreams%2Fvalid_blocks included, is a 404 JSON error.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.EscapedPath()
	if _, ok := s.streams[path]; ok {
		if s.cors(w, r) {
			return
		}
		if wantsSSE(r) {
			s.handleSSE(w, r, path)
			return
		}
		s.handleStream(w, r, path)
		return
	}
	s.refuse(w, &refusal{http.StatusNotFound, wire.NoStream(path), "not_found"})
}

// Start listens on Config.Addr (with TLS when Config.TLS is set) and serves
// in the background until Close.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("stream service: closed")
	}
	srv, err := httpserve.Start(s.cfg.Addr, s, httpserve.Options{
		// Bounds the upgrade request only: a hijacked connection leaves
		// the http.Server's deadlines behind.
		ReadTimeout: s.cfg.HandshakeTimeout, WriteTimeout: s.cfg.HandshakeTimeout, IdleTimeout: time.Minute,
		TLS: s.cfg.TLS, Logger: s.logger,
		// A filter may list 1,024 values (wire.MaxFilterValues): ~66 KiB
		// of asset ids, past the 16 KiB other targets get. ParseQuery
		// counts the values and answers 400 beyond.
		LongTarget: func(r *http.Request) bool { return wire.IsStreamPath(r.URL.EscapedPath()) },
	})
	if err != nil {
		return fmt.Errorf("stream service: %w", err)
	}
	s.httpSrv = srv
	s.logger.Info("stream service listening", "addr", srv.Addr().String(), "tls", s.cfg.TLS != nil,
		"auth", s.cfg.Tokens != nil, "max_connections", s.cfg.MaxConnections)
	return nil
}

// Addr returns the address Start listens on, or nil before Start.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.httpSrv == nil {
		return nil
	}
	return s.httpSrv.Addr()
}

// Close stops accepting, closes every subscriber with 1001 (going away) and
// waits until every goroutine the server started has returned, or ctx ends.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	srv := s.httpSrv
	s.mu.Unlock()
	close(s.done)
	s.wakerOnce.Do(func() { close(s.woken) }) // never started: it never will
	<-s.woken                                 // every subscriber's read interrupted

	var err error
	if srv != nil {
		err = srv.Shutdown(ctx) // hijacked subscribers are not its concern
	}
	waited := make(chan struct{})
	go func() { s.subs.Wait(); close(waited) }()
	select {
	case <-waited:
		return err
	case <-ctx.Done():
	}
	// Subscribers stuck writing to clients that do not read: cut their
	// connections, which ends every blocked write at once.
	s.mu.Lock()
	for sub := range s.active {
		_ = sub.raw.Close()
	}
	s.mu.Unlock()
	<-waited
	return errors.Join(err, fmt.Errorf("stream service: closed stalled subscribers without a close frame: %w", ctx.Err()))
}

// streamCaches holds a stream's encoded messages: WebSocket frames, plain
// and deflated, and Server-Sent Events; each is made only when a
// subscriber needs it. blocks: the stream's event ids are heights
// (valid_blocks).
type streamCaches struct {
	plain, deflate, sse *frameCache
}

func newStreamCaches(encode func(*events.Block, frameFunc) frames, blocks bool) streamCaches {
	c := streamCaches{
		plain:   newFrameCache(cacheSlots, func(b *events.Block) frames { return encode(b, appendTextFrame) }),
		deflate: newFrameCache(cacheSlots, func(b *events.Block) frames { return encode(b, appendDeflatedFrame) }),
	}
	c.sse = newFrameCache(cacheSlots, func(b *events.Block) frames { return sseEvents(b, c.plain.get(b), blocks) })
	return c
}
