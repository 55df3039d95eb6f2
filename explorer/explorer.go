package explorer

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cometstream/cometstream/internal/httpserve"
	"github.com/cometstream/cometstream/wire"
)

// Prefix is where the page is mounted on the Web API.
const Prefix = "/explorer/"

//go:embed static
var static embed.FS

// Config configures the page's handler.
type Config struct {
	// StreamURL is the stream's advertised base URL (ws:// or wss://,
	// scheme://host[:port]), the one the API root lists. Required.
	StreamURL string
	// Title names the page; defaults to "cometstream".
	Title string
}

// file is one embedded file, ready to serve.
type file struct {
	body  []byte
	ctype string
	etag  string
}

// Handler serves the page under Prefix.
type Handler struct {
	files map[string]file // by path under Prefix ("" is index.html)
	csp   string
}

// New validates cfg and loads the embedded files.
func New(cfg Config) (*Handler, error) {
	u, err := url.Parse(cfg.StreamURL)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return nil, fmt.Errorf("explorer: StreamURL %q: want ws:// or wss://host[:port]", cfg.StreamURL)
	}
	if cfg.Title == "" {
		cfg.Title = "cometstream"
	}
	httpScheme := "http"
	if u.Scheme == "wss" {
		httpScheme = "https"
	}
	conf, err := json.Marshal(map[string]string{"stream_url": u.Scheme + "://" + u.Host, "title": cfg.Title})
	if err != nil {
		return nil, err
	}
	h := &Handler{files: map[string]file{"config.json": newFile(conf, "application/json")}}
	for name, ctype := range map[string]string{
		"index.html": "text/html; charset=utf-8",
		"app.js":     "text/javascript; charset=utf-8",
		"style.css":  "text/css; charset=utf-8",
	} {
		body, err := static.ReadFile("static/" + name)
		if err != nil {
			return nil, fmt.Errorf("explorer: %w", err)
		}
		if name == "index.html" {
			body = bytes.ReplaceAll(body, []byte("{{title}}"), []byte(htmlEscape(cfg.Title)))
			name = ""
		}
		h.files[name] = newFile(body, ctype)
	}
	// Only the page's own files, and the stream (WebSocket and event
	// stream) plus the Web API (same origin) to connect to.
	stream := u.Scheme + "://" + u.Host + " " + httpScheme + "://" + u.Host
	h.csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' " + stream +
		"; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	return h, nil
}

func newFile(body []byte, ctype string) file {
	sum := sha256.Sum256(body)
	return file{body: body, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;").Replace(s)
}

var errNotFound = errors.New("not found")

// ServeHTTP serves GET and HEAD of the page's files (and sends /explorer
// to /explorer/); everything else under Prefix is a JSON error, as on the
// rest of the Web API.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path+"/" == Prefix {
		http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
		return
	}
	name, ok := strings.CutPrefix(r.URL.Path, Prefix)
	f, found := h.files[name]
	switch {
	case !ok || !found:
		writeError(w, http.StatusNotFound, fmt.Sprintf("%v: %s (the live page is at %s)", errNotFound, r.URL.Path, Prefix))
		return
	case r.Method != http.MethodGet && r.Method != http.MethodHead:
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed")
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", f.ctype)
	hd.Set("ETag", f.etag)
	// Revalidated on every load: a node upgrade changes the files.
	hd.Set("Cache-Control", "no-cache")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer") // the page's URL may carry a token
	hd.Set("Content-Security-Policy", h.csp)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}

// RedirectBrowsers sends a browser that opens the API root ("/", asking
// for HTML) to the page, and every other request to next: Planetmint
// clients ask for JSON (or anything) and keep getting the root document.
func RedirectBrowsers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead) && httpserve.HasMediaType(r.Header, "Accept", "text/html") {
			http.Redirect(w, r, Prefix, http.StatusSeeOther)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// writeError answers the JSON error every Web API refusal uses.
func writeError(w http.ResponseWriter, status int, message string) {
	body, _ := json.Marshal(wire.Error{Message: message, Status: status}) // strings and an int: cannot fail
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
