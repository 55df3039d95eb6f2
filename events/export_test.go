package events

import "os"

// WithoutSync returns cfg with every fsync skipped, for fuzz tests that open
// stores by the thousand. Durability is not what they test.
func WithoutSync(cfg SegmentConfig) SegmentConfig {
	cfg.noSync = true
	return cfg
}

// SegmentFile is what a SegmentStore does with a segment file.
type SegmentFile = segmentFile

// WithOpenFile returns cfg with every segment file opened by open, for
// tests that inject faults into real files.
func WithOpenFile(cfg SegmentConfig, open func(path string, flag int, perm os.FileMode) (SegmentFile, error)) SegmentConfig {
	cfg.openFile = open
	return cfg
}

// OpenOSFile is how a SegmentStore opens its files by default.
func OpenOSFile(path string, flag int, perm os.FileMode) (SegmentFile, error) {
	return openOSFile(path, flag, perm)
}

// WithFaultMidWrite returns cfg with the crash test's mid-write fault set:
// at a height where fire is true, Append writes half the record and calls
// exit (nil: the process exits, as at an armed fault).
func WithFaultMidWrite(cfg SegmentConfig, fire func(height int64) bool, exit func()) SegmentConfig {
	cfg.faultMidWrite, cfg.exit = fire, exit
	return cfg
}
