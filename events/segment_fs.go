package events

import (
	"errors"
	"io"
	"os"
)

// segmentFile is what a SegmentStore does with a segment file: *os.File,
// or, in tests, a layer over it that injects faults (export_test.go), so
// that full disks and failing truncates are tested on real files.
type segmentFile interface {
	io.ReaderAt
	io.WriterAt
	Truncate(size int64) error
	Sync() error
	Stat() (os.FileInfo, error)
	Close() error
}

// openFile opens a segment file through the configured hook.
func (s *SegmentStore) openFile(path string, flag int, perm os.FileMode) (segmentFile, error) {
	if s.cfg.openFile != nil {
		return s.cfg.openFile(path, flag, perm)
	}
	return openOSFile(path, flag, perm)
}

func openOSFile(path string, flag int, perm os.FileMode) (segmentFile, error) {
	f, err := os.OpenFile(path, flag, perm)
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return f, nil
}

// removeMissing removes path; a file already gone is no error.
func removeMissing(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
