package streamsvc_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/websocket"

	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/internal/fixtures"
	"github.com/cometstream/cometstream/streamsvc"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// fixtureTx is the event the default decoder makes of a fixture transaction.
func fixtureTx(t *testing.T, index uint32, name string) events.Tx {
	t.Helper()
	tx, err := events.NewTx(events.Planetmint{}, index, fixtures.Read(name))
	if err != nil {
		t.Fatalf("NewTx(%s): %v", name, err)
	}
	return tx
}

func countingHash(start byte) []byte {
	h := make([]byte, 32)
	for i := range h {
		h[i] = start + byte(i)
	}
	return h
}

// goldenBlocks are a Planetmint chain in one block, an empty block, and a
// block mixing a BigchainDB CREATE, a transaction with two assets and bytes
// no decoder understands.
func goldenBlocks(t *testing.T) []*events.Block {
	t.Helper()
	undecodable, err := events.NewTx(events.Planetmint{}, 2, []byte("not a planetmint transaction"))
	if !errors.Is(err, events.ErrUndecodable) {
		t.Fatalf("NewTx(undecodable) error %v, want ErrUndecodable", err)
	}
	return []*events.Block{
		{Height: 7, Hash: countingHash(0x00), Txs: []events.Tx{
			fixtureTx(t, 0, "planetmint-v3.0-create.json"),
			fixtureTx(t, 1, "planetmint-v3.0-transfer-1.json"),
			fixtureTx(t, 2, "planetmint-v3.0-transfer-2.json"),
		}},
		{Height: 8, Hash: countingHash(0xa0)},
		{Height: 9, Hash: countingHash(0xe0), Txs: []events.Tx{
			fixtureTx(t, 0, "bigchaindb-v2.0-create.json"),
			{Index: 1, ID: txID(9, 1), AssetIDs: []string{txID(9, 1), txID(1, 0)}, Operation: "COMPOSE"},
			undecodable,
		}},
	}
}

// TestMessageGolden checks the exact bytes of every message: one text
// frame per message, one JSON object without a trailing newline, fields in
// the documented order, upper-case block hashes, [] for an empty block.
func TestMessageGolden(t *testing.T) {
	ts := startServer(t, streamsvc.Config{}, serverOptions{})
	blocks := goldenBlocks(t)
	tests := []struct {
		path   string
		golden string
		n      int
	}{
		{streamsvc.PathTransactions, "valid_transactions.jsonl", 6},
		{streamsvc.PathBlocks, "valid_blocks.jsonl", 3},
	}
	clients := make([]*client, len(tests))
	for i, tt := range tests {
		clients[i] = dial(t, ts.url+tt.path, dialOptions{})
		clients[i].sync(t)
	}
	ts.append(t, blocks...)
	for i, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			var got bytes.Buffer
			for _, m := range clients[i].collect(t, tt.n) {
				if m.kind != websocket.TextMessage {
					t.Errorf("frame type %d, want text", m.kind)
				}
				if bytes.ContainsAny(m.data, "\r\n") {
					t.Errorf("message %q contains a line break", m.data)
				}
				got.Write(m.data)
				got.WriteByte('\n')
			}
			path := filepath.Join("testdata", "golden", tt.golden)
			if *update {
				if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), got.String()); diff != "" {
				t.Errorf("%s mismatch (-want +got):\n%s", tt.path, diff)
			}
			clients[i].sync(t)
			clients[i].expectQuiet(t)
		})
	}
}

// TestTxWithoutAssetIDs checks that a transaction event that breaks the
// "AssetIDs never empty" rule is streamed under the asset id rule's
// fallback (its own id) instead of crashing the node.
func TestTxWithoutAssetIDs(t *testing.T) {
	ts := startServer(t, streamsvc.Config{}, serverOptions{})
	c := dial(t, ts.url+streamsvc.PathTransactions, dialOptions{})
	c.sync(t)
	id := txID(1, 0)
	ts.append(t, &events.Block{Height: 1, Hash: blockHash(1), Txs: []events.Tx{{ID: id}}})
	got := string(c.collect(t, 1)[0].data)
	want := `{"transaction_id":"` + id + `","asset_id":"` + id + `","asset_ids":["` + id + `"],"height":1}`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("message mismatch (-want +got):\n%s", diff)
	}
}

// TestStreamsFollowTheLog appends blocks of varied sizes, empty ones
// included, and checks that valid_transactions carries every transaction in
// block order (nothing for empty blocks) and valid_blocks every block.
func TestStreamsFollowTheLog(t *testing.T) {
	ts := startServer(t, streamsvc.Config{}, serverOptions{})
	txc := dial(t, ts.url+streamsvc.PathTransactions, dialOptions{})
	bc := dial(t, ts.url+streamsvc.PathBlocks, dialOptions{})
	txc.sync(t)
	bc.sync(t)

	// Heights 1..40; every third block is empty, others hold up to 9 txs.
	blocks := makeBlocks(1, 40, func(h int64) int {
		if h%3 == 0 {
			return 0
		}
		return int(h % 10)
	})
	// Append in two bursts, so that some blocks reach a subscriber one by
	// one and others in a batch.
	ts.append(t, blocks[:1]...)
	ts.append(t, blocks[1:]...)

	wantTx := wantTxMsgs(blocks...)
	gotTx := decodeAll[txMsg](t, txc.collect(t, len(wantTx)))
	if diff := cmp.Diff(wantTx, gotTx); diff != "" {
		t.Errorf("valid_transactions mismatch (-want +got):\n%s", diff)
	}
	wantBlocks := wantBlockMsgs(blocks...)
	gotBlocks := decodeAll[blockMsg](t, bc.collect(t, len(wantBlocks)))
	if diff := cmp.Diff(wantBlocks, gotBlocks); diff != "" {
		t.Errorf("valid_blocks mismatch (-want +got):\n%s", diff)
	}
	for _, c := range []*client{txc, bc} {
		c.sync(t)
		c.expectQuiet(t)
	}
}

// TestStreamStartsAtLiveEdge checks that a subscriber gets the blocks
// committed after it connected, not the ones before.
func TestStreamStartsAtLiveEdge(t *testing.T) {
	ts := startServer(t, streamsvc.Config{}, serverOptions{})
	ts.append(t, makeBlocks(1, 3, func(int64) int { return 2 })...)
	c := dial(t, ts.url+streamsvc.PathBlocks, dialOptions{})
	c.sync(t)
	next := makeBlocks(4, 2, func(int64) int { return 1 })
	ts.append(t, next...)
	got := decodeAll[blockMsg](t, c.collect(t, 2))
	if diff := cmp.Diff(wantBlockMsgs(next...), got); diff != "" {
		t.Errorf("valid_blocks mismatch (-want +got):\n%s", diff)
	}
}

// TestHandshakeMeansSubscribed checks the guarantee clients rely on
// without any ping: once Dial returns, every block appended afterwards is
// delivered, the first one included.
func TestHandshakeMeansSubscribed(t *testing.T) {
	ts := startServer(t, streamsvc.Config{}, serverOptions{})
	for i := range 20 {
		c := dial(t, ts.url+streamsvc.PathBlocks, dialOptions{})
		b := makeBlock(int64(i+1), 1)
		ts.append(t, b)
		if diff := cmp.Diff(wantBlockMsgs(b), decodeAll[blockMsg](t, c.collect(t, 1))); diff != "" {
			t.Fatalf("dial %d: valid_blocks mismatch (-want +got):\n%s", i, diff)
		}
		c.close(t)
	}
}

// TestSeveralClientsGetEverything connects several clients to each stream;
// each receives exactly the appended events, in order.
func TestSeveralClientsGetEverything(t *testing.T) {
	ts := startServer(t, streamsvc.Config{}, serverOptions{})
	const perStream = 4
	var txcs, bcs []*client
	for range perStream {
		txcs = append(txcs, dial(t, ts.url+streamsvc.PathTransactions, dialOptions{}))
		bcs = append(bcs, dial(t, ts.url+streamsvc.PathBlocks, dialOptions{}))
	}
	for _, c := range append(txcs, bcs...) {
		c.sync(t)
	}
	blocks := makeBlocks(100, 25, func(h int64) int { return int(h % 4) })
	for _, b := range blocks {
		ts.append(t, b)
	}
	wantTx, wantBlocks := wantTxMsgs(blocks...), wantBlockMsgs(blocks...)
	for i, c := range txcs {
		if diff := cmp.Diff(wantTx, decodeAll[txMsg](t, c.collect(t, len(wantTx)))); diff != "" {
			t.Errorf("tx client %d mismatch (-want +got):\n%s", i, diff)
		}
	}
	for i, c := range bcs {
		if diff := cmp.Diff(wantBlocks, decodeAll[blockMsg](t, c.collect(t, len(wantBlocks)))); diff != "" {
			t.Errorf("block client %d mismatch (-want +got):\n%s", i, diff)
		}
	}
	for _, c := range append(txcs, bcs...) {
		c.sync(t)
		c.expectQuiet(t)
	}
}

// TestClientMessagesIgnored sends text and binary messages; the server
// discards them and keeps streaming.
func TestClientMessagesIgnored(t *testing.T) {
	ts := startServer(t, streamsvc.Config{}, serverOptions{})
	c := dial(t, ts.url+streamsvc.PathTransactions, dialOptions{})
	writes := []struct {
		kind int
		data []byte
	}{
		{websocket.TextMessage, []byte(`{"subscribe":"everything"}`)},
		{websocket.BinaryMessage, []byte{0, 1, 2, 0xff}},
		{websocket.TextMessage, nil},
		{websocket.BinaryMessage, bytes.Repeat([]byte{0xaa}, 32<<10)},
	}
	for _, w := range writes {
		if err := c.conn.WriteMessage(w.kind, w.data); err != nil {
			t.Fatalf("WriteMessage: %v", err)
		}
	}
	c.sync(t) // the pong comes after the server read all of the above
	c.expectQuiet(t)
	b := makeBlock(1, 2)
	ts.append(t, b)
	if diff := cmp.Diff(wantTxMsgs(b), decodeAll[txMsg](t, c.collect(t, 2))); diff != "" {
		t.Errorf("valid_transactions mismatch (-want +got):\n%s", diff)
	}
}

// TestClientPingGetsPong checks that each client ping is answered with a
// pong carrying the same payload.
func TestClientPingGetsPong(t *testing.T) {
	ts := startServer(t, streamsvc.Config{}, serverOptions{})
	c := dial(t, ts.url+streamsvc.PathBlocks, dialOptions{})
	for _, payload := range []string{"", "a", strings.Repeat("x", 125)} {
		if err := c.conn.WriteControl(websocket.PingMessage, []byte(payload), time.Now().Add(waitTimeout)); err != nil {
			t.Fatalf("write ping: %v", err)
		}
		select {
		case got := <-c.pongs:
			if got != payload {
				t.Errorf("pong payload %q, want %q", got, payload)
			}
		case <-c.done:
			t.Fatalf("connection ended: %v", c.err)
		case <-time.After(waitTimeout):
			t.Fatalf("no pong for %q", payload)
		}
	}
}

// TestServerPingsKeepLiveClient checks that the server pings every
// PingInterval and that a client answering them stays connected well past
// PingInterval+PongTimeout.
func TestServerPingsKeepLiveClient(t *testing.T) {
	// The pong timeout is generous so that a loaded test machine cannot
	// delay a pong past it.
	cfg := streamsvc.Config{PingInterval: 25 * time.Millisecond, PongTimeout: 500 * time.Millisecond}
	ts := startServer(t, cfg, serverOptions{})
	c := dial(t, ts.url+streamsvc.PathBlocks, dialOptions{})
	c.sync(t)
	// 25 pings span at least 24*PingInterval = 600ms, longer than the
	// 525ms the server waits for a frame before dropping a client.
	c.waitPings(t, 25)
	b := makeBlock(1, 0)
	ts.append(t, b)
	if diff := cmp.Diff(wantBlockMsgs(b), decodeAll[blockMsg](t, c.collect(t, 1))); diff != "" {
		t.Errorf("valid_blocks mismatch (-want +got):\n%s", diff)
	}
}

// TestUnansweredPingsDropClient checks that a client that keeps reading but
// never answers pings is disconnected after PingInterval+PongTimeout.
func TestUnansweredPingsDropClient(t *testing.T) {
	cfg := streamsvc.Config{PingInterval: 50 * time.Millisecond, PongTimeout: 100 * time.Millisecond}
	ts := startServer(t, cfg, serverOptions{})
	c := dial(t, ts.url+streamsvc.PathBlocks, dialOptions{noPong: true})
	msgs, err := c.end(t)
	if err == nil || errors.Is(err, errClientClosed) {
		t.Fatalf("connection ended with %v, want a read error", err)
	}
	if len(msgs) != 0 {
		t.Errorf("got %d messages, want none", len(msgs))
	}
	if n := c.pings.Load(); n < 1 {
		t.Errorf("client saw %d pings before being dropped, want at least 1", n)
	}
}

// TestReadLimit checks that a message at the limit is discarded quietly and
// one byte more closes the stream with 1009.
func TestReadLimit(t *testing.T) {
	const limit = 1024
	ts := startServer(t, streamsvc.Config{ReadLimit: limit}, serverOptions{})
	c := dial(t, ts.url+streamsvc.PathTransactions, dialOptions{})
	if err := c.conn.WriteMessage(websocket.BinaryMessage, make([]byte, limit)); err != nil {
		t.Fatalf("WriteMessage(%d bytes): %v", limit, err)
	}
	c.sync(t)
	if err := c.conn.WriteMessage(websocket.TextMessage, bytes.Repeat([]byte("x"), limit+1)); err != nil {
		t.Fatalf("WriteMessage(%d bytes): %v", limit+1, err)
	}
	_, err := c.end(t)
	wantCloseError(t, err, websocket.CloseMessageTooBig, "")
}

// TestClientCloseIsAnswered checks the close handshake started by the
// client: the server echoes the code, and answers a close without a code
// with 1000.
func TestClientCloseIsAnswered(t *testing.T) {
	ts := startServer(t, streamsvc.Config{}, serverOptions{})
	tests := []struct {
		name     string
		payload  []byte
		wantCode int
	}{
		{"normal", websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"), websocket.CloseNormalClosure},
		{"going away", websocket.FormatCloseMessage(websocket.CloseGoingAway, ""), websocket.CloseGoingAway},
		{"application code", websocket.FormatCloseMessage(4000, "app"), 4000},
		{"no code", nil, websocket.CloseNormalClosure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, ts.url+streamsvc.PathTransactions, dialOptions{})
			c.sync(t)
			if err := c.conn.WriteControl(websocket.CloseMessage, tt.payload, time.Now().Add(waitTimeout)); err != nil {
				t.Fatalf("write close: %v", err)
			}
			_, err := c.end(t)
			wantCloseError(t, err, tt.wantCode, "")
		})
	}
}

// TestProtocolErrorClosesWith1002 sends an unmasked frame, which clients
// must never send: the server closes with 1002.
func TestProtocolErrorClosesWith1002(t *testing.T) {
	ts := startServer(t, streamsvc.Config{}, serverOptions{})
	c := dial(t, ts.url+streamsvc.PathBlocks, dialOptions{})
	c.sync(t)
	if _, err := c.conn.NetConn().Write([]byte{0x81, 0x02, 'h', 'i'}); err != nil {
		t.Fatalf("write raw frame: %v", err)
	}
	_, err := c.end(t)
	wantCloseError(t, err, websocket.CloseProtocolError, "")
}

// TestHTTPRefusals checks that requests that are not WebSocket handshakes
// on a stream path get an HTTP status with a JSON error body.
func TestHTTPRefusals(t *testing.T) {
	ts := startServer(t, streamsvc.Config{}, serverOptions{})
	base := "http" + strings.TrimPrefix(ts.url, "ws")
	upgrade := map[string]string{"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13"}
	with := func(extra map[string]string) map[string]string {
		h := maps.Clone(upgrade)
		maps.Copy(h, extra)
		return h
	}
	tests := []struct {
		name, method, path string
		header             map[string]string
		want               int
		wantAllow          string
	}{
		{"plain GET valid_transactions", http.MethodGet, streamsvc.PathTransactions, nil, http.StatusBadRequest, ""},
		{"plain GET valid_blocks", http.MethodGet, streamsvc.PathBlocks, nil, http.StatusBadRequest, ""},
		{"upgrade without key", http.MethodGet, streamsvc.PathBlocks, upgrade, http.StatusBadRequest, ""},
		{"upgrade with unsupported version", http.MethodGet, streamsvc.PathBlocks,
			with(map[string]string{"Sec-WebSocket-Version": "8", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}), http.StatusUpgradeRequired, ""},
		{"POST", http.MethodPost, streamsvc.PathTransactions, nil, http.StatusMethodNotAllowed, http.MethodGet},
		{"POST with upgrade headers", http.MethodPost, streamsvc.PathTransactions, upgrade, http.StatusMethodNotAllowed, http.MethodGet},
		{"DELETE", http.MethodDelete, streamsvc.PathBlocks, nil, http.StatusMethodNotAllowed, http.MethodGet},
		{"unknown stream", http.MethodGet, "/api/v1/streams/valid_assets", nil, http.StatusNotFound, ""},
		{"trailing slash", http.MethodGet, streamsvc.PathTransactions + "/", nil, http.StatusNotFound, ""},
		{"root", http.MethodGet, "/", nil, http.StatusNotFound, ""},
	}
	client := &http.Client{Timeout: waitTimeout}
	defer client.CloseIdleConnections()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, base+tt.path, strings.NewReader("{}"))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			checkErrorResponse(t, resp, tt.want)
			if got := resp.Header.Get("Allow"); got != tt.wantAllow {
				t.Errorf("Allow %q, want %q", got, tt.wantAllow)
			}
		})
	}
}

// TestOrigins checks the Origin policy: listed origins (any case) and
// requests without an Origin are upgraded, others get 403 JSON; an empty
// list accepts every origin.
func TestOrigins(t *testing.T) {
	restricted := startServer(t, streamsvc.Config{AllowedOrigins: []string{"https://app.example.com"}}, serverOptions{})
	open := startServer(t, streamsvc.Config{}, serverOptions{})
	tests := []struct {
		name   string
		server *testServer
		origin string
		ok     bool
	}{
		{"no origin", restricted, "", true},
		{"allowed origin", restricted, "https://app.example.com", true},
		{"allowed origin other case", restricted, "HTTPS://App.Example.com", true},
		{"other origin", restricted, "https://evil.example.com", false},
		{"other port", restricted, "https://app.example.com:8443", false},
		{"null origin", restricted, "null", false},
		{"any origin, empty list", open, "https://evil.example.com", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.origin != "" {
				h.Set("Origin", tt.origin)
			}
			url := tt.server.url + streamsvc.PathBlocks
			if tt.ok {
				c := dial(t, url, dialOptions{header: h})
				c.sync(t)
				return
			}
			conn, resp, err := dialer(dialOptions{}).Dial(url, h)
			if err == nil {
				conn.Close()
				t.Fatalf("Dial with Origin %q succeeded, want 403", tt.origin)
			}
			if resp == nil {
				t.Fatalf("Dial with Origin %q: %v, want an HTTP 403", tt.origin, err)
			}
			defer resp.Body.Close()
			checkErrorResponse(t, resp, http.StatusForbidden)
		})
	}
}

// TestCompressionOfferDeclined checks that a client offering
// permessage-deflate still gets the plain, pre-framed messages.
func TestCompressionOfferDeclined(t *testing.T) {
	ts := startServer(t, streamsvc.Config{}, serverOptions{})
	c := dial(t, ts.url+streamsvc.PathBlocks, dialOptions{compression: true})
	c.sync(t)
	b := makeBlock(1, 3)
	ts.append(t, b)
	if diff := cmp.Diff(wantBlockMsgs(b), decodeAll[blockMsg](t, c.collect(t, 1))); diff != "" {
		t.Errorf("valid_blocks mismatch (-want +got):\n%s", diff)
	}
}

// TestCloseSendsGoingAway checks Close: every subscriber of either stream
// gets 1001 "server shutting down", Close returns, and later handshakes are
// refused.
func TestCloseSendsGoingAway(t *testing.T) {
	ts := startServer(t, streamsvc.Config{}, serverOptions{})
	var clients []*client
	for _, path := range []string{streamsvc.PathTransactions, streamsvc.PathBlocks, streamsvc.PathTransactions, streamsvc.PathBlocks} {
		c := dial(t, ts.url+path, dialOptions{})
		c.sync(t)
		clients = append(clients, c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := ts.srv.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for i, c := range clients {
		_, err := c.end(t)
		var ce *websocket.CloseError
		if !errors.As(err, &ce) {
			t.Fatalf("client %d ended with %v, want a close frame", i, err)
		}
		if diff := cmp.Diff(websocket.CloseError{Code: websocket.CloseGoingAway, Text: "server shutting down"}, *ce); diff != "" {
			t.Errorf("client %d close mismatch (-want +got):\n%s", i, diff)
		}
	}
	if err := ts.srv.Close(ctx); err != nil {
		t.Errorf("second Close: %v", err)
	}
	// The httptest listener is still open: the handshake is refused with 503.
	conn, resp, err := dialer(dialOptions{}).Dial(ts.url+streamsvc.PathBlocks, nil)
	if err == nil {
		conn.Close()
		t.Fatal("Dial after Close succeeded")
	}
	if resp == nil {
		t.Fatalf("Dial after Close: %v, want an HTTP refusal", err)
	}
	defer resp.Body.Close()
	checkErrorResponse(t, resp, http.StatusServiceUnavailable)
}

// TestStartServesUntilClose runs the server on its own listener: it streams
// and refuses plain HTTP, and after Close it sent 1001 and the port no
// longer accepts connections.
func TestStartServesUntilClose(t *testing.T) {
	log := newLog(t, 16)
	srv, err := streamsvc.New(streamsvc.Config{Log: log, Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if a := srv.Addr(); a != nil {
		t.Errorf("Addr before Start = %v, want nil", a)
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		_ = srv.Close(ctx)
	})
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	addr := srv.Addr()
	if addr == nil {
		t.Fatal("Addr after Start = nil")
	}
	url := "ws://" + addr.String() + streamsvc.PathBlocks

	c := dial(t, url, dialOptions{})
	c.sync(t)
	b := makeBlock(1, 1)
	if _, err := log.Append(b); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantBlockMsgs(b), decodeAll[blockMsg](t, c.collect(t, 1))); diff != "" {
		t.Errorf("valid_blocks mismatch (-want +got):\n%s", diff)
	}

	httpc := &http.Client{Timeout: waitTimeout}
	resp, err := httpc.Get("http://" + addr.String() + streamsvc.PathBlocks)
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	checkErrorResponse(t, resp, http.StatusBadRequest)
	resp.Body.Close()
	httpc.CloseIdleConnections()

	if err := srv.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	_, err = c.end(t)
	wantCloseError(t, err, websocket.CloseGoingAway, "server shutting down")

	conn, resp, err := dialer(dialOptions{}).Dial(url, nil)
	if err == nil {
		conn.Close()
		t.Fatal("Dial after Close succeeded")
	}
	if resp != nil {
		resp.Body.Close()
		t.Fatalf("Dial after Close got HTTP %d, want the connection refused", resp.StatusCode)
	}
	if err := srv.Start(); err == nil {
		t.Error("Start after Close succeeded, want an error")
	}
}

// TestNewRejectsBadConfig checks New's validation.
func TestNewRejectsBadConfig(t *testing.T) {
	log := newLog(t, 4)
	tests := []struct {
		name string
		cfg  streamsvc.Config
	}{
		{"no log", streamsvc.Config{}},
		{"negative write timeout", streamsvc.Config{Log: log, WriteTimeout: -time.Second}},
		{"negative ping interval", streamsvc.Config{Log: log, PingInterval: -1}},
		{"negative pong timeout", streamsvc.Config{Log: log, PongTimeout: -1}},
		{"negative handshake timeout", streamsvc.Config{Log: log, HandshakeTimeout: -1}},
		{"origin without scheme", streamsvc.Config{Log: log, AllowedOrigins: []string{"app.example.com"}}},
		{"origin without host", streamsvc.Config{Log: log, AllowedOrigins: []string{"https://"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if srv, err := streamsvc.New(tt.cfg); err == nil {
				_ = srv.Close(context.Background())
				t.Fatal("New succeeded, want an error")
			}
		})
	}
}

// TestLogGapClosesWithPolicyViolation checks that a subscriber whose next
// block vanished because the log restarted after a gap in heights is told
// so with 1008, never left waiting for heights that will not come.
// sourceFunc is a hand-written events.Source.
type sourceFunc func(h int64) (*events.Block, error)

func (f sourceFunc) Block(h int64) (*events.Block, error) { return f(h) }

// A gap in the heights handed to the log is filled from its Source: the
// subscriber gets every height in order and is never told a false "pruned".
func TestLogGapIsFilledFromTheSource(t *testing.T) {
	src := sourceFunc(func(h int64) (*events.Block, error) { return makeBlock(h, 1), nil })
	ts := startServer(t, streamsvc.Config{}, serverOptions{source: src})
	c := dial(t, ts.url+streamsvc.PathBlocks, dialOptions{})
	c.sync(t)
	first := makeBlocks(1, 2, func(int64) int { return 1 })
	ts.append(t, first...)
	if diff := cmp.Diff(wantBlockMsgs(first...), decodeAll[blockMsg](t, c.collect(t, 2))); diff != "" {
		t.Errorf("valid_blocks mismatch (-want +got):\n%s", diff)
	}
	// Heights 3..9 were never handed over: the log says so (degraded) and
	// fills them.
	if _, err := ts.log.Append(makeBlock(10, 1)); !errors.Is(err, events.ErrDegraded) {
		t.Fatalf("Append after a gap: %v, want ErrDegraded", err)
	}
	want := wantBlockMsgs(makeBlocks(3, 8, func(int64) int { return 1 })...)
	if diff := cmp.Diff(want, decodeAll[blockMsg](t, c.collect(t, 8))); diff != "" {
		t.Errorf("valid_blocks after the gap mismatch (-want +got):\n%s", diff)
	}
}
