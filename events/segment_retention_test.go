package events_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cometstream/cometstream/events"
)

// fixedBlock makes records of one size for heights 1 to 127 (one-byte
// varint), so that segments hold a known number of them.
func fixedBlock(h int64) *events.Block {
	id := fmt.Sprintf("%064d", h)
	return &events.Block{Height: h, Txs: []events.Tx{{ID: id, AssetIDs: []string{id}}}}
}

func fixedRecordSize(t *testing.T) int64 {
	t.Helper()
	size := int64(len(frame(t, fixedBlock(1))))
	if other := int64(len(frame(t, fixedBlock(127)))); other != size {
		t.Fatalf("record sizes differ: %d and %d", size, other)
	}
	return size
}

func TestSegmentRetention(t *testing.T) {
	rec := fixedRecordSize(t)
	// Three records per segment: 1-3, 4-6, ..., 28-30.
	tests := []struct {
		name       string
		heights    int64
		bytes      int64
		wantOldest int64
	}{
		{"keep all", 0, 0, 1},
		// The newest 5 are 26..30: 25-27 stays, 22-24 goes.
		{"by heights", 5, 0, 25},
		{"by heights, exactly whole segments", 6, 0, 25},
		{"by heights, more than held", 100, 0, 1},
		// At most 9 records: 22-24, 25-27, 28-30.
		{"by bytes", 0, 9 * rec, 22},
		{"by bytes, less than a segment keeps the one written to", 0, 1, 28},
		{"both: either rule drops", 20, 9 * rec, 22},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := events.SegmentConfig{Dir: t.TempDir(), SegmentBytes: 3 * rec, RetainHeights: tt.heights, RetainBytes: tt.bytes, CacheBlocks: 64}
			s := openStore(t, cfg)
			appendBlocks(t, s, fixedBlock, 1, 30)
			check := func(when string) {
				t.Helper()
				checkBounds(t, s, tt.wantOldest, 30)
				if files := segFiles(t, cfg.Dir); len(files) != int(30-tt.wantOldest+1)/3 || files[0] != segName(tt.wantOldest) {
					t.Fatalf("%s: segments %v, want from %s", when, files, segName(tt.wantOldest))
				}
				if tt.wantOldest > 1 {
					var pe *events.PrunedError
					// Height 1 is still in the cache: retention rules Get.
					for _, h := range []int64{1, tt.wantOldest - 1} {
						if _, err := s.Get(h); !errors.As(err, &pe) || pe.Oldest != tt.wantOldest || !errors.Is(err, events.ErrPruned) {
							t.Fatalf("%s: Get(%d): error = %v, want PrunedError with oldest %d", when, h, err, tt.wantOldest)
						}
					}
				}
				if got, err := s.Get(tt.wantOldest); err != nil || got.Height != tt.wantOldest {
					t.Fatalf("%s: Get(%d) = %v, %v", when, tt.wantOldest, got, err)
				}
			}
			check("after appends")
			closeStore(t, s)
			s = openStore(t, cfg)
			check("after reopen")
		})
	}
}

// Retention set on a store that kept everything applies at Open.
func TestSegmentRetentionAtOpen(t *testing.T) {
	rec := fixedRecordSize(t)
	dir := t.TempDir()
	s := openStore(t, events.SegmentConfig{Dir: dir, SegmentBytes: 3 * rec})
	appendBlocks(t, s, fixedBlock, 1, 30)
	closeStore(t, s)

	var logs logBuffer
	s = openStore(t, events.SegmentConfig{Dir: dir, SegmentBytes: 3 * rec, RetainHeights: 5, Logger: logs.logger()})
	checkBounds(t, s, 25, 30)
	if diff := cmp.Diff([]string{segName(25), segName(28)}, segFiles(t, dir)); diff != "" {
		t.Errorf("segments (-want +got):\n%s", diff)
	}
	if got := logs.String(); !strings.Contains(got, segName(1)) || !strings.Contains(got, segName(22)) || !strings.Contains(got, "retention") {
		t.Errorf("deletions not logged:\n%s", got)
	}
}
