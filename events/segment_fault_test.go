package events_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cometstream/cometstream/events"
)

func TestSegmentFaultMidWrite(t *testing.T) {
	tests := []struct {
		name     string
		segBytes int64
	}{
		{"into the newest segment", 1 << 20},
		{"as the first record of a new segment", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			exits := 0
			s := openStore(t, events.WithFaultMidWrite(events.SegmentConfig{Dir: dir, SegmentBytes: tt.segBytes},
				func(h int64) bool { return h == 7 }, func() { exits++ }))
			appendBlocks(t, s, richBlock, 1, 6)
			if err := s.Append(richBlock(7)); err == nil || !strings.Contains(err.Error(), "fault injected") {
				t.Fatalf("Append(7): error = %v, want the injected fault", err)
			}
			if exits != 1 {
				t.Fatalf("Exit called %d times, want 1", exits)
			}
			// The half record stays as a crash leaves it: nothing more is written.
			if err := s.Append(richBlock(7)); err == nil {
				t.Fatal("Append after the fault: error = nil")
			}
			closeStore(t, s)

			var logs logBuffer
			s, err := events.OpenSegmentStore(events.SegmentConfig{Dir: dir, SegmentBytes: tt.segBytes, Logger: logs.logger()})
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			defer s.Close()
			checkBounds(t, s, 1, 6)
			if !strings.Contains(logs.String(), "[WARN]") {
				t.Errorf("no warning about the repair:\n%s", logs.String())
			}
			appendBlocks(t, s, richBlock, 7, 8)
		})
	}
}

// The default Exit ends the process in the middle of the write, as kill -9
// would; the next open repairs the file.
func TestSegmentFaultMidWriteExitsTheProcess(t *testing.T) {
	if dir := os.Getenv("SEGMENT_FAULT_DIR"); dir != "" {
		s, err := events.OpenSegmentStore(events.WithFaultMidWrite(events.SegmentConfig{Dir: dir},
			func(h int64) bool { return h == 3 }, nil))
		if err != nil {
			t.Fatal(err)
		}
		for h := int64(1); h <= 3; h++ {
			s.Append(richBlock(h))
		}
		t.Fatal("the process survived the fault")
	}
	if testing.Short() {
		t.Skip("runs the test binary again")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSegmentFaultMidWriteExitsTheProcess$")
	cmd.Env = append(os.Environ(), "SEGMENT_FAULT_DIR="+dir)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Fatalf("child: %v, want exit status 3; output:\n%s", err, out)
	}
	offs, data := recordOffsets(t, filepath.Join(dir, segName(1)))
	if len(offs) != 3 || len(data) >= offs[2]+len(frame(t, richBlock(3))) {
		t.Fatalf("segment after the fault: %d bytes, records at %v; want a half third record", len(data), offs)
	}
	s := openStore(t, events.SegmentConfig{Dir: dir})
	checkBounds(t, s, 1, 2)
	appendBlocks(t, s, richBlock, 3, 3)
}
