package client_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/cometstream/cometstream/client"
	"github.com/cometstream/cometstream/events"
)

// framer is a TCP proxy that forwards, on its i-th connection, only the
// first limits[i] text frames the server sends, then cuts the connection:
// where a stream breaks is then the test's choice, not the scheduler's.
type framer struct {
	ln     net.Listener
	to     string
	limits []int // per connection; past the list, no limit
	wg     sync.WaitGroup
	mu     sync.Mutex
	n      int
	conns  []net.Conn
}

func newFramer(t *testing.T, to string, limits ...int) *framer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &framer{ln: ln, to: to, limits: limits}
	f.wg.Add(1)
	go f.accept()
	t.Cleanup(func() {
		_ = ln.Close()
		f.mu.Lock()
		for _, c := range f.conns {
			_ = c.Close()
		}
		f.mu.Unlock()
		f.wg.Wait()
	})
	return f
}

func (f *framer) accept() {
	defer f.wg.Done()
	for {
		in, err := f.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", f.to)
		if err != nil {
			_ = in.Close()
			continue
		}
		f.mu.Lock()
		limit := -1
		if f.n < len(f.limits) {
			limit = f.limits[f.n]
		}
		f.n++
		f.conns = append(f.conns, in, out)
		f.mu.Unlock()
		f.wg.Add(2)
		go func() { defer f.wg.Done(); _, _ = io.Copy(out, in); _ = out.Close() }()
		go func() {
			defer f.wg.Done()
			forwardFrames(in, out, limit)
			_ = in.Close()
			_ = out.Close()
		}()
	}
}

// forwardFrames copies the server's handshake answer, then its frames one
// by one, until limit text frames went through (-1: no limit).
func forwardFrames(dst io.Writer, src io.Reader, limit int) {
	r := bufio.NewReader(src)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		if _, err := io.WriteString(dst, line); err != nil || line == "\r\n" {
			break
		}
	}
	for sent := 0; limit < 0 || sent < limit; {
		var h [2]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			return
		}
		hdr := h[:]
		n := uint64(h[1] & 0x7f)
		switch n {
		case 126:
			var b [2]byte
			if _, err := io.ReadFull(r, b[:]); err != nil {
				return
			}
			n, hdr = uint64(binary.BigEndian.Uint16(b[:])), append(hdr, b[:]...)
		case 127:
			var b [8]byte
			if _, err := io.ReadFull(r, b[:]); err != nil {
				return
			}
			n, hdr = binary.BigEndian.Uint64(b[:]), append(hdr, b[:]...)
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(r, payload); err != nil {
			return
		}
		if _, err := dst.Write(append(hdr, payload...)); err != nil {
			return
		}
		if h[0]&0x0f == 0x1 {
			sent++
		}
	}
}

// resultBlock has n transactions; the one at index 1 failed, and each
// names its recipient in a transfer event.
func resultBlock(h int64, n int) *events.Block {
	b := &events.Block{Height: h, Hash: []byte{byte(h)}, HasResults: true}
	for i := range n {
		tx := fmt.Appendf(nil, "h%d-tx%d", h, i)
		sum := sha256.Sum256(tx)
		r := events.TxResult{Index: uint32(i), Hash: sum[:], Events: []events.ABCIEvent{{Type: "transfer",
			Attributes: []events.ABCIAttribute{{Key: "recipient", Value: fmt.Sprintf("r%d", i%2)}}}}}
		if i == 1 {
			r.Code = 5
		}
		b.Results = append(b.Results, r)
	}
	return b
}

// The Go client reads tx_results from a real stream server, with a query,
// and delivers each result exactly once, in order, across a connection cut
// in the middle of a block: the new connection resumes at that block and
// the results it had delivered are dropped.
func TestTxResultsExactlyOnceAcrossCuts(t *testing.T) {
	node, log := startNode(t)
	for h := int64(1); h <= 3; h++ {
		if _, err := log.Append(resultBlock(h, 4)); err != nil {
			t.Fatal(err)
		}
	}
	// The first connection breaks after 3 of the 6 matching results (1/0,
	// 1/2, 2/0), the second after 3 more (2/0 again, 2/2, 3/0).
	proxy := newFramer(t, strings.TrimPrefix(node, "ws://"), 3, 3)

	if _, err := client.New(client.Config{URLs: []string{"ws://x"}, Query: "a.b='c'"}); err == nil {
		t.Error("Query without TxResults: no error")
	}
	if _, err := client.New(client.Config{URLs: []string{"ws://x"}, TxResults: true, Query: "a.b="}); err == nil {
		t.Error("malformed Query: no error")
	}
	c, err := client.New(client.Config{URLs: []string{"ws://" + proxy.ln.Addr().String()}, TxResults: true,
		Query: "transfer.recipient='r0'", FromHeight: 1})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	errDone := errors.New("done")
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	err = c.Run(ctx, func(e client.Event) error {
		if e.Result == nil {
			return fmt.Errorf("event %+v is no tx result", e)
		}
		got = append(got, fmt.Sprintf("%d/%d", e.Result.Height, e.Result.Index))
		if len(got) == 6 {
			return errDone
		}
		return nil
	})
	if !errors.Is(err, errDone) {
		t.Fatalf("Run: %v (got %v)", err, got)
	}
	want := "1/0 1/2 2/0 2/2 3/0 3/2"
	if strings.Join(got, " ") != want {
		t.Errorf("delivered %v, want %s once each", got, want)
	}
	proxy.mu.Lock()
	conns := proxy.n
	proxy.mu.Unlock()
	if conns < 3 {
		t.Errorf("%d connections, want 3 (two cut mid-stream)", conns)
	}
}
