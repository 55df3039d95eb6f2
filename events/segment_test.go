package events_test

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cometstream/cometstream/events"
)

func TestSegmentConfigValidation(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		cfg  events.SegmentConfig
		want string
	}{
		{"no dir", events.SegmentConfig{}, "dir is required"},
		{"negative segment bytes", events.SegmentConfig{Dir: dir, SegmentBytes: -1}, "segment bytes -1"},
		{"segment bytes above 1 GiB", events.SegmentConfig{Dir: dir, SegmentBytes: 1<<30 + 1}, "segment bytes"},
		{"negative retain heights", events.SegmentConfig{Dir: dir, RetainHeights: -1}, "retain heights -1"},
		{"negative retain bytes", events.SegmentConfig{Dir: dir, RetainBytes: -1}, "retain bytes -1"},
		{"negative cache", events.SegmentConfig{Dir: dir, CacheBlocks: -1}, "cache blocks -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := events.OpenSegmentStore(tt.cfg)
			if err == nil {
				s.Close()
			}
			wantErrContains(t, err, "segment store config", tt.want)
		})
	}
}

func TestSegmentRoundTripAndReopen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "eventlog") // created by Open
	s := openStore(t, events.SegmentConfig{Dir: dir, CacheBlocks: 4})
	checkBounds(t, s, 0, 0)
	if _, err := s.Get(1); !errors.Is(err, events.ErrNotYet) {
		t.Fatalf("Get on an empty store: error = %v, want ErrNotYet", err)
	}
	// CometBFT chains may start at any initial height.
	appendBlocks(t, s, richBlock, 5, 20)
	checkBounds(t, s, 5, 20)
	check := func(s *events.SegmentStore) {
		t.Helper()
		for h := int64(5); h <= 20; h++ {
			got, err := s.Get(h)
			if err != nil {
				t.Fatalf("Get(%d): %v", h, err)
			}
			if diff := cmp.Diff(richBlock(h), got); diff != "" {
				t.Fatalf("Get(%d) (-want +got):\n%s", h, diff)
			}
		}
		if _, err := s.Get(21); !errors.Is(err, events.ErrNotYet) {
			t.Errorf("Get(21): error = %v, want ErrNotYet", err)
		}
		var pe *events.PrunedError
		if _, err := s.Get(4); !errors.As(err, &pe) || pe.Height != 4 || pe.Oldest != 5 {
			t.Errorf("Get(4): error = %v, want PrunedError{4, 5}", err)
		}
	}
	check(s)
	closeStore(t, s)

	s = openStore(t, events.SegmentConfig{Dir: dir, CacheBlocks: 4})
	checkBounds(t, s, 5, 20)
	check(s)
	appendBlocks(t, s, richBlock, 21, 22)
	checkBounds(t, s, 5, 22)
}

func TestSegmentAppendRefusesGapsAndInvalidBlocks(t *testing.T) {
	s := openStore(t, events.SegmentConfig{Dir: t.TempDir()})
	appendBlocks(t, s, richBlock, 1, 3)
	for _, h := range []int64{3, 5, 1} {
		if err := s.Append(richBlock(h)); !errors.Is(err, events.ErrGap) {
			t.Errorf("Append(%d) after 3: error = %v, want ErrGap", h, err)
		}
	}
	if err := s.Append(&events.Block{Height: 4, Txs: []events.Tx{{ID: "x"}}}); err == nil {
		t.Error("Append of a tx without asset id: error = nil")
	}
	if err := s.Append(nil); err == nil {
		t.Error("Append(nil): error = nil")
	}
	// A refused block leaves nothing behind.
	appendBlocks(t, s, richBlock, 4, 4)
	checkBounds(t, s, 1, 4)
}

func TestSegmentCachedAndDiskReadsAgree(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, events.SegmentConfig{Dir: dir, CacheBlocks: 4})
	given := map[int64]*events.Block{}
	for h := int64(1); h <= 10; h++ {
		given[h] = richBlock(h)
		if err := s.Append(given[h]); err != nil {
			t.Fatal(err)
		}
	}
	for h := int64(1); h <= 10; h++ {
		got, err := s.Get(h)
		if err != nil {
			t.Fatalf("Get(%d): %v", h, err)
		}
		if cached := h > 6; (got == given[h]) != cached {
			t.Errorf("Get(%d) returned the appended pointer: %v, want %v", h, got == given[h], cached)
		}
		if diff := cmp.Diff(given[h], got); diff != "" {
			t.Errorf("Get(%d) (-want +got):\n%s", h, diff)
		}
	}
	closeStore(t, s)
	s = openStore(t, events.SegmentConfig{Dir: dir, CacheBlocks: 4})
	for h := int64(1); h <= 10; h++ {
		got, err := s.Get(h)
		if err != nil {
			t.Fatalf("after reopen, Get(%d): %v", h, err)
		}
		if diff := cmp.Diff(given[h], got); diff != "" {
			t.Errorf("after reopen, Get(%d) (-want +got):\n%s", h, diff)
		}
	}
}

func TestSegmentRolling(t *testing.T) {
	dir := t.TempDir()
	const segBytes = 1000
	s := openStore(t, events.SegmentConfig{Dir: dir, SegmentBytes: segBytes})
	appendBlocks(t, s, richBlock, 1, 40)
	files := segFiles(t, dir)
	if len(files) < 3 {
		t.Fatalf("segments = %v, want several", files)
	}
	next := int64(1)
	for _, name := range files {
		if name != segName(next) {
			t.Fatalf("segment %s, want %s (named by its first height)", name, segName(next))
		}
		offs, data := recordOffsets(t, filepath.Join(dir, name))
		if len(data) > segBytes && len(offs) > 1 {
			t.Errorf("%s: %d bytes in %d records, above SegmentBytes", name, len(data), len(offs))
		}
		next += int64(len(offs))
	}
	if next != 41 {
		t.Fatalf("segments hold heights 1 to %d, want 1 to 40", next-1)
	}
	closeStore(t, s)
	s = openStore(t, events.SegmentConfig{Dir: dir, SegmentBytes: segBytes})
	checkBounds(t, s, 1, 40)
	for h := int64(1); h <= 40; h++ {
		if got, err := s.Get(h); err != nil || got.Height != h {
			t.Fatalf("Get(%d) = %v, %v", h, got, err)
		}
	}
}

// A record larger than SegmentBytes gets a segment of its own.
func TestSegmentOversizedRecord(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, events.SegmentConfig{Dir: dir, SegmentBytes: 1})
	appendBlocks(t, s, richBlock, 1, 3)
	if diff := cmp.Diff([]string{segName(1), segName(2), segName(3)}, segFiles(t, dir)); diff != "" {
		t.Errorf("segments (-want +got):\n%s", diff)
	}
}

func TestSegmentClosed(t *testing.T) {
	s := openStore(t, events.SegmentConfig{Dir: t.TempDir()})
	appendBlocks(t, s, richBlock, 1, 2)
	closeStore(t, s)
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := s.Append(richBlock(3)); !errors.Is(err, events.ErrStoreClosed) {
		t.Errorf("Append after Close: error = %v, want ErrStoreClosed", err)
	}
	if _, err := s.Get(1); !errors.Is(err, events.ErrStoreClosed) {
		t.Errorf("Get after Close: error = %v, want ErrStoreClosed", err)
	}
}

func TestSegmentStrayFileNamedLikeASegment(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "latest.seg"), nil)
	_, err := events.OpenSegmentStore(events.SegmentConfig{Dir: dir})
	wantErrContains(t, err, "latest.seg")
}
