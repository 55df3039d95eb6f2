package streamsvc

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/websocket"

	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/wire"
)

// handleStream checks the request before upgrading it, so that every refusal
// is an HTTP status with a JSON body the client can read, and counts it.
func (s *Server) handleStream(w http.ResponseWriter, r *http.Request, path string) {
	if ref := s.check(r, path); ref != nil {
		s.refuse(w, ref)
		return
	}
	q, err := ParseQuery(path, r.URL.RawQuery)
	if err != nil {
		s.refuse(w, &refusal{http.StatusBadRequest, err.Error(), "bad_query"})
		return
	}
	// The reader is placed before the 101 response goes out, so a client
	// that has seen its handshake complete receives every block committed
	// after that moment.
	reader, done, ok := s.open(w, r, q)
	if !ok {
		return
	}
	var header http.Header
	if next := reader.NextHeight(); next > 0 {
		header = http.Header{HeaderNextHeight: []string{strconv.FormatInt(next, 10)}}
	}
	conn, err := s.upgrader.Upgrade(w, r, header)
	if err != nil {
		done()
		s.metrics.Refused.WithLabelValues("handshake").Inc()
		s.logger.Debug("handshake failed", "remote", r.RemoteAddr, "error", err)
		return
	}
	caches := s.streams[path]
	cache, deflate := caches.plain, s.cfg.EnableCompression && offersDeflate(r.Header)
	if deflate {
		cache = caches.deflate
	}
	stream := strings.TrimPrefix(path, wire.StreamPrefix)
	sub := newSubscriber(s, conn, reader, q, cache, deflate, stream, s.nextID.Add(1))
	s.track(sub, true)
	s.startWaker()
	s.metrics.Connections.WithLabelValues(stream).Inc()
	go func() {
		defer done()
		defer s.metrics.Connections.WithLabelValues(stream).Dec()
		defer s.track(sub, false)
		reason := sub.run()
		s.metrics.Closed.WithLabelValues(reason).Inc()
	}()
}

// open places q's reader in the log and admits the subscriber (the 410
// for a pruned height, the connection caps, a shutdown), or answers the
// refusal and returns ok false. done gives the admission back; call it
// once the subscriber ends.
func (s *Server) open(w http.ResponseWriter, r *http.Request, q Query) (reader *events.Reader, done func(), ok bool) {
	reader = s.cfg.Log.NewReader(q.FromHeight)
	if oldest, _ := s.cfg.Log.Bounds(); q.FromHeight > 0 && oldest > 0 && q.FromHeight < oldest {
		s.metrics.Refused.WithLabelValues("gone").Inc()
		writeJSON(w, http.StatusGone, wire.Gone(q.FromHeight, oldest))
		return nil, nil, false
	}
	ip := clientIP(r)
	if ref := s.admit.admit(ip); ref != nil {
		s.refuse(w, ref)
		return nil, nil, false
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.admit.release(ip)
		s.refuse(w, &refusal{http.StatusServiceUnavailable, "server is shutting down", "shutdown"})
		return nil, nil, false
	}
	s.subs.Add(1)
	s.mu.Unlock()
	return reader, func() { s.admit.release(ip); s.subs.Done() }, true
}

// check applies the rules that need no query parsing: path (escaped),
// method, protocol version, upgrade, origin and token.
func (s *Server) check(r *http.Request, path string) *refusal {
	switch {
	case !wire.IsStreamPath(path):
		return &refusal{http.StatusNotFound, wire.NoStream(path), "not_found"}
	case r.Method != http.MethodGet:
		return &refusal{http.StatusMethodNotAllowed, "streams accept only GET with a WebSocket upgrade", "method"}
	case !r.ProtoAtLeast(1, 1):
		// RFC 6455 4.2.1: the handshake is an HTTP/1.1 request or later.
		return &refusal{http.StatusBadRequest, "a WebSocket handshake needs HTTP/1.1, not " + r.Proto, "not_websocket"}
	case !websocket.IsWebSocketUpgrade(r):
		return &refusal{http.StatusBadRequest, "this is a WebSocket stream: connect with a WebSocket client (Upgrade: websocket)", "not_websocket"}
	case !hasToken(r.Header, "Sec-Websocket-Version", websocketVersion):
		// RFC 6455 4.4: say which version the server speaks.
		return &refusal{http.StatusUpgradeRequired, "unsupported WebSocket version " + strconv.Quote(r.Header.Get("Sec-Websocket-Version")) +
			"; this server speaks version " + websocketVersion, "version"}
	case !s.originAllowed(r.Header.Get("Origin")):
		return &refusal{http.StatusForbidden, "origin not allowed", "origin"}
	}
	if s.cfg.Tokens != nil {
		if err := s.cfg.Tokens.check(r); err != nil {
			return &refusal{http.StatusUnauthorized, err.Error(), "unauthorized"}
		}
	}
	return nil
}

func (s *Server) refuse(w http.ResponseWriter, ref *refusal) {
	s.metrics.Refused.WithLabelValues(ref.reason).Inc()
	switch ref.status {
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", http.MethodGet)
	case http.StatusUpgradeRequired:
		// RFC 9110 15.5.22 asks a 426 for the protocol to upgrade to.
		w.Header().Set("Upgrade", "websocket")
		w.Header().Set("Sec-WebSocket-Version", websocketVersion)
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="cometstream"`)
	case http.StatusServiceUnavailable, http.StatusTooManyRequests:
		w.Header().Set("Retry-After", "5")
	}
	WriteError(w, ref.status, ref.message)
}

// HeaderNextHeight is wire.HeaderNextHeight: on a successful upgrade, the
// height of the first block the subscription delivers.
const HeaderNextHeight = wire.HeaderNextHeight

func (s *Server) track(sub *subscriber, add bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		s.active[sub] = struct{}{}
	} else {
		delete(s.active, sub)
	}
}

func (s *Server) originAllowed(origin string) bool {
	if origin == "" || len(s.cfg.AllowedOrigins) == 0 {
		return true
	}
	for _, o := range s.cfg.AllowedOrigins {
		if strings.EqualFold(o, origin) {
			return true
		}
	}
	return false
}

// websocketVersion is the one version of RFC 6455 (4.1, 11.6).
const websocketVersion = "13"

// hasToken reports whether a comma-separated header lists token (any
// case), as gorilla's Upgrade tests it.
func hasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
