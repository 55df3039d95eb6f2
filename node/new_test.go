package node_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/cometstream/cometstream/node"
)

// TestFailedNewReleasesEverything: a New that fails late (no validator
// key, after the ledger and the event log are open) returns its error,
// stops what it started and releases the databases' locks, so that New on
// the same home in the same process works once the key is back; and Stop
// on a node never started ends every routine New started.
func TestFailedNewReleasesEverything(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	home := t.TempDir()
	cfg := node.DefaultConfig(home)
	cfg.Stream.Enable = true
	base := freePortBlock(t, 4)
	cfg.Stream.ListenAddr = "127.0.0.1:" + itoa(base)
	cfg.WebAPI.ListenAddr = "127.0.0.1:" + itoa(base+1)
	cfg.Comet.RPC.ListenAddress = "tcp://127.0.0.1:" + itoa(base+2)
	cfg.Comet.P2P.ListenAddress = "tcp://127.0.0.1:" + itoa(base+3)
	cfg.Comet.P2P.PexReactor = false
	if err := node.Init(cfg); err != nil {
		t.Fatal(err)
	}
	key := cfg.Comet.PrivValidatorKeyFile()
	saved, err := os.ReadFile(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(key); err != nil {
		t.Fatal(err)
	}
	n, err := node.New(cfg, nil)
	if err == nil || n != nil || !strings.Contains(err.Error(), "validator file "+key+" missing") {
		t.Fatalf("New without a key: %v, %v", n, err)
	}

	noLeaks(t, ignore)

	if err := os.WriteFile(key, saved, 0o600); err != nil {
		t.Fatal(err)
	}
	n, err = node.New(cfg, nil)
	if err != nil {
		t.Fatalf("New after the key is back: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := n.Stop(ctx); err != nil {
		t.Errorf("stop a node never started: %v", err)
	}
	noLeaks(t, ignore)
}

func itoa(i int) string { return strconv.Itoa(i) }

// noLeaks is goleak.VerifyNone with a longer patience: a closed LevelDB's
// last routine waits up to a second before it ends.
func noLeaks(t *testing.T, opts ...goleak.Option) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := goleak.Find(opts...)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
