// Package floor is the benchmark's raw-socket floor: a server that accepts
// WebSocket connections and writes published, pre-framed bytes to each of
// them, one goroutine per socket and one writev per batch, and does nothing
// else (no log, no encoding, no reads, no pings, no metrics). What it
// delivers with the same clients, sockets and frames is this machine's
// practical limit for the stream.
package floor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Server is a floor server.
type Server struct {
	ln           net.Listener
	http         *http.Server
	upgrader     websocket.Upgrader
	writeTimeout time.Duration
	done         chan struct{}
	handlers     sync.WaitGroup

	mu     sync.Mutex
	blocks [][]byte // every published block's frames, in order
	wake   chan struct{}
	conns  map[net.Conn]*generation
	gen    *generation
	closed bool
}

// generation is the connections accepted between two Drops. A connection's
// only goroutine does not read, so it learns its client left only at its
// next write: Drop ends a generation's connections at once instead.
type generation struct {
	drop chan struct{}
	wg   sync.WaitGroup
}

// Start listens on addr (e.g. 127.0.0.1:0) and serves every path. A write
// that takes longer than writeTimeout (default 10s, as the stream's) ends
// its connection.
func Start(addr string, writeTimeout time.Duration) (*Server, error) {
	if writeTimeout <= 0 {
		writeTimeout = 10 * time.Second
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("floor: listen: %w", err)
	}
	s := &Server{
		ln:           ln,
		writeTimeout: writeTimeout,
		done:         make(chan struct{}),
		wake:         make(chan struct{}),
		conns:        map[net.Conn]*generation{},
		gen:          &generation{drop: make(chan struct{})},
		upgrader: websocket.Upgrader{
			CheckOrigin:     func(*http.Request) bool { return true }, // a benchmark target on loopback
			WriteBufferPool: &sync.Pool{},
		},
	}
	s.http = &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.http.Serve(ln) }()
	return s, nil
}

// Addr is the listening address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Subscribers returns the number of connections being written to.
func (s *Server) Subscribers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Publish hands a block's frames to every connection. Connections made
// after it do not get it.
func (s *Server) Publish(frames []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocks = append(s.blocks, frames)
	close(s.wake)
	s.wake = make(chan struct{})
}

// serve is a connection's only goroutine: after the upgrade it writes
// whatever has been published since, until the connection fails or the
// server closes.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.handlers.Add(1)
	defer s.handlers.Done()
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	raw := ws.NetConn()
	defer func() { _ = raw.Close() }() // the connection ends either way
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	gen := s.gen
	gen.wg.Add(1)
	defer gen.wg.Done()
	s.conns[raw] = gen
	next := len(s.blocks)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, raw)
		s.mu.Unlock()
	}()

	var batch net.Buffers
	for {
		s.mu.Lock()
		wake := s.wake
		batch = append(batch[:0], s.blocks[next:]...)
		s.mu.Unlock()
		if len(batch) > 0 {
			next += len(batch)
			_ = raw.SetWriteDeadline(time.Now().Add(s.writeTimeout))
			bufs := batch
			if _, err := bufs.WriteTo(raw); err != nil {
				return
			}
			clear(batch)
			continue
		}
		select {
		case <-wake:
		case <-gen.drop:
			return
		case <-s.done:
			return
		}
	}
}

// Drop closes every connection accepted so far and waits for their
// goroutines, so that the next clients find the floor as new.
func (s *Server) Drop() {
	s.mu.Lock()
	old := s.gen
	s.gen = &generation{drop: make(chan struct{})}
	close(old.drop)
	for c, g := range s.conns {
		if g == old {
			_ = c.Close()
		}
	}
	s.mu.Unlock()
	old.wg.Wait()
}

// Close closes the listener and every connection, and waits for their
// goroutines.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	close(s.done)
	err := s.http.Shutdown(ctx) // hijacked connections are not its concern
	s.handlers.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
