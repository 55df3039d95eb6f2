package events_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cometstream/cometstream/events"
)

func TestNewLog(t *testing.T) {
	if l, err := events.NewLog(nil, nil); err == nil || l != nil {
		t.Errorf("NewLog(nil, nil) = %v, %v; want nil and an error", l, err)
	}
	s, _ := events.NewMemStore(1)
	l, err := events.NewLog(s, nil)
	if err != nil || l == nil {
		t.Fatalf("NewLog(store, nil logger) = %v, %v; want a log", l, err)
	}
	if oldest, newest := l.Bounds(); oldest != 0 || newest != 0 {
		t.Errorf("Bounds of a new log = %d, %d; want 0, 0", oldest, newest)
	}
}

func TestLogAppendWakesEveryTime(t *testing.T) {
	l := newMemLog(t, 4)
	for h := int64(1); h <= 20; h++ {
		wake := l.Wait()
		if isClosed(wake) {
			t.Fatalf("Wait channel closed before Append(%d)", h)
		}
		b := block(h)
		added, err := l.Append(b)
		if !added || err != nil {
			t.Fatalf("Append(%d) = %v, %v; want true, nil", h, added, err)
		}
		// The channel is closed off the appender's goroutine: wait for it.
		select {
		case <-wake:
		case <-time.After(10 * time.Second):
			t.Fatalf("Append(%d) did not close the channel Wait returned before it", h)
		}
		if got, err := l.Get(h); got != b || err != nil {
			t.Fatalf("Get(%d) = %v, %v; want the appended block", h, got, err)
		}
	}
}

func TestLogAppendIgnoresReplays(t *testing.T) {
	tests := []struct {
		name   string
		height int64
	}{
		{name: "newest", height: 6},
		{name: "below newest", height: 5},
		{name: "oldest", height: 3},
		{name: "already pruned", height: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newMemLog(t, 4)
			appendRange(t, l, 1, 6)
			kept, _ := l.Get(6)
			wake := l.Wait()

			added, err := l.Append(block(tt.height))
			if added || err != nil {
				t.Fatalf("Append(%d) replay = %v, %v; want false, nil", tt.height, added, err)
			}
			if isClosed(wake) {
				t.Error("a replayed block woke the readers")
			}
			if oldest, newest := l.Bounds(); oldest != 3 || newest != 6 {
				t.Errorf("Bounds = %d, %d; want 3, 6", oldest, newest)
			}
			if got, _ := l.Get(6); got != kept {
				t.Error("a replay replaced the stored block")
			}
		})
	}
}

func TestLogAppendRejectsHeightsBelowOne(t *testing.T) {
	tests := []struct {
		name  string
		block *events.Block
	}{
		{name: "nil block", block: nil},
		{name: "height 0", block: &events.Block{Height: 0}},
		{name: "negative height", block: &events.Block{Height: -3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newMemLog(t, 4)
			wake := l.Wait()
			added, err := l.Append(tt.block)
			if added || err == nil {
				t.Fatalf("Append = %v, %v; want false and an error", added, err)
			}
			if isClosed(wake) {
				t.Error("a refused block woke the readers")
			}
			if oldest, newest := l.Bounds(); oldest != 0 || newest != 0 {
				t.Errorf("Bounds = %d, %d; want an empty log", oldest, newest)
			}
			appendRange(t, l, 1, 1)
		})
	}
}

// A gap is heights never recorded: the log keeps what it has, turns
// degraded, and a reader waiting at the missing height just waits.
func TestLogAppendGapKeepsHistory(t *testing.T) {
	l, spy := newSpyLog(t, 8)
	t.Cleanup(func() { l.Close() })
	appendRange(t, l, 10, 10)

	caughtUp := l.NewReader(10)
	if b, err := caughtUp.TryNext(); err != nil || b.Height != 10 {
		t.Fatalf("TryNext = %v, %v; want block 10", b, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	waiting := nextAsync(ctx, caughtUp)
	spy.awaitWaiting(t, 11)

	if added, err := l.Append(block(15)); added || !errors.Is(err, events.ErrGap) || !errors.Is(err, events.ErrDegraded) {
		t.Fatalf("Append(15) after 10 = %v, %v; want false and an error wrapping ErrGap and ErrDegraded", added, err)
	}
	if added, err := l.Append(block(16)); added || err != nil {
		t.Fatalf("Append(16) while degraded = %v, %v; want false, nil (queued)", added, err)
	}
	if oldest, newest := l.Bounds(); oldest != 10 || newest != 10 {
		t.Errorf("Bounds after the gap = %d, %d; want 10, 10", oldest, newest)
	}
	h := l.Health()
	if !h.Degraded || h.MissingFrom != 11 || h.Target != 16 || h.Reason == "" {
		t.Errorf("Health = %+v; want degraded, missing from 11, target 16, a reason", h)
	}
	if b, err := l.Get(10); err != nil || b.Height != 10 {
		t.Errorf("Get(10) = %v, %v; want block 10", b, err)
	}
	cancel()
	if res := recv(t, waiting); !errors.Is(res.err, context.Canceled) {
		t.Errorf("waiting reader got %v, %v; want it still waiting until cancelled", res.b, res.err)
	}
}

func TestLogAppendStoreErrors(t *testing.T) {
	errStore := errors.New("store failed")
	var failing atomic.Bool
	m, _ := events.NewMemStore(8)
	store := &funcStore{MemStore: m, appendFn: func(b *events.Block) error {
		if failing.Load() {
			return errStore
		}
		return m.Append(b)
	}}
	l, err := events.OpenLog(events.LogConfig{Store: store, RetryMin: time.Millisecond, RetryMax: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	appendRange(t, l, 1, 1)
	wake := l.Wait()
	failing.Store(true)
	added, err := l.Append(block(2))
	if added || !errors.Is(err, errStore) || !errors.Is(err, events.ErrDegraded) {
		t.Fatalf("Append(2) = %v, %v; want false and an error wrapping the store's and ErrDegraded", added, err)
	}
	if isClosed(wake) {
		t.Error("a failed Append woke the readers")
	}
	if added, err := l.Append(block(3)); added || err != nil {
		t.Fatalf("Append(3) while degraded = %v, %v; want false, nil", added, err)
	}
	failing.Store(false)
	waitHealthy(t, l)
	if _, newest := l.Bounds(); newest != 3 {
		t.Errorf("newest after recovery = %d, want 3", newest)
	}
	if !isClosed(wake) {
		t.Error("the filled heights did not wake the readers")
	}
	if h := l.Health(); h.FailedWrites == 0 {
		t.Errorf("Health = %+v; want FailedWrites > 0", h)
	}
	appendRange(t, l, 4, 4)
}

func TestLogClose(t *testing.T) {
	errClose := errors.New("close failed")
	m, _ := events.NewMemStore(1)
	closed := 0
	l, _ := events.NewLog(&funcStore{MemStore: m, closeFn: func() error { closed++; return errClose }}, nil)
	if err := l.Close(); !errors.Is(err, errClose) {
		t.Errorf("Close = %v, want the store's error", err)
	}
	if closed != 1 {
		t.Errorf("store closed %d times, want 1", closed)
	}
}
