// Package httpserve runs an http.Server on a listener of its own, plain or
// TLS, with the limits every server of the node shares, and stops it. The
// stream service and the Web API both use it, so their start and stop
// behave alike.
package httpserve

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/hashicorp/go-hclog"
)

// Options are a server's limits. Zero values are not defaulted: callers
// state their own.
type Options struct {
	ReadTimeout  time.Duration // whole request, headers included
	WriteTimeout time.Duration
	IdleTimeout  time.Duration
	TLS          *tls.Config // nil: plain
	Logger       hclog.Logger
	// LongTarget, when set, names requests whose target may exceed
	// MaxTargetBytes, up to net/http's own limit (1 MiB with the
	// header): their handler bounds the query itself, as the streams'
	// filters do (1,024 values each).
	LongTarget func(*http.Request) bool
	// AnyOrigin puts Access-Control-Allow-Origin: * on the size
	// refusals too, for a handler that puts it on every answer.
	AnyOrigin bool
}

// Server is a running HTTP server.
type Server struct {
	srv  *http.Server
	ln   net.Listener
	errc chan error
}

// Start listens on addr and serves h in the background until Shutdown.
func Start(addr string, h http.Handler, o Options) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	if o.TLS != nil {
		ln = tls.NewListener(ln, o.TLS)
	}
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	s := &Server{
		srv: &http.Server{
			Handler:           limits(h, o),
			ReadHeaderTimeout: o.ReadTimeout,
			ReadTimeout:       o.ReadTimeout,
			WriteTimeout:      o.WriteTimeout,
			IdleTimeout:       o.IdleTimeout,
			MaxHeaderBytes:    hardLimit,
			// Bad requests from the internet are not the operator's errors.
			ErrorLog: o.Logger.StandardLogger(&hclog.StandardLoggerOptions{ForceLevel: hclog.Debug}),
		},
		ln:   ln,
		errc: make(chan error, 1),
	}
	go func() { s.errc <- s.srv.Serve(ln) }()
	return s, nil
}

// Addr returns the listening address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Shutdown stops accepting and waits for requests in flight (not hijacked
// connections) until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if e := <-s.errc; !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}
