package streamsvc

import (
	"net/http"
	"strings"
)

// cors lets pages of other origins read the event streams, as the Web API
// root lets them read it: a page on the Web API's port (the explorer) is
// another origin than the stream's port. A WebSocket needs none of this
// (its handshake is checked against AllowedOrigins alone); an EventSource,
// and a fetch that reads a refusal's JSON, need Access-Control-Allow-Origin
// on the answer, and a preflight is answered when a browser sends one
// (an Authorization or Last-Event-ID header from script). It reports
// whether it answered the request itself (a preflight).
func (s *Server) cors(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || !s.originAllowed(origin) {
		return false // no header: the browser refuses the answer to the page
	}
	h := w.Header()
	if len(s.cfg.AllowedOrigins) == 0 {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
	}
	h.Set("Access-Control-Expose-Headers", HeaderNextHeight)
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	if !strings.EqualFold(r.Header.Get("Access-Control-Request-Method"), http.MethodGet) {
		s.refuse(w, &refusal{http.StatusMethodNotAllowed, "streams accept only GET", "method"})
		return true
	}
	h.Set("Access-Control-Allow-Methods", http.MethodGet)
	h.Set("Access-Control-Allow-Headers", "Authorization, Last-Event-ID")
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
	return true
}
