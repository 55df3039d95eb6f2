package webapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cometstream/cometstream/ledger"
	"github.com/cometstream/cometstream/ledger/txbuild"
	"github.com/cometstream/cometstream/webapi"
)

// TestAssetQueries: the transactions of an asset (Planetmint's asset_ids,
// BigchainDB's asset_id, operation, last_tx), the CID lookups of
// /assets/<cid> and /metadata/<cid> with limit, and a 400 for text
// search.
func TestAssetQueries(t *testing.T) {
	e := newEnv(t, webapi.APIConfig{})
	carol := txbuild.NewKeyPair()
	const cid, meta = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", "QmMetadataCID"
	v3a := txbuild.Create("3.0", carol, cid, meta, txbuild.To("2", carol)).MustSign()
	v3b := txbuild.Create("3.0", e.alice, cid, nil, txbuild.To("1", e.alice)).MustSign()
	v3move := txbuild.Transfer("3.0", v3a.ID, meta, []txbuild.Input{v3a.Spend(0, carol)}, txbuild.To("2", e.bob)).MustSign()
	again := txbuild.Transfer("2.0", e.create.ID, nil, []txbuild.Input{e.give.Spend(0, e.bob)}, txbuild.To("2", carol)).MustSign()
	for _, tx := range []*txbuild.Signed{v3a, v3b, v3move, again} {
		if res, err := e.b.BroadcastTxCommit(context.Background(), tx.Raw); err != nil || res.TxResult.Code != 0 {
			t.Fatalf("commit: %v %+v", err, res)
		}
	}
	txs := func(list ...*txbuild.Signed) any {
		out := []any{}
		for _, tx := range list {
			var v any
			_ = json.Unmarshal(tx.Raw, &v)
			out = append(out, v)
		}
		return out
	}
	none := strings.Repeat("0", 64)
	tests := []struct {
		path   string
		status int
		want   any    // decoded JSON, for 200
		errMsg string // for errors
	}{
		{"/api/v1/transactions?asset_ids=" + e.create.ID, 200, txs(e.create, e.give, again), ""},
		{"/api/v1/transactions/?asset_id=" + e.create.ID, 200, txs(e.create, e.give, again), ""},
		{"/api/v1/transactions?asset_id=" + strings.ToUpper(e.create.ID) + "&operation=transfer", 200, txs(e.give, again), ""},
		{"/api/v1/transactions?asset_ids=" + e.create.ID + "&operation=CREATE", 200, txs(e.create), ""},
		{"/api/v1/transactions?asset_ids=" + e.create.ID + "&last_tx=true", 200, txs(again), ""},
		{"/api/v1/transactions?asset_ids=" + e.create.ID + "&last_tx=true&operation=CREATE", 200, txs(e.create), ""},
		{"/api/v1/transactions?asset_ids=" + e.create.ID + "&last_tx=False", 200, txs(e.create, e.give, again), ""},
		{"/api/v1/transactions?asset_ids=" + v3a.ID + "," + e.create.ID + "," + v3a.ID, 200, txs(e.create, e.give, v3a, v3move, again), ""},
		{"/api/v1/transactions?asset_ids=" + none, 200, []any{}, ""},
		{"/api/v1/transactions?asset_ids=" + v3move.ID, 200, []any{}, ""}, // a TRANSFER's id is no asset
		{"/api/v1/transactions", 400, nil, "asset_ids is required"},
		{"/api/v1/transactions?asset_ids=abc", 400, nil, `asset id "abc": Invalid hash`},
		{"/api/v1/transactions?asset_ids=" + none + "&asset_id=" + none, 400, nil, "not both"},
		{"/api/v1/transactions?asset_ids=" + none + "&operation=VOTE", 400, nil, `Operation must be "CREATE" or "TRANSFER"`},
		{"/api/v1/transactions?asset_ids=" + none + "&last_tx=yes", 400, nil, `Boolean value must be "true" or "false"`},
		{"/api/v1/transactions?asset_ids=" + strings.Repeat(none+",", 101), 400, nil, "at most 100 asset ids"},
		{"/api/v1/assets/" + cid, 200, []any{map[string]any{"data": cid}, map[string]any{"data": cid}}, ""},
		{"/api/v1/assets/" + cid + "?limit=1", 200, []any{map[string]any{"data": cid}}, ""},
		{"/api/v1/assets/" + cid + "?limit=0", 200, []any{map[string]any{"data": cid}, map[string]any{"data": cid}}, ""},
		{"/api/v1/assets/" + meta, 200, []any{}, ""},
		{"/api/v1/assets/" + cid + "?limit=-1", 400, nil, `limit "-1" must be a non-negative integer`},
		{"/api/v1/assets/" + cid + "?limit=x", 400, nil, "must be a non-negative integer"},
		{"/api/v1/metadata/" + meta, 200, []any{meta, meta}, ""},
		{"/api/v1/metadata/" + meta + "?limit=1", 200, []any{meta}, ""},
		{"/api/v1/metadata/" + cid, 200, []any{}, ""},
		{"/api/v1/assets?search=bicycle", 400, nil, "text search (search=) is not supported"},
		{"/api/v1/assets/?search=bicycle&limit=2", 400, nil, "text search (search=) is not supported"},
		{"/api/v1/metadata/?search=bicycle", 400, nil, "text search (search=) is not supported"},
		{"/api/v1/assets/", 400, nil, "a CID is required"},
		{"/api/v1/assets/" + cid + "?search=x", 400, nil, "text search (search=) is not supported"},
		{"/api/v1/metadata/" + meta + "?limit=1&page=2", 400, nil, `unknown parameter "page"`},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r := e.do(t, http.MethodGet, tt.path, nil)
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
	// The listed transactions are the stored bytes, unchanged.
	r := e.do(t, http.MethodGet, "/api/v1/transactions?asset_ids="+e.create.ID+"&operation=CREATE", nil)
	if want := "[" + string(e.create.Raw) + "]\n"; string(r.body) != want {
		t.Errorf("body %s, want %s", r.body, want)
	}
}

// overCap answers every asset with 1001 transactions of each operation.
type overCap struct{ webapi.Ledger }

func (overCap) AssetTransactions(_ string, max int) ([]ledger.AssetTx, error) {
	out := make([]ledger.AssetTx, 0, max)
	for i := 0; i < max; i++ {
		out = append(out, ledger.AssetTx{ID: strings.Repeat("0", 64), Operation: []string{"CREATE", "TRANSFER"}[min(i, 1)], Height: int64(i + 1)})
	}
	return out, nil
}

// TestAssetQueriesCap: past 1000 matching transactions the answer is a
// 400 that says how to narrow it, never a list cut short.
func TestAssetQueriesCap(t *testing.T) {
	app, err := ledger.New(ledger.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = app.Close() })
	e := newEnv(t, webapi.APIConfig{Ledger: overCap{app}})
	id := strings.Repeat("a", 64)
	for _, q := range []string{"asset_ids=" + id, "asset_ids=" + id + "&operation=TRANSFER", "asset_ids=" + id + "," + strings.Repeat("b", 64)} {
		checkError(t, e.do(t, http.MethodGet, "/api/v1/transactions?"+q, nil), http.StatusBadRequest, "more than 1000 transactions match")
	}
}
