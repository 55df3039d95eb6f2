package streamsvc_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
)

// BenchmarkSSEFanOut is BenchmarkFanOut for event-stream subscribers: a
// block from Append to the last subscriber holding all of its events, for
// 1 and 100 subscribers on valid_transactions and blocks of 100 and 1,000
// transactions.
func BenchmarkSSEFanOut(b *testing.B) {
	for _, txs := range []int{100, 1000} {
		for _, subs := range []int{1, 100} {
			b.Run(fmt.Sprintf("txs=%d/subs=%d", txs, subs), func(b *testing.B) {
				fanOut(b, txs, subs, (*benchEnv).connectSSE)
			})
		}
	}
}

// connectSSE opens n event streams on path; each calls got.Done each time
// it has read perBlock more events.
func (e *benchEnv) connectSSE(b *testing.B, path string, n, perBlock int, got *sync.WaitGroup) {
	b.Helper()
	for range n {
		conn, err := net.Dial("tcp", e.addr)
		if err != nil {
			b.Fatal(err)
		}
		fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n", path)
		r := bufio.NewReaderSize(conn, 64<<10)
		status, err := r.ReadString('\n')
		if err != nil || !strings.Contains(status, " 200 ") {
			b.Fatalf("event stream: %q, %v", status, err)
		}
		e.conns = append(e.conns, conn)
		e.clients.Add(1)
		go func() {
			defer e.clients.Done()
			seen := 0
			for {
				line, err := r.ReadSlice('\n')
				if err != nil {
					return
				}
				// Chunk sizes and the header are lines too; only events
				// start with "data: " at a line's start.
				if bytes.HasPrefix(line, []byte("data: ")) {
					if seen++; seen == perBlock {
						seen = 0
						got.Done()
					}
				}
			}
		}()
	}
}
