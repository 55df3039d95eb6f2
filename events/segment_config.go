package events

import (
	"errors"
	"fmt"
	"os"

	"github.com/hashicorp/go-hclog"

	"github.com/cometstream/cometstream/internal/fault"
)

// Defaults of SegmentConfig.
const (
	DefaultSegmentBytes = 64 << 20
	DefaultCacheBlocks  = 256
)

// SegmentConfig configures a SegmentStore. Only Dir is required.
type SegmentConfig struct {
	// Dir holds the segment files; it is created if missing. The node
	// uses <home>/data/eventlog. One store at a time may use a directory.
	Dir string

	// SegmentBytes is the size at which the store starts a new segment
	// file: a record that would take the current one past it goes to a new
	// one. At most 1 GiB. Defaults to 64 MiB.
	SegmentBytes int64

	// RetainHeights, when positive, keeps at least the newest RetainHeights
	// heights: a segment is deleted once all its heights are older.
	// Defaults to 0: keep every height.
	RetainHeights int64

	// RetainBytes, when positive, bounds the size of the segments: the
	// oldest are deleted while together they exceed it, except the one
	// being written. Defaults to 0: no bound. With both retention settings,
	// a segment goes as soon as either rule drops it.
	RetainBytes int64

	// SyncWrites makes every Append wait for fsync. Defaults to false: a
	// record is handed to the operating system in one write, so a process
	// crash (kill -9 included) loses nothing written, and a write torn by
	// the crash is repaired at the next open. What a power loss takes from
	// the newest segment is recorded again by the node, which reconciles
	// the log with CometBFT's block store at start; sealed segments are
	// synced when the store moves on to a new one.
	SyncWrites bool

	// CacheBlocks is how many of the newest appended blocks stay decoded
	// in memory, so that live readers share one *Block and read no disk.
	// Defaults to 256.
	CacheBlocks int

	// Logger receives the repairs and deletions. Defaults to discarding.
	Logger hclog.Logger

	// faultMidWrite is for crash tests only: the process's fault plan
	// (internal/fault, armed by the environment) or a test's. When it
	// returns true for the height being appended, Append writes the first
	// half of the record, as a process killed in the middle of the write
	// would, then calls exit. If exit returns, so does Append, with an
	// error, and the store refuses further appends: the half record stays
	// as a crash leaves it.
	faultMidWrite func(height int64) bool
	exit          func()

	// noSync skips every fsync, for tests that open stores by the
	// thousand (export_test.go).
	noSync bool

	// openFile, when set, opens every segment file instead of os.OpenFile:
	// tests wrap real files to inject faults (export_test.go).
	openFile func(path string, flag int, perm os.FileMode) (segmentFile, error)
}

func (c SegmentConfig) withDefaults() (SegmentConfig, error) {
	var errs []error
	if c.Dir == "" {
		errs = append(errs, errors.New("dir is required"))
	}
	switch {
	case c.SegmentBytes == 0:
		c.SegmentBytes = DefaultSegmentBytes
	case c.SegmentBytes < 0 || c.SegmentBytes > maxSegmentBytes:
		errs = append(errs, fmt.Errorf("segment bytes %d: want 1 to %d", c.SegmentBytes, maxSegmentBytes))
	}
	if c.RetainHeights < 0 {
		errs = append(errs, fmt.Errorf("retain heights %d: want 0 (keep all) or more", c.RetainHeights))
	}
	if c.RetainBytes < 0 {
		errs = append(errs, fmt.Errorf("retain bytes %d: want 0 (no bound) or more", c.RetainBytes))
	}
	switch {
	case c.CacheBlocks == 0:
		c.CacheBlocks = DefaultCacheBlocks
	case c.CacheBlocks < 0:
		errs = append(errs, fmt.Errorf("cache blocks %d: want 0 (default) or more", c.CacheBlocks))
	}
	if c.Logger == nil {
		c.Logger = hclog.NewNullLogger()
	}
	if c.faultMidWrite == nil {
		if plan, _ := fault.Armed(); plan.Point == fault.MidLogWrite {
			c.faultMidWrite = func(h int64) bool { return plan.Hit(fault.MidLogWrite, h) }
			c.exit = func() { fault.Exit(fault.MidLogWrite, plan.Height) }
		}
	}
	if c.exit == nil {
		c.exit = func() { os.Exit(fault.ExitCode) }
	}
	if err := errors.Join(errs...); err != nil {
		return c, fmt.Errorf("segment store config: %w", err)
	}
	return c, nil
}
