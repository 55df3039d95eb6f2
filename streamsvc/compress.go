package streamsvc

import (
	"bytes"
	"compress/flate"
	"net/http"
	"strings"
	"sync"
)

// permessage-deflate (RFC 7692). gorilla negotiates it with no context
// takeover on either side, so every message is compressed on its own: a
// block's compressed frames can be made once and shared by every
// subscriber that negotiated compression, like the plain ones.

var flaters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.BestSpeed)
	return w
}}

// appendDeflatedFrame appends payload as a compressed text frame (RSV1 set).
func appendDeflatedFrame(dst, payload []byte) []byte {
	var buf bytes.Buffer
	w := flaters.Get().(*flate.Writer)
	w.Reset(&buf)
	_, _ = w.Write(payload) // a bytes.Buffer does not fail
	_ = w.Flush()
	flaters.Put(w)
	// A sync flush ends with 00 00 FF FF, which the receiver appends
	// itself (RFC 7692 7.2.1).
	out := bytes.TrimSuffix(buf.Bytes(), []byte{0x00, 0x00, 0xff, 0xff})
	return append(appendHeader(dst, 0xC1, len(out)), out...)
}

// offersDeflate reports whether the client offered permessage-deflate,
// which gorilla accepts whenever the upgrader enables compression: the
// same test gorilla makes, on the extension names of every header value.
func offersDeflate(h http.Header) bool {
	for _, v := range h.Values("Sec-Websocket-Extensions") {
		for _, ext := range strings.Split(v, ",") {
			name, _, _ := strings.Cut(ext, ";")
			if strings.TrimSpace(name) == "permessage-deflate" {
				return true
			}
		}
	}
	return false
}
