package webapi

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
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
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	s.mux.ServeHTTP(w, r)
}

// Start listens on Config.Addr (HTTPS when Config.TLS is set) and serves in
// the background until Close.
func (s *Server) Start() error {
	srv, err := httpserve.Start(s.cfg.Addr, s, httpserve.Options{
		ReadTimeout: s.cfg.ReadTimeout, WriteTimeout: s.cfg.WriteTimeout, IdleTimeout: 2 * time.Minute,
		TLS: s.cfg.TLS, Logger: s.logger,
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
