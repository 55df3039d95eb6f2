package streamsvc_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/websocket"
	"github.com/hashicorp/go-hclog"

	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/streamsvc"
)

// waitTimeout bounds every wait in these tests. Nothing sleeps: tests wait
// on channels and give up after this long.
const waitTimeout = 20 * time.Second

// testServer is a streamsvc.Server behind an httptest server, following its
// own in-memory log.
type testServer struct {
	srv *streamsvc.Server
	log *events.Log
	url string // ws://127.0.0.1:port
}

type serverOptions struct {
	capacity int // blocks the MemStore keeps; defaults to 1024
	// firstSendBuffer > 0 sets the SO_SNDBUF of the first connection
	// accepted (the stalled client, which tests dial first); the others
	// keep the OS default, so they are not slowed down.
	firstSendBuffer int
	// source, when set, is the log's Source, which fills gaps.
	source events.Source
}

func newLog(t testing.TB, capacity int) *events.Log {
	t.Helper()
	store, err := events.NewMemStore(capacity)
	if err != nil {
		t.Fatalf("NewMemStore(%d): %v", capacity, err)
	}
	log, err := events.NewLog(store, nil)
	if err != nil {
		t.Fatalf("NewLog: %v", err)
	}
	return log
}

// startServer serves cfg over httptest. The cleanup closes the Server first
// (subscribers get 1001 and every goroutine returns), then the listener.
func startServer(t *testing.T, cfg streamsvc.Config, opts serverOptions) *testServer {
	t.Helper()
	if opts.capacity == 0 {
		opts.capacity = 1024
	}
	cfg.Log = newLog(t, opts.capacity)
	if opts.source != nil {
		store, err := events.NewMemStore(opts.capacity)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Log, err = events.OpenLog(events.LogConfig{Store: store, Source: opts.source,
			RetryMin: time.Millisecond, RetryMax: 10 * time.Millisecond}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cfg.Log.Close() })
	}
	srv, err := streamsvc.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	hs := httptest.NewUnstartedServer(srv)
	if opts.firstSendBuffer > 0 {
		hs.Listener = &sendBufferListener{Listener: hs.Listener, size: opts.firstSendBuffer}
	}
	hs.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Errorf("Server.Close: %v", err)
		}
		hs.Close()
	})
	return &testServer{srv: srv, log: cfg.Log, url: "ws" + strings.TrimPrefix(hs.URL, "http")}
}

// sendBufferListener shrinks the send buffer of the first accepted
// connection, so that when that client stops reading the server's writes
// block after a small number of bytes instead of filling a send buffer the
// kernel may have grown to megabytes.
type sendBufferListener struct {
	net.Listener
	size int
	done atomic.Bool
}

func (l *sendBufferListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok && !l.done.Swap(true) {
		_ = tc.SetWriteBuffer(l.size)
	}
	return c, err
}

// append appends blocks to the server's log; only the test goroutine calls it.
func (s *testServer) append(t *testing.T, blocks ...*events.Block) {
	t.Helper()
	for _, b := range blocks {
		added, err := s.log.Append(b)
		if err != nil || !added {
			t.Fatalf("Append(height %d) = %v, %v; want true, nil", b.Height, added, err)
		}
	}
}

// Blocks.

// txID names transaction i of block h with 64 lower-case hex digits.
func txID(h int64, i int) string { return fmt.Sprintf("%032x%032x", h, i) }

func blockHash(h int64) []byte {
	sum := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(h)))
	return sum[:]
}

// makeBlock returns block h with ntx CREATE-like transactions (each its own
// asset).
func makeBlock(h int64, ntx int) *events.Block {
	b := &events.Block{Height: h, Hash: blockHash(h), Time: time.Unix(1700000000+h, 0).UTC()}
	for i := range ntx {
		id := txID(h, i)
		b.Txs = append(b.Txs, events.Tx{Index: uint32(i), ID: id, AssetIDs: []string{id}})
	}
	return b
}

// makeBlocks returns blocks from..from+n-1, block h holding ntx(h) transactions.
func makeBlocks(from int64, n int, ntx func(h int64) int) []*events.Block {
	out := make([]*events.Block, n)
	for i := range out {
		h := from + int64(i)
		out[i] = makeBlock(h, ntx(h))
	}
	return out
}

// Decoded messages, as a client sees them.

type txMsg struct {
	TransactionID string   `json:"transaction_id"`
	AssetID       string   `json:"asset_id"`
	AssetIDs      []string `json:"asset_ids"`
	Height        int64    `json:"height"`
}

type blockMsg struct {
	Height         int64    `json:"height"`
	Hash           string   `json:"hash"`
	TransactionIDs []string `json:"transaction_ids"`
}

func wantTxMsgs(blocks ...*events.Block) []txMsg {
	var out []txMsg
	for _, b := range blocks {
		for _, tx := range b.Txs {
			out = append(out, txMsg{TransactionID: tx.ID, AssetID: tx.AssetIDs[0], AssetIDs: tx.AssetIDs, Height: b.Height})
		}
	}
	return out
}

func wantBlockMsgs(blocks ...*events.Block) []blockMsg {
	out := make([]blockMsg, len(blocks))
	for i, b := range blocks {
		ids := []string{}
		for _, tx := range b.Txs {
			ids = append(ids, tx.ID)
		}
		out[i] = blockMsg{Height: b.Height, Hash: strings.ToUpper(fmt.Sprintf("%x", b.Hash)), TransactionIDs: ids}
	}
	return out
}

// decodeAll strictly decodes text messages, each one JSON object.
func decodeAll[T any](t *testing.T, msgs []message) []T {
	t.Helper()
	out := make([]T, len(msgs))
	for i, m := range msgs {
		if m.kind != websocket.TextMessage {
			t.Fatalf("message %d: frame type %d, want text (%d)", i, m.kind, websocket.TextMessage)
		}
		dec := json.NewDecoder(bytes.NewReader(m.data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&out[i]); err != nil {
			t.Fatalf("message %d %q: %v", i, m.data, err)
		}
		if dec.More() {
			t.Fatalf("message %d %q: more than one JSON value", i, m.data)
		}
	}
	return out
}

// Clients.

type message struct {
	kind int
	data []byte
}

var errClientClosed = errors.New("test client closed")

// client is a real gorilla/websocket client with one reader goroutine,
// which hands messages, pongs and pings to the test.
type client struct {
	conn   *websocket.Conn
	msgs   chan message
	pongs  chan string
	pinged chan struct{} // a token per ping seen, dropped when full
	pings  atomic.Int64
	// holding is closed when a holdInside client stops mid-message.
	holding chan struct{}
	quit    chan struct{}
	done    chan struct{} // closed when the reader goroutine returns
	err     error         // why it returned; read only after done

	closeOnce sync.Once
}

type dialOptions struct {
	header      http.Header
	recvBuffer  int // SO_RCVBUF of the client socket; 0 keeps the OS default
	compression bool
	// holdAfter > 0 stops reading after that many messages until release
	// is closed: the client stalls and its socket buffers fill.
	holdAfter int
	release   <-chan struct{}
	// holdInside stops instead just after the header of the next message,
	// and closes client.holding: proof that the server's writer took that
	// message from the log and is writing it.
	holdInside bool
	// noPong makes the client ignore server pings.
	noPong bool
}

func dialer(o dialOptions) *websocket.Dialer {
	d := &websocket.Dialer{HandshakeTimeout: waitTimeout, EnableCompression: o.compression}
	if o.recvBuffer > 0 {
		d.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetReadBuffer(o.recvBuffer)
			}
			return c, err
		}
	}
	return d
}

// dial connects to url and starts the client's reader. The cleanup closes
// the connection and waits for the reader.
func dial(t *testing.T, url string, o dialOptions) *client {
	t.Helper()
	conn, resp, err := dialer(o).Dial(url, o.header)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("Dial(%s): %v (HTTP status %d)", url, err, status)
	}
	c := &client{
		conn:    conn,
		msgs:    make(chan message, 1024),
		pongs:   make(chan string, 8),
		pinged:  make(chan struct{}, 1),
		holding: make(chan struct{}),
		quit:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	conn.SetPongHandler(func(p string) error {
		select {
		case c.pongs <- p:
		default:
		}
		return nil
	})
	conn.SetPingHandler(func(p string) error {
		c.pings.Add(1)
		select {
		case c.pinged <- struct{}{}:
		default:
		}
		if !o.noPong {
			_ = conn.WriteControl(websocket.PongMessage, []byte(p), time.Now().Add(time.Second))
		}
		return nil
	})
	go c.readLoop(o)
	t.Cleanup(func() { c.close(t) })
	return c
}

func (c *client) readLoop(o dialOptions) {
	defer close(c.done)
	for n := 0; ; n++ {
		var (
			kind int
			data []byte
			err  error
		)
		switch {
		case n == o.holdAfter && o.holdAfter > 0 && o.holdInside:
			var r io.Reader
			if kind, r, err = c.conn.NextReader(); err == nil {
				close(c.holding)
				if !c.wait(o.release) {
					return
				}
				data, err = io.ReadAll(r)
			}
		case n == o.holdAfter && o.holdAfter > 0:
			if !c.wait(o.release) {
				return
			}
			fallthrough
		default:
			kind, data, err = c.conn.ReadMessage()
		}
		if err != nil {
			c.err = err
			return
		}
		select {
		case c.msgs <- message{kind: kind, data: data}:
		case <-c.quit:
			c.err = errClientClosed
			return
		}
	}
}

// wait waits for release; false when the client is being closed instead.
func (c *client) wait(release <-chan struct{}) bool {
	select {
	case <-release:
		return true
	case <-c.quit:
		c.err = errClientClosed
		return false
	}
}

// waitHolding waits until a holdInside client has stopped mid-message.
func (c *client) waitHolding(t *testing.T) {
	t.Helper()
	select {
	case <-c.holding:
	case <-c.done:
		t.Fatalf("connection ended before the held message: %v", c.err)
	case <-time.After(waitTimeout):
		t.Fatalf("held message did not start within %v", waitTimeout)
	}
}

func (c *client) close(t *testing.T) {
	c.closeOnce.Do(func() {
		close(c.quit)
		_ = c.conn.Close()
		select {
		case <-c.done:
		case <-time.After(waitTimeout):
			t.Errorf("client reader still running %v after Close", waitTimeout)
		}
	})
}

var syncSeq atomic.Int64

// sync pings the server and waits for the pong. The server's writer
// goroutine answers pings, and it starts after the subscriber's log reader
// exists, so once sync returns every block appended afterwards reaches
// this client.
func (c *client) sync(t *testing.T) {
	t.Helper()
	payload := fmt.Sprintf("sync-%d", syncSeq.Add(1))
	if err := c.conn.WriteControl(websocket.PingMessage, []byte(payload), time.Now().Add(waitTimeout)); err != nil {
		t.Fatalf("write ping: %v", err)
	}
	timeout := time.NewTimer(waitTimeout)
	defer timeout.Stop()
	for {
		select {
		case p := <-c.pongs:
			if p == payload {
				return
			}
		case <-c.done:
			t.Fatalf("connection ended before the pong for %q: %v", payload, c.err)
		case <-timeout.C:
			t.Fatalf("no pong for %q within %v", payload, waitTimeout)
		}
	}
}

// collect returns the next n messages.
func (c *client) collect(t *testing.T, n int) []message {
	t.Helper()
	out := make([]message, 0, n)
	timeout := time.NewTimer(waitTimeout)
	defer timeout.Stop()
	for len(out) < n {
		select {
		case m := <-c.msgs:
			out = append(out, m)
		case <-c.done:
			select {
			case m := <-c.msgs:
				out = append(out, m)
			default:
				t.Fatalf("connection ended after %d of %d messages: %v", len(out), n, c.err)
			}
		case <-timeout.C:
			t.Fatalf("got %d of %d messages within %v", len(out), n, waitTimeout)
		}
	}
	return out
}

// end waits until the connection ends and returns the messages still
// unread and the error that ended it.
func (c *client) end(t *testing.T) ([]message, error) {
	t.Helper()
	var out []message
	timeout := time.NewTimer(waitTimeout)
	defer timeout.Stop()
	for {
		select {
		case m := <-c.msgs:
			out = append(out, m)
		case <-c.done:
			for {
				select {
				case m := <-c.msgs:
					out = append(out, m)
				default:
					return out, c.err
				}
			}
		case <-timeout.C:
			t.Fatalf("connection still open %v later (%d messages read)", waitTimeout, len(out))
		}
	}
}

// expectQuiet fails if a message is waiting: pair it with sync, whose pong
// follows any message the server had written before it.
func (c *client) expectQuiet(t *testing.T) {
	t.Helper()
	select {
	case m := <-c.msgs:
		t.Fatalf("unexpected message %q", m.data)
	default:
	}
}

// waitPings waits until the client has seen at least n server pings.
func (c *client) waitPings(t *testing.T, n int64) {
	t.Helper()
	timeout := time.NewTimer(waitTimeout)
	defer timeout.Stop()
	for c.pings.Load() < n {
		select {
		case <-c.pinged:
		case <-c.done:
			t.Fatalf("connection ended after %d of %d pings: %v", c.pings.Load(), n, c.err)
		case <-timeout.C:
			t.Fatalf("saw %d of %d pings within %v", c.pings.Load(), n, waitTimeout)
		}
	}
}

// wantCloseError checks that err is a close frame with code and a reason
// containing reason.
func wantCloseError(t *testing.T, err error, code int, reason string) {
	t.Helper()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		t.Fatalf("connection ended with %v (%T), want close frame %d", err, err, code)
	}
	if ce.Code != code || !strings.Contains(ce.Text, reason) {
		t.Fatalf("close frame %d %q, want %d with a reason containing %q", ce.Code, ce.Text, code, reason)
	}
}

// diffMsgs is cmp.Diff with a cheap fast path: cmp walks by reflection,
// which is slow on tens of thousands of messages under the race detector.
func diffMsgs[T any](want, got []T) string {
	if reflect.DeepEqual(want, got) {
		return ""
	}
	return cmp.Diff(want, got)
}

// heights returns the height of each block message.
func heights(msgs []blockMsg) []int64 {
	out := make([]int64, len(msgs))
	for i, m := range msgs {
		out[i] = m.Height
	}
	return out
}

func seq(from, to int64) []int64 {
	var out []int64
	for h := from; h <= to; h++ {
		out = append(out, h)
	}
	return out
}

// HTTP error bodies.

// checkErrorResponse checks an HTTP refusal: the status and a JSON body of
// exactly {"message": <non-empty>, "status": <the status>}.
func checkErrorResponse(t *testing.T, resp *http.Response, wantStatus int) {
	t.Helper()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	if resp.StatusCode != wantStatus {
		t.Errorf("status %d, want %d (body %q)", resp.StatusCode, wantStatus, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", body, err)
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range doc {
			if !yield(k) {
				return
			}
		}
	})
	if diff := cmp.Diff([]string{"message", "status"}, keys); diff != "" {
		t.Errorf("error body keys mismatch (-want +got):\n%s", diff)
	}
	if msg, _ := doc["message"].(string); msg == "" {
		t.Errorf("error body %q: message is not a non-empty string", body)
	}
	if status, _ := doc["status"].(float64); int(status) != wantStatus {
		t.Errorf("error body %q: status %v, want %d", body, doc["status"], wantStatus)
	}
}

// Server logs.

// logWatcher is an hclog output the tests can wait on: the only view a
// test has of why the server dropped a subscriber.
type logWatcher struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced by every write
}

func newLogWatcher() (*logWatcher, hclog.Logger) {
	w := &logWatcher{changed: make(chan struct{})}
	return w, hclog.New(&hclog.LoggerOptions{Output: w, Level: hclog.Debug, JSONFormat: true})
}

func (w *logWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	close(w.changed)
	w.changed = make(chan struct{})
	return len(p), nil
}

// waitFor waits for a log line containing every one of parts.
func (w *logWatcher) waitFor(t *testing.T, parts ...string) {
	t.Helper()
	timeout := time.NewTimer(waitTimeout)
	defer timeout.Stop()
	for {
		w.mu.Lock()
		text, changed := w.buf.String(), w.changed
		w.mu.Unlock()
		for line := range strings.Lines(text) {
			if allIn(line, parts) {
				return
			}
		}
		select {
		case <-changed:
		case <-timeout.C:
			t.Fatalf("no log line with %q within %v; log:\n%s", parts, waitTimeout, text)
		}
	}
}

func allIn(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
