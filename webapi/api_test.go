package webapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/mempool"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/google/go-cmp/cmp"

	"github.com/cometstream/cometstream/ledger"
	"github.com/cometstream/cometstream/ledger/txbuild"
	"github.com/cometstream/cometstream/streamsvc"
	"github.com/cometstream/cometstream/webapi"
)

// fakeBroadcaster stands in for CometBFT. By default it behaves like a
// one-validator chain around app: sync runs CheckTx, commit also puts the
// transaction alone in the next block. Func fields override a mode.
type fakeBroadcaster struct {
	app    *ledger.App
	height int64
	async  func(cmttypes.Tx) (*coretypes.ResultBroadcastTx, error)
	sync   func(cmttypes.Tx) (*coretypes.ResultBroadcastTx, error)
	commit func(context.Context, cmttypes.Tx) (*coretypes.ResultBroadcastTxCommit, error)
}

func (f *fakeBroadcaster) BroadcastTxAsync(_ context.Context, tx cmttypes.Tx) (*coretypes.ResultBroadcastTx, error) {
	if f.async != nil {
		return f.async(tx)
	}
	return &coretypes.ResultBroadcastTx{Hash: tx.Hash()}, nil
}

func (f *fakeBroadcaster) BroadcastTxSync(ctx context.Context, tx cmttypes.Tx) (*coretypes.ResultBroadcastTx, error) {
	if f.sync != nil {
		return f.sync(tx)
	}
	res, err := f.app.CheckTx(ctx, &abcitypes.RequestCheckTx{Tx: tx})
	if err != nil {
		return nil, err
	}
	return &coretypes.ResultBroadcastTx{Code: res.Code, Log: res.Log, Hash: tx.Hash()}, nil
}

func (f *fakeBroadcaster) BroadcastTxCommit(ctx context.Context, tx cmttypes.Tx) (*coretypes.ResultBroadcastTxCommit, error) {
	if f.commit != nil {
		return f.commit(ctx, tx)
	}
	check, err := f.app.CheckTx(ctx, &abcitypes.RequestCheckTx{Tx: tx})
	if err != nil || check.Code != 0 {
		return &coretypes.ResultBroadcastTxCommit{CheckTx: *check}, err
	}
	f.height++
	fin, err := f.app.FinalizeBlock(ctx, &abcitypes.RequestFinalizeBlock{Height: f.height, Txs: [][]byte{tx}})
	if err != nil {
		return nil, err
	}
	if _, err := f.app.Commit(ctx, &abcitypes.RequestCommit{}); err != nil {
		return nil, err
	}
	return &coretypes.ResultBroadcastTxCommit{CheckTx: *check, TxResult: *fin.TxResults[0], Height: f.height}, nil
}

// fakeLedger fails every read, for the 500 paths.
type fakeLedger struct{ err error }

func (f fakeLedger) Validate([]byte) error                             { return f.err }
func (f fakeLedger) Transaction(string) ([]byte, bool, error)          { return nil, false, f.err }
func (f fakeLedger) TxHeight(string) (int64, bool, error)              { return 0, false, f.err }
func (f fakeLedger) Height() int64                                     { return 1 }
func (f fakeLedger) Block(int64) (ledger.Block, bool, error)           { return ledger.Block{}, false, f.err }
func (f fakeLedger) Outputs(string, *bool) ([]ledger.OutputRef, error) { return nil, f.err }
func (f fakeLedger) AssetTransactions(string, int) ([]ledger.AssetTx, error) {
	return nil, f.err
}
func (f fakeLedger) LastAssetTransaction(string, string) (ledger.AssetTx, bool, error) {
	return ledger.AssetTx{}, false, f.err
}
func (f fakeLedger) AssetCIDTransactions(string, int) ([]string, error)    { return nil, f.err }
func (f fakeLedger) MetadataCIDTransactions(string, int) ([]string, error) { return nil, f.err }

type env struct {
	srv   *httptest.Server
	app   *ledger.App
	b     *fakeBroadcaster
	alice txbuild.KeyPair
	bob   txbuild.KeyPair
	// create (block 1) gave alice 5; give (block 2) moved 2 to bob and 3
	// back to alice.
	create, give *txbuild.Signed
}

func newEnv(t testing.TB, cfg webapi.APIConfig) *env {
	t.Helper()
	app, err := ledger.New(ledger.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = app.Close() })
	e := &env{app: app, b: &fakeBroadcaster{app: app}, alice: txbuild.NewKeyPair(), bob: txbuild.NewKeyPair()}
	if cfg.Ledger == nil {
		cfg.Ledger = app
	}
	if cfg.Broadcaster == nil {
		cfg.Broadcaster = e.b
	}
	api, err := webapi.NewAPI(cfg)
	if err != nil {
		t.Fatal(err)
	}
	root, err := streamsvc.NewRootHandler(streamsvc.RootConfig{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := webapi.New(webapi.Config{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	api.Register(s)
	e.srv = httptest.NewServer(s)
	t.Cleanup(e.srv.Close)

	e.create = txbuild.Create("2.0", e.alice, map[string]any{"name": "<Grüße> & ✓"}, nil, txbuild.To("5", e.alice)).MustSign()
	e.give = txbuild.Transfer("2.0", e.create.ID, nil, []txbuild.Input{e.create.Spend(0, e.alice)},
		txbuild.To("2", e.bob), txbuild.To("3", e.alice)).MustSign()
	for _, tx := range []*txbuild.Signed{e.create, e.give} {
		if res, err := e.b.BroadcastTxCommit(context.Background(), tx.Raw); err != nil || res.TxResult.Code != 0 {
			t.Fatalf("setup commit: %v %+v", err, res)
		}
	}
	return e
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (e *env) do(t *testing.T, method, path string, body []byte) response {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

// errorBody is Planetmint's error shape.
type errorBody struct {
	Message string `json:"message"`
	Status  int    `json:"status"`
	// A refused transaction also carries the ledger's code and, where the
	// message is Planetmint's wording, the ledger's detail.
	Code   *uint32 `json:"code"`
	Detail string  `json:"detail"`
}

// checkError asserts status and that the body is {"message", "status"}
// with a message containing want.
func checkError(t *testing.T, r response, status int, want string) {
	t.Helper()
	if r.status != status {
		t.Errorf("status %d, want %d (body %s)", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var got errorBody
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("error body %s: %v", r.body, err)
	}
	if got.Status != status || !strings.Contains(got.Message, want) {
		t.Errorf("error body %+v, want status %d and a message containing %q", got, status, want)
	}
}

func TestPostTransaction(t *testing.T) {
	e := newEnv(t, webapi.APIConfig{MaxBodyBytes: 4096})
	carol := txbuild.NewKeyPair()
	fresh := func() *txbuild.Signed {
		return txbuild.Create("2.0", carol, map[string]any{"n": time.Now().UnixNano()}, nil, txbuild.To("1", carol)).MustSign()
	}
	spendAgain := txbuild.Transfer("2.0", e.create.ID, nil, []txbuild.Input{e.create.Spend(0, e.alice)}, txbuild.To("5", carol)).MustSign()
	tampered := bytes.Replace(fresh().Raw, []byte(`"amount":"1"`), []byte(`"amount":"2"`), 1)
	tests := []struct {
		name   string
		path   string
		body   []byte
		status int
		want   string // in the error message; "" for success
	}{
		{"async by default", "/api/v1/transactions", fresh().Raw, http.StatusAccepted, ""},
		{"async", "/api/v1/transactions?mode=async", fresh().Raw, http.StatusAccepted, ""},
		{"sync", "/api/v1/transactions?mode=sync", fresh().Raw, http.StatusAccepted, ""},
		{"commit, trailing slash", "/api/v1/transactions/?mode=commit", fresh().Raw, http.StatusAccepted, ""},
		{"unknown mode", "/api/v1/transactions?mode=later", fresh().Raw, http.StatusBadRequest, `mode "later" must be async, sync or commit`},
		{"not JSON", "/api/v1/transactions", []byte("{not json"), http.StatusBadRequest, "Invalid transaction (InvalidJSON): transaction is not valid JSON"},
		{"empty body", "/api/v1/transactions", nil, http.StatusBadRequest, "Invalid transaction (InvalidJSON): "},
		{"id does not match", "/api/v1/transactions", tampered, http.StatusBadRequest, "Invalid transaction (InvalidHash): The transaction's id '"},
		{"already committed", "/api/v1/transactions?mode=commit", e.create.Raw, http.StatusBadRequest, "Invalid transaction (DuplicateTransaction): transaction `" + e.create.ID + "` already exists"},
		{"double spend", "/api/v1/transactions?mode=sync", spendAgain.Raw, http.StatusBadRequest, "Invalid transaction (DoubleSpend): input `" + e.create.ID + "` was already spent"},
		{"too large", "/api/v1/transactions", bytes.Repeat([]byte(" "), 5000), http.StatusRequestEntityTooLarge, "transaction larger than 4096 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, http.MethodPost, tt.path, tt.body)
			if tt.want != "" {
				checkError(t, r, tt.status, tt.want)
				return
			}
			if r.status != tt.status || !bytes.Equal(r.body, tt.body) {
				t.Errorf("status %d body %s; want %d and the transaction", r.status, r.body, tt.status)
			}
			if r.header.Get("Access-Control-Allow-Origin") != "*" {
				t.Error("no Access-Control-Allow-Origin: *")
			}
		})
	}
}

func TestPostTransactionCometBFTAnswers(t *testing.T) {
	carol := txbuild.NewKeyPair()
	tx := txbuild.Create("3.0", carol, nil, nil, txbuild.To("1", carol)).MustSign()
	tests := []struct {
		name   string
		mode   string
		set    func(b *fakeBroadcaster)
		status int
		want   string
	}{
		{"CheckTx refuses", "sync", func(b *fakeBroadcaster) {
			b.sync = func(cmttypes.Tx) (*coretypes.ResultBroadcastTx, error) {
				return &coretypes.ResultBroadcastTx{Code: ledger.CodeDoubleSpend, Log: "spent meanwhile"}, nil
			}
		}, http.StatusBadRequest, "Invalid transaction (DoubleSpend): spent meanwhile"},
		{"CheckTx: a TRANSFER sent again", "sync", func(b *fakeBroadcaster) {
			b.sync = func(cmttypes.Tx) (*coretypes.ResultBroadcastTx, error) {
				return &coretypes.ResultBroadcastTx{Code: ledger.CodeDuplicate, Log: "input `ab` was already spent"}, nil
			}
		}, http.StatusBadRequest, "Invalid transaction (DoubleSpend): input `ab` was already spent"},
		{"refused in its block", "commit", func(b *fakeBroadcaster) {
			b.commit = func(context.Context, cmttypes.Tx) (*coretypes.ResultBroadcastTxCommit, error) {
				return &coretypes.ResultBroadcastTxCommit{TxResult: abcitypes.ExecTxResult{Code: ledger.CodeDoubleSpend, Log: "first one won"}}, nil
			}
		}, http.StatusBadRequest, "(DoubleSpend): first one won"},
		{"already in the mempool", "async", func(b *fakeBroadcaster) {
			b.async = func(cmttypes.Tx) (*coretypes.ResultBroadcastTx, error) { return nil, mempool.ErrTxInCache }
		}, http.StatusBadRequest, "(DuplicateTransaction): the transaction is already in the mempool"},
		{"mempool full", "sync", func(b *fakeBroadcaster) {
			b.sync = func(cmttypes.Tx) (*coretypes.ResultBroadcastTx, error) {
				return nil, mempool.ErrMempoolIsFull{NumTxs: 1, MaxTxs: 1}
			}
		}, http.StatusServiceUnavailable, "the mempool is full"},
		{"CometBFT fails", "async", func(b *fakeBroadcaster) {
			b.async = func(cmttypes.Tx) (*coretypes.ResultBroadcastTx, error) { return nil, errors.New("catching up") }
		}, http.StatusInternalServerError, "submitting the transaction to CometBFT failed: catching up"},
		{"not committed in time", "commit", func(b *fakeBroadcaster) {
			b.commit = func(ctx context.Context, _ cmttypes.Tx) (*coretypes.ResultBroadcastTxCommit, error) {
				<-ctx.Done()
				return nil, ctx.Err()
			}
		}, http.StatusGatewayTimeout, "accepted but not committed within 1ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, webapi.APIConfig{CommitTimeout: time.Millisecond})
			tt.set(e.b)
			checkError(t, e.do(t, http.MethodPost, "/api/v1/transactions?mode="+tt.mode, tx.Raw), tt.status, tt.want)
		})
	}
}

func TestGetRoutes(t *testing.T) {
	e := newEnv(t, webapi.APIConfig{})
	bobKey := e.bob.PublicKey()
	ref := func(tx *txbuild.Signed, i int) map[string]any {
		return map[string]any{"transaction_id": tx.ID, "output_index": float64(i)}
	}
	var giveJSON any
	_ = json.Unmarshal(e.give.Raw, &giveJSON)
	// Planetmint's block shape; the app hashes chain as the ledger
	// documents it: SHA-256(previous || height || ids), from empty.
	hashes := map[int64][]byte{}
	prev := []byte{}
	for h, tx := range []*txbuild.Signed{e.create, e.give} {
		id, _ := hex.DecodeString(tx.ID)
		sum := sha256.Sum256(slices.Concat(prev, binary.BigEndian.AppendUint64(nil, uint64(h+1)), id))
		prev = sum[:]
		hashes[int64(h+1)] = prev
	}
	block := func(h int64, tx *txbuild.Signed) map[string]any {
		return map[string]any{"app_hash": hex.EncodeToString(hashes[h]), "height": float64(h), "transaction_ids": []any{tx.ID}}
	}
	tests := []struct {
		path   string
		status int
		want   any    // decoded JSON body, for 200
		errMsg string // for errors
	}{
		{"/api/v1/transactions/" + e.give.ID, 200, giveJSON, ""},
		{"/api/v1/transactions/" + strings.Repeat("0", 64), 404, nil, "Not found: no committed transaction 000"},
		{"/api/v1/transactions/not-an-id", 404, nil, "Not found"},
		{"/api/v1/outputs?public_key=" + bobKey, 200, []any{ref(e.give, 0)}, ""},
		{"/api/v1/outputs/?public_key=" + e.alice.PublicKey(), 200, []any{ref(e.create, 0), ref(e.give, 1)}, ""},
		{"/api/v1/outputs?public_key=" + e.alice.PublicKey() + "&spent=true", 200, []any{ref(e.create, 0)}, ""},
		{"/api/v1/outputs?public_key=" + e.alice.PublicKey() + "&spent=False", 200, []any{ref(e.give, 1)}, ""},
		{"/api/v1/outputs?public_key=" + txbuild.NewKeyPair().PublicKey(), 200, []any{}, ""},
		{"/api/v1/outputs", 400, nil, "public_key is required"},
		{"/api/v1/outputs?public_key=abc", 400, nil, "public_key: public key \"abc\" decodes to"},
		{"/api/v1/outputs?public_key=" + bobKey + "&spent=maybe", 400, nil, `spent must be "true" or "false"`},
		{"/api/v1/outputs?public_key=" + bobKey + "&limit=3", 400, nil, `unknown parameter "limit"`},
		{"/api/v1/outputs?public_key=" + bobKey + "&public_key=" + bobKey, 400, nil, "given more than once"},
		{"/api/v1/outputs?public_key=%zz", 400, nil, "malformed query string"},
		{"/api/v1/blocks/1", 200, block(1, e.create), ""},
		{"/api/v1/blocks/2", 200, block(2, e.give), ""},
		{"/api/v1/blocks/latest", 200, block(2, e.give), ""},
		{"/api/v1/blocks/3", 404, nil, "Not found: no committed block at height 3"},
		{"/api/v1/blocks/0", 400, nil, `block height "0" must be a positive integer`},
		{"/api/v1/blocks/two", 400, nil, "must be a positive integer"},
		{"/api/v1/blocks?transaction_id=" + e.give.ID, 200, block(2, e.give), ""},
		{"/api/v1/blocks/?transaction_id=" + e.create.ID, 200, block(1, e.create), ""},
		{"/api/v1/blocks?transaction_id=" + strings.Repeat("1", 64), 404, nil, "Not found"},
		{"/api/v1/blocks", 400, nil, "transaction_id is required"},
		{"/api/v1/blocks?transaction_id=", 404, nil, "Not found"},
		{"/api/v1/blocks?transaction_id=123", 404, nil, "Not found"},
		{"/api/v1/nothing-here", 404, nil, "Not found: /api/v1/nothing-here"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r := e.do(t, http.MethodGet, tt.path, nil)
			if r.header.Get("Access-Control-Allow-Origin") != "*" {
				t.Error("no Access-Control-Allow-Origin: *")
			}
			if tt.errMsg != "" {
				checkError(t, r, tt.status, tt.errMsg)
				return
			}
			var got any
			if r.status != tt.status || json.Unmarshal(r.body, &got) != nil {
				t.Fatalf("status %d body %s, want %d and JSON", r.status, r.body, tt.status)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
	// The transaction comes back byte for byte, <, > and & unescaped.
	if r := e.do(t, http.MethodGet, "/api/v1/transactions/"+e.create.ID, nil); !bytes.Equal(r.body, e.create.Raw) {
		t.Errorf("GET transaction returned %s, want the submitted bytes %s", r.body, e.create.Raw)
	}
}

func TestMethods(t *testing.T) {
	e := newEnv(t, webapi.APIConfig{})
	tests := []struct {
		method, path string
		status       int
		allow        string
	}{
		{http.MethodPut, "/api/v1/transactions", 405, "GET, HEAD, POST, OPTIONS"},
		{http.MethodPost, "/api/v1/assets/QmX", 405, "GET, HEAD, OPTIONS"},
		{http.MethodDelete, "/api/v1/transactions/" + e.give.ID, 405, "GET, HEAD, OPTIONS"},
		{http.MethodPost, "/api/v1/outputs", 405, "GET, HEAD, OPTIONS"},
		{http.MethodPut, "/api/v1/blocks/1", 405, "GET, HEAD, OPTIONS"},
		{http.MethodOptions, "/api/v1/transactions", 204, "GET, HEAD, POST, OPTIONS"},
		{http.MethodOptions, "/api/v1/blocks", 204, "GET, HEAD, OPTIONS"},
		{http.MethodHead, "/api/v1/transactions/" + e.give.ID, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := e.do(t, tt.method, tt.path, nil)
			if r.status != tt.status || r.header.Get("Allow") != tt.allow {
				t.Errorf("status %d Allow %q, want %d %q", r.status, r.header.Get("Allow"), tt.status, tt.allow)
			}
			if r.header.Get("Access-Control-Allow-Origin") != "*" {
				t.Error("no Access-Control-Allow-Origin: *")
			}
			switch tt.status {
			case 405:
				checkError(t, r, 405, "not allowed")
			case 204:
				if got := r.header.Get("Access-Control-Allow-Methods"); got != tt.allow {
					t.Errorf("Access-Control-Allow-Methods %q, want %q", got, tt.allow)
				}
			}
		})
	}
}

func TestLedgerFailures(t *testing.T) {
	e := newEnv(t, webapi.APIConfig{Ledger: fakeLedger{err: errors.New("disk on fire")}})
	for _, tt := range []struct{ method, path string }{
		{http.MethodPost, "/api/v1/transactions"},
		{http.MethodGet, "/api/v1/transactions/" + e.give.ID},
		{http.MethodGet, "/api/v1/outputs?public_key=" + e.bob.PublicKey()},
		{http.MethodGet, "/api/v1/blocks/1"},
		{http.MethodGet, "/api/v1/blocks?transaction_id=" + e.give.ID},
	} {
		r := e.do(t, tt.method, tt.path, e.give.Raw)
		checkError(t, r, http.StatusInternalServerError, "the node could not")
		if strings.Contains(string(r.body), "disk on fire") {
			t.Errorf("%s %s leaks the internal error: %s", tt.method, tt.path, r.body)
		}
	}
}

func TestNewAPIConfig(t *testing.T) {
	if _, err := webapi.NewAPI(webapi.APIConfig{}); err == nil {
		t.Error("NewAPI without Ledger and Broadcaster succeeded")
	}
}
