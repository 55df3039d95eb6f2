package events_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cometstream/cometstream/events"
)

// Readers get blocks equal to those appended, from memory or disk, while
// the writer appends, rolls segments and deletes old ones. Run with -race.
func TestSegmentGetConcurrentWithAppend(t *testing.T) {
	const newest = 600
	s := openStore(t, events.SegmentConfig{Dir: t.TempDir(), SegmentBytes: 4000, CacheBlocks: 8, RetainHeights: 300})
	appendBlocks(t, s, richBlock, 1, 1)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for r := range 4 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				oldest, top := s.Bounds()
				// Spread the reads over old, middle and newest heights.
				h := []int64{oldest, oldest + (top-oldest)/2, top, top - int64(r)}[i%4]
				b, err := s.Get(h)
				switch {
				case errors.Is(err, events.ErrPruned), errors.Is(err, events.ErrNotYet):
				case err != nil:
					errs <- err
					return
				default:
					if diff := cmp.Diff(richBlock(h), b); diff != "" {
						errs <- errors.New("Get returned another block: " + diff)
						return
					}
				}
			}
		})
	}
	appendBlocks(t, s, richBlock, 2, newest)
	cancel()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Whole segments go: at least the newest 300 heights remain.
	if oldest, top := s.Bounds(); top != newest || oldest == 1 || oldest > newest-299 {
		t.Errorf("Bounds = %d, %d; want an oldest in 2..%d, newest %d", oldest, top, newest-299, newest)
	}
}

// Log readers behave over a SegmentStore as over a MemStore, and a reader
// made at an old height after a restart catches up from disk, then goes on
// live.
func TestLogOverSegmentStore(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	dir := t.TempDir()
	cfg := events.SegmentConfig{Dir: dir, SegmentBytes: 2000, CacheBlocks: 4}
	s := openStore(t, cfg)
	l, err := events.NewLog(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	appendRange(t, l, 1, 20)
	closeStore(t, s)

	s = openStore(t, cfg)
	l, err = events.NewLog(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	if o, n := l.Bounds(); o != 1 || n != 20 {
		t.Fatalf("Bounds after restart = %d, %d; want 1, 20", o, n)
	}
	// A height re-executed after the restart is recognised, not stored twice.
	if added, err := l.Append(block(20)); added || err != nil {
		t.Fatalf("Append(20) again = %v, %v; want false, nil", added, err)
	}
	old := l.NewReader(3)
	live := l.NewReader(0)
	for h := int64(3); h <= 20; h++ {
		b, err := old.Next(ctx)
		if err != nil || b.Height != h {
			t.Fatalf("old reader: Next = %v, %v; want block %d", b, err, h)
		}
		if diff := cmp.Diff(block(h), b); diff != "" {
			t.Fatalf("old reader: block %d (-want +got):\n%s", h, diff)
		}
	}
	oldNext, liveNext := nextAsync(ctx, old), nextAsync(ctx, live)
	b21 := block(21)
	if added, err := l.Append(b21); !added || err != nil {
		t.Fatalf("Append(21) = %v, %v", added, err)
	}
	for name, ch := range map[string]<-chan nextResult{"old": oldNext, "live": liveNext} {
		got := recv(t, ch)
		if got.err != nil || got.b != b21 {
			t.Errorf("%s reader: Next = %v, %v; want the appended block 21 itself", name, got.b, got.err)
		}
	}
	// A gap deletes nothing: the log turns degraded and keeps every height.
	if added, err := l.Append(block(30)); added || !errors.Is(err, events.ErrGap) {
		t.Fatalf("Append(30) after 21 = %v, %v; want false and ErrGap", added, err)
	}
	if o, n := l.Bounds(); o != 1 || n != 21 {
		t.Fatalf("Bounds after a gap = %d, %d; want 1, 21", o, n)
	}
	if _, err := old.TryNext(); !errors.Is(err, events.ErrNotYet) {
		t.Fatalf("old reader after the gap: error = %v, want ErrNotYet", err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s = openStore(t, cfg)
	checkBounds(t, s, 1, 21)
}
