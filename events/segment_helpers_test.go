package events_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/cometstream/cometstream/events"
)

// richBlock uses every field of Block; every third height has no tx.
func richBlock(h int64) *events.Block {
	sum := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(h)))
	b := &events.Block{
		Height: h,
		Hash:   sum[:],
		Time:   time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC).Add(time.Duration(h)*time.Second + time.Duration(h)),
	}
	if h%3 == 0 {
		return b
	}
	id := func(i int) string { return events.RawID(fmt.Appendf(nil, "%d/%d", h, i)) }
	b.Txs = []events.Tx{
		{Index: 0, ID: id(0), AssetIDs: []string{id(0)}, Operation: "CREATE", PublicKeys: []string{"pkA" + id(0)[:8]}},
		{Index: 2, ID: id(2), AssetIDs: []string{id(0), id(1)}, Operation: "TRANSFER",
			PublicKeys: []string{"pkB", "pkC"}, OwnersBefore: []string{"pkA" + id(0)[:8]}},
		{Index: 5, ID: id(5), AssetIDs: []string{id(5)}},
	}
	return b
}

// logBuffer is an hclog output tests read back.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) logger() hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Output: l, Level: hclog.Debug})
}

func openStore(t testing.TB, cfg events.SegmentConfig) *events.SegmentStore {
	t.Helper()
	s, err := events.OpenSegmentStore(cfg)
	if err != nil {
		t.Fatalf("OpenSegmentStore: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func appendBlocks(t testing.TB, s events.Store, mk func(int64) *events.Block, from, to int64) {
	t.Helper()
	for h := from; h <= to; h++ {
		if err := s.Append(mk(h)); err != nil {
			t.Fatalf("Append(%d): %v", h, err)
		}
	}
}

func closeStore(t testing.TB, s *events.SegmentStore) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func checkBounds(t testing.TB, s events.Store, oldest, newest int64) {
	t.Helper()
	if o, n := s.Bounds(); o != oldest || n != newest {
		t.Fatalf("Bounds = %d, %d; want %d, %d", o, n, oldest, newest)
	}
}

func segName(first int64) string { return fmt.Sprintf("%020d.seg", first) }

// segFiles lists the segment files of dir by name.
func segFiles(t testing.TB, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.seg"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range m {
		m[i] = filepath.Base(m[i])
	}
	slices.Sort(m)
	return m
}

// frame is a record as the documented format says: u32 length, u32
// CRC-32C, payload, little-endian.
func frame(t testing.TB, b *events.Block) []byte {
	t.Helper()
	payload, err := events.MarshalBlock(b)
	if err != nil {
		t.Fatalf("MarshalBlock(%d): %v", b.Height, err)
	}
	rec := binary.LittleEndian.AppendUint32(nil, uint32(len(payload)))
	rec = binary.LittleEndian.AppendUint32(rec, crc32c(payload))
	return append(rec, payload...)
}

func crc32c(p []byte) uint32 { return crc32.Checksum(p, crc32.MakeTable(crc32.Castagnoli)) }

// recordOffsets returns where each record of a segment file starts, and the
// file's contents, following the length fields.
func recordOffsets(t testing.TB, path string) ([]int, []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var offs []int
	for off := 0; off < len(data); {
		offs = append(offs, off)
		off += 8 + int(binary.LittleEndian.Uint32(data[off:]))
	}
	return offs, data
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o640); err != nil {
		t.Fatal(err)
	}
}

// copyDir copies the regular files of src into a new directory.
func copyDir(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		in, err := os.Open(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.Create(filepath.Join(dst, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.Copy(out, in)
		in.Close()
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// wantErrContains fails unless err is not nil and mentions every part.
func wantErrContains(t testing.TB, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("error = nil, want one containing %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Fatalf("error %q does not contain %q", err, p)
		}
	}
}
