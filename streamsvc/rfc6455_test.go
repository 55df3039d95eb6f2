package streamsvc_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/cometstream/cometstream/streamsvc"
)

// TestClientFramesChecked sends, over a raw socket, frames that break RFC
// 6455 or RFC 7692 (or read_limit) and checks the server answers each
// with a close frame whose code says why, then closes the connection.
// The "accepted" cases are the legitimate neighbours of the failures: the
// server must still read them and answer a ping after them.
func TestClientFramesChecked(t *testing.T) {
	const limit = 4096
	ts := startListening(t, streamsvc.Config{ReadLimit: limit, EnableCompression: true})
	addr := strings.TrimPrefix(ts.url, "ws://")
	huge := deflate(t, make([]byte, 1<<20)) // ~1 KiB on the wire, 1 MiB inflated
	atLimit := deflate(t, bytes.Repeat([]byte("stream"), limit/6))
	var fragments [][]byte
	for i := 0; i < len(huge); i += 64 {
		first := byte(0x00)
		if i == 0 {
			first = 0x41 // text, RSV1, not final
		}
		if i+64 >= len(huge) {
			fragments = append(fragments, frame(first|0x80, huge[i:]))
			break
		}
		fragments = append(fragments, frame(first, huge[i:i+64]))
	}
	half := len(atLimit) / 2

	tests := []struct {
		name    string
		deflate bool // the client offers permessage-deflate
		send    [][]byte
		code    int // 0: accepted
		reason  string
	}{
		{"RSV1 on a ping", true, [][]byte{frame(0xC9, []byte("p"))}, 1002, "RSV1 set on a control frame"},
		{"RSV1 on a pong", true, [][]byte{frame(0xCA, nil)}, 1002, "RSV1 set on a control frame"},
		{"RSV1 on a continuation", true, [][]byte{frame(0x41, atLimit[:half]), frame(0xC0, atLimit[half:])}, 1002,
			"RSV1 set on a continuation frame"},
		{"corrupt deflate data", true, [][]byte{frame(0xC1, []byte{0x07, 0x00, 0x01})}, 1007, "invalid compressed data"},
		{"compressed message inflating past read_limit", true, [][]byte{frame(0xC1, huge)}, 1009, "read_limit (4096 bytes)"},
		{"fragmented compressed message inflating past read_limit", true, fragments, 1009, "read_limit"},
		{"compressed frame claiming far more than read_limit", true, [][]byte{lengthHeader(0xC1, 1<<40)}, 1009, "read_limit"},
		{"compressed message at read_limit", true, [][]byte{frame(0xC1, atLimit)}, 0, ""},
		{"ping inside a fragmented compressed message", true,
			[][]byte{frame(0x41, atLimit[:half]), frame(0x89, []byte("inside")), frame(0x80, atLimit[half:])}, 0, ""},
		{"RSV1 without permessage-deflate", false, [][]byte{frame(0xC1, atLimit)}, 1002, "RSV1 set without permessage-deflate"},
		{"length with its most significant bit set", false, [][]byte{lengthHeader(0x82, 1<<63)}, 1002, "most significant bit"},
		{"length with every bit set", false, [][]byte{lengthHeader(0x82, 1<<64-1)}, 1002, "most significant bit"},
		{"length over read_limit", false, [][]byte{lengthHeader(0x82, 1<<62)}, 1009, "read_limit"},
		{"fragments adding up past read_limit", false,
			[][]byte{frame(0x02, make([]byte, limit/2)), frame(0x00, make([]byte, limit/2)), frame(0x80, []byte{1})}, 1009, "read_limit"},
		{"close frame with a 1-byte payload", false, [][]byte{frame(0x88, []byte{0x03})}, 1002, "1-byte payload"},
		{"close code 1005 sent", false, [][]byte{frame(0x88, []byte{0x03, 0xED})}, 1002, "close code 1005"},
		{"close reason not UTF-8", false, [][]byte{frame(0x88, []byte{0x03, 0xE8, 0xFF})}, 1007, "UTF-8"},
		{"unknown opcode", false, [][]byte{frame(0x83, nil)}, 1002, "unknown opcode 3"},
		{"fragmented ping", false, [][]byte{frame(0x09, nil)}, 1002, "fragmented control frame"},
		{"ping payload over 125 bytes", false, [][]byte{frame(0x89, make([]byte, 126))}, 1002, "over 125 bytes"},
		{"continuation outside a message", false, [][]byte{frame(0x80, []byte("x"))}, 1002, "continuation frame outside"},
		{"new message inside a fragmented one", false, [][]byte{frame(0x01, []byte("a")), frame(0x81, []byte("b"))}, 1002,
			"inside a fragmented one"},
		{"RSV2 set", false, [][]byte{frame(0xA1, []byte("x"))}, 1002, "RSV2 or RSV3"},
		{"unmasked frame", false, [][]byte{{0x81, 0x02, 'h', 'i'}}, 1002, "masked"},
		{"message at read_limit", false, [][]byte{frame(0x82, make([]byte, limit))}, 0, ""},
		{"fragmented message with a ping inside", false,
			[][]byte{frame(0x01, []byte("a")), frame(0x89, []byte("inside")), frame(0x80, []byte("b"))}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			extra := ""
			if tt.deflate {
				extra = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
			}
			c, h := rawUpgrade(t, addr, streamsvc.PathBlocks, extra)
			if got := strings.Contains(h.Get("Sec-WebSocket-Extensions"), "permessage-deflate"); got != tt.deflate {
				t.Fatalf("permessage-deflate negotiated: %v, want %v", got, tt.deflate)
			}
			c.send(t, tt.send...)
			if tt.code == 0 {
				c.expectPong(t, "after")
				return
			}
			c.expectClose(t, tt.code, tt.reason)
		})
	}
}

// TestHandshakeDetails covers RFC 6455 rules of the opening handshake
// over a raw socket: each refusal is an HTTP status with the JSON body.
func TestHandshakeDetails(t *testing.T) {
	ts := startListening(t, streamsvc.Config{})
	addr := strings.TrimPrefix(ts.url, "ws://")
	key := "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
	tests := []struct {
		name, req   string
		want        int
		wantVersion string // the Sec-WebSocket-Version answered
	}{
		{"version 8 (RFC 6455 4.4: 426 naming 13)",
			"GET " + streamsvc.PathBlocks + " HTTP/1.1\r\nHost: x\r\n" + key + "Sec-WebSocket-Version: 8\r\n\r\n",
			http.StatusUpgradeRequired, "13"},
		{"no version", "GET " + streamsvc.PathBlocks + " HTTP/1.1\r\nHost: x\r\n" + key + "\r\n", http.StatusUpgradeRequired, "13"},
		{"HTTP/1.0 upgrade (RFC 6455 4.2.1)",
			"GET " + streamsvc.PathBlocks + " HTTP/1.0\r\nHost: x\r\n" + key + "Sec-WebSocket-Version: 13\r\n\r\n",
			http.StatusBadRequest, ""},
		{"escaped slashes are not the stream path",
			"GET /api%2Fv1%2Fstreams%2Fvalid_transactions HTTP/1.1\r\nHost: x\r\n" + key + "Sec-WebSocket-Version: 13\r\n\r\n",
			http.StatusNotFound, ""},
		{"escaped slash in the stream name",
			"GET /api/v1/streams%2Fvalid_blocks HTTP/1.1\r\nHost: x\r\n" + key + "Sec-WebSocket-Version: 13\r\n\r\n",
			http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, resp := rawRequest(t, addr, tt.req)
			defer resp.Body.Close()
			checkErrorResponse(t, resp, tt.want)
			if got := resp.Header.Get("Sec-WebSocket-Version"); got != tt.wantVersion {
				t.Errorf("Sec-WebSocket-Version %q, want %q", got, tt.wantVersion)
			}
			if got := resp.Header.Get("Upgrade"); tt.want == http.StatusUpgradeRequired && got != "websocket" {
				t.Errorf("426 with Upgrade %q, want websocket", got)
			}
		})
	}
	// The same request with version 13 over HTTP/1.1 is upgraded.
	c, _ := rawUpgrade(t, addr, streamsvc.PathBlocks, "")
	c.expectPong(t, "ok")
}
