// Package testport hands out listen ports to tests, from below the
// kernel's ephemeral range (32768-60999 on Linux): a port found free with
// ":0" can be taken by any outgoing connection (a client, the node's own)
// between the check and the server's bind, which made tests fail with
// "address already in use". Each process starts at an offset of its own
// in a range and never hands a port out twice.
package testport

import (
	"fmt"
	"net"
	"os"
	"sync"
	"testing"
)

// Range is a range of ports [low, high) to hand out.
type Range struct {
	low, high int

	mu   sync.Mutex
	next int
	used map[int]bool
}

// NewRange returns the ports from low up to high. Test binaries that run
// at once use ranges of their own.
func NewRange(low, high int) *Range { return &Range{low: low, high: high} }

// Free returns a port nothing listens on, never the same twice.
func (r *Range) Free(t testing.TB) int {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.used == nil {
		r.used = map[int]bool{}
		r.next = r.low + os.Getpid()%(r.high-r.low)
	}
	for range r.high - r.low {
		p := r.next
		if r.next++; r.next == r.high {
			r.next = r.low
		}
		if r.used[p] {
			continue
		}
		if !canListen(p) {
			continue
		}
		r.used[p] = true
		return p
	}
	t.Fatalf("no free port in %d-%d", r.low, r.high-1)
	return 0
}

// Block reserves n consecutive free ports and returns the first (a
// testnet's nodes take consecutive ports).
func (r *Range) Block(t testing.TB, n int) int {
	t.Helper()
	r.Free(t) // sets the process's offset
	r.mu.Lock()
	defer r.mu.Unlock()
	for base := r.next; base+n <= r.high; base++ {
		ok := true
		for p := base; p < base+n && ok; p++ {
			ok = !r.used[p] && canListen(p)
		}
		if !ok {
			continue
		}
		for p := base; p < base+n; p++ {
			r.used[p] = true
		}
		r.next = base + n
		return base
	}
	t.Fatalf("no %d consecutive free ports in %d-%d", n, r.low, r.high-1)
	return 0
}

func canListen(port int) bool {
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return false
	}
	_ = ln.Close()
	return true
}
