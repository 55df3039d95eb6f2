package streamsvc_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/cometstream/cometstream/streamsvc"
)

// stillServes checks a fresh client gets the next block, proof a bad input
// hurt nobody else.
func stillServes(t *testing.T, ts *testServer, next *int64) {
	t.Helper()
	c := dial(t, ts.url+streamsvc.PathBlocks, dialOptions{})
	c.sync(t)
	b := makeBlock(*next, 1)
	*next++
	ts.append(t, b)
	if diff := diffMsgs(wantBlockMsgs(b), decodeAll[blockMsg](t, c.collect(t, 1))); diff != "" {
		t.Fatalf("a new client after the bad input (-want +got):\n%s", diff)
	}
	c.close(t)
}

// startListening runs a server with Start, as the node does (its header
// limit and handshake timeout), on a free loopback port.
func startListening(t *testing.T, cfg streamsvc.Config) *testServer {
	t.Helper()
	cfg.Log = newLog(t, 1024)
	cfg.Addr = "127.0.0.1:0"
	srv, err := streamsvc.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Errorf("Server.Close: %v", err)
		}
	})
	return &testServer{srv: srv, log: cfg.Log, url: "ws://" + srv.Addr().String()}
}

// rawExchange writes raw bytes on a new TCP connection and returns the
// first line the server answers (the HTTP status line), "" if it closed.
func rawExchange(t *testing.T, addr string, req string) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, waitTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(waitTimeout))
	if _, err := conn.Write([]byte(req)); err != nil {
		return ""
	}
	line, _ := bufio.NewReader(conn).ReadString('\n')
	return strings.TrimSpace(line)
}

// settleGoroutines waits until the goroutine count falls back to at most
// base+slack, reporting the count it settled at.
func settleGoroutines(t *testing.T, base, slack int) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for runtime.NumGoroutine() > base+slack {
		if time.Now().After(deadline) {
			t.Fatalf("goroutines: %d, started from %d", runtime.NumGoroutine(), base)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestBadInput(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(tokenFile, []byte("# ops\nsecret-token-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := startListening(t, streamsvc.Config{ReadLimit: 1024, PingInterval: 200 * time.Millisecond,
		PongTimeout: 200 * time.Millisecond, HandshakeTimeout: time.Second, AllowedOrigins: []string{"https://app.example"}})
	addr := strings.TrimPrefix(ts.url, "ws://")
	upgrade := "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	next := int64(1)
	stillServes(t, ts, &next)
	base := runtime.NumGoroutine()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"garbage request line", func(t *testing.T) {
			if got := rawExchange(t, addr, "\x16\x03\x01garbage\r\n\r\n"); !strings.Contains(got, "400") {
				t.Errorf("answer %q, want 400", got)
			}
		}},
		{"not HTTP at all", func(t *testing.T) {
			if got := rawExchange(t, addr, strings.Repeat("\x00\xff", 512)+"\r\n\r\n"); !strings.Contains(got, "400") && got != "" {
				t.Errorf("answer %q, want 400 or a closed connection", got)
			}
		}},
		{"wrong method", func(t *testing.T) {
			got := rawExchange(t, addr, "PUT "+streamsvc.PathTransactions+" HTTP/1.1\r\nHost: x\r\n"+upgrade+"\r\n")
			if !strings.Contains(got, "405") {
				t.Errorf("answer %q, want 405", got)
			}
		}},
		{"bad websocket version", func(t *testing.T) {
			got := rawExchange(t, addr, "GET "+streamsvc.PathTransactions+" HTTP/1.1\r\nHost: x\r\n"+
				strings.Replace(upgrade, "Version: 13", "Version: 7", 1)+"\r\n")
			if !strings.Contains(got, "400") && !strings.Contains(got, "426") {
				t.Errorf("answer %q, want 400 or 426", got)
			}
		}},
		{"missing key", func(t *testing.T) {
			got := rawExchange(t, addr, "GET "+streamsvc.PathTransactions+" HTTP/1.1\r\nHost: x\r\n"+
				"Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n")
			if !strings.Contains(got, "400") {
				t.Errorf("answer %q, want 400", got)
			}
		}},
		{"huge headers", func(t *testing.T) {
			got := rawExchange(t, addr, "GET "+streamsvc.PathTransactions+" HTTP/1.1\r\nHost: x\r\nX-Big: "+
				strings.Repeat("a", 64<<10)+"\r\n"+upgrade+"\r\n")
			if !strings.Contains(got, "431") && got != "" {
				t.Errorf("answer %q, want 431", got)
			}
		}},
		{"unknown subprotocol", func(t *testing.T) {
			d := websocket.Dialer{Subprotocols: []string{"graphql-ws"}, HandshakeTimeout: waitTimeout}
			c, resp, err := d.Dial(ts.url+streamsvc.PathBlocks, nil)
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			defer c.Close()
			if p := resp.Header.Get("Sec-WebSocket-Protocol"); p != "" {
				t.Errorf("server chose subprotocol %q; it speaks none", p)
			}
		}},
		{"wrong origin", func(t *testing.T) {
			_, resp, err := websocket.DefaultDialer.Dial(ts.url+streamsvc.PathBlocks, http.Header{"Origin": {"https://evil.example"}})
			if err == nil {
				t.Fatal("dial succeeded")
			}
			defer resp.Body.Close()
			checkErrorResponse(t, resp, http.StatusForbidden)
		}},
		{"oversize message", func(t *testing.T) {
			c := dial(t, ts.url+streamsvc.PathBlocks, dialOptions{})
			c.sync(t)
			if err := c.conn.WriteMessage(websocket.TextMessage, make([]byte, 4096)); err != nil {
				t.Fatal(err)
			}
			_, err := c.end(t)
			wantCloseError(t, err, websocket.CloseMessageTooBig, "")
		}},
		{"flood of text, binary and pings", func(t *testing.T) {
			c := dial(t, ts.url+streamsvc.PathBlocks, dialOptions{})
			c.sync(t)
			stop := time.Now().Add(500 * time.Millisecond)
			for i := 0; time.Now().Before(stop); i++ {
				_ = c.conn.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
				var err error
				switch i % 3 {
				case 0:
					err = c.conn.WriteMessage(websocket.TextMessage, []byte("spam"))
				case 1:
					err = c.conn.WriteMessage(websocket.BinaryMessage, []byte{1, 2, 3})
				default:
					err = c.conn.WriteControl(websocket.PingMessage, []byte("p"), time.Now().Add(100*time.Millisecond))
				}
				if err != nil {
					break // paced: the server stopped reading, our send buffer is full
				}
			}
			_ = c.conn.SetWriteDeadline(time.Time{})
			b := makeBlock(next, 1)
			next++
			ts.append(t, b)
			if diff := diffMsgs(wantBlockMsgs(b), decodeAll[blockMsg](t, c.collect(t, 1))); diff != "" {
				t.Errorf("the flooding client's stream (-want +got):\n%s", diff)
			}
		}},
		{"invalid close frame", func(t *testing.T) {
			c := dial(t, ts.url+streamsvc.PathBlocks, dialOptions{})
			c.sync(t)
			// 1005 is reserved: it must never be sent in a close frame.
			if err := c.conn.WriteControl(websocket.CloseMessage, []byte{0x03, 0xED}, time.Now().Add(time.Second)); err != nil {
				t.Fatal(err)
			}
			_, err := c.end(t)
			wantCloseError(t, err, websocket.CloseProtocolError, "")
		}},
		{"half-open: silent after the handshake", func(t *testing.T) {
			c := dial(t, ts.url+streamsvc.PathBlocks, dialOptions{noPong: true})
			_, err := c.end(t)
			wantCloseError(t, err, websocket.ClosePolicyViolation, "keep-alive timeout")
		}},
		{"half-open: connects and sends nothing", func(t *testing.T) {
			if got := rawExchange(t, addr, ""); got != "" {
				t.Errorf("answer %q to nothing", got)
			}
		}},
		{"thousands of connect and drop", func(t *testing.T) {
			for i := 0; i < 2000; i++ {
				c, _, err := websocket.DefaultDialer.Dial(ts.url+streamsvc.PathBlocks, nil)
				if err != nil {
					t.Fatalf("dial %d: %v", i, err)
				}
				_ = c.UnderlyingConn().Close()
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t)
			stillServes(t, ts, &next)
			settleGoroutines(t, base, 4)
		})
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapInuse) - int64(before.HeapInuse); grew > 16<<20 {
		t.Errorf("heap in use grew by %d KiB over the bad inputs", grew>>10)
	}
}
