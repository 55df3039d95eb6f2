package httpserve

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/cometstream/cometstream/wire"
)

// Request size limits. net/http answers a request over its MaxHeaderBytes
// with a plain-text 431 before any handler runs, so its limit (hardLimit)
// is set well above the ones the handler answers in JSON (MaxHeaderBytes,
// MaxTargetBytes). Only a request over hardLimit still gets net/http's
// text; it is net/http's own default, and bounds what one connection
// makes the server buffer while its header is read.
const (
	// MaxHeaderBytes bounds a request's header fields, the request line
	// aside: 431 JSON beyond.
	MaxHeaderBytes = 16 << 10
	// MaxTargetBytes bounds a request target (path and query): 414 JSON
	// beyond, except for requests Options.LongTarget names.
	MaxTargetBytes = 16 << 10
	// hardLimit bounds request line and header fields together, as
	// http.Server.MaxHeaderBytes does.
	hardLimit = http.DefaultMaxHeaderBytes
)

// limits answers requests over MaxHeaderBytes or MaxTargetBytes with the
// JSON error body every endpoint uses, and a connection close.
func limits(h http.Handler, o Options) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o.AnyOrigin {
			w.Header().Set("Access-Control-Allow-Origin", "*")
		}
		if n := headerBytes(r); n > MaxHeaderBytes {
			refuse(w, http.StatusRequestHeaderFieldsTooLarge,
				fmt.Sprintf("request header fields take %d bytes; at most %d", n, MaxHeaderBytes))
			return
		}
		if n := len(r.RequestURI); n > MaxTargetBytes && (o.LongTarget == nil || !o.LongTarget(r)) {
			refuse(w, http.StatusRequestURITooLong, fmt.Sprintf("request target of %d bytes; at most %d", n, MaxTargetBytes))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// headerBytes is the size of r's header fields as sent: "Name: value\r\n"
// each, Host (which net/http moves out of r.Header) included.
func headerBytes(r *http.Request) int {
	n := len("Host: \r\n") + len(r.Host)
	for name, values := range r.Header {
		for _, v := range values {
			n += len(name) + len(": \r\n") + len(v)
		}
	}
	return n
}

func refuse(w http.ResponseWriter, status int, message string) {
	body, _ := json.Marshal(wire.Error{Message: message, Status: status}) // cannot fail
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Connection", "close")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
