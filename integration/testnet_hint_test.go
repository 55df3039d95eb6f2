//go:build testnet

package integration_test

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestTestnetScriptUpSaysStarting: "up" on an empty directory generates
// the network and starts it, so it must not tell the user to start it.
func TestTestnetScriptUpSaysStarting(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	env := append(os.Environ(), "COMETSTREAM_BIN="+bin, "BASE_PORT="+strconv.Itoa(freePortBlock(t, 10)),
		"VALIDATORS=1", "FULL_NODES=0", "UP_TIMEOUT=60", "STOP_TIMEOUT=20")
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
	t.Cleanup(func() { script("down") })
	out := script("up")
	for _, want := range []string{"wrote 1 node homes in " + dir, "node0 started", "testnet up: "} {
		if !strings.Contains(out, want) {
			t.Errorf("up output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "start them with") {
		t.Errorf("up tells the user to start what it starts:\n%s", out)
	}
}
