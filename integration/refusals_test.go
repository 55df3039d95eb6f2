package integration_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cometstream/cometstream/wire"
)

// TestRefusalsOnTheNode sends, over raw sockets, the bad requests of issue
// 11 (items 5 and 7) to a node's two ports as the node assembles them:
// each gets a JSON error, and the streams' documented filter cap is
// reachable. The slow body waits for the Web API's read timeout (10 s).
func TestRefusalsOnTheNode(t *testing.T) {
	n := startNode(t, testConfig(t, t.TempDir()))
	api, stream := n.cfg.WebAPI.ListenAddr, n.cfg.Stream.ListenAddr
	upgrade := "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	ids := func(k int) string {
		out := make([]string, k)
		for i := range out {
			out[i] = fmt.Sprintf("%064x", i)
		}
		return strings.Join(out, ",")
	}
	big := "X-Big: " + strings.Repeat("a", 32<<10) + "\r\n"
	tests := []struct {
		name, addr, req string
		status          int
		want            string // in the message
	}{
		{"Web API: header fields over 16 KiB", api, "GET /api/v1/ HTTP/1.1\r\nHost: x\r\n" + big + "\r\n",
			http.StatusRequestHeaderFieldsTooLarge, "at most 16384"},
		{"stream: header fields over 16 KiB", stream, "GET " + wire.PathBlocks + " HTTP/1.1\r\nHost: x\r\n" + upgrade + big + "\r\n",
			http.StatusRequestHeaderFieldsTooLarge, "at most 16384"},
		{"Web API: dot-dot in the path", api, "GET /api/v1/blocks/../outputs HTTP/1.1\r\nHost: x\r\n\r\n",
			http.StatusBadRequest, "not canonical"},
		{"Web API: double slash in the path", api, "GET /api//v1/ HTTP/1.1\r\nHost: x\r\n\r\n",
			http.StatusBadRequest, "not canonical"},
		{"stream: 1,025 asset ids", stream, "GET " + wire.PathTransactions + "?asset_id=" + ids(1025) + " HTTP/1.1\r\nHost: x\r\n" + upgrade + "\r\n",
			http.StatusBadRequest, "lists 1025 values; at most 1024"},
		{"stream: 10,000 asset ids", stream, "GET " + wire.PathTransactions + "?asset_id=" + ids(10000) + " HTTP/1.1\r\nHost: x\r\n" + upgrade + "\r\n",
			http.StatusBadRequest, "lists 10000 values; at most 1024"},
		{"Web API: a body that never arrives", api, "POST /api/v1/transactions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
			"Content-Length: 1000\r\n\r\n{\"id\":", http.StatusRequestTimeout, "not received within"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := rawHTTP(t, tt.addr, tt.req)
			var e wire.Error
			if err := json.Unmarshal(body, &e); err != nil || resp.StatusCode != tt.status || e.Status != tt.status ||
				resp.Header.Get("Content-Type") != "application/json" || !strings.Contains(e.Message, tt.want) {
				t.Fatalf("%s %q (Content-Type %q), want %d JSON with a message containing %q", resp.Status, body,
					resp.Header.Get("Content-Type"), tt.status, tt.want)
			}
			if strings.Contains(string(body), "127.0.0.1") {
				t.Errorf("body %q names a socket address", body)
			}
		})
	}
	t.Run("stream: 1,024 asset ids", func(t *testing.T) {
		resp, body := rawHTTP(t, stream, "GET "+wire.PathTransactions+"?asset_id="+ids(1024)+" HTTP/1.1\r\nHost: x\r\n"+upgrade+"\r\n")
		if resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("%s %q, want 101", resp.Status, body)
		}
	})
}

// rawHTTP writes req on a new connection and reads the response; a 101's
// body is not read.
func rawHTTP(t *testing.T, addr, req string) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return resp, nil
	}
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}
