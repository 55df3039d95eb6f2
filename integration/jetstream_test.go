package integration_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/cometstream/cometstream/client"
	"github.com/cometstream/cometstream/internal/fault"
	"github.com/cometstream/cometstream/internal/natstest"
)

// nodeJetStream reads the sink's part of the node's /healthz (which
// answers 503 while it lags: the body is read whatever the status).
func nodeJetStream(t *testing.T, n *binaryNode) (published int64, ok bool) {
	t.Helper()
	resp, err := http.Get("http://" + n.webAddr + "/healthz")
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	var h struct {
		JetStream *struct {
			Height int64 `json:"published_height"`
		} `json:"jetstream"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&h); err != nil || h.JetStream == nil {
		return 0, false
	}
	return h.JetStream.Height, true
}

// TestJetStreamSinkSurvivesKillNine runs the node with [stream.jetstream]
// publishing to a 3-server JetStream cluster (stream replicas 3) under
// load, crashes it with half of one block's messages published (a fault
// point), then kills it with SIGKILL while it publishes, restarts it, and
// reads the whole JetStream stream: every height from 1 once, in order,
// each block's messages numbered without a gap, and their contents the
// chain's blocks and valid transactions as CometBFT's RPC reports them.
func TestJetStreamSinkSurvivesKillNine(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a node process and a NATS cluster")
	}
	c := natstest.Start(t, 3)
	n := newBinaryNode(t)
	servers := make([]string, 0, 3)
	for _, u := range c.URLs() {
		servers = append(servers, strconv.Quote(u))
	}
	setConfig(t, n.home, map[string]string{
		"servers":  "[" + strings.Join(servers, ", ") + "]",
		"replicas": "3",
		"stream":   `"NODE_EVENTS"`,
	})
	// enable appears in [stream] and in [stream.jetstream]; the flag turns
	// the stream on, the file's second enable the sink.
	enableSink(t, n.home)
	// First a crash with half of one block's messages in the stream (the
	// fault point waits for their acknowledgements), then a kill -9 at no
	// chosen moment.
	const faultHeight = 6
	n.startWithEnv(t, fault.Env+"="+fault.MidJetStreamPublish+"@"+strconv.Itoa(faultHeight))
	ld := startLoad(n.rpcAddr)
	halt := sync.OnceFunc(ld.halt)
	defer halt()
	err := n.waitExit(t, 90*time.Second)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != fault.ExitCode || !strings.Contains(n.proc.logs.tail(5), "exiting at "+fault.MidJetStreamPublish) {
		t.Fatalf("node exit: %v, want the fault's\n%s", err, n.proc.logs.tail(20))
	}
	n.startWithEnv(t)
	waitFor(t, "the sink publishing", 90*time.Second, func() bool { h, ok := nodeJetStream(t, n); return ok && h >= faultHeight+3 })
	// It went on inside the block the crash split.
	if logs := n.proc.logs.tail(200); !regexp.MustCompile(`publishing the event log: .*seq=[1-9]`).MatchString(logs) {
		t.Errorf("the sink did not resume inside a block:\n%s", logs)
	}

	if err := n.proc.stop(t, syscall.SIGKILL); err == nil {
		t.Fatal("the node exited cleanly under SIGKILL")
	}
	killed := n.height()
	n.startWithEnv(t)
	waitFor(t, "blocks after the restart", 90*time.Second, func() bool { return n.height() >= killed+5 })
	halt()
	upTo := n.height()
	waitFor(t, "the sink at the chain's height", 90*time.Second, func() bool { h, ok := nodeJetStream(t, n); return ok && h >= upTo })

	blocks, txs := readJetStream(t, c, "NODE_EVENTS", upTo)
	wantBlocks, wantTxs := chainFromRPC(t, n.rpc, upTo)
	if diff := cmp.Diff(wantBlocks, blocks); diff != "" {
		t.Fatalf("valid_blocks in JetStream (-chain +stream):\n%s", diff)
	}
	if diff := cmp.Diff(wantTxs, txs); diff != "" {
		t.Fatalf("valid_transactions in JetStream (-chain +stream):\n%s", diff)
	}
}

// enableSink sets enable = true in the [stream.jetstream] table.
func enableSink(t *testing.T, home string) {
	t.Helper()
	path := home + "/config/config.toml"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "[stream.jetstream]")
	if i < 0 {
		t.Fatal("config.toml has no [stream.jetstream]")
	}
	j := strings.Index(s[i:], "enable = false")
	if j < 0 {
		t.Fatal("[stream.jetstream] has no enable = false")
	}
	s = s[:i+j] + "enable = true" + s[i+j+len("enable = false"):]
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// readJetStream reads the stream's messages up to height upTo and checks
// their numbering: heights from 1 on, each block's messages seq 0 to
// count-1, ids <height>:<seq>, nothing twice. It returns the valid_blocks
// and valid_transactions messages decoded as the Go client does.
func readJetStream(t *testing.T, c *natstest.Cluster, name string, upTo int64) ([]client.BlockEvent, []client.TxEvent) {
	t.Helper()
	info, msgs := c.Messages(name)
	if info.Config.Replicas != 3 {
		t.Fatalf("stream replicas %d, want 3", info.Config.Replicas)
	}
	var blocks []client.BlockEvent
	var txs []client.TxEvent
	height, seq, count := int64(1), 0, -1
	for _, m := range msgs {
		s := m.Sequence
		h, _ := strconv.ParseInt(m.Header.Get("Cometstream-Height"), 10, 64)
		if h > upTo {
			break
		}
		var gotSeq, gotCount int
		if _, err := fmt.Sscanf(m.Header.Get("Cometstream-Seq"), "%d/%d", &gotSeq, &gotCount); err != nil {
			t.Fatalf("message %d: seq header %q", s, m.Header.Get("Cometstream-Seq"))
		}
		if h != height || gotSeq != seq || (count >= 0 && gotCount != count) {
			t.Fatalf("message %d is %d:%d of %d, want %d:%d: a gap or a duplicate", s, h, gotSeq, gotCount, height, seq)
		}
		if id := m.Header.Get(jetstream.MsgIDHeader); id != fmt.Sprintf("%d:%d", h, gotSeq) {
			t.Fatalf("message %d has id %q", s, id)
		}
		switch stream := m.Header.Get("Cometstream-Stream"); stream {
		case "valid_blocks":
			var b client.BlockEvent
			if err := json.Unmarshal(m.Data, &b); err != nil {
				t.Fatal(err)
			}
			blocks = append(blocks, b)
		case "valid_transactions":
			var tx client.TxEvent
			if err := json.Unmarshal(m.Data, &tx); err != nil {
				t.Fatal(err)
			}
			txs = append(txs, tx)
		case "tx_results":
		default:
			t.Fatalf("message %d of stream %q", s, stream)
		}
		count = gotCount
		if seq++; seq == count {
			height, seq, count = height+1, 0, -1
		}
	}
	if height != upTo+1 {
		t.Fatalf("the stream ends at height %d (seq %d), want every height to %d", height, seq, upTo)
	}
	if !slices.IsSortedFunc(txs, func(a, b client.TxEvent) int { return int(a.Height - b.Height) }) {
		t.Fatal("transactions out of height order")
	}
	return blocks, txs
}
