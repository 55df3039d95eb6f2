package integration_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/websocket"

	"github.com/cometstream/cometstream/internal/fixtures"
	"github.com/cometstream/cometstream/ledger"
	"github.com/cometstream/cometstream/ledger/txbuild"
	"github.com/cometstream/cometstream/streamsvc"
)

// webAPI is a client of a node's Web API.
type webAPI struct {
	base string // http://host:port/api/v1
	hc   *http.Client
}

func (n *testNode) webAPI() *webAPI {
	return &webAPI{base: "http://" + n.WebAddr() + "/api/v1", hc: &http.Client{Timeout: 60 * time.Second}}
}

func (w *webAPI) do(t *testing.T, method, path string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, w.base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// post submits tx and fails the test unless the answer is 202 with the
// transaction as body.
func (w *webAPI) post(t *testing.T, mode string, tx []byte) {
	t.Helper()
	status, body := w.do(t, http.MethodPost, "/transactions?mode="+mode, tx)
	if status != http.StatusAccepted || !bytes.Equal(body, tx) {
		t.Fatalf("POST mode=%s = %d %s, want 202 and the transaction", mode, status, body)
	}
}

// refused posts tx with mode=commit and checks the 400: Planetmint's
// message shape, the ledger's code in "code", and msg in the message or
// the detail.
func (w *webAPI) refused(t *testing.T, name string, tx []byte, code uint32, msg string) {
	t.Helper()
	status, body := w.do(t, http.MethodPost, "/transactions?mode=commit", tx)
	var e struct {
		Message string `json:"message"`
		Status  int    `json:"status"`
		Code    uint32 `json:"code"`
		Detail  string `json:"detail"`
	}
	_ = json.Unmarshal(body, &e)
	if status != 400 || e.Status != 400 || e.Code != code || !strings.HasPrefix(e.Message, "Invalid transaction") || !strings.Contains(e.Message+" "+e.Detail, msg) {
		t.Errorf("%s: POST = %d %s, want 400 with code %d and %q", name, status, body, code, msg)
	}
}

func (w *webAPI) getJSON(t *testing.T, path string, v any) {
	t.Helper()
	status, body := w.do(t, http.MethodGet, path, nil)
	if status != http.StatusOK {
		t.Fatalf("GET %s = %d %s", path, status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v in %s", path, err, body)
	}
}

// webBlock is a block in Planetmint's shape (GET /blocks/<height>,
// /blocks?transaction_id=, /blocks/latest).
type webBlock struct {
	AppHash        string   `json:"app_hash"`
	Height         int64    `json:"height"`
	TransactionIDs []string `json:"transaction_ids"`
}

// height asks the Web API which block holds a transaction.
func (w *webAPI) height(t *testing.T, id string) int64 {
	t.Helper()
	var blk webBlock
	w.getJSON(t, "/blocks?transaction_id="+id, &blk)
	if !slices.Contains(blk.TransactionIDs, id) {
		t.Fatalf("block holding %s: %+v", id, blk)
	}
	return blk.Height
}

// remint edits a fixture and fixes its id, without signing again.
func remint(t *testing.T, raw []byte, edit func(tx map[string]any)) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var tx map[string]any
	if err := dec.Decode(&tx); err != nil {
		t.Fatal(err)
	}
	edit(tx)
	b, err := json.Marshal(tx)
	if err != nil {
		t.Fatal(err)
	}
	signed, _, err := ledger.WithID(b)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// readTxs reads n valid_transactions messages.
func readTxs(t *testing.T, c *websocket.Conn, n int) []txMsg {
	t.Helper()
	got := make([]txMsg, n)
	for i := range got {
		if err := readJSON(c, &got[i], 30*time.Second); err != nil {
			t.Fatalf("stream message %d: %v", i, err)
		}
	}
	return got
}

// TestWebAPILedgerRules submits every fixture through the Web API in chain
// order, then a refused copy for each rule, then transactions built here;
// the stream must carry exactly the accepted ones, with the heights the
// Web API reports, and the reads must see each as soon as it is streamed.
func TestWebAPILedgerRules(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	n := startNode(t, testConfig(t, t.TempDir()))
	api := n.webAPI()
	ws := dial(t, n.streamURL(streamsvc.PathTransactions))

	var want []txMsg
	streamed := func(id, asset string) {
		want = append(want, txMsg{TransactionID: id, AssetID: asset, AssetIDs: []string{asset}, Height: api.height(t, id)})
	}
	for _, tx := range fixtureTxs(t) {
		api.post(t, "commit", tx.raw)
		streamed(tx.id, tx.assetIDs[0])
		status, body := api.do(t, http.MethodGet, "/transactions/"+tx.id, nil)
		if status != 200 || !bytes.Equal(body, tx.raw) {
			t.Errorf("GET transaction %s = %d, want 200 and the fixture", tx.id, status)
		}
	}
	if diff := cmp.Diff(want, readTxs(t, ws, len(want))); diff != "" {
		t.Fatalf("fixture events (-want +got):\n%s", diff)
	}

	create := fixtures.Read("planetmint-v3.0-create.json")
	xfer := fixtures.Read("bigchaindb-v2.0-transfer-1.json")
	output := func(k string, v any) func(map[string]any) {
		return func(tx map[string]any) { tx["outputs"].([]any)[0].(map[string]any)[k] = v }
	}
	flip := func(tx map[string]any) {
		in := tx["inputs"].([]any)[0].(map[string]any)
		b, _ := base64.RawURLEncoding.DecodeString(in["fulfillment"].(string))
		b[40] ^= 0x80
		in["fulfillment"] = base64.RawURLEncoding.EncodeToString(b)
	}
	api.refused(t, "amount changed", remint(t, create, output("amount", "2")), ledger.CodeBadSignature, "signature does not verify")
	api.refused(t, "metadata changed", remint(t, xfer, func(tx map[string]any) { tx["metadata"] = map[string]any{"sequence": 9} }), ledger.CodeBadSignature, "signature does not verify")
	api.refused(t, "owner changed", remint(t, create, func(tx map[string]any) {
		o := tx["outputs"].([]any)[0].(map[string]any)
		o["public_keys"] = []any{"3yfQPHeWAa1MxTX9Zf9176QqcpcnWcanVZZbaHb8B3h9"}
		o["condition"] = map[string]any{
			"details": map[string]any{"type": "ed25519-sha-256", "public_key": "3yfQPHeWAa1MxTX9Zf9176QqcpcnWcanVZZbaHb8B3h9"},
			"uri":     "ni:///sha-256;lu6ov4AKkee6KWGnyjOVLBeyuP0bz4-O6_dPi15eYUc?fpt=ed25519-sha-256&cost=131072",
		}
	}), ledger.CodeBadSignature, "signature does not verify")
	api.refused(t, "signature byte changed", remint(t, xfer, flip), ledger.CodeBadSignature, "signature does not verify")
	api.refused(t, "signature byte changed, id kept", bytes.Replace(xfer, []byte("pGSAIDE5i63"), []byte("pGSAIDE5i64"), 1), ledger.CodeBadID, "does not match")
	api.refused(t, "replay of a TRANSFER", xfer, ledger.CodeDuplicate, "is already committed")

	// Fresh keys: a chain of our own, then the stateful rules.
	alice, bob, carol := txbuild.NewKeyPair(), txbuild.NewKeyPair(), txbuild.NewKeyPair()
	mine := txbuild.Create("2.0", alice, map[string]any{"name": "Grüße ✓ 日本"}, map[string]any{"note": "€"},
		txbuild.To("7", alice)).MustSign()
	give := txbuild.Transfer("2.0", mine.ID, nil, []txbuild.Input{mine.Spend(0, alice)},
		txbuild.To("3", bob), txbuild.ToAll("4", 2, alice, bob, carol)).MustSign()
	for _, tx := range []*txbuild.Signed{mine, give} {
		api.post(t, "commit", tx.Raw)
		streamed(tx.ID, mine.ID)
	}
	fixtureCreate := fixtureTxs(t)[0]
	api.refused(t, "spent output", txbuild.Transfer("2.0", mine.ID, nil, []txbuild.Input{mine.Spend(0, alice)}, txbuild.To("7", carol)).MustSign().Raw,
		ledger.CodeDoubleSpend, "already spent by transaction "+give.ID)
	api.refused(t, "wrong asset id", txbuild.Transfer("2.0", fixtureCreate.id, nil, []txbuild.Input{give.Spend(0, bob)}, txbuild.To("3", carol)).MustSign().Raw,
		ledger.CodeAssetMismatch, "the inputs spend asset "+mine.ID)
	api.refused(t, "amounts do not add up", txbuild.Transfer("2.0", mine.ID, nil, []txbuild.Input{give.Spend(0, bob)}, txbuild.To("4", carol)).MustSign().Raw,
		ledger.CodeAmountMismatch, "add up to 4 but the inputs spend 3")
	api.refused(t, "election", remint(t, create, func(tx map[string]any) { tx["operation"] = "VALIDATOR_ELECTION" }),
		ledger.CodeUnsupportedOperation, "not supported")

	// The 2-of-3 output, spent by two of its owners, with mode=sync: the
	// stream shows it once committed, and the reads agree the moment the
	// event arrives.
	spend := txbuild.Transfer("2.0", mine.ID, nil, []txbuild.Input{give.Spend(1, carol, alice)}, txbuild.To("4", carol)).MustSign()
	api.post(t, "sync", spend.Raw)
	got := readTxs(t, ws, len(want)-6+1)
	status, body := api.do(t, http.MethodGet, "/transactions/"+spend.ID, nil)
	if status != 200 || !bytes.Equal(body, spend.Raw) {
		t.Errorf("GET right after the stream event = %d %s", status, body)
	}
	streamed(spend.ID, mine.ID)
	if diff := cmp.Diff(want[6:], got); diff != "" {
		t.Errorf("events after the fixtures (-want +got): refused txs must not appear\n%s", diff)
	}

	var refs []ledger.OutputRef
	api.getJSON(t, "/outputs?public_key="+carol.PublicKey()+"&spent=false", &refs)
	if diff := cmp.Diff([]ledger.OutputRef{{TransactionID: spend.ID, OutputIndex: 0}}, refs); diff != "" {
		t.Errorf("carol's unspent outputs (-want +got):\n%s", diff)
	}
	var blk webBlock
	h := api.height(t, give.ID)
	api.getJSON(t, fmt.Sprintf("/blocks/%d", h), &blk)
	if blk.Height != h || len(blk.TransactionIDs) != 1 || blk.TransactionIDs[0] != give.ID || len(blk.AppHash) != 64 {
		t.Errorf("block %d = %+v, want the TRANSFER's id", h, blk)
	}
}

// TestDoubleSpendInOneBlock puts two TRANSFERs of the same output, and a
// second encoding of the first (same id), into one block: the first wins,
// the others get non-zero codes in the block results and never reach the
// stream. Blocks are held back (no empty blocks, a long timeout_commit)
// so that all three are in the mempool when the next block is proposed.
func TestDoubleSpendInOneBlock(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	cfg := testConfig(t, t.TempDir())
	cfg.Comet.Consensus.CreateEmptyBlocks = false
	cfg.Comet.Consensus.TimeoutCommit = 3 * time.Second
	n := startNode(t, cfg)
	api := n.webAPI()
	ws := dial(t, n.streamURL(streamsvc.PathTransactions))

	alice, bob, carol := txbuild.NewKeyPair(), txbuild.NewKeyPair(), txbuild.NewKeyPair()
	create := txbuild.Create("3.0", alice, "QmDouble", nil, txbuild.To("1", alice)).MustSign()
	toBob := txbuild.Transfer("3.0", create.ID, nil, []txbuild.Input{create.Spend(0, alice)}, txbuild.To("1", bob)).MustSign()
	toCarol := txbuild.Transfer("3.0", create.ID, nil, []txbuild.Input{create.Spend(0, alice)}, txbuild.To("1", carol)).MustSign()
	again := append([]byte(" "), toBob.Raw...)

	// The commit answer comes at the block's commit; the next block cannot
	// start before timeout_commit has passed, and the three sync posts
	// (each returns after CheckTx) take far less.
	api.post(t, "commit", create.Raw)
	api.post(t, "sync", toBob.Raw)
	api.post(t, "sync", toCarol.Raw)
	api.post(t, "sync", again)

	height := n.txHeight(t, toBob.Raw)
	res, err := n.rpc.BlockResults(context.Background(), &height)
	if err != nil {
		t.Fatal(err)
	}
	var codes []uint32
	for _, r := range res.TxsResults {
		codes = append(codes, r.Code)
	}
	if diff := cmp.Diff([]uint32{ledger.CodeOK, ledger.CodeDoubleSpend, ledger.CodeDuplicate}, codes); diff != "" {
		t.Fatalf("block %d codes (-want +got):\n%s", height, diff)
	}
	// The Log is Planetmint's message, the Info the ledger's detail.
	if r := res.TxsResults[1]; r.Log != "input `"+create.ID+"` was already spent" || !strings.Contains(r.Info, "already spent by transaction "+toBob.ID+" (earlier in this block)") {
		t.Errorf("double spend log %q, info %q", r.Log, r.Info)
	}

	marker := txbuild.Create("3.0", carol, "QmMarker", nil, txbuild.To("1", carol)).MustSign()
	api.post(t, "commit", marker.Raw)
	var ids []string
	for _, m := range readTxs(t, ws, 3) {
		ids = append(ids, m.TransactionID)
	}
	if diff := cmp.Diff([]string{create.ID, toBob.ID, marker.ID}, ids); diff != "" {
		t.Errorf("stream (-want +got):\n%s", diff)
	}
	if status, _ := api.do(t, http.MethodGet, "/transactions/"+toCarol.ID, nil); status != http.StatusNotFound {
		t.Errorf("GET the losing transaction = %d, want 404", status)
	}
}
