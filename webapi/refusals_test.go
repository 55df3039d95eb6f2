package webapi_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cometstream/cometstream/streamsvc"
	"github.com/cometstream/cometstream/webapi"
)

// rawWait bounds every wait of these tests; nothing sleeps.
const rawWait = 20 * time.Second

// startListening runs a Server with Start, as the node does (its header
// limits and timeouts), on a free loopback port, with one more route:
// POST /echo reads its body the way the transactions route does, and
// reports a failed read with the error's text.
func startListening(t *testing.T, readTimeout time.Duration) string {
	t.Helper()
	root, err := streamsvc.NewRootHandler(streamsvc.RootConfig{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := webapi.New(webapi.Config{Root: root, Addr: "127.0.0.1:0", ReadTimeout: readTimeout})
	if err != nil {
		t.Fatal(err)
	}
	s.Handle("POST /echo", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"message":%q,"status":400}`, "reading the request body failed: "+err.Error())
			return
		}
		_, _ = w.Write(body)
	}))
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), rawWait)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s.Addr().String()
}

// rawDo writes req on a new connection as given, byte for byte, and reads
// the response.
func rawDo(t *testing.T, addr, req string) response {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, rawWait)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(rawWait))
	// The server may answer, and close, before it has read all of a huge
	// request: write in the background and read the answer meanwhile.
	go func() { _, _ = io.WriteString(conn, req) }()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("read body: %v", err)
	}
	return response{resp.StatusCode, resp.Header, body}
}

// TestRefusalsAreJSON sends, over raw sockets, the requests that got
// net/http's own answers: its plain-text 431 for oversize headers or
// targets, its HTML redirect for paths with "..", "." or "//". Each must
// get the API's JSON error instead.
func TestRefusalsAreJSON(t *testing.T) {
	addr := startListening(t, 0)
	get := func(target string, headers ...string) string {
		return "GET " + target + " HTTP/1.1\r\nHost: " + addr + "\r\n" + strings.Join(headers, "") + "\r\n"
	}
	tests := []struct {
		name   string
		req    string
		status int
		want   string // in the message
	}{
		{"header fields over 16 KiB", get("/api/v1/", "X-Big: "+strings.Repeat("a", 32<<10)+"\r\n"),
			http.StatusRequestHeaderFieldsTooLarge, "at most 16384"},
		{"many header fields", get("/api/v1/", strings.Repeat("X-Many: aaaaaaaaaaaaaaaaaaaaaaaa\r\n", 1000)),
			http.StatusRequestHeaderFieldsTooLarge, "at most 16384"},
		{"header fields of 900 KiB", get("/api/v1/", "Cookie: "+strings.Repeat("c", 900<<10)+"\r\n"),
			http.StatusRequestHeaderFieldsTooLarge, "at most 16384"},
		{"target over 16 KiB", get("/api/v1/outputs?public_key=" + strings.Repeat("a", 32<<10)),
			http.StatusRequestURITooLong, "at most 16384"},
		{"dot-dot segment", get("/api/v1/blocks/../outputs"), http.StatusBadRequest, "not canonical"},
		{"dot-dot above the root", get("/../api/v1/"), http.StatusBadRequest, "not canonical"},
		{"dot segment", get("/api/v1/./transactions"), http.StatusBadRequest, "not canonical"},
		{"double slash", get("/api//v1/"), http.StatusBadRequest, "not canonical"},
		{"leading double slash", get("//api/v1/"), http.StatusBadRequest, "not canonical"},
		{"trailing double slash", get("/api/v1//"), http.StatusBadRequest, "not canonical"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rawDo(t, addr, tt.req)
			checkError(t, r, tt.status, tt.want)
			if got := r.header.Get("Access-Control-Allow-Origin"); got != "*" {
				t.Errorf("Access-Control-Allow-Origin %q, want *", got)
			}
			if got := r.header.Get("Location"); got != "" {
				t.Errorf("Location %q: a refusal, not a redirect", got)
			}
		})
	}
	// Their neighbours are served.
	for _, target := range []string{"/api/v1/", "/api/v1", "/"} {
		if r := rawDo(t, addr, get(target, "X-Fine: "+strings.Repeat("a", 8<<10)+"\r\n")); r.status != http.StatusOK {
			t.Errorf("GET %s with an 8 KiB header: %d %s", target, r.status, r.body)
		}
	}
}

// TestSlowBodyIs408 sends a request whose body never arrives in full:
// the server answers 408 with a message that names no socket address,
// whatever the route that read the body would have said.
func TestSlowBodyIs408(t *testing.T) {
	const timeout = time.Second // the header is sent at once; the body never completes
	addr := startListening(t, timeout)
	req := "POST /echo HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"partial\":"
	r := rawDo(t, addr, req)
	checkError(t, r, http.StatusRequestTimeout, "not received within 1s")
	for _, leak := range []string{"127.0.0.1", "tcp", "i/o timeout"} {
		if strings.Contains(string(r.body), leak) {
			t.Errorf("body %s names %q", r.body, leak)
		}
	}
	// A body sent whole is read as before.
	full := "POST /echo HTTP/1.1\r\nHost: " + addr + "\r\nContent-Length: 4\r\n\r\n{}{}"
	if r := rawDo(t, addr, full); r.status != http.StatusOK || string(r.body) != "{}{}" {
		t.Errorf("whole body: %d %q", r.status, r.body)
	}
}
