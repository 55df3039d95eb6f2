package httpserve_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/cometstream/cometstream/internal/httpserve"
	"github.com/cometstream/cometstream/wire"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestStartServeShutdown(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "hello") })
	s, err := httpserve.Start("127.0.0.1:0", h, httpserve.Options{ReadTimeout: time.Second, WriteTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{}}
	resp, err := client.Get("http://" + s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hello" {
		t.Errorf("body %q", body)
	}
	// Headers past net/http's own limit are still refused (by net/http,
	// in plain text: the one refusal not in JSON).
	req, _ := http.NewRequest(http.MethodGet, "http://"+s.Addr().String(), nil)
	req.Header.Set("X-Big", strings.Repeat("a", 2<<20))
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("huge header: %d, want 431", resp.StatusCode)
		}
	}
	client.CloseIdleConnections()
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	again, err := httpserve.Start(s.Addr().String(), h, httpserve.Options{})
	if err != nil {
		t.Fatalf("port not released: %v", err)
	}
	if err := again.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestSizeLimitsAnswerJSON sends oversize header fields and targets over
// raw sockets: each is refused with the JSON error body every endpoint
// uses, where net/http would write its plain-text 431, and LongTarget
// lets the requests it names through with a long target.
func TestSizeLimitsAnswerJSON(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "served") })
	s, err := httpserve.Start("127.0.0.1:0", h, httpserve.Options{ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second,
		LongTarget: func(r *http.Request) bool { return r.URL.Path == "/long" }})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Shutdown(context.Background()) }()
	long, host := strings.Repeat("q", 64<<10), "Host: x\r\n"
	tests := []struct {
		name, target, header string
		status               int
		body                 string // the whole body, or a part of the message
	}{
		{"header at the limit", "/", pad(httpserve.MaxHeaderBytes), http.StatusOK, "served"},
		{"header one byte over", "/", pad(httpserve.MaxHeaderBytes + 1), http.StatusRequestHeaderFieldsTooLarge,
			"request header fields take 16385 bytes; at most 16384"},
		{"header of 512 KiB", "/", pad(512 << 10), http.StatusRequestHeaderFieldsTooLarge, "at most 16384"},
		{"target at the limit", "/?" + strings.Repeat("q", httpserve.MaxTargetBytes-2), host, http.StatusOK, "served"},
		{"target one byte over", "/?" + strings.Repeat("q", httpserve.MaxTargetBytes-1), host, http.StatusRequestURITooLong,
			"request target of 16385 bytes; at most 16384"},
		{"long target where allowed", "/long?" + long, host, http.StatusOK, "served"},
		{"long target elsewhere", "/longer?" + long, host, http.StatusRequestURITooLong, "at most 16384"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := raw(t, s.Addr().String(), "GET "+tt.target+" HTTP/1.1\r\n"+tt.header+"\r\n")
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d (body %q)", resp.StatusCode, tt.status, body)
			}
			if tt.status == http.StatusOK {
				if body != tt.body {
					t.Errorf("body %q, want %q", body, tt.body)
				}
				return
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			var e wire.Error
			if err := json.Unmarshal([]byte(body), &e); err != nil || e.Status != tt.status || !strings.Contains(e.Message, tt.body) {
				t.Errorf("body %q (%v), want {message, status: %d} with a message containing %q", body, err, tt.status, tt.body)
			}
		})
	}
}

// pad is header fields (Host included) taking exactly n bytes as counted:
// "Name: value\r\n" each.
func pad(n int) string {
	host := "Host: x\r\n"
	return host + "X-Pad: " + strings.Repeat("p", n-len(host)-len("X-Pad: \r\n")) + "\r\n"
}

func raw(t *testing.T, addr, req string) (*http.Response, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}
