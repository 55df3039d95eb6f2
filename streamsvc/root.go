package streamsvc

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/cometstream/cometstream/explorer"
)

// RootConfig configures the Web API root documents.
type RootConfig struct {
	// AdvertisedURL is the stream base URL clients are told to use, e.g.
	// ws://localhost:9985. Empty when the stream is disabled: the streams
	// keys are then left out. It is never taken from the request, since a
	// Host header is the client's view, not the node's.
	AdvertisedURL string
	// Software, Version and Docs fill the GET / document. Software defaults
	// to "cometstream", Docs to the project's README.
	Software string
	Version  string
	Docs     string
}

// ValidateAdvertisedURL checks a stream URL before it is advertised: a ws or
// wss scheme, a host, no path, and not a wildcard bind address such as
// 0.0.0.0, which no client can connect to.
func ValidateAdvertisedURL(raw string) error {
	if !utf8.ValidString(raw) {
		// JSON would turn the bad bytes into U+FFFD: clients would get
		// another URL.
		return fmt.Errorf("advertised stream URL %q: not valid UTF-8", raw)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("advertised stream URL %q: %w", raw, err)
	}
	if u.Scheme != "ws" && u.Scheme != "wss" {
		return fmt.Errorf("advertised stream URL %q: scheme must be ws or wss", raw)
	}
	host := u.Hostname()
	if host == "" {
		return fmt.Errorf("advertised stream URL %q: no host", raw)
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		return fmt.Errorf("advertised stream URL %q: %s is a bind address, not one clients can reach; advertise the node's host name or IP", raw, host)
	}
	// A '?' or '#', even with nothing after it, would hide the stream path
	// appended to this URL.
	if u.Path != "" && u.Path != "/" || strings.ContainsAny(raw, "?#") || u.User != nil {
		return fmt.Errorf("advertised stream URL %q: give only scheme://host[:port]", raw)
	}
	return nil
}

// NewRootHandler serves GET / and GET /api/v1[/]: the API root documents
// Planetmint clients read to find the streams. With the stream advertised
// it also serves the live page (package explorer) under /explorer/, where
// a browser opening / is sent. Other paths get 404 JSON.
func NewRootHandler(cfg RootConfig) (http.Handler, error) {
	if cfg.AdvertisedURL != "" {
		if err := ValidateAdvertisedURL(cfg.AdvertisedURL); err != nil {
			return nil, err
		}
	}
	if cfg.Software == "" {
		cfg.Software = "cometstream"
	}
	if cfg.Docs == "" {
		cfg.Docs = "https://github.com/cometstream/cometstream#readme"
	}
	v1 := apiV1(cfg, "")
	root := map[string]any{
		"api":      map[string]any{"v1": apiV1(cfg, "/api/v1")},
		"docs":     cfg.Docs,
		"software": cfg.Software,
		"version":  cfg.Version,
	}
	var page http.Handler
	if cfg.AdvertisedURL != "" {
		p, err := explorer.New(explorer.Config{StreamURL: cfg.AdvertisedURL, Title: cfg.Software})
		if err != nil {
			return nil, err
		}
		page = p
	}
	docs := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if page != nil && (strings.HasPrefix(r.URL.Path, explorer.Prefix) || r.URL.Path+"/" == explorer.Prefix) {
			page.ServeHTTP(w, r)
			return
		}
		var doc map[string]any
		switch r.URL.Path {
		case "/":
			doc = root
		case "/api/v1", "/api/v1/":
			doc = v1
		default:
			WriteError(w, http.StatusNotFound, "Not found: "+r.URL.Path)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			WriteError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed")
			return
		}
		w.Header().Set("Access-Control-Allow-Origin", "*")
		writeJSON(w, http.StatusOK, doc)
	})
	if page == nil {
		return docs, nil
	}
	return explorer.RedirectBrowsers(docs), nil
}

// apiV1 lists the routes the node's Web API serves (package webapi), with
// Planetmint's keys and paths. Planetmint's validators is left out: it is
// not served, and a client that follows the root must not be sent to a
// 404. (assets and metadata are Planetmint 2.x's /assets/<cid> and
// /metadata/<cid>; without a CID they answer 400 saying so.)
func apiV1(cfg RootConfig, prefix string) map[string]any {
	doc := map[string]any{
		"docs":         cfg.Docs,
		"transactions": prefix + "/transactions/",
		"blocks":       prefix + "/blocks/",
		"outputs":      prefix + "/outputs/",
		"assets":       prefix + "/assets/",
		"metadata":     prefix + "/metadata/",
	}
	if cfg.AdvertisedURL != "" {
		base := strings.TrimSuffix(cfg.AdvertisedURL, "/")
		doc["streams"] = base + PathTransactions
		doc["streamedblocks"] = base + PathBlocks
		doc["streamedtxresults"] = base + PathTxResults
	}
	return doc
}
