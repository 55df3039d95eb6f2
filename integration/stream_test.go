package integration_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/websocket"

	"github.com/cometstream/cometstream/internal/fixtures"
	"github.com/cometstream/cometstream/ledger/txbuild"
	"github.com/cometstream/cometstream/streamsvc"
)

type txMsg struct {
	TransactionID string   `json:"transaction_id"`
	AssetID       string   `json:"asset_id"`
	AssetIDs      []string `json:"asset_ids"`
	Height        int64    `json:"height"`
}

type blockMsg struct {
	Height         int64    `json:"height"`
	Hash           string   `json:"hash"`
	TransactionIDs []string `json:"transaction_ids"`
}

// validTx is a transaction the ledger accepts, with what the stream must
// say of it.
type validTx struct {
	raw      []byte
	id       string
	assetIDs []string
}

// mint returns a new CREATE of the given version and metadata, signed by
// a fresh key, so every call yields a distinct valid transaction.
func mint(t *testing.T, version string, metadata any) validTx {
	t.Helper()
	owner := txbuild.NewKeyPair()
	data := any(map[string]any{"minted": "Grüße ✓"})
	if version == "3.0" {
		data = "QmMinted"
	}
	tx, err := txbuild.Create(version, owner, data, metadata, txbuild.To("1", owner)).Sign()
	if err != nil {
		t.Fatal(err)
	}
	return validTx{raw: tx.Raw, id: tx.ID, assetIDs: []string{tx.ID}}
}

func fixtureID(t *testing.T, name string) string {
	t.Helper()
	var obj struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(fixtures.Read(name), &obj); err != nil {
		t.Fatal(err)
	}
	return obj.ID
}

// fixtureTxs returns the real fixture transactions in chain order.
func fixtureTxs(t *testing.T) []validTx {
	t.Helper()
	var out []validTx
	for _, chain := range []string{"planetmint-v3.0", "bigchaindb-v2.0"} {
		names := fixtures.Chains[chain]
		createID := fixtureID(t, names[0])
		for _, name := range names {
			out = append(out, validTx{raw: fixtures.Read(name), id: fixtureID(t, name), assetIDs: []string{createID}})
		}
	}
	return out
}

// TestNodeStreamsValidTransactions runs a real node, submits valid and
// invalid transactions through CometBFT's RPC, and checks that several Go
// clients and a Python client each receive exactly the valid ones, in
// order, with the heights CometBFT reports, and that valid_blocks shows
// every block.
func TestNodeStreamsValidTransactions(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	n := startNode(t, testConfig(t, t.TempDir()))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	valid := fixtureTxs(t)
	for i := 0; i < 12; i++ {
		valid = append(valid,
			mint(t, "3.0", fmt.Sprintf("QmMinted%03d", i)),
			mint(t, "2.0", map[string]any{"sequence": i, "note": "Grüße ✓"}))
	}
	marker := mint(t, "3.0", "QmMarker")

	txClients := make([]*websocket.Conn, 3)
	for i := range txClients {
		txClients[i] = dial(t, n.streamURL(streamsvc.PathTransactions))
	}
	blocksClient := dial(t, n.streamURL(streamsvc.PathBlocks))
	py := startPythonClient(t, n.streamURL(streamsvc.PathTransactions), len(valid)+1)

	// Invalid transactions never reach a block: CheckTx rejects them.
	tampered := bytes.Replace(fixtures.Read("planetmint-v3.0-create.json"), []byte("QmZs4"), []byte("QmZs5"), 1)
	for name, tx := range map[string][]byte{
		"garbage":           []byte("not a transaction"),
		"id does not match": tampered,
		"empty object":      []byte("{}"),
	} {
		res, err := n.rpc.BroadcastTxCommit(ctx, tx)
		if err != nil {
			t.Fatalf("broadcast %s: %v", name, err)
		}
		if res.CheckTx.Code == 0 {
			t.Fatalf("%s: CheckTx accepted an invalid transaction", name)
		}
	}

	// Valid ones: the fixtures one per block, the minted ones in bursts so
	// that blocks hold several transactions. A second encoding of a tx
	// (same id, other bytes) passes CheckTx but is rejected in
	// FinalizeBlock or dropped on recheck: never streamed.
	for _, tx := range valid[:6] {
		res, err := n.rpc.BroadcastTxCommit(ctx, tx.raw)
		if err != nil || res.CheckTx.Code != 0 || res.TxResult.Code != 0 {
			t.Fatalf("broadcast fixture %s: err=%v res=%+v", tx.id, err, res)
		}
	}
	for _, tx := range valid[6:] {
		res, err := n.rpc.BroadcastTxSync(ctx, tx.raw)
		if err != nil || res.Code != 0 {
			t.Fatalf("broadcast %s: err=%v res=%+v", tx.id, err, res)
		}
		if tx.id == valid[7].id {
			if _, err := n.rpc.BroadcastTxSync(ctx, append([]byte(" "), tx.raw...)); err != nil {
				t.Fatalf("broadcast second encoding: %v", err)
			}
		}
	}
	res, err := n.rpc.BroadcastTxCommit(ctx, marker.raw)
	if err != nil || res.TxResult.Code != 0 {
		t.Fatalf("broadcast marker: err=%v res=%+v", err, res)
	}
	valid = append(valid, marker)
	lastHeight := res.Height

	// What CometBFT reports for each valid tx.
	want := make([]txMsg, len(valid))
	for i, tx := range valid {
		want[i] = txMsg{TransactionID: tx.id, AssetID: tx.assetIDs[0], AssetIDs: tx.assetIDs, Height: n.txHeight(t, tx.raw)}
	}

	for i, c := range txClients {
		got := make([]txMsg, len(want))
		for j := range got {
			if err := readJSON(c, &got[j], 30*time.Second); err != nil {
				t.Fatalf("client %d message %d: %v", i, j, err)
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("client %d stream (-want +got):\n%s", i, diff)
		}
	}
	if diff := cmp.Diff(want, py.messages(t)); diff != "" {
		t.Errorf("python client stream (-want +got):\n%s", diff)
	}
	checkBlocks(t, n, blocksClient, want, lastHeight)
}

// checkBlocks reads valid_blocks up to lastHeight: consecutive heights,
// CometBFT's block hashes, and exactly the valid txs of each block.
func checkBlocks(t *testing.T, n *testNode, c *websocket.Conn, txs []txMsg, lastHeight int64) {
	t.Helper()
	byHeight := map[int64][]string{}
	for _, tx := range txs {
		byHeight[tx.Height] = append(byHeight[tx.Height], tx.TransactionID)
	}
	var prev int64
	for prev < lastHeight {
		var b blockMsg
		if err := readJSON(c, &b, 30*time.Second); err != nil {
			t.Fatalf("valid_blocks after height %d: %v", prev, err)
		}
		if prev != 0 && b.Height != prev+1 {
			t.Fatalf("valid_blocks: height %d after %d", b.Height, prev)
		}
		prev = b.Height
		blk, err := n.rpc.Block(context.Background(), &b.Height)
		if err != nil {
			t.Fatal(err)
		}
		if want := strings.ToUpper(hex.EncodeToString(blk.BlockID.Hash)); b.Hash != want {
			t.Errorf("block %d hash %s, CometBFT says %s", b.Height, b.Hash, want)
		}
		want := byHeight[b.Height]
		if want == nil {
			want = []string{}
		}
		if diff := cmp.Diff(want, b.TransactionIDs); diff != "" {
			t.Errorf("block %d transaction_ids (-want +got):\n%s", b.Height, diff)
		}
	}
}

type pyClient struct {
	cmd    *exec.Cmd
	lines  chan string
	stderr *bytes.Buffer
}

// startPythonClient runs testdata/ws_client.py with Debian's python3 and
// waits until it is connected.
func startPythonClient(t *testing.T, url string, count int) *pyClient {
	t.Helper()
	const python = "/usr/bin/python3"
	needDep(t, python+" with python3-websockets", exec.Command(python, "-c", "import websockets").Run())
	cmd := exec.Command(python, "testdata/ws_client.py", url, fmt.Sprint(count), "60")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &pyClient{cmd: cmd, lines: make(chan string, count+1), stderr: &bytes.Buffer{}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	go func() {
		defer close(p.lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
	}()
	select {
	case l, ok := <-p.lines:
		if !ok || l != "ready" {
			t.Fatalf("python client did not connect: %q %s", l, p.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("python client did not connect within 30s")
	}
	return p
}

func (p *pyClient) messages(t *testing.T) []txMsg {
	t.Helper()
	var got []txMsg
	for l := range p.lines {
		var m txMsg
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("python client printed %q: %v", l, err)
		}
		got = append(got, m)
	}
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("python client: %v: %s", err, p.stderr)
	}
	return got
}
