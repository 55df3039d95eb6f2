package explorer_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cometstream/cometstream/explorer"
)

func TestNewValidates(t *testing.T) {
	for _, u := range []string{"", "http://localhost:9985", "ws://", "localhost:9985", "ws://a b"} {
		if _, err := explorer.New(explorer.Config{StreamURL: u}); err == nil {
			t.Errorf("StreamURL %q accepted", u)
		}
	}
}

// TestServesThePage: every file with its type, a CSP that lets the page
// reach only itself and the stream, revalidation by ETag, the config
// naming the stream, JSON errors for the rest.
func TestServesThePage(t *testing.T) {
	h, err := explorer.New(explorer.Config{StreamURL: "wss://node.example:9985", Title: "<my chain>"})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string, hdr http.Header) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		for k, v := range hdr {
			req.Header[k] = v
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	for path, ctype := range map[string]string{
		"/explorer/": "text/html", "/explorer/app.js": "text/javascript", "/explorer/style.css": "text/css", "/explorer/config.json": "application/json",
	} {
		w := get(path, nil)
		if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), ctype) {
			t.Errorf("%s: %d %q", path, w.Code, w.Header().Get("Content-Type"))
		}
		csp := w.Header().Get("Content-Security-Policy")
		if !strings.Contains(csp, "connect-src 'self' wss://node.example:9985 https://node.example:9985;") || !strings.Contains(csp, "script-src 'self';") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		etag := w.Header().Get("ETag")
		if again := get(path, http.Header{"If-None-Match": {etag}}); etag == "" || again.Code != http.StatusNotModified {
			t.Errorf("%s: revalidation with ETag %q: %d", path, etag, again.Code)
		}
	}
	page := get("/explorer/", nil).Body.String()
	if !strings.Contains(page, "&lt;my chain&gt;") || strings.Contains(page, "<my chain>") {
		t.Error("title not escaped into the page")
	}
	var conf map[string]string
	if err := json.Unmarshal(get("/explorer/config.json", nil).Body.Bytes(), &conf); err != nil || conf["stream_url"] != "wss://node.example:9985" {
		t.Errorf("config %v, %v", conf, err)
	}
	for _, path := range []string{"/explorer/index.htm", "/explorer/static/app.js", "/explorer/../go.mod", "/elsewhere"} {
		w := get(path, nil)
		var e struct {
			Message string `json:"message"`
			Status  int    `json:"status"`
		}
		if w.Code != http.StatusNotFound || json.Unmarshal(w.Body.Bytes(), &e) != nil || e.Status != 404 {
			t.Errorf("%s: %d %s", path, w.Code, w.Body)
		}
	}
	if w := get("/explorer", nil); w.Code != http.StatusMovedPermanently || w.Header().Get("Location") != explorer.Prefix {
		t.Errorf("/explorer: %d to %q", w.Code, w.Header().Get("Location"))
	}
	req := httptest.NewRequest(http.MethodPost, "/explorer/", nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: %d", w.Code)
	}
}

// TestRedirectBrowsers: a browser opening / goes to the page; clients
// asking for JSON or anything, and other paths, get the root document.
func TestRedirectBrowsers(t *testing.T) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	h := explorer.RedirectBrowsers(next)
	for _, tc := range []struct {
		path, accept string
		want         int
	}{
		{"/", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", http.StatusSeeOther},
		{"/", "application/json", http.StatusTeapot},
		{"/", "*/*", http.StatusTeapot},
		{"/", "", http.StatusTeapot},
		{"/api/v1/", "text/html", http.StatusTeapot},
	} {
		req := httptest.NewRequest(http.MethodGet, tc.path, nil)
		if tc.accept != "" {
			req.Header.Set("Accept", tc.accept)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != tc.want || (tc.want == http.StatusSeeOther && w.Header().Get("Location") != explorer.Prefix) {
			t.Errorf("%s Accept %q: %d %q", tc.path, tc.accept, w.Code, w.Header().Get("Location"))
		}
	}
}
