package events

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// ErrStoreClosed is returned by a SegmentStore used after Close.
var ErrStoreClosed = errors.New("event store closed")

// SegmentStore is a durable, append-only Store in a directory of segment
// files.
//
// Each segment file is named by the height of its first record, in 20
// digits (00000000000000000001.seg), and holds consecutive heights. A record
// is a 4-byte payload length, the 4-byte CRC-32C (Castagnoli) of the
// payload, both little-endian, then the payload: the block as MarshalBlock
// encodes it (proto/cometstream/events/v1 Block). Each record is written
// with one write call, at the end of the newest segment.
//
// Open reads every segment: a record is bad when it is incomplete, fails
// its checksum, or has no readable height. The rules:
//   - A bad record in the newest segment, with no good record anywhere after
//     it, is a torn tail (a crash during the write): the file is truncated
//     at the bad record, with a warning naming the file and the offset.
//   - A bad record followed by a good one (one whose checksum holds and
//     whose height is at least the bad record's), or a bad record in any
//     other segment, is corruption, which no crash of this writer makes:
//     Open fails, naming the file and the offset.
//   - A good record whose height is not the previous one plus one (the first
//     one: the file name's), and a segment that does not start right after
//     the previous one ends, are errors naming the file.
//   - A newest segment left with no record is deleted.
//
// Get serves the newest CacheBlocks blocks from memory, as the pointers
// Append was given, and older ones from disk, concurrently with Append.
type SegmentStore struct {
	cfg   SegmentConfig
	log   hclog.Logger
	cache *MemStore // the newest blocks appended since Open

	writeMu sync.Mutex // serialises Append and Close
	buf     []byte     // the record being written; under writeMu
	// undo takes back what a failed write left (a partial record, or a
	// new segment file); set while it has not succeeded, and retried by
	// the next Append before it writes. Under writeMu.
	undo func() error
	// failed is set, for good, when the store cannot know what the disk
	// holds: after a failed fsync the kernel may have dropped written data
	// and cleared the error, so no retry could tell. Under writeMu.
	failed error

	mu     sync.RWMutex // guards the index: segs, bytes, closed
	segs   []*segment   // oldest first; the last one is written to
	bytes  int64        // total size of segs
	closed bool
}

var _ Store = (*SegmentStore)(nil)

// segment is one file's part of the index.
type segment struct {
	first   int64
	path    string
	f       segmentFile
	offsets []uint32 // offsets[i] is where height first+i starts
	size    int64    // where the next record goes
}

func (g *segment) last() int64 { return g.first + int64(len(g.offsets)) - 1 }

// record returns where height h's record lies in the file.
func (g *segment) record(h int64) (off, n int64) {
	i := h - g.first
	off = int64(g.offsets[i])
	if i+1 < int64(len(g.offsets)) {
		return off, int64(g.offsets[i+1]) - off
	}
	return off, g.size - off
}

// Append implements Store. It writes b's record, then applies retention.
func (s *SegmentStore) Append(b *Block) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.closed {
		return ErrStoreClosed
	}
	if s.failed != nil {
		return s.failed
	}
	if b == nil {
		return errors.New("append: nil block")
	}
	if s.undo != nil {
		if err := s.undo(); err != nil {
			return fmt.Errorf("append height %d: still cannot take back a failed write: %w", b.Height, err)
		}
		s.undo = nil
	}
	var active *segment
	if n := len(s.segs); n > 0 {
		active = s.segs[n-1]
		if b.Height != active.last()+1 {
			return fmt.Errorf("append height %d after %d: %w", b.Height, active.last(), ErrGap)
		}
	}
	rec, err := appendRecord(s.buf[:0], b)
	if err != nil {
		return err
	}
	if cap(rec) <= 1<<20 {
		s.buf = rec
	}
	fresh := active == nil || active.size+int64(len(rec)) > s.cfg.SegmentBytes
	if fresh {
		if active, err = s.roll(active, b.Height); err != nil {
			return err
		}
	}
	if err := s.write(active, rec, b.Height, fresh); err != nil {
		return err
	}
	s.mu.Lock()
	if fresh {
		s.segs = append(s.segs, active)
	}
	active.offsets = append(active.offsets, uint32(active.size))
	active.size += int64(len(rec))
	s.bytes += int64(len(rec))
	s.mu.Unlock()
	if err := s.cache.Append(b); err != nil {
		// The store refuses gaps, so the cache cannot miss a height; were it
		// to, it restarts at b rather than serve a run with a hole. The
		// cache only saves reads: what it lacks is read from the files.
		if err = s.cache.Reset(); err == nil {
			err = s.cache.Append(b)
		}
		if err != nil {
			s.log.Warn("block cache refused a block; its readers read the file", "height", b.Height, "error", err)
		}
	}
	s.retain()
	return nil
}

// roll syncs the segment being left, so that only the newest segment can be
// torn by a power loss, and creates the one starting at height first. The
// new segment joins the index once its first record is written.
func (s *SegmentStore) roll(prev *segment, first int64) (*segment, error) {
	if prev != nil {
		if err := s.syncFile(prev.f); err != nil {
			s.failed = fmt.Errorf("append height %d: %w", first, s.syncFailed(prev, err))
			return nil, s.failed
		}
	}
	path := segmentPath(s.cfg.Dir, first)
	f, err := s.openFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o640)
	if err == nil {
		if err = s.syncDir(); err != nil {
			s.closeFile(f, path)
		}
	}
	if err != nil {
		// A file the failure left is not in the index and holds nothing
		// acknowledged: take it back now, or before the next Append.
		s.undo = func() error { return removeMissing(path) }
		if s.undo() == nil {
			s.undo = nil
		}
		return nil, fmt.Errorf("append: create segment: %w", err)
	}
	return &segment{first: first, path: path, f: f}, nil
}

// write puts rec at the end of g in one write call. On failure it takes
// back what was written; when it cannot, the next Append tries again before
// it writes, so that a full disk that frees up costs no restart.
func (s *SegmentStore) write(g *segment, rec []byte, h int64, fresh bool) error {
	if s.cfg.faultMidWrite != nil && s.cfg.faultMidWrite(h) {
		// A crash test: what the half write does is what a kill leaves.
		_, _ = g.f.WriteAt(rec[:len(rec)/2], g.size)
		s.cfg.exit()
		s.failed = fmt.Errorf("append height %d: fault injected in the middle of the write to %s", h, g.path)
		if fresh {
			s.closeFile(g.f, g.path)
		}
		return s.failed
	}
	if _, err := g.f.WriteAt(rec, g.size); err != nil {
		err = fmt.Errorf("append height %d: write %s: %w", h, g.path, err)
		if fresh {
			s.closeFile(g.f, g.path)
			s.undo = func() error { return removeMissing(g.path) }
		} else {
			s.undo = func() error { return g.f.Truncate(g.size) }
		}
		if uerr := s.undo(); uerr != nil {
			return errors.Join(err, uerr)
		}
		s.undo = nil
		return err
	}
	if s.cfg.SyncWrites {
		if err := s.syncFile(g.f); err != nil {
			s.failed = fmt.Errorf("append height %d: %w", h, s.syncFailed(g, err))
			if fresh {
				s.closeFile(g.f, g.path)
			}
			return s.failed
		}
	}
	return nil
}

// closeFile closes a segment file the store is done with (dropped by
// retention, or left by a failed append whose error is returned). A failed
// close loses nothing acknowledged, since what was acknowledged was written
// (and synced where configured) before; it is logged, not returned.
func (s *SegmentStore) closeFile(f segmentFile, path string) {
	if err := f.Close(); err != nil {
		s.log.Warn("close an event log segment", "file", path, "error", err)
	}
}

// syncFailed describes a failed fsync of g. The store then refuses appends:
// after a failed fsync the kernel may have dropped the data it held.
func (s *SegmentStore) syncFailed(g *segment, err error) error {
	return fmt.Errorf("sync %s: %w", g.path, err)
}

// retain deletes the oldest segments that retention drops. Called with
// writeMu held.
func (s *SegmentStore) retain() {
	if s.cfg.RetainHeights == 0 && s.cfg.RetainBytes == 0 {
		return
	}
	s.mu.Lock()
	var drop []*segment
	for len(s.segs) > 1 {
		g, newest := s.segs[0], s.segs[len(s.segs)-1].last()
		byHeights := s.cfg.RetainHeights > 0 && g.last() <= newest-s.cfg.RetainHeights
		byBytes := s.cfg.RetainBytes > 0 && s.bytes > s.cfg.RetainBytes
		if !byHeights && !byBytes {
			break
		}
		drop = append(drop, g)
		s.segs = s.segs[1:]
		s.bytes -= g.size
	}
	s.mu.Unlock()
	for i, g := range drop {
		s.closeFile(g.f, g.path)
		if err := os.Remove(g.path); err != nil {
			// Keep the files left a run of heights the next Open accepts.
			for _, g := range drop[i+1:] {
				s.closeFile(g.f, g.path)
			}
			logRemoveErr(s.log, g.path, err)
			return
		}
		s.log.Info("deleted an event log segment by retention", "file", g.path, "first", g.first, "last", g.last())
	}
}

// Get implements Store.
func (s *SegmentStore) Get(h int64) (*Block, error) {
	// A segment deleted or closed during the read sends us back to the
	// index, which then says why; once is enough unless retention races
	// with us again.
	for {
		g, off, n, err := s.locate(h)
		if err != nil {
			return nil, err
		}
		if b, err := s.cache.Get(h); err == nil {
			return b, nil
		}
		rec := make([]byte, n)
		if _, err := g.f.ReadAt(rec, off); err != nil {
			if errors.Is(err, os.ErrClosed) {
				continue
			}
			return nil, fmt.Errorf("get height %d: %s offset %d: %w", h, g.path, off, err)
		}
		b, err := decodeRecord(rec, h)
		if err != nil {
			return nil, fmt.Errorf("get height %d: %s offset %d: %w", h, g.path, off, err)
		}
		return b, nil
	}
}

// locate finds height h's record in the index.
func (s *SegmentStore) locate(h int64) (g *segment, off, n int64, err error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, 0, 0, ErrStoreClosed
	}
	if len(s.segs) == 0 || h > s.segs[len(s.segs)-1].last() {
		return nil, 0, 0, ErrNotYet
	}
	if oldest := s.segs[0].first; h < oldest {
		return nil, 0, 0, &PrunedError{Height: h, Oldest: oldest}
	}
	i := sort.Search(len(s.segs), func(i int) bool { return s.segs[i].first > h }) - 1
	g = s.segs[i]
	off, n = g.record(h)
	return g, off, n, nil
}

// Bounds implements Store.
func (s *SegmentStore) Bounds() (oldest, newest int64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(s.segs) == 0 {
		return 0, 0
	}
	return s.segs[0].first, s.segs[len(s.segs)-1].last()
}

// Close implements Store. Writes already made stay; with SyncWrites off they
// are synced here.
func (s *SegmentStore) Close() error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	segs := s.segs
	s.mu.Unlock()
	var errs []error
	for i, g := range segs {
		if i == len(segs)-1 && s.failed == nil {
			if err := s.syncFile(g.f); err != nil {
				errs = append(errs, fmt.Errorf("close event store: sync %s: %w", g.path, err))
			}
		}
		if err := g.f.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close event store: %s: %w", g.path, err))
		}
	}
	return errors.Join(errs...)
}

// SizeBytes returns the total size of the segment files, for metrics.
func (s *SegmentStore) SizeBytes() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.bytes
}
