package integration_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestHealthOnAFullDisk runs a node whose data directory is a tmpfs of its
// own mount namespace, fills that disk under the running node, and wants
// /healthz to turn from 200 to 503 "consensus_failed" with CometBFT's
// reason: the chain halts (CONSENSUS FAILURE), so the node must not say
// "ok". It needs root for the mount and skips without.
func TestHealthOnAFullDisk(t *testing.T) {
	if testing.Short() {
		t.Skip("runs node processes")
	}
	unshare := tmpfsUnshare(t)
	n := newBinaryNode(t)
	data := filepath.Join(n.home, "data")
	script := `set -e
cp "$1/priv_validator_state.json" "$1.state"
mount -t tmpfs -o size=64m tmpfs "$1" || exit 97
cp "$1.state" "$1/priv_validator_state.json"
shift
exec "$@"`
	args := append([]string{"--mount", "--propagation", "private", "sh", "-c", script, "sh", data, n.bin, "start"}, n.flags...)
	p := startProc(t, unshare, args...)
	web := n.flags[slices.Index(n.flags, "--webapi.laddr")+1]
	health := func() (int, map[string]any) {
		resp, err := http.Get("http://" + web + "/healthz")
		if err != nil {
			return 0, nil
		}
		defer resp.Body.Close()
		var doc map[string]any
		_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&doc)
		return resp.StatusCode, doc
	}
	waitFor(t, "/healthz 200 at height 3", 60*time.Second, func() bool {
		code, doc := health()
		h, _ := doc["cometbft_height"].(float64)
		return code == 200 && h >= 3
	})

	// The node's process is the one in the namespace: its root shows its
	// mounts.
	fill := filepath.Join("/proc", strconv.Itoa(p.cmd.Process.Pid), "root", data, "fill")
	if err := fillDisk(fill); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	waitFor(t, "/healthz 503 consensus_failed", 2*time.Minute, func() bool {
		var code int
		code, doc = health()
		return code == http.StatusServiceUnavailable && doc["status"] == "consensus_failed"
	})
	t.Logf("/healthz on a full disk: %v", doc)
	if r, _ := doc["reason"].(string); r == "" {
		t.Errorf("no reason: %v", doc)
	}
	if err := p.stop(t, syscall.SIGTERM); err != nil {
		t.Logf("node exit after SIGTERM on a full disk: %v", err)
	}
}

// tmpfsUnshare returns the path of unshare(1) once it has mounted a tmpfs
// in a mount namespace of its own, and skips the test where that cannot
// be done (not root, no util-linux, no CAP_SYS_ADMIN).
func tmpfsUnshare(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("unshare (util-linux) is not installed")
	}
	out, err := exec.Command(unshare, "--mount", "--propagation", "private", "mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", t.TempDir()).CombinedOutput()
	if err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	return unshare
}

// fillDisk writes zeros to path until the file system is full.
func fillDisk(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for {
		if _, err := f.Write(buf); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return nil
			}
			return err
		}
	}
}
