package events_test

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cometstream/cometstream/events"
)

// tornTailCase is a store of heights 1..newest whose newest record is the
// last of the newest segment.
type tornTailCase struct {
	name     string
	segBytes int64
	newest   int64
}

var tornTailCases = []tornTailCase{
	{"newest segment holds earlier records", 1 << 20, 5},
	// A block without tx keeps this case short: every roll syncs.
	{"newest record alone in its segment", 1, 6},
}

// A write torn at any byte of the newest record is repaired: every whole
// record stays, and appending goes on at the torn height.
func TestSegmentTruncatedTailAtEveryOffset(t *testing.T) {
	for _, tc := range tornTailCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			newest := tc.newest
			golden := t.TempDir()
			s := openStore(t, events.SegmentConfig{Dir: golden, SegmentBytes: tc.segBytes})
			appendBlocks(t, s, richBlock, 1, newest)
			closeStore(t, s)
			files := segFiles(t, golden)
			last := files[len(files)-1]
			offs, data := recordOffsets(t, filepath.Join(golden, last))
			start := offs[len(offs)-1]

			for cut := start; cut < len(data); cut++ {
				dir := copyDir(t, golden)
				path := filepath.Join(dir, last)
				if err := os.Truncate(path, int64(cut)); err != nil {
					t.Fatal(err)
				}
				var logs logBuffer
				s, err := events.OpenSegmentStore(events.WithoutSync(events.SegmentConfig{Dir: dir, SegmentBytes: tc.segBytes, Logger: logs.logger()}))
				if err != nil {
					t.Fatalf("cut at %d: Open: %v", cut, err)
				}
				checkBounds(t, s, 1, newest-1)
				if l := logs.String(); cut > start && (!strings.Contains(l, path) || !strings.Contains(l, fmt.Sprintf("offset=%d", start))) {
					t.Errorf("cut at %d: the warning does not name %s and offset %d:\n%s", cut, path, start, logs.String())
				}
				for h := int64(1); h < newest; h++ {
					if got, err := s.Get(h); err != nil || got.Height != h {
						t.Fatalf("cut at %d: Get(%d) = %v, %v", cut, h, got, err)
					}
				}
				appendBlocks(t, s, richBlock, newest, newest+1)
				closeStore(t, s)

				s = openStore(t, events.WithoutSync(events.SegmentConfig{Dir: dir, SegmentBytes: tc.segBytes}))
				checkBounds(t, s, 1, newest+1)
				got, err := s.Get(newest)
				if err != nil {
					t.Fatalf("cut at %d: after repair and reopen, Get(%d): %v", cut, newest, err)
				}
				if diff := cmp.Diff(richBlock(newest), got); diff != "" {
					t.Fatalf("cut at %d: Get(%d) (-want +got):\n%s", cut, newest, diff)
				}
				closeStore(t, s)
			}
		})
	}
}

// corruptTail builds heights 1..5 in one segment, lets edit change the
// file, opens the store and returns it (nil on error) and the error.
func openEdited(t *testing.T, segBytes int64, edit func(path string, data []byte, offs []int) []byte) (*events.SegmentStore, string, error) {
	t.Helper()
	dir := t.TempDir()
	s := openStore(t, events.SegmentConfig{Dir: dir, SegmentBytes: segBytes})
	appendBlocks(t, s, richBlock, 1, 5)
	closeStore(t, s)
	files := segFiles(t, dir)
	for _, name := range files {
		path := filepath.Join(dir, name)
		offs, data := recordOffsets(t, path)
		if out := edit(path, data, offs); out != nil {
			writeFile(t, path, out)
		}
	}
	s, err := events.OpenSegmentStore(events.SegmentConfig{Dir: dir, SegmentBytes: segBytes})
	if err == nil {
		t.Cleanup(func() { s.Close() })
	}
	return s, dir, err
}

func TestSegmentCorruptTailIsRepaired(t *testing.T) {
	tests := []struct {
		name string
		at   func(offs []int) int // byte to flip, from the newest record's offsets
	}{
		{"checksum field", func(offs []int) int { return offs[len(offs)-1] + 5 }},
		{"payload", func(offs []int) int { return offs[len(offs)-1] + 20 }},
		{"length field", func(offs []int) int { return offs[len(offs)-1] + 3 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, err := openEdited(t, 1<<20, func(_ string, data []byte, offs []int) []byte {
				data[tt.at(offs)] ^= 0x40
				return data
			})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			checkBounds(t, s, 1, 4)
			appendBlocks(t, s, richBlock, 5, 6)
		})
	}
}

// Zeros at the end, as a file extended by a power loss may show, are a torn
// tail too.
func TestSegmentZeroFilledTailIsRepaired(t *testing.T) {
	s, _, err := openEdited(t, 1<<20, func(_ string, data []byte, _ []int) []byte {
		return append(data, make([]byte, 4096)...)
	})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	checkBounds(t, s, 1, 5)
}

func TestSegmentCorruptionFollowedByGoodRecordIsAnError(t *testing.T) {
	tests := []struct {
		name string
		at   func(offs []int) int
	}{
		{"payload of a middle record", func(offs []int) int { return offs[2] + 20 }},
		{"checksum of a middle record", func(offs []int) int { return offs[2] + 5 }},
		{"length of a middle record", func(offs []int) int { return offs[2] + 1 }},
		{"length of the first record", func(offs []int) int { return 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var path string
			var at int
			_, _, err := openEdited(t, 1<<20, func(p string, data []byte, offs []int) []byte {
				path, at = p, offs[0]
				if tt.at(offs) >= offs[2] {
					at = offs[2]
				}
				data[tt.at(offs)] ^= 0x40
				return data
			})
			wantErrContains(t, err, path, fmt.Sprintf("offset %d", at), "not a torn tail")
		})
	}
}

func TestSegmentCorruptionInOlderSegmentIsAnError(t *testing.T) {
	tests := []struct {
		name string
		edit func(data []byte, offs []int) []byte
		want string
	}{
		{"flipped payload byte", func(data []byte, _ []int) []byte { data[20] ^= 1; return data }, "offset 0"},
		{"truncated", func(data []byte, _ []int) []byte { return data[:len(data)-1] }, "offset 0"},
		{"emptied", func([]byte, []int) []byte { return []byte{} }, "no record"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var path string
			_, _, err := openEdited(t, 1, func(p string, data []byte, offs []int) []byte {
				if !strings.HasSuffix(p, segName(2)) {
					return nil
				}
				path = p
				return tt.edit(data, offs)
			})
			wantErrContains(t, err, path, tt.want, "not the newest segment")
		})
	}
}

func TestSegmentHeightsMustBeConsecutive(t *testing.T) {
	t.Run("within a segment", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, segName(1))
		var data []byte
		for _, h := range []int64{1, 2, 4} {
			data = append(data, frame(t, richBlock(h))...)
		}
		writeFile(t, path, data)
		_, err := events.OpenSegmentStore(events.SegmentConfig{Dir: dir})
		wantErrContains(t, err, path, "height 4 where 3 was expected")
	})
	t.Run("first record against the file name", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, segName(2))
		writeFile(t, path, frame(t, richBlock(1)))
		_, err := events.OpenSegmentStore(events.SegmentConfig{Dir: dir})
		wantErrContains(t, err, path, "height 1 where 2 was expected")
	})
	t.Run("across segments", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, segName(1)), append(frame(t, richBlock(1)), frame(t, richBlock(2))...))
		writeFile(t, filepath.Join(dir, segName(4)), frame(t, richBlock(4)))
		_, err := events.OpenSegmentStore(events.SegmentConfig{Dir: dir})
		wantErrContains(t, err, segName(1), segName(4), "consecutive")
	})
}

// The documented format, written by hand, is what the store reads.
func TestSegmentReadsHandWrittenFiles(t *testing.T) {
	dir := t.TempDir()
	var data []byte
	for h := int64(7); h <= 9; h++ {
		data = append(data, frame(t, richBlock(h))...)
	}
	writeFile(t, filepath.Join(dir, "00000000000000000007.seg"), data)
	s := openStore(t, events.SegmentConfig{Dir: dir})
	checkBounds(t, s, 7, 9)
	got, err := s.Get(8)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(richBlock(8), got); diff != "" {
		t.Errorf("Get(8) (-want +got):\n%s", diff)
	}
}

// A good checksum over a payload that does not decode is found by Get,
// which names the file and offset.
func TestSegmentUndecodableRecordErrorsOnGet(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, segName(1))
	good := frame(t, richBlock(1))
	payload := []byte{0x08, 0x02, 0x22, 0x00} // height 2, then an empty tx: no id
	bad := binary.LittleEndian.AppendUint32(nil, uint32(len(payload)))
	bad = binary.LittleEndian.AppendUint32(bad, crc32c(payload))
	writeFile(t, path, append(good, append(bad, payload...)...))
	s := openStore(t, events.SegmentConfig{Dir: dir})
	checkBounds(t, s, 1, 2)
	_, err := s.Get(2)
	wantErrContains(t, err, path, fmt.Sprintf("offset %d", len(good)), "no id")
}
