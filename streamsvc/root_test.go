package streamsvc_test

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cometstream/cometstream/internal/fixtures"
	"github.com/cometstream/cometstream/streamsvc"
)

func startRoot(t *testing.T, cfg streamsvc.RootConfig) (base string, c *http.Client) {
	t.Helper()
	h, err := streamsvc.NewRootHandler(cfg)
	if err != nil {
		t.Fatalf("NewRootHandler(%+v): %v", cfg, err)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return hs.URL, hs.Client()
}

func fixtureDoc(t *testing.T, name string) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(fixtures.Read(name), &doc); err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	return doc
}

// getDoc GETs url (with the Host header host, when not empty) and decodes
// the JSON object it returns.
func getDoc(t *testing.T, c *http.Client, url, host string) map[string]any {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
		req.Header.Set("X-Forwarded-Host", host)
		req.Header.Set("Forwarded", "host="+host+";proto=https")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d, body %q", url, resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("GET %s: Content-Type %q, want application/json", url, ct)
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("GET %s: body %q: %v", url, body, err)
	}
	return doc
}

func keys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

// withoutDocs drops the "docs" entry, the one value that names the
// deployment rather than the API.
func withoutDocs(m map[string]any) map[string]any {
	out := maps.Clone(m)
	delete(out, "docs")
	return out
}

// unserved are the routes of Planetmint's API root that the Web API does
// not serve, and so must not advertise.
var unserved = []string{"validators"}

// servedOnly is Planetmint's /api/v1 document without the unserved routes.
func servedOnly(m map[string]any) map[string]any {
	out := maps.Clone(m)
	for _, k := range unserved {
		delete(out, k)
	}
	// Our extension: the tx_results stream, next to Planetmint's two.
	if s, ok := out["streamedblocks"].(string); ok {
		out["streamedtxresults"] = strings.TrimSuffix(s, "valid_blocks") + "tx_results"
	}
	return out
}

// TestRootAPIV1MatchesPlanetmint checks GET /api/v1/ (with and without the
// slash, GET and a Host header that must not matter) against Planetmint's
// own response: the same keys and the same values but docs, less the
// routes the Web API does not serve.
func TestRootAPIV1MatchesPlanetmint(t *testing.T) {
	base, c := startRoot(t, streamsvc.RootConfig{AdvertisedURL: "ws://localhost:9985"})
	want := servedOnly(fixtureDoc(t, "planetmint-api-v1-response.json"))
	tests := []struct {
		name, path, host string
	}{
		{"trailing slash", "/api/v1/", ""},
		{"no trailing slash", "/api/v1", ""},
		{"foreign Host header", "/api/v1/", "evil.example.com:443"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := getDoc(t, c, base+tt.path, tt.host)
			if diff := cmp.Diff(keys(want), keys(got)); diff != "" {
				t.Errorf("keys mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(withoutDocs(want), withoutDocs(got)); diff != "" {
				t.Errorf("values mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRootDocumentMatchesPlanetmint checks GET / against Planetmint's: the
// same top-level keys, and under api.v1 the /api/v1 document with every
// path prefixed.
func TestRootDocumentMatchesPlanetmint(t *testing.T) {
	cfg := streamsvc.RootConfig{AdvertisedURL: "ws://localhost:9985", Software: "cometstream-test", Version: "9.9.9", Docs: "https://docs.example.com/"}
	base, c := startRoot(t, cfg)
	want := fixtureDoc(t, "planetmint-api-root-response.json")
	for _, host := range []string{"", "evil.example.com"} {
		got := getDoc(t, c, base+"/", host)
		if diff := cmp.Diff(keys(want), keys(got)); diff != "" {
			t.Errorf("Host %q: keys mismatch (-want +got):\n%s", host, diff)
		}
		wantV1 := servedOnly(want["api"].(map[string]any)["v1"].(map[string]any))
		api, _ := got["api"].(map[string]any)
		gotV1, _ := api["v1"].(map[string]any)
		if diff := cmp.Diff(keys(api), []string{"v1"}); diff != "" {
			t.Errorf("Host %q: api keys mismatch (-want +got):\n%s", host, diff)
		}
		if diff := cmp.Diff(withoutDocs(wantV1), withoutDocs(gotV1)); diff != "" {
			t.Errorf("Host %q: api.v1 mismatch (-want +got):\n%s", host, diff)
		}
		wantMeta := map[string]any{"docs": cfg.Docs, "software": cfg.Software, "version": cfg.Version}
		gotMeta := map[string]any{"docs": got["docs"], "software": got["software"], "version": got["version"]}
		if diff := cmp.Diff(wantMeta, gotMeta); diff != "" {
			t.Errorf("Host %q: metadata mismatch (-want +got):\n%s", host, diff)
		}
	}
}

// TestRootDefaults checks the documented defaults of Software and Docs.
func TestRootDefaults(t *testing.T) {
	base, c := startRoot(t, streamsvc.RootConfig{AdvertisedURL: "ws://localhost:9985"})
	got := getDoc(t, c, base+"/", "")
	if got["software"] != "cometstream" {
		t.Errorf("software %v, want cometstream", got["software"])
	}
	if docs, _ := got["docs"].(string); !strings.HasPrefix(docs, "https://") {
		t.Errorf("docs %v, want an https URL", got["docs"])
	}
}

// TestRootAdvertisedURL checks how the streams URLs are built: a trailing
// slash is not doubled, wss is kept, and with no advertised URL the streams
// keys are left out.
func TestRootAdvertisedURL(t *testing.T) {
	tests := []struct {
		name       string
		advertised string
		want       map[string]any // streams keys of /api/v1/
	}{
		{"default", "ws://localhost:9985", map[string]any{
			"streams":           "ws://localhost:9985/api/v1/streams/valid_transactions",
			"streamedblocks":    "ws://localhost:9985/api/v1/streams/valid_blocks",
			"streamedtxresults": "ws://localhost:9985/api/v1/streams/tx_results",
		}},
		{"trailing slash", "ws://localhost:9985/", map[string]any{
			"streams":           "ws://localhost:9985/api/v1/streams/valid_transactions",
			"streamedblocks":    "ws://localhost:9985/api/v1/streams/valid_blocks",
			"streamedtxresults": "ws://localhost:9985/api/v1/streams/tx_results",
		}},
		{"wss default port", "wss://stream.example.com", map[string]any{
			"streams":           "wss://stream.example.com/api/v1/streams/valid_transactions",
			"streamedblocks":    "wss://stream.example.com/api/v1/streams/valid_blocks",
			"streamedtxresults": "wss://stream.example.com/api/v1/streams/tx_results",
		}},
		{"IPv6", "ws://[2001:db8::1]:9985", map[string]any{
			"streams":           "ws://[2001:db8::1]:9985/api/v1/streams/valid_transactions",
			"streamedblocks":    "ws://[2001:db8::1]:9985/api/v1/streams/valid_blocks",
			"streamedtxresults": "ws://[2001:db8::1]:9985/api/v1/streams/tx_results",
		}},
		{"stream disabled", "", map[string]any{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, c := startRoot(t, streamsvc.RootConfig{AdvertisedURL: tt.advertised})
			v1 := getDoc(t, c, base+"/api/v1/", "")
			root := getDoc(t, c, base+"/", "")
			rootV1, _ := root["api"].(map[string]any)["v1"].(map[string]any)
			for name, doc := range map[string]map[string]any{"/api/v1/": v1, "/ api.v1": rootV1} {
				got := map[string]any{}
				for _, k := range []string{"streams", "streamedblocks", "streamedtxresults"} {
					if v, ok := doc[k]; ok {
						got[k] = v
					}
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("%s streams mismatch (-want +got):\n%s", name, diff)
				}
			}
		})
	}
}

// TestRootRefusals checks unknown paths (404) and methods (405): JSON
// error bodies, and HEAD, which is allowed.
func TestRootRefusals(t *testing.T) {
	base, c := startRoot(t, streamsvc.RootConfig{AdvertisedURL: "ws://localhost:9985"})
	tests := []struct {
		name, method, path string
		want               int
	}{
		{"unknown path", http.MethodGet, "/api/v2/", http.StatusNotFound},
		{"transactions not served here", http.MethodGet, "/api/v1/transactions/", http.StatusNotFound},
		{"stream path", http.MethodGet, streamsvc.PathTransactions, http.StatusNotFound},
		{"POST api v1", http.MethodPost, "/api/v1/", http.StatusMethodNotAllowed},
		{"PUT root", http.MethodPut, "/", http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, base+tt.path, strings.NewReader("{}"))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			checkErrorResponse(t, resp, tt.want)
			if tt.want == http.StatusMethodNotAllowed && resp.Header.Get("Allow") == "" {
				t.Error("405 without an Allow header")
			}
		})
	}
	t.Run("HEAD", func(t *testing.T) {
		resp, err := c.Head(base + "/api/v1/")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("HEAD status %d, want 200", resp.StatusCode)
		}
	})
}

// validateCases are shared by the table test and the fuzz seed corpus.
var validateCases = []struct {
	raw string
	ok  bool
}{
	{"ws://localhost:9985", true},
	{"ws://localhost:9985/", true},
	{"wss://example.com", true},
	{"ws://127.0.0.1:9985", true},
	{"ws://[::1]:9985", true},
	{"WS://LOCALHOST:9985", true},
	{"ws://0.0.0.0:9985", false},
	{"ws://[::]:9985", false},
	{"ws://[::ffff:0.0.0.0]:9985", false},
	{"http://x", false},
	{"https://example.com", false},
	{"localhost:9985", false},
	{"ws://", false},
	{"ws:///path", false},
	{"ws://host/path", false},
	{"ws://host/api/v1/streams/valid_transactions", false},
	{"ws://host?x=1", false},
	{"ws://user:pw@host", false},
	{"ws://host#frag", false},
	{"ws://host#", false},
	{"ws://host?", false},
	{"ws://host/%2F", false},
	{"", false},
	{"ws://host:port", false},
	{"ws://ho st", false},
	{"ws://\xd8", false},
}

// TestValidateAdvertisedURL checks which stream URLs may be advertised.
func TestValidateAdvertisedURL(t *testing.T) {
	for _, tt := range validateCases {
		t.Run(tt.raw, func(t *testing.T) {
			err := streamsvc.ValidateAdvertisedURL(tt.raw)
			if (err == nil) != tt.ok {
				t.Errorf("ValidateAdvertisedURL(%q) = %v, want ok=%v", tt.raw, err, tt.ok)
			}
		})
	}
}

// TestNewRootHandlerRejectsBindAddress checks that the classic
// misconfiguration, advertising the 0.0.0.0 bind address, is refused
// rather than sent to clients.
func TestNewRootHandlerRejectsBindAddress(t *testing.T) {
	for _, raw := range []string{"ws://0.0.0.0:9985", "ws://[::]:9985", "http://localhost:9985"} {
		if h, err := streamsvc.NewRootHandler(streamsvc.RootConfig{AdvertisedURL: raw}); err == nil || h != nil {
			t.Errorf("NewRootHandler(%q) = %v, %v; want nil, an error", raw, h, err)
		}
	}
}

// TestRootServesTheLivePage: with the stream advertised the root handler
// serves the live page under /explorer/ and sends a browser opening / to
// it; JSON clients keep the root document; with the stream off there is
// no page.
func TestRootServesTheLivePage(t *testing.T) {
	do := func(h http.Handler, path, accept string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Accept", accept)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	on, err := streamsvc.NewRootHandler(streamsvc.RootConfig{AdvertisedURL: "ws://localhost:9985"})
	if err != nil {
		t.Fatal(err)
	}
	const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	if w := do(on, "/", browser); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/explorer/" {
		t.Errorf("browser at /: %d %q", w.Code, w.Header().Get("Location"))
	}
	if w := do(on, "/", "application/json"); w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		t.Errorf("client at /: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	if w := do(on, "/explorer/", browser); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `<script src="app.js">`) {
		t.Errorf("/explorer/: %d", w.Code)
	}
	if w := do(on, "/explorer/config.json", "*/*"); !strings.Contains(w.Body.String(), `"stream_url":"ws://localhost:9985"`) {
		t.Errorf("config: %s", w.Body)
	}
	off, err := streamsvc.NewRootHandler(streamsvc.RootConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if w := do(off, "/", browser); w.Code != http.StatusOK {
		t.Errorf("browser at / with the stream off: %d, want the root document", w.Code)
	}
	if w := do(off, "/explorer/", browser); w.Code != http.StatusNotFound {
		t.Errorf("/explorer/ with the stream off: %d", w.Code)
	}
}
