package events

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/hashicorp/go-hclog"
)

// OpenSegmentStore opens, or creates, the store in cfg.Dir. It reads every
// segment to rebuild the index, repairs a torn tail of the newest one, and
// applies retention. See SegmentStore for what it refuses.
func OpenSegmentStore(cfg SegmentConfig) (*SegmentStore, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("open event store: %w", err)
	}
	cache, err := NewMemStore(cfg.CacheBlocks)
	if err != nil {
		return nil, fmt.Errorf("open event store: %w", err)
	}
	s := &SegmentStore{cfg: cfg, log: cfg.Logger.Named("eventstore"), cache: cache}
	if err := s.load(); err != nil {
		for _, g := range s.segs {
			s.closeFile(g.f, g.path)
		}
		return nil, fmt.Errorf("open event store: %w", err)
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.retain()
	return s, nil
}

// load scans the segment files in height order into s.segs.
func (s *SegmentStore) load() error {
	entries, err := os.ReadDir(s.cfg.Dir)
	if err != nil {
		return err
	}
	var firsts []int64
	for _, e := range entries {
		if e.IsDir() || !isSegmentName(e.Name()) {
			continue
		}
		first, err := parseSegmentName(e.Name())
		if err != nil {
			return fmt.Errorf("%s: %w", s.cfg.Dir, err)
		}
		firsts = append(firsts, first)
	}
	slices.Sort(firsts)
	for i, first := range firsts {
		if n := len(s.segs); n > 0 && s.segs[n-1].last()+1 != first {
			prev := s.segs[n-1]
			return fmt.Errorf("%s ends at height %d but %s starts at %d: heights must be consecutive",
				prev.path, prev.last(), segmentPath(s.cfg.Dir, first), first)
		}
		g, err := s.loadSegment(first, i == len(firsts)-1)
		if err != nil {
			return err
		}
		if g == nil {
			continue // the newest segment held nothing whole and is gone
		}
		s.segs = append(s.segs, g)
		s.bytes += g.size
	}
	return nil
}

// loadSegment scans one segment. Damage in the newest segment is repaired
// when it is a torn tail (see SegmentStore); a segment left with no record
// is deleted and nil returned.
func (s *SegmentStore) loadSegment(first int64, newest bool) (*segment, error) {
	path := segmentPath(s.cfg.Dir, first)
	f, err := s.openFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	g, err := s.scanFile(f, path, first, newest)
	if err != nil || g == nil {
		s.closeFile(f, path)
		if err == nil {
			err = s.removeEmpty(path)
		}
		return nil, err
	}
	return g, nil
}

func (s *SegmentStore) scanFile(f segmentFile, path string, first int64, newest bool) (*segment, error) {
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	sc, err := scanSegment(io.NewSectionReader(f, 0, info.Size()), info.Size(), first)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if d := sc.damage; d != nil {
		if !newest {
			return nil, fmt.Errorf("%s: offset %d: %s (not the newest segment, so not a torn write)", path, d.offset, d.reason)
		}
		next := first + int64(len(sc.offsets))
		at, err := findRecord(f, d.offset+1, info.Size(), next)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if at >= 0 {
			return nil, fmt.Errorf("%s: offset %d: %s, and a good record follows at offset %d, so not a torn tail",
				path, d.offset, d.reason, at)
		}
		if err := f.Truncate(d.offset); err != nil {
			return nil, fmt.Errorf("%s: repair torn tail: %w", path, err)
		}
		if err := s.syncFile(f); err != nil {
			return nil, fmt.Errorf("%s: repair torn tail: %w", path, err)
		}
		s.log.Warn("repaired the torn tail of the event log", "file", path, "offset", d.offset,
			"reason", d.reason, "dropped_bytes", info.Size()-d.offset, "next_height", next)
	}
	if len(sc.offsets) == 0 {
		if !newest {
			return nil, fmt.Errorf("%s: no record (not the newest segment)", path)
		}
		return nil, nil
	}
	return &segment{first: first, path: path, f: f, offsets: sc.offsets, size: sc.size}, nil
}

// removeEmpty deletes a newest segment that holds no whole record, as a
// crash right after creating it leaves it.
func (s *SegmentStore) removeEmpty(path string) error {
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("remove empty segment: %w", err)
	}
	s.log.Warn("removed an event log segment with no whole record", "file", path)
	return s.syncDir()
}

func isSegmentName(name string) bool {
	n := len(name) - len(segmentExt)
	return n > 0 && name[n:] == segmentExt
}

// logRemoveErr reports a segment file that could not be deleted.
func logRemoveErr(log hclog.Logger, path string, err error) {
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		log.Error("cannot delete an event log segment", "file", path, "error", err)
	}
}
