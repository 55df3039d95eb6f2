package integration_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/gorilla/websocket"
	"github.com/hashicorp/go-hclog"

	"github.com/cometstream/cometstream/internal/testport"
	"github.com/cometstream/cometstream/node"
)

// testNode is a started in-process node on free loopback ports.
type testNode struct {
	*node.Node
	cfg node.Config
	rpc *rpchttp.HTTP
}

// ports hands out listen ports for test nodes (see package testport).
var ports = testport.NewRange(20000, 32000)

func freePort(t *testing.T) string {
	t.Helper()
	return strconv.Itoa(ports.Free(t))
}

// testConfig returns a single-validator config on free ports with fast
// blocks and the stream enabled.
func testConfig(t *testing.T, home string) node.Config {
	t.Helper()
	cfg := node.DefaultConfig(home)
	stream := freePort(t)
	cfg.Stream.Enable = true
	cfg.Stream.ListenAddr = "127.0.0.1:" + stream
	cfg.Stream.AdvertisedURL = "ws://127.0.0.1:" + stream
	cfg.WebAPI.ListenAddr = "127.0.0.1:" + freePort(t)
	cfg.Comet.RPC.ListenAddress = "tcp://127.0.0.1:" + freePort(t)
	cfg.Comet.P2P.ListenAddress = "tcp://127.0.0.1:" + freePort(t)
	cfg.Comet.Instrumentation.Prometheus = false
	// Without PEX the address book is never started, so nothing writes
	// addrbook.json after Stop returns (its save routine is not waited for).
	cfg.Comet.P2P.PexReactor = false
	cfg.Comet.Consensus.TimeoutPropose = 200 * time.Millisecond
	cfg.Comet.Consensus.TimeoutCommit = 100 * time.Millisecond
	return cfg
}

func startNode(t *testing.T, cfg node.Config) *testNode {
	t.Helper()
	if err := node.Init(cfg); err != nil {
		t.Fatalf("init: %v", err)
	}
	logger := hclog.New(&hclog.LoggerOptions{Name: "node", Level: hclog.Warn, Output: os.Stderr})
	n, err := node.New(cfg, logger)
	if err != nil {
		t.Fatalf("new node: %v", err)
	}
	if err := n.Start(); err != nil {
		_ = n.Stop(context.Background())
		t.Fatalf("start node: %v", err)
	}
	rpc, err := rpchttp.New("http://"+n.RPCAddr(), "/websocket")
	if err != nil {
		t.Fatal(err)
	}
	tn := &testNode{Node: n, cfg: cfg, rpc: rpc}
	t.Cleanup(func() { tn.stop(t) })
	waitForBlock(t, tn)
	return tn
}

func (n *testNode) stop(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := n.Stop(ctx); err != nil {
		t.Errorf("stop node: %v", err)
	}
}

// waitForBlock waits until the node has committed a block, so that RPC
// broadcasts are accepted.
func waitForBlock(t *testing.T, n *testNode) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		st, err := n.rpc.Status(context.Background())
		if err == nil && st.SyncInfo.LatestBlockHeight > 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("node produced no block within 30s")
}

func (n *testNode) streamURL(path string) string { return n.cfg.Stream.AdvertisedURL + path }

// dial connects a Go WebSocket client; the server places the client's
// reader before it answers the handshake, so every block committed after
// dial returns reaches it.
func dial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	c, resp, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("dial %s: status %d", url, resp.StatusCode)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// readJSON reads one text message into v within timeout.
func readJSON(c *websocket.Conn, v any, timeout time.Duration) error {
	_ = c.SetReadDeadline(time.Now().Add(timeout))
	kind, data, err := c.ReadMessage()
	if err != nil {
		return err
	}
	if kind != websocket.TextMessage {
		return fmt.Errorf("message type %d, want text", kind)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode %q: %w", data, err)
	}
	return nil
}

// txHeight asks CometBFT for the height of a committed tx. Its indexer runs
// after the block is committed, so the lookup is retried for a while.
func (n *testNode) txHeight(t *testing.T, tx []byte) int64 {
	t.Helper()
	sum := sha256.Sum256(tx)
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := n.rpc.Tx(context.Background(), sum[:], false)
		if err == nil {
			return res.Height
		}
		if time.Now().After(deadline) {
			t.Fatalf("CometBFT does not know tx %X: %v", sum, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
