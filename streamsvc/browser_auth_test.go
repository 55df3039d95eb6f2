package streamsvc_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/cometstream/cometstream/streamsvc"
)

// TestAccessTokenInQuery: a browser's WebSocket and EventSource cannot
// send Authorization, so the token may come as access_token in the query,
// escaped or not; a wrong one, an empty one and one given both ways are
// refused with 401, and the stream's own parameters still apply.
func TestAccessTokenInQuery(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens")
	const token = "browser+token/0123456789="
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tokens, err := streamsvc.LoadTokens(path)
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, streamsvc.Config{Tokens: tokens}, serverOptions{})
	ts.append(t, makeBlocks(1, 3, func(int64) int { return 1 })...)
	base := ts.url + streamsvc.PathBlocks
	bearer := http.Header{"Authorization": {"Bearer " + token}}
	for _, tc := range []struct {
		name   string
		query  string
		header http.Header
		status int
	}{
		{"escaped", "access_token=" + url.QueryEscape(token) + "&from_height=2", nil, 0},
		{"after the stream's parameters", "from_height=2&access_token=" + url.QueryEscape(token), nil, 0},
		{"wrong", "access_token=not-the-token-0123456789", nil, http.StatusUnauthorized},
		{"empty", "access_token=", nil, http.StatusUnauthorized},
		{"bad escape", "access_token=%zz", nil, http.StatusUnauthorized},
		{"both ways", "access_token=" + url.QueryEscape(token), bearer, http.StatusUnauthorized},
		{"repeated", "access_token=" + url.QueryEscape(token) + "&access_token=x", nil, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, resp, err := websocket.DefaultDialer.Dial(base+"?"+tc.query, tc.header)
			if tc.status != 0 {
				if err == nil {
					c.Close()
					t.Fatal("accepted")
				}
				checkErrorResponse(t, resp, tc.status)
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			defer c.Close()
			var b blockMsg
			if err := c.ReadJSON(&b); err != nil || b.Height != 2 {
				t.Fatalf("first block %+v, %v: want height 2 (from_height applies)", b, err)
			}
		})
	}
	// The same on an event stream, as an EventSource would open it.
	req, _ := http.NewRequest(http.MethodGet, "http"+strings.TrimPrefix(base, "ws")+"?from_height=3&access_token="+url.QueryEscape(token), nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("event stream with access_token: %s", resp.Status)
	}
}

// TestCORS: a page of another origin (the explorer, on the Web API's
// port) may read an event stream and a refusal, and gets its preflight
// answered; with AllowedOrigins, only those origins, named back.
func TestCORS(t *testing.T) {
	for _, tc := range []struct {
		name    string
		allowed []string
		origin  string
		want    string // Access-Control-Allow-Origin
	}{
		{"any origin", nil, "http://127.0.0.1:9984", "*"},
		{"listed origin", []string{"http://explorer.example"}, "http://explorer.example", "http://explorer.example"},
		{"unlisted origin", []string{"http://explorer.example"}, "http://evil.example", ""},
		{"no origin", nil, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, streamsvc.Config{AllowedOrigins: tc.allowed}, serverOptions{})
			u := "http" + strings.TrimPrefix(ts.url, "ws") + streamsvc.PathTransactions
			do := func(method, query string, h http.Header) *http.Response {
				t.Helper()
				req, _ := http.NewRequest(method, u+query, nil)
				req.Header = h
				if tc.origin != "" {
					req.Header.Set("Origin", tc.origin)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if got := resp.Header.Get("Access-Control-Allow-Origin"); got != tc.want {
					t.Errorf("%s %s: Access-Control-Allow-Origin %q, want %q", method, query, got, tc.want)
				}
				return resp
			}
			pre := do(http.MethodOptions, "", http.Header{"Access-Control-Request-Method": {"GET"},
				"Access-Control-Request-Headers": {"last-event-id"}})
			if tc.want != "" && (pre.StatusCode != http.StatusNoContent || !strings.Contains(pre.Header.Get("Access-Control-Allow-Headers"), "Last-Event-ID")) {
				t.Errorf("preflight: %s, allow headers %q", pre.Status, pre.Header.Get("Access-Control-Allow-Headers"))
			}
			want := http.StatusBadRequest
			if tc.want == "" && tc.origin != "" {
				want = http.StatusForbidden
			}
			if r := do(http.MethodGet, "?from_height=x", http.Header{"Accept": {"text/event-stream"}}); r.StatusCode != want {
				t.Errorf("bad query: %s", r.Status)
			}
		})
	}
}
