package integration_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/cometstream/cometstream/internal/fault"
)

// binaryNode is a cometstream process on free loopback ports.
type binaryNode struct {
	bin, home string
	flags     []string
	rpcAddr   string
	webAddr   string
	streamURL string
	proc      *proc
	rpc       *rpchttp.HTTP
}

func newBinaryNode(t *testing.T) *binaryNode {
	t.Helper()
	n := &binaryNode{bin: buildBinary(t), home: t.TempDir()}
	stream, rpc := freePort(t), freePort(t)
	n.rpcAddr = "127.0.0.1:" + rpc
	n.streamURL = "ws://127.0.0.1:" + stream
	n.webAddr = "127.0.0.1:" + freePort(t)
	n.flags = []string{"--home", n.home, "--webapi.laddr", n.webAddr,
		"--stream.enable", "--stream.laddr", "127.0.0.1:" + stream, "--stream.advertised_url", n.streamURL,
		"--rpc.laddr", "tcp://" + n.rpcAddr, "--p2p.laddr", "tcp://127.0.0.1:" + freePort(t)}
	if out, err := exec.Command(n.bin, append([]string{"init"}, n.flags...)...).CombinedOutput(); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	fastBlocks(t, n.home)
	var err error
	if n.rpc, err = rpchttp.NewWithTimeout("http://"+n.rpcAddr, "/websocket", 10); err != nil {
		t.Fatal(err)
	}
	return n
}

// startWithEnv runs the node with extra environment entries.
func (n *binaryNode) startWithEnv(t *testing.T, env ...string) {
	t.Helper()
	n.proc = startProcEnv(t, n.bin, env, append([]string{"start"}, n.flags...)...)
}

func (n *binaryNode) height() int64 {
	st, err := n.rpc.Status(context.Background())
	if err != nil {
		return 0
	}
	return st.SyncInfo.LatestBlockHeight
}

// waitExit waits for the process to end by itself.
func (n *binaryNode) waitExit(t *testing.T, timeout time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- n.proc.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(timeout):
		t.Fatalf("node still running after %v", timeout)
		return nil
	}
}

// TestCrashAtEachFaultPoint kills the node at each point of one height's
// commit path (the project's fault injection), restarts it, and checks
// that both streams, read from height 1, carry exactly what CometBFT
// committed: nothing lost, nothing twice.
func TestCrashAtEachFaultPoint(t *testing.T) {
	if testing.Short() {
		t.Skip("runs node processes")
	}
	const faultHeight = 6
	for _, point := range fault.Points {
		t.Run(point, func(t *testing.T) {
			n := newBinaryNode(t)
			n.startWithEnv(t, fault.Env+"="+point+"@"+strconv.Itoa(faultHeight))
			ld := startLoad(n.rpcAddr)
			err := n.waitExit(t, 60*time.Second)
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != fault.ExitCode {
				ld.halt()
				t.Fatalf("node exit: %v, want status %d\n%s", err, fault.ExitCode, n.proc.logs.tail(20))
			}
			if !strings.Contains(n.proc.logs.tail(5), "fault injection: exiting at "+point) {
				t.Errorf("exit not at the fault point:\n%s", n.proc.logs.tail(5))
			}

			n.startWithEnv(t)
			waitFor(t, "blocks after the restart", 60*time.Second, func() bool { return n.height() >= faultHeight+4 })
			upTo := n.height()
			waitFor(t, "a block past the checked range", 60*time.Second, func() bool { return n.height() > upTo+2 })
			checkStreams(t, n.streamURL, n.rpc, upTo)
			ld.halt()
			if point == fault.MidLogWrite && !strings.Contains(n.proc.logs.tail(1000), "repair") {
				t.Errorf("no repair of the torn record logged")
			}
		})
	}
}

// TestCrashWhileTheStreamStalls opens the asynchronous hand-off's widest
// window: the stream's goroutine stops before writing one height while
// consensus goes on committing (the chain must not wait for the stream),
// then the process is killed with several committed heights in no log.
// After a restart, reconciliation rebuilds them from CometBFT's stores:
// both streams from height 1 carry exactly what CometBFT committed.
func TestCrashWhileTheStreamStalls(t *testing.T) {
	if testing.Short() {
		t.Skip("runs node processes")
	}
	const stallHeight = 6
	n := newBinaryNode(t)
	n.startWithEnv(t, fault.Env+"="+fault.StallLogWrite+"@"+strconv.Itoa(stallHeight))
	ld := startLoad(n.rpcAddr)
	defer ld.halt()
	waitFor(t, "the stall", 60*time.Second, func() bool {
		return strings.Contains(n.proc.logs.tail(50), "fault injection: stalling at "+fault.StallLogWrite)
	})
	// Consensus goes on past the stalled stream.
	waitFor(t, "blocks past the stalled height", 60*time.Second, func() bool { return n.height() >= stallHeight+5 })
	var health struct {
		Latest int64 `json:"latest_streamed_height"`
	}
	// /healthz answers 503 while the stream lags: read its body anyway.
	resp, err := http.Get("http://" + n.webAddr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	err = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&health)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if health.Latest >= stallHeight {
		t.Fatalf("the log holds height %d: the stall did not hold the stream at %d", health.Latest, stallHeight)
	}
	if err := n.proc.stop(t, syscall.SIGKILL); err == nil {
		t.Fatal("the node exited cleanly under SIGKILL")
	}

	n.startWithEnv(t)
	waitFor(t, "blocks after the restart", 60*time.Second, func() bool { return n.height() >= stallHeight+10 })
	upTo := n.height()
	waitFor(t, "a block past the checked range", 60*time.Second, func() bool { return n.height() > upTo+2 })
	checkStreams(t, n.streamURL, n.rpc, upTo)
}
