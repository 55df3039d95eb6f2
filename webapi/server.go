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

	mu       sync.Mutex
	srv      *http.Server
	ln       net.Listener
	serveErr chan error
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

// Start listens on Config.Addr and serves in the background until Close.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("web api: listen on %s: %w", s.cfg.Addr, err)
	}
	if s.cfg.TLS != nil {
		ln = tls.NewListener(ln, s.cfg.TLS)
	}
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.cfg.ReadTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          s.logger.StandardLogger(&hclog.StandardLoggerOptions{ForceLevel: hclog.Debug}),
	}
	s.mu.Lock()
	s.srv, s.ln, s.serveErr = srv, ln, make(chan error, 1)
	s.mu.Unlock()
	go func() { s.serveErr <- srv.Serve(ln) }()
	s.logger.Info("web api listening", "addr", ln.Addr().String())
	return nil
}

// Addr returns the listening address, or nil before Start.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Close stops the server, letting requests in flight finish until ctx ends.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	srv, serveErr := s.srv, s.serveErr
	s.srv = nil
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	err := srv.Shutdown(ctx)
	if e := <-serveErr; !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}
