package streamsvc_test

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/internal/testcert"
	"github.com/cometstream/cometstream/streamsvc"
)

// dialFrom dials from a chosen loopback source address.
func dialFrom(src string) *websocket.Dialer {
	return &websocket.Dialer{HandshakeTimeout: waitTimeout, NetDialContext: (&net.Dialer{
		LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}).DialContext}
}

func TestConnectionCaps(t *testing.T) {
	m, err := streamsvc.NewMetrics("test", nil, newLog(t, 4))
	if err != nil {
		t.Fatal(err)
	}
	ts := startListening(t, streamsvc.Config{MaxConnections: 3, MaxConnectionsPerIP: 2, Metrics: m})
	url := ts.url + streamsvc.PathBlocks
	var open []*websocket.Conn
	for _, src := range []string{"127.0.0.1", "127.0.0.1"} {
		c, _, err := dialFrom(src).Dial(url, nil)
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, c)
	}
	_, resp, err := dialFrom("127.0.0.1").Dial(url, nil)
	if err == nil {
		t.Fatal("third connection from one address accepted")
	}
	checkErrorResponse(t, resp, http.StatusTooManyRequests)
	c, _, err := dialFrom("127.0.0.2").Dial(url, nil)
	if err != nil {
		t.Fatalf("another address refused below the global cap: %v", err)
	}
	open = append(open, c)
	_, resp, err = dialFrom("127.0.0.3").Dial(url, nil)
	if err == nil {
		t.Fatal("connection over the global cap accepted")
	}
	checkErrorResponse(t, resp, http.StatusServiceUnavailable)
	if got := testutil.ToFloat64(m.Refused.WithLabelValues("per_ip_cap")); got != 1 {
		t.Errorf("per_ip_cap refusals = %v, want 1", got)
	}
	// Slots come back when subscribers leave.
	for _, c := range open {
		_ = c.Close()
	}
	waitFor(t, func() bool {
		c, _, err := dialFrom("127.0.0.1").Dial(url, nil)
		if err == nil {
			_ = c.Close()
		}
		return err == nil
	})
}

// waitFor polls cond until it holds or waitTimeout passes.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestBearerTokens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(path, []byte("first-token-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tokens, err := streamsvc.LoadTokens(path)
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, streamsvc.Config{Tokens: tokens}, serverOptions{})
	url := ts.url + streamsvc.PathBlocks
	bearer := func(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }
	for name, h := range map[string]http.Header{
		"missing":    nil,
		"wrong":      bearer("not-the-token-0123456789"),
		"not bearer": {"Authorization": {"Basic Zmlyc3QtdG9rZW4="}},
		"empty":      bearer(""),
	} {
		_, resp, err := websocket.DefaultDialer.Dial(url, h)
		if err == nil {
			t.Fatalf("%s token accepted", name)
		}
		checkErrorResponse(t, resp, http.StatusUnauthorized)
		if resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: no WWW-Authenticate", name)
		}
	}
	c, _, err := websocket.DefaultDialer.Dial(url, bearer("first-token-0123456789"))
	if err != nil {
		t.Fatalf("valid token refused: %v", err)
	}
	c.Close()
	// Rotation: the new token works after Reload, the old one no longer.
	if err := os.WriteFile(path, []byte("second-token-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := tokens.Reload(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := websocket.DefaultDialer.Dial(url, bearer("first-token-0123456789")); err == nil {
		t.Error("rotated-out token accepted")
	}
	c, _, err = websocket.DefaultDialer.Dial(url, bearer("second-token-0123456789"))
	if err != nil {
		t.Fatalf("rotated-in token refused: %v", err)
	}
	c.Close()
	if _, err := streamsvc.LoadTokens(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("missing token file accepted")
	}
}

func TestTLS(t *testing.T) {
	cert := testcert.New(t, "127.0.0.1")
	pool := cert.Pool
	ts := startListening(t, streamsvc.Config{TLS: &tls.Config{Certificates: []tls.Certificate{cert.TLS}, MinVersion: tls.VersionTLS12}})
	wss := "wss" + ts.url[len("ws"):] + streamsvc.PathBlocks

	d := websocket.Dialer{HandshakeTimeout: waitTimeout, TLSClientConfig: &tls.Config{RootCAs: pool}}
	c, _, err := d.Dial(wss, nil)
	if err != nil {
		t.Fatalf("wss with the certificate trusted: %v", err)
	}
	defer c.Close()
	b := makeBlock(1, 2)
	ts.append(t, b)
	_ = c.SetReadDeadline(time.Now().Add(waitTimeout))
	if _, data, err := c.ReadMessage(); err != nil || len(data) == 0 {
		t.Fatalf("read over TLS: %v", err)
	}
	if _, _, err := websocket.DefaultDialer.Dial(wss, nil); err == nil {
		t.Error("untrusted certificate accepted by the client: test is wrong")
	}
	if _, _, err := websocket.DefaultDialer.Dial(ts.url+streamsvc.PathBlocks, nil); err == nil {
		t.Error("plain ws:// accepted on the TLS port")
	}
}

// TestCompression reads both streams with a client that negotiated
// permessage-deflate: gorilla decompresses our shared compressed frames.
func TestCompression(t *testing.T) {
	ts := startServer(t, streamsvc.Config{EnableCompression: true}, serverOptions{})
	for _, compress := range []bool{true, false} {
		c := dial(t, ts.url+streamsvc.PathTransactions, dialOptions{compression: compress})
		c.sync(t)
		defer c.close(t)
		blk := makeBlock(int64(map[bool]int{true: 1, false: 2}[compress]), 50)
		ts.append(t, blk)
		if diff := diffMsgs(wantTxMsgs(blk), decodeAll[txMsg](t, c.collect(t, 50))); diff != "" {
			t.Errorf("compression %v (-want +got):\n%s", compress, diff)
		}
	}
}

// TestZeroWindowClientCostsNothing publishes 100,000 events while one
// client never reads (its receive window closes) and another reads all:
// every append completes, the reader gets every event, the stalled one is
// dropped, and the heap stays bounded. Hand-off times are logged, not
// asserted (make bench measures them).
func TestZeroWindowClientCostsNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("publishes 100,000 events")
	}
	// As on the node: a durable log with 256 blocks cached in memory, so
	// the reading client may lag and catch up from disk.
	store, err := events.OpenSegmentStore(events.SegmentConfig{Dir: t.TempDir(), CacheBlocks: 256})
	if err != nil {
		t.Fatal(err)
	}
	log, _ := events.NewLog(store, nil)
	defer log.Close()
	reg := prometheus.NewRegistry()
	m, _ := streamsvc.NewMetrics("test", reg, log)
	srv, err := streamsvc.New(stallConfig(streamsvc.Config{Log: log, Metrics: m, WriteTimeout: 2 * time.Second,
		MaxLagHeights: 1 << 20, Addr: "127.0.0.1:0"}))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		_ = srv.Close(ctx)
	}()
	url := "ws://" + srv.Addr().String() + streamsvc.PathTransactions
	release := make(chan struct{})
	defer close(release)
	stalled := dial(t, url, dialOptions{recvBuffer: 4096, holdAfter: 1, release: release})
	stalled.sync(t)
	reader := dial(t, url, dialOptions{})
	reader.sync(t)

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	const blocks, perBlock = 1000, 100
	got := make(chan int, 1)
	go func() {
		n := 0
		for n < blocks*perBlock {
			select {
			case <-reader.msgs:
				n++
			case <-reader.done:
				got <- n
				return
			}
		}
		got <- n
	}()
	var slowest time.Duration
	for h := int64(1); h <= blocks; h++ {
		b := makeBlock(h, perBlock)
		start := time.Now()
		if _, err := log.Append(b); err != nil {
			t.Fatal(err)
		}
		slowest = max(slowest, time.Since(start))
	}
	if n := <-got; n != blocks*perBlock {
		t.Fatalf("the reading client got %d of %d events", n, blocks*perBlock)
	}
	// The server drops the stalled client once a write blocks past
	// WriteTimeout (its reader is held, so watch the server's side).
	waitFor(t, func() bool { return testutil.ToFloat64(m.Closed.WithLabelValues("write_failed")) == 1 })
	if sent := testutil.ToFloat64(m.Events); sent < blocks*perBlock {
		t.Errorf("events_sent_total = %v, want at least the %d the reader got", sent, blocks*perBlock)
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapInuse) - int64(before.HeapInuse)
	t.Logf("slowest Append %v; heap in use grew %d KiB", slowest, grew>>10)
	// The log keeps 256 blocks; everything else must have been released.
	if grew > 64<<20 {
		t.Errorf("heap in use grew by %d MiB", grew>>20)
	}
}
