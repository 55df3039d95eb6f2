package clienttest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/cometstream/cometstream/wire"
)

// Stream paths, re-exported from package wire.
const (
	PathTransactions = wire.PathTransactions
	PathBlocks       = wire.PathBlocks
)

// writeWait bounds every write to a client.
const writeWait = 5 * time.Second

// Options configure a Server.
type Options struct {
	// Addr is the listen address. Defaults to 127.0.0.1:0.
	Addr string
	// Blocks is the initial chain.
	Blocks []Block
	// PingInterval makes the server ping every subscriber. Defaults to 0:
	// no pings.
	PingInterval time.Duration
	// Token, when set, is required as "Authorization: Bearer <Token>".
	// Other requests get 401 and are neither recorded nor scripted, which
	// also keeps stray connections (another test's client dialing a port
	// this server has since taken) out of a test's requests and plans.
	Token string
}

// Action is what a scripted connection does after Plan.After messages.
type Action int

const (
	// Continue streams on.
	Continue Action = iota
	// Drop closes the TCP connection without a close frame.
	Drop
	// Close sends a close frame with Plan.Code and Plan.Reason; an empty
	// Reason for 1001 or 1008 becomes the node's, ending with
	// "resume with from_height=<H>".
	Close
	// Stall sends nothing more, pings included, until the client leaves.
	Stall
	// Die stops the server listening, so that dials fail, and drops every
	// connection.
	Die
)

// Plan scripts one connection. Plans apply to connections in the order
// they arrive, refused ones included; connections beyond the script behave
// normally.
type Plan struct {
	// Status, when non-zero, refuses the upgrade with this status and a
	// JSON body with Message (and oldest_height for 410).
	Status  int
	Message string
	// Frames, when non-nil, are sent as text frames instead of the chain's
	// messages, then Action applies.
	Frames []string
	// After is the number of messages sent before Action.
	After  int
	Action Action
	Code   int
	Reason string
}

// Request is a subscription request the server received.
type Request struct {
	Path  string
	Query url.Values
	// RawQuery is the query as sent.
	RawQuery string
}

// Server is the fake node. Close it to stop every goroutine it started.
type Server struct {
	opts Options
	http *httptest.Server
	upg  websocket.Upgrader

	done chan struct{} // closed by Close: subscribers leave with 1001
	wg   sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	blocks   []Block
	oldest   int64
	grew     chan struct{} // closed and replaced when blocks are appended
	plans    []Plan
	requests []Request
	codes    []int
	conns    map[*websocket.Conn]struct{}
	changed  chan struct{} // closed and replaced when requests or codes change
}

// NewServer starts a server.
func NewServer(opts Options) (*Server, error) {
	s := &Server{
		opts:    opts,
		done:    make(chan struct{}),
		blocks:  slices.Clone(opts.Blocks),
		grew:    make(chan struct{}),
		changed: make(chan struct{}),
		conns:   map[*websocket.Conn]struct{}{},
	}
	if len(s.blocks) > 0 {
		s.oldest = s.blocks[0].Height
	}
	s.upg.CheckOrigin = func(*http.Request) bool { return true } // test server, no browsers
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("clienttest: listen: %w", err)
	}
	s.http = httptest.NewUnstartedServer(s)
	_ = s.http.Listener.Close()
	s.http.Listener = ln
	s.http.Start()
	return s, nil
}

// URL is the base URL clients connect to, ws://host:port.
func (s *Server) URL() string { return "ws://" + s.http.Listener.Addr().String() }

// Addr is the listen address, for a server restarted in the same place.
func (s *Server) Addr() string { return s.http.Listener.Addr().String() }

// Append commits blocks; subscribers receive them.
func (s *Server) Append(blocks ...Block) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.blocks) == 0 && len(blocks) > 0 {
		s.oldest = blocks[0].Height
	}
	s.blocks = append(s.blocks, blocks...)
	close(s.grew)
	s.grew = make(chan struct{})
}

// Prune makes oldest the oldest height kept: from_height below it gets 410.
func (s *Server) Prune(oldest int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.oldest = oldest
}

// Script queues plans for the next connections.
func (s *Server) Script(plans ...Plan) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.plans = append(s.plans, plans...)
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// CloseCodes returns the close codes clients sent, in order.
func (s *Server) CloseCodes() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.codes)
}

// WaitFor waits until cond, called with the requests and close codes so
// far, is true, or ctx ends.
func (s *Server) WaitFor(ctx context.Context, cond func(reqs []Request, codes []int) bool) error {
	for {
		s.mu.Lock()
		ok := cond(s.requests, s.codes)
		ch := s.changed
		s.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// notify wakes WaitFor; s.mu held.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Close sends 1001 with a resume hint to every subscriber, waits for them
// and stops the server.
func (s *Server) Close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
	s.mu.Unlock()
	s.wg.Wait()
	s.http.Close()
}

// die stops listening and drops every connection.
func (s *Server) die() {
	_ = s.http.Listener.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		_ = c.NetConn().Close()
	}
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.opts.Token != "" && r.Header.Get("Authorization") != "Bearer "+s.opts.Token {
		refuse(w, wire.Error{Message: "missing or invalid bearer token", Status: http.StatusUnauthorized})
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, Request{Path: r.URL.Path, Query: r.URL.Query(), RawQuery: r.URL.RawQuery})
	s.notify()
	var plan Plan
	if len(s.plans) > 0 {
		plan = s.plans[0]
		s.plans = s.plans[1:]
	}
	oldest := s.oldest
	tip := int64(0)
	if n := len(s.blocks); n > 0 {
		tip = s.blocks[n-1].Height
	}
	s.mu.Unlock()

	if !wire.IsStreamPath(r.URL.Path) {
		refuse(w, wire.Error{Message: wire.NoStream(r.URL.Path), Status: http.StatusNotFound})
		return
	}
	if plan.Status != 0 {
		body := wire.Error{Message: plan.Message, Status: plan.Status}
		if plan.Status == http.StatusGone {
			body.OldestHeight = oldest
		}
		refuse(w, body)
		return
	}
	blocksStream := r.URL.Path == PathBlocks
	// The node's own parser: what it refuses, with the same 400 message.
	q, err := wire.ParseQuery(r.URL.Path, r.URL.RawQuery)
	if err != nil {
		refuse(w, wire.Error{Message: err.Error(), Status: http.StatusBadRequest})
		return
	}
	from := q.FromHeight
	filter := Filter{AssetIDs: q.AssetIDs, PublicKeys: q.PublicKeys, Operations: q.Operations}
	if from > 0 && from < oldest {
		refuse(w, wire.Gone(from, oldest))
		return
	}
	next := from
	if next == 0 {
		next = tip + 1
	}
	h := http.Header{}
	if from > 0 || tip > 0 {
		h.Set(wire.HeaderNextHeight, strconv.FormatInt(next, 10))
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		w.Header().Set("Retry-After", "5")
		refuse(w, wire.Error{Message: "server is shutting down", Status: http.StatusServiceUnavailable})
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	conn, err := s.upg.Upgrade(w, r, h)
	if err != nil {
		return
	}
	s.mu.Lock()
	s.conns[conn] = struct{}{}
	s.mu.Unlock()
	sub := &subscriber{srv: s, conn: conn, plan: plan, next: next, blocks: blocksStream, filter: filter}
	sub.run()
	s.mu.Lock()
	delete(s.conns, conn)
	s.mu.Unlock()
}

// refuse answers with body, the node's JSON error shape and headers.
func refuse(w http.ResponseWriter, body wire.Error) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	if body.Status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="cometstream"`)
	}
	w.WriteHeader(body.Status)
	_ = json.NewEncoder(w).Encode(body)
}
