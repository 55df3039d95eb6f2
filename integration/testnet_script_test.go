//go:build testnet

package integration_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cometstream/cometstream/streamsvc"
)

// TestTestnetScript drives scripts/testnet.sh as a user would: up
// generates and starts a network and writes endpoints.json, status shows
// heights, a second up changes nothing, down stops every node, and up on
// the same directory continues the chain.
func TestTestnetScript(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	base := freePortBlock(t, 3*10)
	env := append(os.Environ(), "COMETSTREAM_BIN="+bin, "BASE_PORT="+strconv.Itoa(base),
		"VALIDATORS=2", "FULL_NODES=1", "UP_TIMEOUT=60", "STOP_TIMEOUT=20")
	script := func(action string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "bash", "../scripts/testnet.sh", action, dir)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("testnet.sh %s: %v\n%s", action, err, out)
		}
		return string(out)
	}
	// The nodes are not this process's children: whatever happens, down,
	// then SIGKILL to any pid file's process that is still one of ours.
	t.Cleanup(func() {
		pids := scriptPids(dir)
		cmd := exec.Command("bash", "../scripts/testnet.sh", "down", dir)
		cmd.Env = env
		_ = cmd.Run()
		for _, pid := range pids {
			if args, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil && strings.Contains(string(args), dir) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		if t.Failed() {
			logs, _ := filepath.Glob(filepath.Join(dir, "logs", "*.log"))
			for _, l := range logs {
				b, _ := os.ReadFile(l)
				t.Logf("=== %s:\n%s", l, (&lockedBuffer{buf: b}).tail(30))
			}
		}
	})

	out := script("up")
	if !strings.Contains(out, "testnet up: "+filepath.Join(dir, "endpoints.json")) {
		t.Errorf("up output:\n%s", out)
	}
	var ep struct {
		Nodes []struct {
			Name, Role, Home, RPC, Stream, P2P string
			WebAPI                             string `json:"web_api"`
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "endpoints.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ep); err != nil {
		t.Fatalf("endpoints.json: %v\n%s", err, b)
	}
	if len(ep.Nodes) != 3 || ep.Nodes[0].Role != "validator" || ep.Nodes[2].Role != "full" {
		t.Fatalf("endpoints.json:\n%s", b)
	}
	var top int64
	for _, n := range ep.Nodes {
		var root map[string]any
		if err := getJSON(n.WebAPI, &root); err != nil {
			t.Fatalf("%s web api: %v", n.Name, err)
		}
		if got, want := root["streams"], n.Stream+streamsvc.PathTransactions; got != want {
			t.Errorf("%s advertises %v, endpoints.json says %s", n.Name, got, want)
		}
		var st struct {
			Result struct {
				SyncInfo struct {
					Height     string `json:"latest_block_height"`
					CatchingUp bool   `json:"catching_up"`
				} `json:"sync_info"`
			} `json:"result"`
		}
		if err := getJSON(n.RPC+"/status", &st); err != nil {
			t.Fatalf("%s rpc: %v", n.Name, err)
		}
		h, _ := strconv.ParseInt(st.Result.SyncInfo.Height, 10, 64)
		if h < 2 || st.Result.SyncInfo.CatchingUp {
			t.Errorf("%s after up: height %d, catching up %v", n.Name, h, st.Result.SyncInfo.CatchingUp)
		}
		top = max(top, h)
	}
	// The full node streams the chain from height 1.
	if got := readRange(t, []string{ep.Nodes[2].Stream}, true, 1, 2); len(got) != 2 {
		t.Errorf("full node's valid_blocks from 1: %v", got)
	}

	status := script("status")
	for _, n := range ep.Nodes {
		if !strings.Contains(status, n.Name) || strings.Contains(status, "stopped") {
			t.Errorf("status:\n%s", status)
		}
	}
	if again := script("up"); strings.Count(again, "already running") != 3 {
		t.Errorf("second up:\n%s", again)
	}

	pids := scriptPids(dir)
	if len(pids) != 3 {
		t.Fatalf("pid files: %v", pids)
	}
	script("down")
	for _, pid := range pids {
		if args, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil && strings.Contains(string(args), dir) {
			t.Errorf("pid %d still running after down", pid)
		}
	}
	if status := script("status"); strings.Count(status, "stopped") != 3 {
		t.Errorf("status after down:\n%s", status)
	}

	// The same directory again: the chain goes on.
	script("up")
	var st struct {
		Result struct {
			SyncInfo struct {
				Height string `json:"latest_block_height"`
			} `json:"sync_info"`
		} `json:"result"`
	}
	// up returns once the nodes answer; the next block may come later.
	waitFor(t, fmt.Sprintf("the chain going past height %d (before down) after a second up", top), 60*time.Second, func() bool {
		if err := getJSON(ep.Nodes[0].RPC+"/status", &st); err != nil {
			return false
		}
		h, _ := strconv.ParseInt(st.Result.SyncInfo.Height, 10, 64)
		return h > top
	})
	script("down")
}

// scriptPids reads the pid files testnet.sh wrote.
func scriptPids(dir string) []int {
	files, _ := filepath.Glob(filepath.Join(dir, "run", "*.pid"))
	var pids []int
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}
