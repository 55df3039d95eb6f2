//go:build testnet

package integration_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/cometstream/cometstream/streamsvc"
)

const (
	idleSubscribers = 2000
	rateWindow      = 8 * time.Second
	dialParallelism = 50
)

// testnetManySubscribers measures how many blocks the network makes in a
// window, then connects thousands of subscribers to one validator (both
// streams, all reading) and one stalled client (a tiny receive buffer,
// never read, replaying from height 1), and checks that the network makes
// at least half as many blocks in an equal window, and that every
// subscriber is still served.
func testnetManySubscribers(t *testing.T, tn *tnNet, target *tnNode) {
	before := blocksIn(t, tn, rateWindow)

	subs := newSubscribers()
	t.Cleanup(subs.close)
	began := time.Now()
	subs.open(t, target.StreamURL, idleSubscribers)
	t.Logf("%d subscribers connected to %s in %v", idleSubscribers, target.Name, time.Since(began).Round(time.Millisecond))
	stalled := dialStalled(t, target.StreamURL+streamsvc.PathTransactions+"?from_height=1")
	defer stalled.Close()

	mark := subs.snapshot()
	during := blocksIn(t, tn, rateWindow)
	t.Logf("blocks in %v: %d before, %d with %d subscribers and a stalled client on %s", rateWindow, before, during, idleSubscribers, target.Name)
	if before < 4 {
		t.Fatalf("only %d blocks in %v before the subscribers: the network is too slow to measure", before, rateWindow)
	}
	if during*2 < before {
		t.Errorf("the network slowed from %d to %d blocks per %v with %d subscribers on %s", before, during, rateWindow, idleSubscribers, target.Name)
	}
	if closed := subs.closed.Load(); closed > 0 {
		t.Errorf("%d of %d subscribers were disconnected", closed, idleSubscribers)
	}
	if idle := subs.idleSince(mark); idle > 0 {
		t.Errorf("%d of %d subscribers got no message in %v", idle, idleSubscribers, rateWindow)
	}
}

// blocksIn returns how many heights the network advanced in d, and logs
// the CPU time each process spent meanwhile.
func blocksIn(t *testing.T, tn *tnNet, d time.Duration) int64 {
	t.Helper()
	h0 := tn.height()
	cpu0 := cpuTimes(tn)
	time.Sleep(d)
	h := tn.height() - h0
	cpu1 := cpuTimes(tn)
	var parts []string
	for i, name := range cpu1.names {
		parts = append(parts, fmt.Sprintf("%s %.2fs", name, (cpu1.secs[i]-cpu0.secs[i])))
	}
	t.Logf("%d blocks in %v; CPU time: %s", h, d, strings.Join(parts, ", "))
	return h
}

type cpuSample struct {
	names []string
	secs  []float64
}

// cpuTimes reads the user+system CPU time of each node process and of
// this one from /proc (0 where it cannot).
func cpuTimes(tn *tnNet) cpuSample {
	var s cpuSample
	read := func(name string, pid int) {
		secs := 0.0
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
			// Fields after the command name (which may hold spaces): utime
			// and stime are the 12th and 13th.
			if i := strings.LastIndexByte(string(b), ')'); i > 0 {
				f := strings.Fields(string(b)[i+1:])
				if len(f) > 12 {
					ut, _ := strconv.ParseFloat(f[11], 64)
					st, _ := strconv.ParseFloat(f[12], 64)
					secs = (ut + st) / 100 // USER_HZ
				}
			}
		}
		s.names = append(s.names, name)
		s.secs = append(s.secs, secs)
	}
	for _, n := range tn.nodes {
		read(n.Name, n.pid())
	}
	read("test", os.Getpid())
	return s
}

// subscribers are WebSocket connections, each read by its own goroutine
// that counts and discards messages (answering pings as it reads).
type subscribers struct {
	mu     sync.Mutex
	conns  []*websocket.Conn
	counts []*atomic.Int64
	closed atomic.Int64 // readers that ended before close
	done   bool
	wg     sync.WaitGroup
}

func newSubscribers() *subscribers { return &subscribers{} }

// open connects n subscribers to base: three in four on valid_blocks, the
// others on valid_transactions filtered to TRANSFERs. Every subscriber
// costs the node the same bookkeeping; the filter spares this process,
// which shares the machine's two cores with the network, from reading a
// thousand copies of every transaction.
func (s *subscribers) open(t *testing.T, base string, n int) {
	t.Helper()
	dialer := &websocket.Dialer{HandshakeTimeout: 20 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 1024}
	sem := make(chan struct{}, dialParallelism)
	errs := make(chan error, n)
	var dials sync.WaitGroup
	for i := range n {
		url := base + streamsvc.PathBlocks
		if i%4 == 3 {
			url = base + streamsvc.PathTransactions + "?operation=TRANSFER"
		}
		dials.Add(1)
		sem <- struct{}{}
		go func() {
			defer dials.Done()
			defer func() { <-sem }()
			c, _, err := dialer.Dial(url, nil)
			if err != nil {
				errs <- err
				return
			}
			s.add(c)
		}()
	}
	dials.Wait()
	close(errs)
	failed := 0
	var first error
	for err := range errs {
		if first == nil {
			first = err
		}
		failed++
	}
	if failed > 0 {
		t.Fatalf("%d of %d subscribers could not connect, first: %v", failed, n, first)
	}
}

func (s *subscribers) add(c *websocket.Conn) {
	count := &atomic.Int64{}
	s.mu.Lock()
	s.conns = append(s.conns, c)
	s.counts = append(s.counts, count)
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			_, r, err := c.NextReader()
			if err != nil {
				s.mu.Lock()
				if !s.done {
					s.closed.Add(1)
				}
				s.mu.Unlock()
				return
			}
			_, _ = io.Copy(io.Discard, r)
			count.Add(1)
		}
	}()
}

// snapshot returns each subscriber's message count.
func (s *subscribers) snapshot() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]int64, len(s.counts))
	for i, c := range s.counts {
		out[i] = c.Load()
	}
	return out
}

// idleSince counts the subscribers that got nothing since the snapshot.
func (s *subscribers) idleSince(mark []int64) int {
	now := s.snapshot()
	idle := 0
	for i := range mark {
		if now[i] == mark[i] {
			idle++
		}
	}
	return idle
}

// close closes every connection and waits for the readers.
func (s *subscribers) close() {
	s.mu.Lock()
	s.done = true
	conns := s.conns
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
	s.wg.Wait()
}

// dialStalled opens a subscription that is never read, with a receive
// buffer as small as the kernel allows, so the server's writes to it block.
func dialStalled(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	nd := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 1024)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	d := &websocket.Dialer{HandshakeTimeout: 10 * time.Second, NetDialContext: nd.DialContext}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := d.DialContext(ctx, url, nil)
	if err != nil {
		t.Fatalf("stalled client: %v", err)
	}
	return c
}
