package streamsvc

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/websocket"

	"github.com/cometstream/cometstream/events"
)

// frameCases cover each RFC 6455 payload length encoding and its edges.
var frameCases = []struct {
	name   string
	n      int
	header []byte
}{
	{"empty", 0, []byte{0x81, 0}},
	{"125, largest 7-bit length", 125, []byte{0x81, 125}},
	{"126, smallest 16-bit length", 126, []byte{0x81, 126, 0x00, 0x7e}},
	{"65535, largest 16-bit length", 65535, []byte{0x81, 126, 0xff, 0xff}},
	{"65536, smallest 64-bit length", 65536, []byte{0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0}},
}

func payload(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = 'a' + byte(i%26)
	}
	return p
}

// TestAppendTextFrameHeader checks the exact bytes: FIN and text opcode,
// no mask bit, the shortest length encoding, the payload unchanged, and dst
// kept in front.
func TestAppendTextFrameHeader(t *testing.T) {
	for _, tt := range frameCases {
		t.Run(tt.name, func(t *testing.T) {
			prefix := []byte("earlier frames")
			p := payload(tt.n)
			got := appendTextFrame(bytes.Clone(prefix), p)
			want := append(append(bytes.Clone(prefix), tt.header...), p...)
			if !bytes.Equal(want, got) {
				n := min(len(got), len(prefix)+len(tt.header))
				t.Errorf("frame of %d bytes: got %d bytes starting %x, want %d bytes starting %x",
					tt.n, len(got), got[:n], len(want), want[:len(prefix)+len(tt.header)])
			}
		})
	}
}

// TestAppendTextFrameDecodes sends frames of every length class back to back
// over a real connection, as a subscriber's batch, and reads them with a
// gorilla client.
func TestAppendTextFrameDecodes(t *testing.T) {
	var batch []byte
	for _, tt := range frameCases {
		batch = appendTextFrame(batch, payload(tt.n))
	}

	handlerDone := make(chan struct{})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(handlerDone)
		conn, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			t.Errorf("Upgrade: %v", err)
			return
		}
		defer conn.Close()
		raw := conn.NetConn()
		_ = raw.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := raw.Write(batch); err != nil {
			t.Errorf("write batch: %v", err)
			return
		}
		msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "done")
		if err := conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(10*time.Second)); err != nil {
			t.Errorf("write close: %v", err)
			return
		}
		// Wait for the client's close reply.
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		for {
			if _, _, err := conn.NextReader(); err != nil {
				return
			}
		}
	}))
	defer hs.Close()

	conn, _, err := (&websocket.Dialer{HandshakeTimeout: 10 * time.Second}).Dial("ws"+strings.TrimPrefix(hs.URL, "http"), nil)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for _, tt := range frameCases {
		kind, got, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("%s: ReadMessage: %v", tt.name, err)
		}
		if kind != websocket.TextMessage || !bytes.Equal(got, payload(tt.n)) {
			t.Errorf("%s: got type %d with %d bytes, want text with the %d-byte payload", tt.name, kind, len(got), tt.n)
		}
	}
	_, _, err = conn.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseNormalClosure {
		t.Errorf("after the batch: %v, want the server's close frame", err)
	}
	select {
	case <-handlerDone:
	case <-time.After(10 * time.Second):
		t.Fatal("server handler did not return")
	}
}

// TestFrameCache checks that a block is encoded once however many
// subscribers ask, concurrently, and encoded again only when its slot was
// taken by another block or the log handed out a new block at that height
// (after a reset).
func TestFrameCache(t *testing.T) {
	var calls atomic.Int64
	c := newFrameCache(4, func(b *events.Block) frames {
		calls.Add(1)
		return frames{data: []byte{byte(b.Height)}}
	})
	b1 := &events.Block{Height: 1}

	var wg sync.WaitGroup
	got := make([][]byte, 8)
	for i := range got {
		wg.Go(func() { got[i] = c.get(b1).data })
	}
	wg.Wait()
	for i, g := range got {
		if diff := cmp.Diff([]byte{1}, g); diff != "" {
			t.Errorf("subscriber %d frames mismatch (-want +got):\n%s", i, diff)
		}
	}

	steps := []struct {
		name      string
		block     *events.Block
		wantCalls int64
	}{
		{"cached", b1, 1},
		{"other slot", &events.Block{Height: 2}, 2},
		{"same slot, other height", &events.Block{Height: 5}, 3},
		{"evicted", b1, 4},
		{"same height, new block", &events.Block{Height: 1}, 5},
	}
	for _, s := range steps {
		c.get(s.block)
		if n := calls.Load(); n != s.wantCalls {
			t.Errorf("%s: %d encodings so far, want %d", s.name, n, s.wantCalls)
		}
	}
}
