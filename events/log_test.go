package events_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

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

func TestLogAppendGapRestartsTheLog(t *testing.T) {
	l, spy := newSpyLog(t, 8)
	appendRange(t, l, 10, 10)

	caughtUp := l.NewReader(10)
	if b, err := caughtUp.TryNext(); err != nil || b.Height != 10 {
		t.Fatalf("TryNext = %v, %v; want block 10", b, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	waiting := nextAsync(ctx, caughtUp)
	spy.awaitWaiting(t, 11)

	b15 := block(15)
	if added, err := l.Append(b15); !added || err != nil {
		t.Fatalf("Append(15) after 10 = %v, %v; want true, nil", added, err)
	}
	if oldest, newest := l.Bounds(); oldest != 15 || newest != 15 {
		t.Errorf("Bounds after the gap = %d, %d; want 15, 15", oldest, newest)
	}

	res := recv(t, waiting)
	var pe *events.PrunedError
	if !errors.As(res.err, &pe) || !errors.Is(res.err, events.ErrPruned) {
		t.Fatalf("waiting reader got %v, %v; want a *PrunedError", res.b, res.err)
	}
	if diff := cmp.Diff(events.PrunedError{Height: 11, Oldest: 15}, *pe); diff != "" {
		t.Errorf("PrunedError (-want +got):\n%s", diff)
	}

	resumed := l.NewReader(pe.Oldest)
	if b, err := resumed.TryNext(); b != b15 || err != nil {
		t.Errorf("reader resumed at Oldest: TryNext = %v, %v; want block 15", b, err)
	}
	appendRange(t, l, 16, 16)
	if b, err := resumed.TryNext(); err != nil || b.Height != 16 {
		t.Errorf("after the gap the log goes on: TryNext = %v, %v; want block 16", b, err)
	}
}

func TestLogAppendStoreErrors(t *testing.T) {
	errStore := errors.New("store failed")
	errReset := errors.New("reset failed")
	tests := []struct {
		name    string
		store   func(m *events.MemStore) *funcStore
		height  int64 // appended after block 1
		wantErr error
	}{
		{
			name: "append fails",
			store: func(m *events.MemStore) *funcStore {
				return &funcStore{MemStore: m, appendFn: func(b *events.Block) error {
					if b.Height == 1 {
						return m.Append(b)
					}
					return errStore
				}}
			},
			height:  2,
			wantErr: errStore,
		},
		{
			name: "reset after a gap fails",
			store: func(m *events.MemStore) *funcStore {
				return &funcStore{MemStore: m, resetFn: func() error { return errReset }}
			},
			height:  5,
			wantErr: errReset,
		},
		{
			name: "append after the reset fails",
			store: func(m *events.MemStore) *funcStore {
				return &funcStore{MemStore: m, appendFn: func(b *events.Block) error {
					if b.Height == 1 {
						return m.Append(b)
					}
					if _, newest := m.Bounds(); newest != 0 {
						return events.ErrGap
					}
					return errStore
				}}
			},
			height:  5,
			wantErr: errStore,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := events.NewMemStore(4)
			l, err := events.NewLog(tt.store(m), nil)
			if err != nil {
				t.Fatal(err)
			}
			appendRange(t, l, 1, 1)
			wake := l.Wait()
			added, err := l.Append(block(tt.height))
			if added || !errors.Is(err, tt.wantErr) {
				t.Fatalf("Append(%d) = %v, %v; want false and an error wrapping %v", tt.height, added, err, tt.wantErr)
			}
			if isClosed(wake) {
				t.Error("a failed Append woke the readers")
			}
		})
	}
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
