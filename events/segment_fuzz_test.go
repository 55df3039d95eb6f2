package events_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cometstream/cometstream/events"
)

// FuzzSegmentOpen opens arbitrary bytes as the segment of heights from 1,
// either the newest one or one followed by a good segment starting at
// height 3. Open repairs or fails naming a file, never panics; what it
// accepts reads back, takes the next append and opens again unchanged.
func FuzzSegmentOpen(f *testing.F) {
	var good []byte
	for h := int64(1); h <= 2; h++ {
		good = append(good, frame(f, richBlock(h))...)
	}
	f.Add(good, true)
	f.Add(good, false)
	f.Add(good[:len(good)-3], true)
	f.Add(good[:len(good)-3], false)
	f.Add(append(append([]byte{}, good...), make([]byte, 16)...), true)
	f.Add([]byte{}, true)
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 0}, true)
	next := frame(f, richBlock(3))

	f.Fuzz(func(t *testing.T, data []byte, newest bool) {
		dir := t.TempDir()
		path := filepath.Join(dir, segName(1))
		writeFile(t, path, data)
		if !newest {
			writeFile(t, filepath.Join(dir, segName(3)), next)
		}
		s, err := events.OpenSegmentStore(events.WithoutSync(events.SegmentConfig{Dir: dir}))
		if err != nil {
			if !strings.Contains(err.Error(), dir) {
				t.Fatalf("error names no file: %v", err)
			}
			return
		}
		defer s.Close()
		if !newest {
			if got, _ := os.ReadFile(path); !bytes.Equal(got, data) {
				t.Fatal("a segment that is not the newest was changed")
			}
		}
		oldest, top := s.Bounds()
		if top != 0 && oldest != 1 {
			t.Fatalf("Bounds = %d, %d; want oldest 1", oldest, top)
		}
		for h := oldest; h <= top && h != 0; h++ {
			// A good checksum over an undecodable payload errors here.
			if b, err := s.Get(h); err == nil && b.Height != h {
				t.Fatalf("Get(%d) returned height %d", h, b.Height)
			}
		}
		if err := s.Append(richBlock(top + 1)); err != nil {
			t.Fatalf("Append(%d) after open: %v", top+1, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s, err = events.OpenSegmentStore(events.WithoutSync(events.SegmentConfig{Dir: dir}))
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		defer s.Close()
		if o, n := s.Bounds(); o != max(oldest, 1) || n != top+1 {
			t.Fatalf("Bounds after reopen = %d, %d; want %d, %d", o, n, max(oldest, 1), top+1)
		}
	})
}
