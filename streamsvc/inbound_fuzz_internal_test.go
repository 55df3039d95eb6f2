package streamsvc

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzInbound feeds arbitrary bytes to the client frame reader, with and
// without permessage-deflate: on every input it must end, with a client
// close, a failure whose code is one the server sends (1002, 1007, 1009)
// with a reason that fits a close frame, or the input's end.
func FuzzInbound(f *testing.F) {
	mask := func(first byte, p []byte) []byte {
		out := append([]byte{first, 0x80 | byte(len(p))}, 1, 2, 3, 4)
		for i, b := range p {
			out = append(out, b^[]byte{1, 2, 3, 4}[i%4])
		}
		return out
	}
	f.Add(mask(0x81, []byte("hello")), false)
	f.Add(mask(0x89, []byte("ping")), false)
	f.Add(append(mask(0x01, []byte("a")), mask(0x80, []byte("b"))...), false)
	f.Add(mask(0x88, []byte{0x03, 0xe8, 'b', 'y', 'e'}), false)
	f.Add(mask(0xC1, []byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}), true) // "Hello"
	f.Add([]byte{0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}, false)
	f.Fuzz(func(t *testing.T, data []byte, deflate bool) {
		const limit = 1024
		in := &inbound{conn: bytes.NewReader(data), deflate: deflate, limit: limit,
			alive: func() {}, ping: func(p []byte) {
				if len(p) > maxControlPayload {
					t.Fatalf("ping payload of %d bytes", len(p))
				}
			}}
		for range len(data) + 1 { // each message takes at least 6 bytes
			err := in.discardMessage()
			if err == nil {
				continue
			}
			var f *failure
			var pc *peerClose
			switch {
			case errors.As(err, &f):
				if f.code != 1002 && f.code != 1007 && f.code != 1009 || len(f.reason) > 123 {
					t.Fatalf("failure %d %q", f.code, f.reason)
				}
			case errors.As(err, &pc):
			case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			default:
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		t.Fatalf("%d bytes read as more than %d messages", len(data), len(data)+1)
	})
}
