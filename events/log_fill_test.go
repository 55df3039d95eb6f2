package events_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/cometstream/cometstream/events"
)

// Appended is set by the log and not stored, so it is not compared.
var ignoreAppended = cmpopts.IgnoreFields(events.Block{}, "Appended")

// Write faults of a faultFS.
const (
	writeOK      = iota
	writeENOSPC  // the write fails, writing nothing
	writePartial // half the record is written, then the write fails
)

// faultFS wraps the real segment files of a store to fail their writes,
// truncates and creations on demand.
type faultFS struct {
	write     atomic.Int32 // one of the write faults
	truncates atomic.Int32 // how many truncates fail from now
	creates   atomic.Int32 // how many creations fail (after making the file) from now
	failed    atomic.Int64 // writes failed
}

func (fs *faultFS) config(cfg events.SegmentConfig) events.SegmentConfig {
	return events.WithOpenFile(cfg, func(path string, flag int, perm os.FileMode) (events.SegmentFile, error) {
		f, err := events.OpenOSFile(path, flag, perm)
		if err != nil {
			return nil, err
		}
		if flag&os.O_CREATE != 0 && fs.creates.Add(-1) >= 0 {
			// The file exists, but the store is told it does not: what
			// it leaves must not stop later appends.
			f.Close()
			return nil, syscall.ENOSPC
		}
		return &faultFile{SegmentFile: f, fs: fs}, nil
	})
}

type faultFile struct {
	events.SegmentFile
	fs *faultFS
}

func (f *faultFile) WriteAt(p []byte, off int64) (int, error) {
	switch f.fs.write.Load() {
	case writeENOSPC:
		f.fs.failed.Add(1)
		return 0, syscall.ENOSPC
	case writePartial:
		f.fs.failed.Add(1)
		n, _ := f.SegmentFile.WriteAt(p[:len(p)/2], off)
		return n, syscall.ENOSPC
	}
	return f.SegmentFile.WriteAt(p, off)
}

func (f *faultFile) Truncate(size int64) error {
	if f.fs.truncates.Add(-1) >= 0 {
		return syscall.EIO
	}
	return f.SegmentFile.Truncate(size)
}

// fakeSource serves richBlock for heights up to top and records the calls.
type fakeSource struct {
	top   int64
	mu    sync.Mutex
	calls []int64
}

func (s *fakeSource) Block(h int64) (*events.Block, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, h)
	if h > s.top {
		return nil, events.ErrNotYet
	}
	return richBlock(h), nil
}

func (s *fakeSource) called() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int64(nil), s.calls...)
}

func openTestLog(t *testing.T, cfg events.LogConfig) *events.Log {
	t.Helper()
	cfg.RetryMin, cfg.RetryMax = time.Millisecond, 10*time.Millisecond
	l, err := events.OpenLog(cfg)
	if err != nil {
		t.Fatalf("OpenLog: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func appendRich(t *testing.T, l *events.Log, from, to int64) {
	t.Helper()
	for h := from; h <= to; h++ {
		if added, err := l.Append(richBlock(h)); !added || err != nil {
			t.Fatalf("Append(%d) = %v, %v; want true, nil", h, added, err)
		}
	}
}

// checkChain checks that s holds exactly the heights from..to of richBlock.
func checkChain(t *testing.T, s interface {
	Get(int64) (*events.Block, error)
	Bounds() (int64, int64)
}, from, to int64) {
	t.Helper()
	if o, n := s.Bounds(); o != from || n != to {
		t.Fatalf("Bounds = %d, %d; want %d, %d", o, n, from, to)
	}
	for h := from; h <= to; h++ {
		b, err := s.Get(h)
		if err != nil {
			t.Fatalf("Get(%d): %v", h, err)
		}
		if diff := cmp.Diff(richBlock(h), b, ignoreAppended); diff != "" {
			t.Fatalf("block %d (-want +got):\n%s", h, diff)
		}
	}
}

// A full disk for 50 heights loses nothing: the heights are written once it
// frees up, a live reader goes on with no gap, and the store stays one run.
func TestLogSurvivesFailingWrites(t *testing.T) {
	tests := []struct {
		name      string
		fault     int32
		segBytes  int64
		truncates int32 // truncates failing after the first failed write
	}{
		{"ENOSPC", writeENOSPC, 1 << 20, 0},
		{"partial write", writePartial, 1 << 20, 0},
		{"partial write, truncate fails too", writePartial, 1 << 20, 5},
		{"ENOSPC, a segment per record", writeENOSPC, 1, 0},
		{"partial write, a segment per record", writePartial, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const good, bad, last = 10, 60, 70
			dir := t.TempDir()
			var fs faultFS
			cfg := fs.config(events.SegmentConfig{Dir: dir, SegmentBytes: tt.segBytes, CacheBlocks: 4})
			s := openStore(t, cfg)
			var logs logBuffer
			l := openTestLog(t, events.LogConfig{Store: s, Logger: logs.logger()})
			appendRich(t, l, 1, good)

			ctx, cancel := context.WithTimeout(context.Background(), healthLimit)
			defer cancel()
			got := make(chan error, 1)
			r := l.NewReader(good + 1)
			go func() {
				for h := int64(good + 1); h <= last; h++ {
					b, err := r.Next(ctx)
					if err != nil {
						got <- err
						return
					}
					if diff := cmp.Diff(richBlock(h), b, ignoreAppended); diff != "" {
						got <- fmt.Errorf("reader: block %d: %s", b.Height, diff)
						return
					}
				}
				got <- nil
			}()

			fs.write.Store(tt.fault)
			fs.truncates.Store(tt.truncates)
			for h := int64(good + 1); h <= bad; h++ {
				added, err := l.Append(richBlock(h))
				if h == good+1 {
					if added || !errors.Is(err, events.ErrDegraded) || !errors.Is(err, syscall.ENOSPC) {
						t.Fatalf("Append(%d) = %v, %v; want false and ENOSPC with ErrDegraded", h, added, err)
					}
				} else if added || err != nil {
					t.Fatalf("Append(%d) while degraded = %v, %v; want false, nil", h, added, err)
				}
			}
			// The filler keeps trying; the store stays as it was.
			waitHealth(t, l, "retrying", func(h events.LogHealth) bool { return h.FailedWrites > 2 })
			h := l.Health()
			if !h.Degraded || h.Reason == "" || h.MissingFrom != good+1 || h.Target != bad {
				t.Errorf("Health while failing = %+v; want degraded from %d to %d with a reason", h, good+1, bad)
			}
			checkChain(t, l, 1, good)

			fs.write.Store(writeOK)
			for h := int64(bad + 1); h <= last; h++ {
				if _, err := l.Append(richBlock(h)); err != nil {
					t.Fatalf("Append(%d): %v", h, err)
				}
			}
			h = waitHealthy(t, l)
			if h.MissingFrom != 0 || h.Reason != "" || h.Target != last || h.FailedWrites == 0 {
				t.Errorf("Health after recovery = %+v; want healthy, target %d, failed writes counted", h, last)
			}
			checkChain(t, l, 1, last)
			if err := <-got; err != nil {
				t.Fatalf("live reader: %v", err)
			}
			out := logs.String()
			if n := strings.Count(out, "[ERROR]"); n != 1 {
				t.Errorf("%d ERROR lines, want 1:\n%s", n, out)
			}
			if !strings.Contains(out, "event log recovered") {
				t.Errorf("no recovery notice:\n%s", out)
			}

			appendRich(t, l, last+1, last+1)
			if err := l.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			checkChain(t, openStore(t, events.SegmentConfig{Dir: dir}), 1, last+1)
		})
	}
}

// A gap deletes nothing: with a Source the missing height is filled and the
// next one follows; without one the log waits at it and keeps its blocks.
func TestLogGap(t *testing.T) {
	tests := []struct {
		name   string
		source bool
	}{
		{"with a source", true},
		{"without a source", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, events.SegmentConfig{Dir: t.TempDir()})
			cfg := events.LogConfig{Store: s}
			src := &fakeSource{top: 100}
			if tt.source {
				cfg.Source = src
			}
			l := openTestLog(t, cfg)
			appendRich(t, l, 1, 5)
			if _, err := l.Append(richBlock(7)); !errors.Is(err, events.ErrGap) {
				t.Fatalf("Append(7) after 5: error = %v, want ErrGap", err)
			}
			if !tt.source {
				h := l.Health()
				if !h.Degraded || h.MissingFrom != 6 || h.Target != 7 {
					t.Fatalf("Health = %+v; want degraded from 6 to 7", h)
				}
				checkChain(t, l, 1, 5)
				if _, err := l.Get(6); !errors.Is(err, events.ErrNotYet) {
					t.Errorf("Get(6): error = %v, want ErrNotYet", err)
				}
				return
			}
			waitHealthy(t, l)
			checkChain(t, l, 1, 7)
			if diff := cmp.Diff([]int64{6}, src.called()); diff != "" {
				t.Errorf("source calls (-want +got):\n%s", diff)
			}
			appendRich(t, l, 8, 8)
		})
	}
}

// Past MaxPending the newest blocks are not kept in memory; the Source
// gives them back.
func TestLogMaxPendingFetchesFromSource(t *testing.T) {
	var failing atomic.Bool
	m, _ := events.NewMemStore(100)
	store := &funcStore{MemStore: m, appendFn: func(b *events.Block) error {
		if failing.Load() {
			return syscall.ENOSPC
		}
		return m.Append(b)
	}}
	src := &fakeSource{top: 100}
	l := openTestLog(t, events.LogConfig{Store: store, Source: src, MaxPending: 4})
	appendRich(t, l, 1, 1)
	failing.Store(true)
	for h := int64(2); h <= 20; h++ {
		l.Append(richBlock(h))
	}
	failing.Store(false)
	waitHealthy(t, l)
	checkChain(t, l, 1, 20)
	var want []int64
	for h := int64(6); h <= 20; h++ {
		want = append(want, h)
	}
	if diff := cmp.Diff(want, src.called()); diff != "" {
		t.Errorf("source calls (-want +got):\n%s", diff)
	}
}

func TestLogFillAndReconcile(t *testing.T) {
	src := &fakeSource{top: 30}
	l := openTestLog(t, events.LogConfig{Store: openStore(t, events.SegmentConfig{Dir: t.TempDir()}), Source: src})
	if err := l.Reconcile(context.Background(), 3, 10); err != nil {
		t.Fatalf("Reconcile(3, 10): %v", err)
	}
	checkChain(t, l, 3, 10)
	if err := l.Fill(1, 20); err != nil {
		t.Fatalf("Fill(1, 20): %v", err)
	}
	waitHealthy(t, l)
	checkChain(t, l, 3, 20)
	// Heights the source does not have yet keep the log degraded, retrying.
	if err := l.Fill(1, 35); err != nil {
		t.Fatalf("Fill(1, 35): %v", err)
	}
	waitHealth(t, l, "stuck at 31", func(h events.LogHealth) bool {
		return h.Degraded && h.MissingFrom == 31 && strings.Contains(h.Reason, "31")
	})
	checkChain(t, l, 3, 30)

	empty := openTestLog(t, events.LogConfig{Store: openStore(t, events.SegmentConfig{Dir: t.TempDir()}), Source: src})
	if err := empty.Fill(12, 15); err != nil {
		t.Fatalf("Fill(12, 15) on an empty log: %v", err)
	}
	waitHealthy(t, empty)
	checkChain(t, empty, 12, 15)

	noSource := openTestLog(t, events.LogConfig{Store: openStore(t, events.SegmentConfig{Dir: t.TempDir()})})
	if err := noSource.Fill(1, 5); err == nil {
		t.Error("Fill without a source: error = nil")
	}
}

func TestOpenLogConfig(t *testing.T) {
	m, _ := events.NewMemStore(1)
	tests := []struct {
		name string
		cfg  events.LogConfig
		ok   bool
	}{
		{"store only", events.LogConfig{Store: m}, true},
		{"no store", events.LogConfig{}, false},
		{"negative retry", events.LogConfig{Store: m, RetryMin: -1}, false},
		{"max below min", events.LogConfig{Store: m, RetryMin: time.Second, RetryMax: time.Millisecond}, false},
		{"negative max pending", events.LogConfig{Store: m, MaxPending: -1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := events.OpenLog(tt.cfg)
			if (err == nil) != tt.ok {
				t.Fatalf("OpenLog = %v, %v; want ok %v", l, err, tt.ok)
			}
			if l != nil {
				l.Close()
			}
		})
	}
}

// A failed truncate is retried by the next Append, and a failed segment
// creation leaves nothing that stops the next one.
func TestSegmentRetriesTakingBackAFailedWrite(t *testing.T) {
	dir := t.TempDir()
	var fs faultFS
	s := openStore(t, fs.config(events.SegmentConfig{Dir: dir}))
	appendBlocks(t, s, richBlock, 1, 3)
	fs.write.Store(writePartial)
	fs.truncates.Store(2)
	if err := s.Append(richBlock(4)); !errors.Is(err, syscall.ENOSPC) || !errors.Is(err, syscall.EIO) {
		t.Fatalf("Append(4): error = %v, want ENOSPC and the truncate's EIO", err)
	}
	fs.write.Store(writeOK)
	if err := s.Append(richBlock(4)); !errors.Is(err, syscall.EIO) {
		t.Fatalf("Append(4) while truncate fails: error = %v, want EIO", err)
	}
	appendBlocks(t, s, richBlock, 4, 5)
	checkChain(t, s, 1, 5)
	closeStore(t, s)

	s = openStore(t, fs.config(events.SegmentConfig{Dir: dir, SegmentBytes: 1}))
	checkChain(t, s, 1, 5)
	fs.creates.Store(1)
	if err := s.Append(richBlock(6)); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Append(6) with a failing creation: error = %v, want ENOSPC", err)
	}
	fs.write.Store(writeENOSPC)
	if err := s.Append(richBlock(6)); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Append(6) with a failing write: error = %v, want ENOSPC", err)
	}
	if diff := cmp.Diff([]string{segName(1)}, segFiles(t, dir)); diff != "" {
		t.Errorf("segments after failed rolls (-want +got):\n%s", diff)
	}
	fs.write.Store(writeOK)
	appendBlocks(t, s, richBlock, 6, 7)
	closeStore(t, s)
	checkChain(t, openStore(t, events.SegmentConfig{Dir: dir}), 1, 7)
}
