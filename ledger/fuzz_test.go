package ledger_test

import (
	"context"
	"encoding/json"
	"testing"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/cometstream/cometstream/ledger"
)

// FuzzCheckTx feeds arbitrary bytes to CheckTx: it must not fail or panic,
// and must never accept a transaction whose id is not its hash.
func FuzzCheckTx(f *testing.F) {
	for _, tx := range chainTxs(f) {
		f.Add(tx.raw)
	}
	f.Add([]byte(`{"id":null,"version":"2.0","asset":null,"operation":"CREATE","inputs":[],"outputs":[]}`))
	app := openApp(f, f.TempDir())
	f.Fuzz(func(t *testing.T, data []byte) {
		resp, err := app.CheckTx(context.Background(), &abcitypes.RequestCheckTx{Tx: data})
		if err != nil {
			t.Fatalf("CheckTx error: %v", err)
		}
		if resp.Code != ledger.CodeOK {
			if resp.Log == "" {
				t.Fatalf("code %d without a Log", resp.Code)
			}
			return
		}
		// A map, not a struct: struct decoding matches keys
		// case-insensitively and could read "ID" instead of "id".
		var carried map[string]any
		if err := json.Unmarshal(data, &carried); err != nil {
			t.Fatalf("accepted input that encoding/json rejects: %v", err)
		}
		id, err := ledger.TxID(data)
		if err != nil || id != carried["id"] {
			t.Fatalf("accepted id %v, TxID = %q, %v", carried["id"], id, err)
		}
	})
}
