package bench_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/cometstream/cometstream/bench"
	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/streamsvc"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestTxFramesAreWhatTheServerSends holds the floor's bytes equal to a real
// stream server's, so that the floor writes exactly the same load.
func TestTxFramesAreWhatTheServerSends(t *testing.T) {
	store, err := events.NewMemStore(16)
	if err != nil {
		t.Fatal(err)
	}
	log, err := events.NewLog(store, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := streamsvc.New(streamsvc.Config{Log: log, Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Error(err)
		}
	}()

	conn, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	req := "GET " + streamsvc.PathTransactions + " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("handshake: %v", err)
		}
		if strings.HasPrefix(line, "HTTP/1.1 ") && !strings.Contains(line, " 101 ") {
			t.Fatalf("handshake answer %q", line)
		}
		if line == "\r\n" {
			break
		}
	}

	// Blocks of 3, 1 and 200 transactions, one with ids the server must
	// escape and a transaction without asset ids.
	odd := bench.SyntheticBlock("odd", 0, 3)
	odd.Txs[1].AssetIDs = []string{"a<b>&\"c\\", "é\n"}
	odd.Txs[2].AssetIDs = nil
	for _, blk := range []*events.Block{bench.SyntheticBlock("test", 0, 3), bench.SyntheticBlock("test", 0, 1),
		bench.SyntheticBlock("test", 0, 200), odd} {
		txs := len(blk.Txs)
		_, newest := log.Bounds()
		blk.Height = newest + 1
		want := bench.TxFrames(blk)
		if _, err := log.Append(blk); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(want))
		if _, err := io.ReadFull(r, got); err != nil {
			t.Fatalf("read block %d: %v", blk.Height, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("block %d (%d txs): server sent\n%q\nTxFrames made\n%q", blk.Height, txs, got, want)
		}
	}
}

func TestPercentile(t *testing.T) {
	xs := []float64{5, 1, 4, 2, 3, 6, 7, 8, 9, 10}
	for _, c := range []struct{ p, want float64 }{{50, 5}, {99, 10}, {100, 10}, {10, 1}, {1, 1}} {
		if got := bench.Percentile(xs, c.p); got != c.want {
			t.Errorf("Percentile(%v) = %v, want %v", c.p, got, c.want)
		}
	}
}
