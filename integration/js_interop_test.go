package integration_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cometstream/cometstream/ledger"
	"github.com/cometstream/cometstream/ledger/txbuild"
	"github.com/cometstream/cometstream/streamsvc"
)

// TestJavaScriptDriver runs js/interop.js, which uses the real
// bigchaindb-driver 4.3.0 (installed by make deps) to create, transfer to
// several recipients, spend a threshold output and create with a
// threshold of issuers through the Web API, and reads them back with the
// driver's getTransaction, listBlocks, getBlock and listTransactions; its
// searchAssets and searchMetadata must get 400. The stream must carry
// exactly those four transactions, with the asset and the heights the
// script read back, and CometBFT must agree on the heights.
func TestJavaScriptDriver(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	_, err := os.Stat("js/node_modules/bigchaindb-driver/package.json")
	needDep(t, "npm's bigchaindb-driver in integration/js", err)
	nodeJS, err := exec.LookPath("node")
	needDep(t, "Node.js", err)
	n := startNode(t, testConfig(t, t.TempDir()))
	ws := dial(t, n.streamURL(streamsvc.PathTransactions))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, nodeJS, "js/interop.js", "http://"+n.WebAddr()+"/api/v1/")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("interop.js: %v\n%s", err, stderr.Bytes())
	}
	var res struct {
		Transactions []struct {
			ID        string `json:"id"`
			Operation string `json:"operation"`
			AssetID   string `json:"asset_id"`
			Height    int64  `json:"height"`
		} `json:"transactions"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("interop.js output %q: %v", out, err)
	}
	var ops []string
	var want []txMsg
	for _, tx := range res.Transactions {
		ops = append(ops, tx.Operation)
		want = append(want, txMsg{TransactionID: tx.ID, AssetID: tx.AssetID, AssetIDs: []string{tx.AssetID}, Height: tx.Height})
		checkCometBFTHolds(t, n, tx.Height, tx.ID)
	}
	if diff := cmp.Diff([]string{"CREATE", "TRANSFER", "TRANSFER", "CREATE"}, ops); diff != "" {
		t.Fatalf("operations (-want +got):\n%s", diff)
	}
	if want[0].AssetID != want[0].TransactionID {
		t.Errorf("asset id %s, want the CREATE's id %s", want[0].AssetID, want[0].TransactionID)
	}

	// A marker after the script: the stream must show the four, then it
	// (the replay the script tried was refused and never streamed).
	key := txbuild.NewKeyPair()
	marker := txbuild.Create("3.0", key, "QmAfterJS", nil, txbuild.To("1", key)).MustSign()
	api := n.webAPI()
	api.post(t, "commit", marker.Raw)
	want = append(want, txMsg{TransactionID: marker.ID, AssetID: marker.ID, AssetIDs: []string{marker.ID}, Height: api.height(t, marker.ID)})
	if diff := cmp.Diff(want, readTxs(t, ws, len(want))); diff != "" {
		t.Errorf("stream (-want +got):\n%s", diff)
	}
}

// checkCometBFTHolds asks CometBFT's RPC whether the block at height holds
// a transaction with this id.
func checkCometBFTHolds(t *testing.T, n *testNode, height int64, id string) {
	t.Helper()
	blk, err := n.rpc.Block(context.Background(), &height)
	if err != nil {
		t.Fatalf("rpc block %d: %v", height, err)
	}
	for _, raw := range blk.Block.Txs {
		if got, err := ledger.TxID(raw); err == nil && got == id {
			return
		}
	}
	t.Errorf("CometBFT's block %d does not hold transaction %s", height, id)
}
