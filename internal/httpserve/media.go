package httpserve

import (
	"net/http"
	"strings"
)

// HasMediaType reports whether the comma-separated header name lists
// media (parameters such as ;q= ignored): an Accept asking for an event
// stream, or for HTML.
func HasMediaType(h http.Header, name, media string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			t, _, _ = strings.Cut(t, ";")
			if strings.EqualFold(strings.TrimSpace(t), media) {
				return true
			}
		}
	}
	return false
}
