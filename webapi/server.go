package webapi

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/cometstream/cometstream/internal/httpserve"
)

// Config configures a Server.
type Config struct {
	// Addr is the listen address. Defaults to 127.0.0.1:9984.
	Addr string
	// Root serves /, /api/v1 and every path no route claims (see
	// streamsvc.NewRootHandler). Required.
	Root http.Handler
	// Logger defaults to a null logger.
	Logger hclog.Logger
	// ReadTimeout bounds reading a whole request. Defaults to 10s.
	ReadTimeout time.Duration
	// WriteTimeout bounds writing a response. Defaults to 30s.
	WriteTimeout time.Duration
	// TLS, when set, makes Start serve HTTPS with it.
	TLS *tls.Config
}

// Server is the Web API server.
type Server struct {
	cfg    Config
	logger hclog.Logger
	mux    *http.ServeMux

	mu  sync.Mutex
	srv *httpserve.Server
}

// New validates cfg and returns a Server.
func New(cfg Config) (*Server, error) {
	if cfg.Root == nil {
		return nil, errors.New("web api: Root handler is required")
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:9984"
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = 10 * time.Second
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 30 * time.Second
	}
	s := &Server{cfg: cfg, logger: cfg.Logger.Named("webapi"), mux: http.NewServeMux()}
	s.mux.Handle("/", cfg.Root)
	return s, nil
}

// Handle registers a route (http.ServeMux pattern syntax). Call it before
// Start.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// ServeHTTP implements http.Handler. Every answer allows any origin, as
// Planetmint's does: the API is public and unauthenticated, and browser
// clients (the JavaScript driver) read it from other origins.
//
// A path with "//", "." or ".." segments is refused here: http.ServeMux
// would answer it with a redirect to the cleaned path, in HTML, where
// every other refusal is JSON, and no client of this API sends one.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	if p := r.URL.Path; p != cleanPath(p) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("path %q is not canonical: no empty, . or .. segments", r.URL.EscapedPath()))
		return
	}
	if r.Body != nil && r.Body != http.NoBody {
		g := &guardedWriter{ResponseWriter: w}
		r.Body = &guardedBody{ReadCloser: r.Body, w: g, timeout: s.cfg.ReadTimeout}
		w = g
	}
	s.mux.ServeHTTP(w, r)
}

// cleanPath is p as http.ServeMux cleans it: path.Clean, rooted, with its
// trailing slash kept.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}

// guardedBody answers a request whose body does not arrive within
// ReadTimeout with 408 itself, whatever handler reads it, and hides the
// socket addresses a connection error names: handlers report body errors
// with their text, and "read tcp 127.0.0.1:62084->...: i/o timeout" is
// neither a bad request nor the client's business.
type guardedBody struct {
	io.ReadCloser
	w       *guardedWriter
	timeout time.Duration
}

var (
	errBodyTimeout = errors.New("the request body did not arrive in time")
	errBodyConn    = errors.New("the connection failed while the request body was read")
)

func (b *guardedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	var ne net.Error
	var oe *net.OpError
	switch {
	case err == nil || errors.Is(err, io.EOF):
		return n, err
	case errors.As(err, &ne) && ne.Timeout():
		b.w.timedOut(b.timeout)
		return n, errBodyTimeout
	case errors.As(err, &oe):
		return n, errBodyConn
	}
	return n, err
}

// guardedWriter is the handler's ResponseWriter while its body is
// guarded: once the guard has answered 408, what the handler writes about
// the failed read is dropped. Handlers and the guard run in the request's
// goroutine, so the flags need no lock.
type guardedWriter struct {
	http.ResponseWriter
	wrote    bool // the handler has begun its answer: too late for a 408
	answered bool // the guard has answered 408
}

func (g *guardedWriter) timedOut(timeout time.Duration) {
	if g.wrote || g.answered {
		return
	}
	g.answered = true
	g.Header().Set("Connection", "close")
	writeError(g.ResponseWriter, http.StatusRequestTimeout,
		fmt.Sprintf("the request was not received within %v; send the body at once", timeout))
}

func (g *guardedWriter) WriteHeader(status int) {
	if !g.answered {
		g.wrote = true
		g.ResponseWriter.WriteHeader(status)
	}
}

func (g *guardedWriter) Write(p []byte) (int, error) {
	if g.answered {
		return len(p), nil
	}
	g.wrote = true
	return g.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (g *guardedWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }

// Start listens on Config.Addr (HTTPS when Config.TLS is set) and serves in
// the background until Close.
func (s *Server) Start() error {
	srv, err := httpserve.Start(s.cfg.Addr, s, httpserve.Options{
		ReadTimeout: s.cfg.ReadTimeout, WriteTimeout: s.cfg.WriteTimeout, IdleTimeout: 2 * time.Minute,
		TLS: s.cfg.TLS, Logger: s.logger, AnyOrigin: true,
	})
	if err != nil {
		return fmt.Errorf("web api: %w", err)
	}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	s.logger.Info("web api listening", "addr", srv.Addr().String(), "tls", s.cfg.TLS != nil)
	return nil
}

// Addr returns the listening address, or nil before Start.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv == nil {
		return nil
	}
	return s.srv.Addr()
}

// Close stops the server, letting requests in flight finish until ctx ends.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.Shutdown(ctx)
}
