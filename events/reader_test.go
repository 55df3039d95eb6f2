package events_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cometstream/cometstream/events"
)

func TestLiveReaderOnEmptyLogGetsFirstBlock(t *testing.T) {
	l := newMemLog(t, 4)
	r := l.NewReader(0)
	if got := r.NextHeight(); got != 0 {
		t.Errorf("NextHeight on an empty log = %d, want 0", got)
	}
	if got := r.Lag(); got != 0 {
		t.Errorf("Lag on an empty log = %d, want 0", got)
	}
	if _, err := r.TryNext(); !errors.Is(err, events.ErrNotYet) {
		t.Fatalf("TryNext on an empty log: error = %v, want ErrNotYet", err)
	}
	// CometBFT chains may start at any initial height.
	appendRange(t, l, 7, 8)
	if got := r.Lag(); got != 2 {
		t.Errorf("Lag = %d, want 2", got)
	}
	for _, want := range []int64{7, 8} {
		b, err := r.TryNext()
		if err != nil || b.Height != want {
			t.Fatalf("TryNext = %v, %v; want block %d", b, err, want)
		}
	}
	if got := r.NextHeight(); got != 9 {
		t.Errorf("NextHeight = %d, want 9", got)
	}
}

// On the empty log a live reader finds nothing without asking the store, so
// the test cannot see it wait; whichever of Next and Append runs first, the
// reader must get the first block, so try both orders many times.
func TestLiveReaderWaitingOnEmptyLog(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	for range 50 {
		l := newMemLog(t, 4)
		res := nextAsync(ctx, l.NewReader(0))
		runtime.Gosched()
		appendRange(t, l, 3, 3)
		got := recv(t, res)
		if got.err != nil || got.b.Height != 3 {
			t.Fatalf("Next = %v, %v; want block 3", got.b, got.err)
		}
	}
}

func TestLiveReaderOnNonEmptyLogStartsAfterNewest(t *testing.T) {
	for _, from := range []int64{0, -1} {
		t.Run(fmt.Sprint("from ", from), func(t *testing.T) {
			l := newMemLog(t, 8)
			appendRange(t, l, 1, 5)
			r := l.NewReader(from)
			if got := r.NextHeight(); got != 6 {
				t.Errorf("NextHeight = %d, want 6", got)
			}
			if _, err := r.TryNext(); !errors.Is(err, events.ErrNotYet) {
				t.Fatalf("TryNext: error = %v, want ErrNotYet", err)
			}
			appendRange(t, l, 6, 6)
			if b, err := r.TryNext(); err != nil || b.Height != 6 {
				t.Errorf("TryNext = %v, %v; want block 6", b, err)
			}
		})
	}
}

func TestNewReaderFrom(t *testing.T) {
	l := newMemLog(t, 4)
	appendRange(t, l, 1, 6) // keeps 3..6
	tests := []struct {
		name       string
		from       int64
		wantHeight int64 // 0 when an error is wanted
		wantErr    error
		wantPruned events.PrunedError
	}{
		{name: "oldest", from: 3, wantHeight: 3},
		{name: "middle", from: 4, wantHeight: 4},
		{name: "newest", from: 6, wantHeight: 6},
		{name: "next to come", from: 7, wantErr: events.ErrNotYet},
		{name: "far future", from: 100, wantErr: events.ErrNotYet},
		{name: "pruned", from: 1, wantErr: events.ErrPruned, wantPruned: events.PrunedError{Height: 1, Oldest: 3}},
		{name: "just pruned", from: 2, wantErr: events.ErrPruned, wantPruned: events.PrunedError{Height: 2, Oldest: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := l.NewReader(tt.from)
			b, err := r.TryNext()
			if tt.wantErr == nil {
				if err != nil || b.Height != tt.wantHeight {
					t.Fatalf("TryNext = %v, %v; want block %d", b, err, tt.wantHeight)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("TryNext: error = %v, want %v", err, tt.wantErr)
			}
			if r.NextHeight() != tt.from {
				t.Errorf("a failed TryNext moved the reader to %d", r.NextHeight())
			}
			var pe *events.PrunedError
			if errors.As(err, &pe) {
				if diff := cmp.Diff(tt.wantPruned, *pe); diff != "" {
					t.Errorf("PrunedError (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestReaderFallsBehindCapacity(t *testing.T) {
	l := newMemLog(t, 4)
	r := l.NewReader(1)
	appendRange(t, l, 1, 2)
	for want := int64(1); want <= 2; want++ {
		if b, err := r.TryNext(); err != nil || b.Height != want {
			t.Fatalf("TryNext = %v, %v; want block %d", b, err, want)
		}
	}
	appendRange(t, l, 3, 10) // keeps 7..10; the reader stands at 3

	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	for _, name := range []string{"TryNext", "Next", "Next again"} {
		var err error
		if name == "TryNext" {
			_, err = r.TryNext()
		} else {
			_, err = r.Next(ctx)
		}
		var pe *events.PrunedError
		if !errors.As(err, &pe) || !errors.Is(err, events.ErrPruned) {
			t.Fatalf("%s: error = %v, want a *PrunedError", name, err)
		}
		if diff := cmp.Diff(events.PrunedError{Height: 3, Oldest: 7}, *pe); diff != "" {
			t.Errorf("%s: PrunedError (-want +got):\n%s", name, diff)
		}
	}

	resumed := l.NewReader(7)
	for want := int64(7); want <= 10; want++ {
		if b, err := resumed.Next(ctx); err != nil || b.Height != want {
			t.Fatalf("resumed reader: Next = %v, %v; want block %d", b, err, want)
		}
	}
}

// A live reader made on the empty log must not skip blocks silently either:
// the blocks appended after it was made are its to read.
func TestLiveReaderFallsBehindBeforeFirstRead(t *testing.T) {
	l := newMemLog(t, 2)
	r := l.NewReader(0)
	appendRange(t, l, 1, 5) // keeps 4..5
	if got := r.Lag(); got != 5 {
		t.Errorf("Lag = %d, want 5", got)
	}
	_, err := r.TryNext()
	var pe *events.PrunedError
	if !errors.As(err, &pe) {
		t.Fatalf("TryNext: error = %v, want a *PrunedError", err)
	}
	if diff := cmp.Diff(events.PrunedError{Height: 1, Oldest: 4}, *pe); diff != "" {
		t.Errorf("PrunedError (-want +got):\n%s", diff)
	}
}

func TestReaderNextContext(t *testing.T) {
	t.Run("done before the call", func(t *testing.T) {
		l := newMemLog(t, 4)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if b, err := l.NewReader(0).Next(ctx); b != nil || !errors.Is(err, context.Canceled) {
			t.Errorf("Next = %v, %v; want context.Canceled", b, err)
		}
	})
	t.Run("cancelled while waiting", func(t *testing.T) {
		l, spy := newSpyLog(t, 4)
		appendRange(t, l, 1, 1)
		r := l.NewReader(2)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		res := nextAsync(ctx, r)
		spy.awaitWaiting(t, 2)
		cancel()
		if got := recv(t, res); got.b != nil || !errors.Is(got.err, context.Canceled) {
			t.Errorf("Next = %v, %v; want context.Canceled", got.b, got.err)
		}
		if r.NextHeight() != 2 {
			t.Errorf("cancelled Next moved the reader to %d", r.NextHeight())
		}
		appendRange(t, l, 2, 2)
		if b, err := r.TryNext(); err != nil || b.Height != 2 {
			t.Errorf("reader after cancellation: TryNext = %v, %v; want block 2", b, err)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		l := newMemLog(t, 4)
		ctx, cancel := context.WithTimeout(context.Background(), 1)
		defer cancel()
		if b, err := l.NewReader(0).Next(ctx); b != nil || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Next = %v, %v; want context.DeadlineExceeded", b, err)
		}
	})
}

func TestReaderLag(t *testing.T) {
	l := newMemLog(t, 16)
	behind := l.NewReader(1)
	live := l.NewReader(0)
	ahead := l.NewReader(50)
	appendRange(t, l, 1, 10)
	if _, err := behind.TryNext(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		r    *events.Reader
		want int64
	}{
		{name: "read one of ten", r: behind, want: 9},
		{name: "live, nothing read", r: live, want: 10},
		{name: "waiting past newest", r: ahead, want: 0},
		{name: "caught up", r: l.NewReader(0), want: 0},
		{name: "at newest", r: l.NewReader(10), want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.Lag(); got != tt.want {
				t.Errorf("Lag = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestAppendWakesEveryWaitingReader(t *testing.T) {
	const readers = 8
	l, spy := newSpyLog(t, 4)
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	var results []<-chan nextResult
	for range readers {
		results = append(results, nextAsync(ctx, l.NewReader(1)))
	}
	for range readers {
		spy.awaitWaiting(t, 1)
	}
	appendRange(t, l, 1, 1)
	for i, res := range results {
		if got := recv(t, res); got.err != nil || got.b.Height != 1 {
			t.Errorf("reader %d: Next = %v, %v; want block 1", i, got.b, got.err)
		}
	}
}

// readAll reads with r until height last and returns the heights read.
func readAll(ctx context.Context, r *events.Reader, last int64, pause func(read int)) ([]int64, error) {
	var heights []int64
	for {
		b, err := r.Next(ctx)
		if err != nil {
			return heights, err
		}
		heights = append(heights, b.Height)
		if b.Height >= last {
			return heights, nil
		}
		if pause != nil {
			pause(len(heights))
		}
	}
}

func heightRange(from, to int64) []int64 {
	var hs []int64
	for h := from; h <= to; h++ {
		hs = append(hs, h)
	}
	return hs
}

func TestReadersAtDifferentPaces(t *testing.T) {
	const n = 300
	l := newMemLog(t, n) // nothing is pruned: every reader must see every height
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()

	type result struct {
		name    string
		want    []int64
		heights []int64
		err     error
	}
	results := make(chan result, 8)
	var wg sync.WaitGroup
	start := func(name string, r *events.Reader, want []int64, pause func(int)) {
		wg.Go(func() {
			hs, err := readAll(ctx, r, n, pause)
			results <- result{name, want, hs, err}
		})
	}
	// waitUntil blocks until the log holds height h (or ctx ends), so a
	// reader can fall behind and catch up without sleeping.
	waitUntil := func(h int64) {
		for {
			wake := l.Wait()
			if _, newest := l.Bounds(); newest >= h {
				return
			}
			select {
			case <-wake:
			case <-ctx.Done():
				return
			}
		}
	}

	start("fast", l.NewReader(1), heightRange(1, n), nil)
	start("live from the empty log", l.NewReader(0), heightRange(1, n), nil)
	pausing := l.NewReader(1)
	start("pausing every 5 blocks", pausing, heightRange(1, n), func(read int) {
		if read%5 == 0 {
			waitUntil(min(int64(read)+8, n))
		}
	})
	start("yielding", l.NewReader(1), heightRange(1, n), func(int) { runtime.Gosched() })

	// The writer holds at the middle (this is the test's choice, not the
	// log's) so that the late readers really start mid-stream.
	mid, resume := make(chan struct{}), make(chan struct{})
	wg.Go(func() {
		for h := int64(1); h <= n; h++ {
			if _, err := l.Append(block(h)); err != nil {
				t.Errorf("Append(%d): %v", h, err)
				return
			}
			if h == n/2 {
				close(mid)
				select {
				case <-resume:
				case <-ctx.Done():
					return
				}
			}
		}
	})

	select {
	case <-mid:
	case <-ctx.Done():
		t.Fatal("writer did not reach the middle")
	}
	start("late, from a quarter", l.NewReader(n/4), heightRange(n/4, n), nil)
	live := l.NewReader(0)
	if got := live.NextHeight(); got != n/2+1 {
		t.Errorf("live reader made at the middle starts at %d, want %d", got, n/2+1)
	}
	start("late, live", live, heightRange(n/2+1, n), nil)
	close(resume)

	wg.Wait()
	close(results)
	count := 0
	for res := range results {
		count++
		if res.err != nil {
			t.Errorf("%s: %v after %d blocks", res.name, res.err, len(res.heights))
			continue
		}
		if diff := cmp.Diff(res.want, res.heights); diff != "" {
			t.Errorf("%s read (-want +got):\n%s", res.name, diff)
		}
	}
	if count != 6 {
		t.Errorf("%d readers reported, want 6", count)
	}
}

// TestLogConcurrentReaders is meant for -race: one writer, eight readers of
// different speeds on a small log. A reader that falls behind resumes at the
// oldest height it is told of; together, what it read and what it was told it
// lost must be every height exactly once, in order.
func TestLogConcurrentReaders(t *testing.T) {
	const (
		n        = 3000
		capacity = 32
		readers  = 8
	)
	l := newMemLog(t, capacity)
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()

	var wg sync.WaitGroup
	errs := make(chan error, readers+1)
	for i := range readers {
		r := l.NewReader(1)
		wg.Go(func() {
			var got []int64 // heights read, and heights reported pruned
			for int64(len(got)) < n {
				b, err := r.Next(ctx)
				var pe *events.PrunedError
				switch {
				case errors.As(err, &pe):
					if pe.Height != r.NextHeight() || pe.Oldest <= pe.Height {
						errs <- fmt.Errorf("reader %d at %d: bad %#v", i, r.NextHeight(), *pe)
						return
					}
					got = append(got, heightRange(pe.Height, pe.Oldest-1)...)
					r = l.NewReader(pe.Oldest)
					continue
				case err != nil:
					errs <- fmt.Errorf("reader %d after %d heights: %w", i, len(got), err)
					return
				}
				got = append(got, b.Height)
				for range i {
					runtime.Gosched() // reader i is i times slower
				}
			}
			if diff := cmp.Diff(heightRange(1, n), got); diff != "" {
				errs <- fmt.Errorf("reader %d (-want +got):\n%s", i, diff)
			}
		})
	}
	wg.Go(func() {
		for h := int64(1); h <= n; h++ {
			if added, err := l.Append(block(h)); !added || err != nil {
				errs <- fmt.Errorf("Append(%d) = %v, %v", h, added, err)
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestAppendDoesNotWaitForReaders only asserts completion: Append must not
// depend on readers that never read.
func TestAppendDoesNotWaitForReaders(t *testing.T) {
	const (
		n        = 10000
		capacity = 64
	)
	l := newMemLog(t, capacity)
	idle := make([]*events.Reader, 100)
	for i := range idle {
		if i%2 == 0 {
			idle[i] = l.NewReader(1)
		} else {
			idle[i] = l.NewReader(0)
		}
		_ = l.Wait() // a wake channel nobody receives from
	}
	appendRange(t, l, 1, n)
	if oldest, newest := l.Bounds(); oldest != n-capacity+1 || newest != n {
		t.Errorf("Bounds = %d, %d; want %d, %d", oldest, newest, n-capacity+1, n)
	}
	for i, r := range idle {
		if _, err := r.TryNext(); !errors.Is(err, events.ErrPruned) {
			t.Fatalf("idle reader %d: error = %v, want ErrPruned", i, err)
		}
	}
}
