package streamsvc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hashicorp/go-hclog"
)

// Stream paths, relative to the stream port's root.
const (
	PathTransactions = "/api/v1/streams/valid_transactions"
	PathBlocks       = "/api/v1/streams/valid_blocks"
)

// cacheSlots is how many recent blocks keep their encoded frames.
const cacheSlots = 64

// Server serves the event streams. It implements http.Handler, so it can be
// mounted anywhere; Start runs it on Config.Addr.
type Server struct {
	cfg      Config
	logger   hclog.Logger
	mux      *http.ServeMux
	upgrader websocket.Upgrader
	streams  map[string]*frameCache

	done   chan struct{} // closed by Close: subscribers leave with 1001
	nextID atomic.Uint64

	mu       sync.Mutex
	closed   bool
	subs     sync.WaitGroup
	active   map[*subscriber]struct{}
	httpSrv  *http.Server
	listener net.Listener
	serveErr chan error
}

// New validates cfg and returns a Server.
func New(cfg Config) (*Server, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	s := &Server{
		cfg:    cfg,
		logger: cfg.Logger.Named("stream"),
		mux:    http.NewServeMux(),
		done:   make(chan struct{}),
		active: make(map[*subscriber]struct{}),
		streams: map[string]*frameCache{
			PathTransactions: newFrameCache(cacheSlots, encodeTxs),
			PathBlocks:       newFrameCache(cacheSlots, encodeBlock),
		},
	}
	s.upgrader = websocket.Upgrader{
		HandshakeTimeout: cfg.HandshakeTimeout,
		// Subscribers write through the pre-framed path; gorilla's own
		// buffer is only borrowed for control frames, so pool it.
		WriteBufferPool: &sync.Pool{},
		CheckOrigin:     func(*http.Request) bool { return true }, // checked before Upgrade, see handshake
		Error: func(w http.ResponseWriter, _ *http.Request, status int, reason error) {
			WriteError(w, status, "websocket handshake failed: "+reason.Error())
		},
	}
	for path := range s.streams {
		s.mux.Handle(path, http.HandlerFunc(s.handleStream))
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, http.StatusNotFound, fmt.Sprintf("no stream at %s; streams are %s and %s", r.URL.Path, PathTransactions, PathBlocks))
	})
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Start listens on Config.Addr and serves in the background until Close.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("stream service: listen on %s: %w", s.cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.cfg.HandshakeTimeout,
		ReadTimeout:       s.cfg.HandshakeTimeout,
		WriteTimeout:      s.cfg.HandshakeTimeout,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          s.logger.StandardLogger(&hclog.StandardLoggerOptions{ForceLevel: hclog.Debug}),
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ln.Close()
		return errors.New("stream service: closed")
	}
	s.httpSrv, s.listener, s.serveErr = srv, ln, make(chan error, 1)
	s.mu.Unlock()
	go func() { s.serveErr <- srv.Serve(ln) }()
	s.logger.Info("stream service listening", "addr", ln.Addr().String())
	return nil
}

// Addr returns the address Start listens on, or nil before Start.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listener == nil {
		return nil
	}
	return s.listener.Addr()
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
	srv, serveErr := s.httpSrv, s.serveErr
	s.mu.Unlock()
	close(s.done)

	var err error
	if srv != nil {
		err = srv.Shutdown(ctx) // hijacked subscribers are not its concern
		if e := <-serveErr; !errors.Is(e, http.ErrServerClosed) && err == nil {
			err = e
		}
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

// handleStream checks the request before upgrading it, so that every refusal
// is an HTTP status with a JSON body the client can read.
func (s *Server) handleStream(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != PathTransactions && r.URL.Path != PathBlocks {
		WriteError(w, http.StatusNotFound, "no stream at "+r.URL.Path)
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		WriteError(w, http.StatusMethodNotAllowed, "streams accept only GET with a WebSocket upgrade")
		return
	}
	if !websocket.IsWebSocketUpgrade(r) {
		WriteError(w, http.StatusBadRequest, "this is a WebSocket stream: connect with a WebSocket client (Upgrade: websocket)")
		return
	}
	if !s.originAllowed(r.Header.Get("Origin")) {
		WriteError(w, http.StatusForbidden, "origin not allowed")
		return
	}
	q, err := ParseQuery(r.URL.Path, r.URL.RawQuery)
	if err != nil {
		WriteError(w, http.StatusBadRequest, err.Error())
		return
	}
	// The reader is placed before the 101 response goes out, so a client
	// that has seen its handshake complete receives every block committed
	// after that moment.
	reader := s.cfg.Log.NewReader(q.FromHeight)
	if oldest, _ := s.cfg.Log.Bounds(); q.FromHeight > 0 && oldest > 0 && q.FromHeight < oldest {
		writeJSON(w, http.StatusGone, map[string]any{
			"message":       fmt.Sprintf("height %d is no longer kept; the oldest kept is %d", q.FromHeight, oldest),
			"status":        http.StatusGone,
			"oldest_height": oldest,
		})
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		WriteError(w, http.StatusServiceUnavailable, "server is shutting down")
		return
	}
	s.subs.Add(1)
	s.mu.Unlock()

	var header http.Header
	if next := reader.NextHeight(); next > 0 {
		header = http.Header{HeaderNextHeight: []string{strconv.FormatInt(next, 10)}}
	}
	conn, err := s.upgrader.Upgrade(w, r, header)
	if err != nil {
		s.subs.Done()
		s.logger.Debug("handshake failed", "remote", r.RemoteAddr, "error", err)
		return
	}
	sub := newSubscriber(s, conn, reader, q, s.streams[r.URL.Path], r.URL.Path, s.nextID.Add(1))
	s.track(sub, true)
	go func() {
		defer s.subs.Done()
		defer s.track(sub, false)
		sub.run()
	}()
}

// HeaderNextHeight, on a successful upgrade, names the height of the first
// block the subscription delivers, so a client starting at the live edge
// knows where to resume after a disconnect.
const HeaderNextHeight = "Cometstream-Next-Height"

func (s *Server) track(sub *subscriber, add bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		s.active[sub] = struct{}{}
	} else {
		delete(s.active, sub)
	}
}

func (s *Server) originAllowed(origin string) bool {
	if origin == "" || len(s.cfg.AllowedOrigins) == 0 {
		return true
	}
	for _, o := range s.cfg.AllowedOrigins {
		if strings.EqualFold(o, origin) {
			return true
		}
	}
	return false
}
