package integration_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cometstream/cometstream/events"
)

// startFails runs "start" on the node's home and wants it to exit with
// status 1 (not a panic's 2) and an output that contains every one of want.
func (n *binaryNode) startFails(t *testing.T, want ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, n.bin, append([]string{"start"}, n.flags...)...).CombinedOutput()
	checkExit1(t, err, out, want...)
	return string(out)
}

func checkExit1(t *testing.T, err error, out []byte, want ...string) {
	t.Helper()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("start: %v, want exit status 1; output:\n%s", err, out)
	}
	t.Logf("start failed as it should:\n%s", out)
	if bytes.Contains(out, []byte("panic")) {
		t.Errorf("start panicked:\n%s", out)
	}
	for _, w := range want {
		if !bytes.Contains(out, []byte(w)) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

// TestStartOnARunningHome: a second start on the home of a running node
// fails on the databases' lock, says so, and leaves the first node running.
func TestStartOnARunningHome(t *testing.T) {
	if testing.Short() {
		t.Skip("runs node processes")
	}
	n := newBinaryNode(t)
	n.startWithEnv(t)
	waitFor(t, "a block", 60*time.Second, func() bool { return n.height() > 0 })
	n.startFails(t, "cometstream: open ledger:", "resource temporarily unavailable",
		"is another node running on this home?")
	h := n.height()
	waitFor(t, "the first node to go on", 60*time.Second, func() bool { return n.height() > h })
	if err := n.proc.stop(t, syscall.SIGTERM); err != nil {
		t.Errorf("first node exit: %v", err)
	}
}

// TestStartOnAPortInUse: an address another process listens on is named,
// with a hint, and the start exits 1.
func TestStartOnAPortInUse(t *testing.T) {
	if testing.Short() {
		t.Skip("runs node processes")
	}
	n := newBinaryNode(t)
	web := n.flags[slices.Index(n.flags, "--webapi.laddr")+1]
	ln, err := net.Listen("tcp", web)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	n.startFails(t, web+": bind: address already in use", "another process listens there")
}

// TestStartWithoutValidatorKey: a missing priv_validator_key.json is named.
func TestStartWithoutValidatorKey(t *testing.T) {
	if testing.Short() {
		t.Skip("runs node processes")
	}
	n := newBinaryNode(t)
	key := filepath.Join(n.home, "config", "priv_validator_key.json")
	if err := os.Remove(key); err != nil {
		t.Fatal(err)
	}
	n.startFails(t, "validator file "+key+" missing", "restore it from a backup")
}

// TestStartOnADamagedEventLog flips one byte in a sealed segment, then in
// a record of the newest one that a good record follows: each start fails
// with the file and the offset, and the failed start changes no file. A
// flipped byte in the newest segment's last record is repaired as a torn
// write, and the height is written again: no history is lost. The
// node's log is rewritten into small segments first, since a node's own
// are 64 MiB.
func TestStartOnADamagedEventLog(t *testing.T) {
	if testing.Short() {
		t.Skip("runs node processes")
	}
	n := newBinaryNode(t)
	n.startWithEnv(t)
	waitFor(t, "20 blocks", 2*time.Minute, func() bool { return n.height() >= 20 })
	if err := n.proc.stop(t, syscall.SIGTERM); err != nil {
		t.Fatalf("node exit: %v", err)
	}
	dir := filepath.Join(n.home, "data", "eventlog")
	segs := resegment(t, dir, 300)
	if len(segs) < 3 {
		t.Fatalf("%d segments, want at least 3", len(segs))
	}
	newest := segs[len(segs)-1]
	tests := []struct {
		name string
		file string
		want string
	}{
		{"sealed segment", segs[0], "not the newest segment"},
		{"newest segment", newest, "so not a torn tail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			good, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			// The first record's body: a good record follows it.
			bad := slices.Clone(good)
			bad[40] ^= 0x01
			if err := os.WriteFile(tt.file, bad, 0o644); err != nil {
				t.Fatal(err)
			}
			n.startFails(t, "cometstream: open event log: open event store: "+tt.file+": offset ", tt.want)
			after, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(after, bad) {
				t.Errorf("the failed start changed %s (%d bytes, were %d)", tt.file, len(after), len(bad))
			}
			if err := os.WriteFile(tt.file, good, 0o644); err != nil {
				t.Fatal(err)
			}
		})
	}
	// Damage in the last record of the newest segment looks like a write
	// torn by a crash: the start cuts it off and writes the height again
	// from CometBFT's block store, so no height is lost.
	_, last := storeBounds(t, dir)
	want := storeBlock(t, dir, last)
	b, err := os.ReadFile(newest)
	if err != nil {
		t.Fatal(err)
	}
	b[lastRecordOffset(t, b)+recordHeader+1] ^= 0x01
	if err := os.WriteFile(newest, b, 0o644); err != nil {
		t.Fatal(err)
	}
	n.startWithEnv(t)
	waitFor(t, "blocks after the repair", 2*time.Minute, func() bool { return n.height() > last+2 })
	if err := n.proc.stop(t, syscall.SIGTERM); err != nil {
		t.Errorf("node exit: %v", err)
	}
	if logs := n.proc.logs.tail(1000); !strings.Contains(logs, "repaired the torn tail") {
		t.Errorf("no repair logged:\n%s", logs)
	}
	oldest, newestHeight := storeBounds(t, dir)
	if oldest != 1 || newestHeight <= last {
		t.Errorf("event log holds %d-%d after the repair, want 1 to past %d", oldest, newestHeight, last)
	}
	if got := storeBlock(t, dir, last); got.Height != last || !bytes.Equal(got.Hash, want.Hash) {
		t.Errorf("height %d after the repair: %d %X, want hash %X", last, got.Height, got.Hash, want.Hash)
	}
}

// recordHeader is the segment record's length and checksum (events'
// record format: 4-byte little-endian length, 4-byte CRC-32C, payload).
const recordHeader = 8

// lastRecordOffset walks a segment's records to the start of the last.
func lastRecordOffset(t *testing.T, seg []byte) int {
	t.Helper()
	at := -1
	for off := 0; off+recordHeader <= len(seg); {
		at = off
		off += recordHeader + int(binary.LittleEndian.Uint32(seg[off:]))
	}
	if at < 0 {
		t.Fatal("segment holds no record")
	}
	return at
}

func storeBounds(t *testing.T, dir string) (int64, int64) {
	t.Helper()
	s, err := events.OpenSegmentStore(events.SegmentConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	return s.Bounds()
}

func storeBlock(t *testing.T, dir string, h int64) *events.Block {
	t.Helper()
	s, err := events.OpenSegmentStore(events.SegmentConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b, err := s.Get(h)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// resegment rewrites the event log in dir into segments of about size
// bytes and returns their paths in height order.
func resegment(t *testing.T, dir string, size int64) []string {
	t.Helper()
	src, err := events.OpenSegmentStore(events.SegmentConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	tmp := dir + ".small"
	dst, err := events.OpenSegmentStore(events.SegmentConfig{Dir: tmp, SegmentBytes: size})
	if err != nil {
		t.Fatal(err)
	}
	oldest, newest := src.Bounds()
	for h := oldest; h <= newest; h++ {
		b, err := src.Get(h)
		if err != nil {
			t.Fatal(err)
		}
		if err := dst.Append(b); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []*events.SegmentStore{src, dst} {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		t.Fatal(err)
	}
	segs, err := filepath.Glob(filepath.Join(dir, "*.seg"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(segs)
	return segs
}

// TestStartOnAFullDisk starts a node whose data directory is a full tmpfs,
// mounted in a mount namespace of the node's own (so nothing outlives the
// process). It needs root for the mount and skips without.
func TestStartOnAFullDisk(t *testing.T) {
	if testing.Short() {
		t.Skip("runs node processes")
	}
	unshare := tmpfsUnshare(t)
	n := newBinaryNode(t)
	data := filepath.Join(n.home, "data")
	// The tmpfs hides data/priv_validator_state.json: copied onto it, then
	// the disk is filled.
	script := `set -e
cp "$1/priv_validator_state.json" "$1.state"
mount -t tmpfs -o size=256k tmpfs "$1"
cp "$1.state" "$1/priv_validator_state.json"
dd if=/dev/zero of="$1/fill" bs=4k 2>/dev/null || true
shift
exec "$@"`
	args := append([]string{"--mount", "--propagation", "private", "sh", "-c", script, "sh", data, n.bin, "start"}, n.flags...)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, unshare, args...).CombinedOutput()
	checkExit1(t, err, out, "no space left on device", "free space on the disk of "+n.home)
}
