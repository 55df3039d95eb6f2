package events_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/cometstream/cometstream/events"
)

// waitLimit bounds every wait for another goroutine, so that a bug fails the
// test instead of hanging it. It is never slept on.
const waitLimit = 10 * time.Second

func block(h int64) *events.Block {
	id := events.RawID([]byte(strconv.FormatInt(h, 10)))
	return &events.Block{Height: h, Txs: []events.Tx{{ID: id, AssetIDs: []string{id}}}}
}

func newMemLog(t testing.TB, capacity int) *events.Log {
	t.Helper()
	s, err := events.NewMemStore(capacity)
	if err != nil {
		t.Fatalf("NewMemStore(%d): %v", capacity, err)
	}
	l, err := events.NewLog(s, nil)
	if err != nil {
		t.Fatalf("NewLog: %v", err)
	}
	return l
}

func appendRange(t testing.TB, l *events.Log, from, to int64) {
	t.Helper()
	for h := from; h <= to; h++ {
		if added, err := l.Append(block(h)); !added || err != nil {
			t.Fatalf("Append(%d) = %v, %v; want true, nil", h, added, err)
		}
	}
}

// spyStore is a MemStore that reports each Get answered with ErrNotYet, so a
// test knows a reader has found nothing and is about to wait.
type spyStore struct {
	*events.MemStore
	notYet chan int64
}

func newSpyLog(t testing.TB, capacity int) (*events.Log, *spyStore) {
	t.Helper()
	m, err := events.NewMemStore(capacity)
	if err != nil {
		t.Fatalf("NewMemStore(%d): %v", capacity, err)
	}
	s := &spyStore{MemStore: m, notYet: make(chan int64, 64)}
	l, err := events.NewLog(s, nil)
	if err != nil {
		t.Fatalf("NewLog: %v", err)
	}
	return l, s
}

func (s *spyStore) Get(h int64) (*events.Block, error) {
	b, err := s.MemStore.Get(h)
	if errors.Is(err, events.ErrNotYet) {
		select {
		case s.notYet <- h:
		default:
		}
	}
	return b, err
}

// awaitWaiting returns once some reader found height h missing.
func (s *spyStore) awaitWaiting(t testing.TB, h int64) {
	t.Helper()
	timeout := time.After(waitLimit)
	for {
		select {
		case got := <-s.notYet:
			if got == h {
				return
			}
		case <-timeout:
			t.Fatalf("no reader waited for height %d within %v", h, waitLimit)
		}
	}
}

// funcStore is a Store whose methods are func fields; nil ones use MemStore.
type funcStore struct {
	*events.MemStore
	appendFn func(b *events.Block) error
	closeFn  func() error
}

func (s *funcStore) Append(b *events.Block) error {
	if s.appendFn != nil {
		return s.appendFn(b)
	}
	return s.MemStore.Append(b)
}

func (s *funcStore) Close() error {
	if s.closeFn != nil {
		return s.closeFn()
	}
	return s.MemStore.Close()
}

type nextResult struct {
	b   *events.Block
	err error
}

// nextAsync runs r.Next in a goroutine; the result arrives on the channel.
func nextAsync(ctx context.Context, r *events.Reader) <-chan nextResult {
	ch := make(chan nextResult, 1)
	go func() {
		b, err := r.Next(ctx)
		ch <- nextResult{b, err}
	}()
	return ch
}

func recv(t testing.TB, ch <-chan nextResult) nextResult {
	t.Helper()
	select {
	case res := <-ch:
		return res
	case <-time.After(waitLimit):
		t.Fatalf("Next did not return within %v", waitLimit)
		return nextResult{}
	}
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// healthLimit bounds the wait for the filler, which retries on timers: it
// is generous so that a loaded machine does not fail the test.
const healthLimit = 30 * time.Second

// waitHealth polls l.Health until ok holds, and returns that health.
func waitHealth(t testing.TB, l *events.Log, what string, ok func(events.LogHealth) bool) events.LogHealth {
	t.Helper()
	deadline := time.Now().Add(healthLimit)
	for {
		h := l.Health()
		if ok(h) {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("log not %s within %v: health %+v", what, healthLimit, h)
		}
		time.Sleep(time.Millisecond)
	}
}

func waitHealthy(t testing.TB, l *events.Log) events.LogHealth {
	t.Helper()
	return waitHealth(t, l, "healthy", func(h events.LogHealth) bool { return !h.Degraded })
}
