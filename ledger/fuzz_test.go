package ledger_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"testing"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/cometstream/cometstream/ledger"
	"github.com/cometstream/cometstream/ledger/canonical"
	"github.com/cometstream/cometstream/ledger/txbuild"
)

// FuzzCheckTx feeds arbitrary bytes to CheckTx: it must not fail or panic,
// must explain every refusal, and must never accept a transaction whose id
// is not its hash or whose signatures are wrong.
func FuzzCheckTx(f *testing.F) {
	for _, tx := range chainTxs(f) {
		f.Add(tx.raw)
	}
	for _, tx := range builtSeeds() {
		f.Add(tx)
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
		checkAccepted(t, data)
	})
}

// FuzzParseTransaction mutates validly signed transactions (the seeds
// include threshold outputs and multi-input transfers): whatever the
// mutation, an accepted result must carry the right id and signatures.
func FuzzParseTransaction(f *testing.F) {
	for _, tx := range chainTxs(f) {
		f.Add(tx.raw)
	}
	for _, tx := range builtSeeds() {
		f.Add(tx)
	}
	// Signed transactions with a key given twice: a mutation that removes
	// the duplicate must still meet checkAccepted.
	for _, c := range dupKeyCases(f) {
		f.Add(c.tx)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tx, err := ledger.ParseTransaction(data)
		if err != nil {
			return
		}
		if tx.ID == "" || len(tx.AssetIDs) != 1 || len(tx.Inputs) == 0 || len(tx.Outputs) == 0 {
			t.Fatalf("accepted an incomplete transaction: %+v", tx)
		}
		checkAccepted(t, data)
	})
}

// checkAccepted re-derives, independently of the ledger's code path, what
// an accepted transaction must satisfy: its id is the hash of its
// canonical form, and each ed25519 fulfillment signs the input's message.
func checkAccepted(t *testing.T, data []byte) {
	t.Helper()
	// A map, not a struct: struct decoding matches keys
	// case-insensitively and could read "ID" instead of "id".
	var obj map[string]any
	if err := json.Unmarshal(data, &obj); err != nil {
		t.Fatalf("accepted input that encoding/json rejects: %v", err)
	}
	id, err := ledger.TxID(data)
	if err != nil || id != obj["id"] {
		t.Fatalf("accepted id %v, TxID = %q, %v", obj["id"], id, err)
	}
	v, err := canonical.Unmarshal(data)
	if err != nil {
		t.Fatal(err)
	}
	unsigned := v.(map[string]any)
	unsigned["id"] = nil
	inputs := unsigned["inputs"].([]any)
	fulfillments := make([]string, len(inputs))
	for i, in := range inputs {
		m := in.(map[string]any)
		fulfillments[i] = m["fulfillment"].(string)
		m["fulfillment"] = nil
	}
	body, err := canonical.Marshal(unsigned)
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range inputs {
		var ref *txbuild.Ref
		if f, ok := in.(map[string]any)["fulfills"].(map[string]any); ok {
			n, _ := f["output_index"].(json.Number).Int64()
			ref = &txbuild.Ref{TransactionID: f["transaction_id"].(string), OutputIndex: int(n)}
		}
		msg := txbuild.SignedMessage(body, ref)
		der, err := base64.RawURLEncoding.DecodeString(fulfillments[i])
		if err != nil {
			t.Fatalf("accepted a fulfillment that is not base64url: %v", err)
		}
		// A lone ed25519 fulfillment: A4 64 80 20 <key> 81 40 <signature>.
		if len(der) == 102 && der[0] == 0xA4 && !ed25519.Verify(der[4:36], msg[:], der[38:102]) {
			t.Fatalf("input %d: accepted a signature that does not verify", i)
		}
	}
}

// builtSeeds are valid transactions made with fixed keys, so that the
// seeds are the same on every run.
func builtSeeds() [][]byte {
	key := func(n byte) txbuild.KeyPair {
		var seed [32]byte
		seed[0] = n
		return txbuild.KeyPairFromSeed(seed)
	}
	alice, bob, carol := key(1), key(2), key(3)
	create := txbuild.Create("2.0", alice, map[string]any{"name": "Grüße ✓"}, map[string]any{"n": 1},
		txbuild.To("3", alice), txbuild.ToAll("2", 2, alice, bob, carol)).MustSign()
	spend := txbuild.Transfer("2.0", create.ID, nil, []txbuild.Input{create.Spend(0, alice), create.Spend(1, bob, carol)},
		txbuild.To("4", bob), txbuild.To("1", carol)).MustSign()
	v3 := txbuild.Create("3.0", bob, "QmCID", "QmMeta", txbuild.ToAll("1", 1, alice, carol)).MustSign()
	// Issued by two of three (a CREATE with a threshold fulfillment), and
	// keys near BigchainDB's key-name rule ("a$b" is fine, "a.b" is not),
	// nested in objects and lists.
	group := txbuild.Create("2.0", alice, map[string]any{"a$b": []any{map[string]any{"c": 1}}}, map[string]any{"x": map[string]any{"y_z": 1}}, txbuild.To("1", carol))
	group.Inputs[0].OwnersBefore = []string{alice.PublicKey(), bob.PublicKey(), carol.PublicKey()}
	group.Inputs[0].Condition = txbuild.ToAll("1", 2, alice, bob, carol).Condition
	group.Inputs[0].Signers = []txbuild.KeyPair{alice, carol}
	return [][]byte{create.Raw, spend.Raw, v3.Raw, group.MustSign().Raw}
}
