package streamsvc_test

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/cometstream/cometstream/streamsvc"
)

// FuzzValidateAdvertisedURL checks, for any operator-supplied string, that
// validation never panics, that NewRootHandler agrees with it, and that an
// accepted URL yields stream URLs clients can use: ws or wss, a host that
// is not a bind address, and exactly the stream path, with nothing (query,
// fragment, user info) that would hide or change it.
func FuzzValidateAdvertisedURL(f *testing.F) {
	for _, tt := range validateCases {
		f.Add(tt.raw)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		err := streamsvc.ValidateAdvertisedURL(raw)
		h, herr := streamsvc.NewRootHandler(streamsvc.RootConfig{AdvertisedURL: raw})
		if raw == "" {
			// Empty is not a URL, but it is how the stream is disabled.
			if err == nil || herr != nil {
				t.Fatalf("empty URL: ValidateAdvertisedURL = %v, NewRootHandler = %v; want an error and nil", err, herr)
			}
			return
		}
		if (err == nil) != (herr == nil) {
			t.Fatalf("%q: ValidateAdvertisedURL = %v but NewRootHandler = %v", raw, err, herr)
		}
		if err != nil {
			return
		}
		u, perr := url.Parse(raw)
		if perr != nil {
			t.Fatalf("%q accepted but does not parse: %v", raw, perr)
		}
		checkStreamURL(t, raw, u, "", "")

		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/", nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("%q: GET /api/v1/ status %d", raw, rec.Code)
		}
		var doc map[string]string
		if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
			t.Fatalf("%q: GET /api/v1/ body %q: %v", raw, rec.Body.Bytes(), err)
		}
		for key, path := range map[string]string{"streams": streamsvc.PathTransactions, "streamedblocks": streamsvc.PathBlocks} {
			s, perr := url.Parse(doc[key])
			if perr != nil {
				t.Fatalf("%q: advertised %s %q does not parse: %v", raw, key, doc[key], perr)
			}
			checkStreamURL(t, doc[key], s, u.Hostname(), u.Port())
			if s.Path != path || s.RawPath != "" {
				t.Fatalf("%q: advertised %s %q has path %q (raw %q), want %q", raw, key, doc[key], s.Path, s.RawPath, path)
			}
		}
	})
}

// checkStreamURL checks the parts of a stream URL that clients rely on;
// host and port, when not empty, must match.
func checkStreamURL(t *testing.T, raw string, u *url.URL, host, port string) {
	t.Helper()
	if u.Scheme != "ws" && u.Scheme != "wss" {
		t.Fatalf("%q: scheme %q, want ws or wss", raw, u.Scheme)
	}
	if u.Hostname() == "" {
		t.Fatalf("%q: no host", raw)
	}
	if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsUnspecified() {
		t.Fatalf("%q: unspecified address %s", raw, ip)
	}
	if host != "" && (u.Hostname() != host || u.Port() != port) {
		t.Fatalf("%q: host %q port %q, want %q %q", raw, u.Hostname(), u.Port(), host, port)
	}
	if u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.Opaque != "" {
		t.Fatalf("%q: has user info, query, fragment or opaque part: %#v", raw, u)
	}
}
