package node_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/cometstream/cometstream/node"
)

// healthDoc is the part of /healthz the tests read.
type healthDoc struct {
	Status         string  `json:"status"`
	Reason         string  `json:"reason"`
	CometBFTHeight int64   `json:"cometbft_height"`
	CatchingUp     bool    `json:"catching_up"`
	PeerHeight     int64   `json:"peer_height"`
	SinceCommit    float64 `json:"seconds_since_commit"`
}

func getHealth(t *testing.T, n *node.Node) (int, healthDoc) {
	t.Helper()
	resp, err := http.Get("http://" + n.WebAddr() + node.HealthPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	var h healthDoc
	if err := json.Unmarshal(body, &h); err != nil {
		t.Fatalf("/healthz %d %s: %v", resp.StatusCode, body, err)
	}
	return resp.StatusCode, h
}

// offsetClock is the wall clock moved on by an offset the test sets.
type offsetClock struct{ offset atomic.Int64 }

func (c *offsetClock) now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// waitHealth polls /healthz until cond holds, at most two minutes;
// before each poll it runs step, if any.
func waitHealth(t *testing.T, n *node.Node, what string, step func(), cond func(int, healthDoc) bool) healthDoc {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if step != nil {
			step()
		}
		code, h := getHealth(t, n)
		if cond(code, h) {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: last /healthz %d %+v", what, code, h)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestHealthOfAHaltedChain runs the two validators of a network, then
// stops one: the other cannot commit again, and its /healthz turns from
// 200 to 503 "stalled" once its clock (the test's) is past stall_after
// since its last commit. The clock is moved on at each poll, so that a
// commit still in flight when the peer stopped only delays the answer.
func TestHealthOfAHaltedChain(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two nodes")
	}
	dir := t.TempDir()
	homes, err := node.Testnet(node.TestnetConfig{Validators: 2, OutputDir: dir, BasePort: freePortBlock(t, 2*node.PortStride)})
	if err != nil {
		t.Fatal(err)
	}
	clock := &offsetClock{}
	var nodes []*node.Node
	var stoppedFlags [2]atomic.Bool
	for i, h := range homes {
		cfg, err := node.LoadConfig(h.Home)
		if err != nil {
			t.Fatal(err)
		}
		logger := hclog.New(&hclog.LoggerOptions{Name: h.Name, Level: hclog.Warn, Output: os.Stderr})
		n, err := node.New(cfg, logger)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			node.SetClock(n, clock.now)
		}
		if err := n.Start(); err != nil {
			_ = n.Stop(context.Background())
			t.Fatal(err)
		}
		nodes = append(nodes, n)
		stopped := &stoppedFlags[i]
		t.Cleanup(func() {
			if !stopped.Load() {
				stop(t, n)
			}
		})
	}
	n0 := nodes[0]
	live := waitHealth(t, n0, "a live chain", nil, func(code int, h healthDoc) bool {
		// peer_height: the consensus reactor's view of the other validator.
		return code == 200 && h.Status == "ok" && h.CometBFTHeight >= 3 && h.PeerHeight >= 1
	})
	if live.CatchingUp || live.Reason != "" {
		t.Errorf("live /healthz %+v", live)
	}

	stop(t, nodes[1])
	stoppedFlags[1].Store(true)
	cfg0, err := node.LoadConfig(homes[0].Home)
	if err != nil {
		t.Fatal(err)
	}
	stallAfter := node.DefaultStallAfter(cfg0.Comet.Consensus)
	h := waitHealth(t, n0, "stalled",
		func() { clock.offset.Add(int64(stallAfter + time.Second)) },
		func(code int, h healthDoc) bool { return code == 503 && h.Status == "stalled" })
	if h.SinceCommit <= stallAfter.Seconds() {
		t.Errorf("stalled with %.1fs since the last commit, stall_after %v", h.SinceCommit, stallAfter)
	}
	t.Logf("stalled: %+v", h)
}

func stop(t *testing.T, n *node.Node) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := n.Stop(ctx); err != nil {
		t.Errorf("stop: %v", err)
	}
}

// freePortBlock finds n consecutive free loopback ports below the
// ephemeral range, from an offset of this process's own.
func freePortBlock(t *testing.T, n int) int {
	t.Helper()
	const low, high = 20000, 32000
	start := low + os.Getpid()%(high-low-n)
	for base := start; base+n < high; base += n {
		free := true
		for p := base; p < base+n && free; p++ {
			ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				free = false
				continue
			}
			_ = ln.Close()
		}
		if free {
			return base
		}
	}
	t.Fatal("no free block of ports")
	return 0
}
