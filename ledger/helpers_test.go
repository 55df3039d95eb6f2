package ledger_test

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"slices"
	"testing"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/cometstream/cometstream/internal/fixtures"
	"github.com/cometstream/cometstream/ledger"
)

type fixtureTx struct {
	name string
	raw  []byte
	id   string // the id the fixture carries
}

// chainTxs returns every fixture transaction, chains in name order and
// each chain in its own order, so blocks built from it are reproducible.
func chainTxs(t testing.TB) []fixtureTx {
	t.Helper()
	var out []fixtureTx
	for _, chain := range slices.Sorted(maps.Keys(fixtures.Chains)) {
		for _, name := range fixtures.Chains[chain] {
			raw := fixtures.Read(name)
			var v struct{ ID string }
			if err := json.Unmarshal(raw, &v); err != nil {
				t.Fatalf("fixture %s: %v", name, err)
			}
			out = append(out, fixtureTx{name: name, raw: raw, id: v.ID})
		}
	}
	if len(out) == 0 {
		t.Fatal("no fixture transactions")
	}
	return out
}

func openApp(t testing.TB, dir string) *ledger.App {
	t.Helper()
	app, err := ledger.New(ledger.Config{Dir: dir})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := app.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return app
}

// edit decodes raw, lets f change it and encodes it again without fixing
// the id.
func edit(t testing.TB, raw []byte, f func(tx map[string]any)) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var tx map[string]any
	if err := dec.Decode(&tx); err != nil {
		t.Fatalf("edit: %v", err)
	}
	f(tx)
	b, err := json.Marshal(tx)
	if err != nil {
		t.Fatalf("edit: %v", err)
	}
	return b
}

// mint is edit followed by WithID: a transaction whose id is right, so
// that only the edited rule can refuse it.
func mint(t testing.TB, raw []byte, f func(tx map[string]any)) []byte {
	t.Helper()
	signed, _, err := ledger.WithID(edit(t, raw, f))
	if err != nil {
		t.Fatalf("WithID: %v", err)
	}
	return signed
}

func checkTx(t testing.TB, app *ledger.App, tx []byte) *abcitypes.ResponseCheckTx {
	t.Helper()
	resp, err := app.CheckTx(context.Background(), &abcitypes.RequestCheckTx{Tx: tx, Type: abcitypes.CheckTxType_New})
	if err != nil {
		t.Fatalf("CheckTx: %v", err)
	}
	return resp
}

func finalize(t testing.TB, app *ledger.App, height int64, txs ...[]byte) *abcitypes.ResponseFinalizeBlock {
	t.Helper()
	resp, err := app.FinalizeBlock(context.Background(), &abcitypes.RequestFinalizeBlock{Height: height, Txs: txs})
	if err != nil {
		t.Fatalf("FinalizeBlock(%d): %v", height, err)
	}
	if len(resp.TxResults) != len(txs) {
		t.Fatalf("FinalizeBlock(%d): %d results for %d txs", height, len(resp.TxResults), len(txs))
	}
	return resp
}

func commit(t testing.TB, app *ledger.App) {
	t.Helper()
	if _, err := app.Commit(context.Background(), &abcitypes.RequestCommit{}); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

func info(t testing.TB, app *ledger.App) *abcitypes.ResponseInfo {
	t.Helper()
	resp, err := app.Info(context.Background(), &abcitypes.RequestInfo{})
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	return resp
}

func codes(resp *abcitypes.ResponseFinalizeBlock) []uint32 {
	out := make([]uint32, len(resp.TxResults))
	for i, r := range resp.TxResults {
		out[i] = r.Code
	}
	return out
}
