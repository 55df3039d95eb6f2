package streamsvc_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/cometstream/cometstream/streamsvc"
)

// FuzzHandshake feeds arbitrary paths, queries and headers to the stream
// handler: it never panics, and every refusal is a JSON error whose status
// is one the API documents.
func FuzzHandshake(f *testing.F) {
	f.Add(streamsvc.PathTransactions, "from_height=1", "Bearer token-0123456789abcdef", "https://app.example", "permessage-deflate")
	f.Add(streamsvc.PathBlocks, "operation=CREATE", "", "", "")
	f.Add("/x", "%zz", "Basic abc", "null", "x; y=1, permessage-deflate")
	tokens := filepath.Join(f.TempDir(), "tokens")
	if err := os.WriteFile(tokens, []byte("token-0123456789abcdef\n"), 0o600); err != nil {
		f.Fatal(err)
	}
	toks, err := streamsvc.LoadTokens(tokens)
	if err != nil {
		f.Fatal(err)
	}
	srv, err := streamsvc.New(streamsvc.Config{Log: newLog(f, 4), Tokens: toks, AllowedOrigins: []string{"https://app.example"}, EnableCompression: true})
	if err != nil {
		f.Fatal(err)
	}
	allowed := map[int]bool{400: true, 401: true, 403: true, 404: true, 405: true, 410: true, 429: true, 503: true,
		// httptest's recorder cannot be hijacked: a request that passes
		// every check ends in gorilla's upgrade error.
		500: true}
	f.Fuzz(func(t *testing.T, path, query, auth, origin, ext string) {
		req, err := http.NewRequest(http.MethodGet, "http://x/", nil)
		if err != nil {
			t.Skip()
		}
		req.URL.Path, req.URL.RawQuery = path, query
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", "websocket")
		req.Header.Set("Sec-WebSocket-Version", "13")
		req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
		req.Header.Set("Authorization", auth)
		req.Header.Set("Origin", origin)
		req.Header.Set("Sec-WebSocket-Extensions", ext)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if !allowed[rec.Code] {
			t.Fatalf("status %d for path %q query %q", rec.Code, path, query)
		}
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("status %d body %q is not JSON: %v", rec.Code, rec.Body.String(), err)
		}
	})
}
