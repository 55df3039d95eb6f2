package ledger_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/cometstream/cometstream/internal/fixtures"
	"github.com/cometstream/cometstream/ledger"
)

const (
	keyA = "4K9sWUMFwTgaDGPfdynrbxWqWS6sWmKbZoTjxLtVUibD"
	keyB = "3yfQPHeWAa1MxTX9Zf9176QqcpcnWcanVZZbaHb8B3h9"
	keyC = "3Af3fhhjU6d9WecEM9Uw5hfom9kNEwE7YuDWdqAUssqm"

	v2Create = "4957744b3ac54434b8270f2c854cc1040228c82ea4e72d66d2887a4d3e30b317"
	v2Xfer1  = "79ef6803210c941903d63d08b40fa17f0a5a04f11ac0ff04451553a187d97a30"
	v3Create = "0fdeb547670bbea980389df53cf5a91e60159339084c6b0b5cc0b5494a679530"
	v3Xfer1  = "8d11fe2bd91c4747a41e0c3dbe1400c511175be42f008d6cff92cbfa9e04f799"
)

func TestParseTransactionFixtures(t *testing.T) {
	tests := []struct {
		file string
		want ledger.Transaction
	}{
		{"bigchaindb-v2.0-create.json", ledger.Transaction{
			ID: v2Create, Version: "2.0", Operation: "CREATE", AssetIDs: []string{v2Create},
			Inputs:  []ledger.Input{{OwnersBefore: []string{keyA}}},
			Outputs: []ledger.Output{{Amount: "1", PublicKeys: []string{keyA}}},
		}},
		{"bigchaindb-v2.0-transfer-2.json", ledger.Transaction{
			ID: "1fec726a3b426498147f1a1f19a92c187d551a7f66db4b88d666d7dcc10e86a4", Version: "2.0", Operation: "TRANSFER",
			AssetIDs: []string{v2Create},
			Inputs:   []ledger.Input{{OwnersBefore: []string{keyB}, Fulfills: &ledger.OutputRef{TransactionID: v2Xfer1}}},
			Outputs:  []ledger.Output{{Amount: "1", PublicKeys: []string{keyC}}},
		}},
		{"planetmint-v3.0-create.json", ledger.Transaction{
			ID: v3Create, Version: "3.0", Operation: "CREATE", AssetIDs: []string{v3Create},
			Inputs:  []ledger.Input{{OwnersBefore: []string{keyA}}},
			Outputs: []ledger.Output{{Amount: "1", PublicKeys: []string{keyA}}},
		}},
		{"planetmint-v3.0-transfer-1.json", ledger.Transaction{
			ID: v3Xfer1, Version: "3.0", Operation: "TRANSFER", AssetIDs: []string{v3Create},
			Inputs:  []ledger.Input{{OwnersBefore: []string{keyA}, Fulfills: &ledger.OutputRef{TransactionID: v3Create}}},
			Outputs: []ledger.Output{{Amount: "1", PublicKeys: []string{keyB}}},
		}},
	}
	// Raw and fulfillments are long and checked elsewhere.
	ignore := cmpopts.IgnoreFields(ledger.Transaction{}, "Raw")
	ignoreF := cmpopts.IgnoreFields(ledger.Input{}, "Fulfillment")
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw := fixtures.Read(tt.file)
			got, err := ledger.ParseTransaction(raw)
			if err != nil {
				t.Fatalf("ParseTransaction: %v", err)
			}
			if diff := cmp.Diff(&tt.want, got, ignore, ignoreF); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			if string(got.Raw) != string(raw) {
				t.Error("Raw is not the submitted bytes")
			}
			if !strings.HasPrefix(got.Inputs[0].Fulfillment, "pGSAI") {
				t.Errorf("Fulfillment = %q, want an ed25519-sha-256 fulfillment", got.Inputs[0].Fulfillment)
			}
		})
	}
}

func TestParseTransactionAssetIDs(t *testing.T) {
	v2 := fixtures.Read("bigchaindb-v2.0-create.json")
	v3 := fixtures.Read("planetmint-v3.0-create.json")
	other := strings.Repeat("ab", 32)
	tests := []struct {
		name string
		raw  []byte
		want func(own string) []string
	}{
		{"v2 null asset is own id", mint(t, v2, func(tx map[string]any) { tx["asset"] = nil }),
			func(own string) []string { return []string{own} }},
		{"v2 asset id wins (VOTE, TRANSFER)", mint(t, v2, func(tx map[string]any) {
			tx["operation"] = "VOTE"
			tx["asset"] = map[string]any{"id": other}
		}), func(string) []string { return []string{other} }},
		{"v2 unknown operation is kept", mint(t, v2, func(tx map[string]any) { tx["operation"] = "VALIDATOR_ELECTION" }),
			func(own string) []string { return []string{own} }},
		{"v3 COMPOSE lists new then consumed", mint(t, v3, func(tx map[string]any) {
			tx["operation"] = "COMPOSE"
			tx["assets"] = []any{map[string]any{"data": "QmNew"}, map[string]any{"id": other}}
		}), func(own string) []string { return []string{own, other} }},
		{"v3 null element is own id", mint(t, v3, func(tx map[string]any) { tx["assets"] = []any{nil} }),
			func(own string) []string { return []string{own} }},
		{"v3 empty assets is own id", mint(t, v3, func(tx map[string]any) { tx["assets"] = []any{} }),
			func(own string) []string { return []string{own} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tx, err := ledger.ParseTransaction(tt.raw)
			if err != nil {
				t.Fatalf("ParseTransaction: %v", err)
			}
			if diff := cmp.Diff(tt.want(tx.ID), tx.AssetIDs); diff != "" {
				t.Errorf("AssetIDs mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// rejectionCases are shared by the ParseTransaction, CheckTx and
// FinalizeBlock tests: each rule must give the same code everywhere.
func rejectionCases(t testing.TB) []struct {
	name string
	raw  []byte
	code uint32
	log  string
} {
	v2 := fixtures.Read("bigchaindb-v2.0-create.json")
	v3 := fixtures.Read("planetmint-v3.0-transfer-1.json")
	set := func(k string, v any) func(map[string]any) { return func(tx map[string]any) { tx[k] = v } }
	del := func(k string) func(map[string]any) { return func(tx map[string]any) { delete(tx, k) } }
	return []struct {
		name string
		raw  []byte
		code uint32
		log  string
	}{
		{"garbage bytes", []byte("\x00\xffnot json"), ledger.CodeBadJSON, "not valid JSON"},
		{"empty", nil, ledger.CodeBadJSON, "not valid JSON"},
		{"truncated", v2[:len(v2)/2], ledger.CodeBadJSON, "not valid JSON"},
		{"trailing data", append(append([]byte{}, v2...), "{}"...), ledger.CodeBadJSON, "data after"},
		{"array", []byte(`[1,2]`), ledger.CodeBadJSON, "not a JSON object"},
		{"invalid UTF-8", []byte("{\"metadata\":\"\xff\",\"version\":\"2.0\"}"), ledger.CodeBadJSON, "UTF-8"},
		{"unpaired surrogate", []byte(`{"metadata":"\ud800","version":"2.0"}`), ledger.CodeBadJSON, "surrogate"},
		{"v2 metadata changed, old id", edit(t, v2, set("metadata", map[string]any{"sequence": 1})), ledger.CodeBadID, "does not match"},
		{"v3 metadata changed, old id", edit(t, v3, set("metadata", "QmOther")), ledger.CodeBadID, "does not match"},
		{"id upper-case hex", edit(t, v2, set("id", strings.ToUpper(v2Create))), ledger.CodeBadID, "64 lower-case hex"},
		{"id too short", edit(t, v2, set("id", v2Create[:63])), ledger.CodeBadID, "64 lower-case hex"},
		{"id not a string", edit(t, v2, set("id", 7)), ledger.CodeBadID, "64 lower-case hex"},
		{"id missing", edit(t, v2, del("id")), ledger.CodeBadID, "id is missing"},
		{"id null", edit(t, v2, set("id", nil)), ledger.CodeBadID, "id is missing"},
		{"unknown version", mint(t, v2, set("version", "4.0")), ledger.CodeBadVersion, `unknown version "4.0"`},
		{"version missing", mint(t, v2, del("version")), ledger.CodeBadVersion, "version must be"},
		{"version a number", mint(t, v2, set("version", 2)), ledger.CodeBadVersion, "version must be"},
		{"operation missing", mint(t, v2, del("operation")), ledger.CodeBadSchema, "operation"},
		{"operation empty", mint(t, v3, set("operation", "")), ledger.CodeBadSchema, "operation"},
		{"inputs missing", mint(t, v2, del("inputs")), ledger.CodeBadSchema, "inputs must be a list"},
		{"outputs an object", mint(t, v3, set("outputs", map[string]any{})), ledger.CodeBadSchema, "outputs must be a list"},
		{"input not an object", mint(t, v2, set("inputs", []any{"x"})), ledger.CodeBadSchema, "inputs[0] must be an object"},
		{"owners_before missing", mint(t, v2, set("inputs", []any{map[string]any{"fulfills": nil}})), ledger.CodeBadSchema, "inputs[0].owners_before"},
		{"fulfills malformed", mint(t, v2, set("inputs", []any{map[string]any{"owners_before": []any{}, "fulfills": map[string]any{"transaction_id": "x", "output_index": 0}}})), ledger.CodeBadSchema, "inputs[0].fulfills.transaction_id"},
		{"public_keys missing", mint(t, v3, set("outputs", []any{map[string]any{"amount": "1"}})), ledger.CodeBadSchema, "outputs[0].public_keys"},
		{"v2 asset missing", mint(t, v2, del("asset")), ledger.CodeBadSchema, "no asset"},
		{"v2 asset a string", mint(t, v2, set("asset", "QmCID")), ledger.CodeBadSchema, "asset must be an object or null"},
		{"v2 with v3 assets only", mint(t, v3, set("version", "2.0")), ledger.CodeBadSchema, "no asset"},
		{"v3 assets missing", mint(t, v3, del("assets")), ledger.CodeBadSchema, "assets list"},
		{"v3 assets an object", mint(t, v3, set("assets", map[string]any{})), ledger.CodeBadSchema, "assets list"},
		{"v3 asset id a number", mint(t, v3, set("assets", []any{map[string]any{"id": 1}})), ledger.CodeBadSchema, "assets[0].id"},
	}
}

func TestParseTransactionRejects(t *testing.T) {
	cases := rejectionCases(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tx, err := ledger.ParseTransaction(tc.raw)
			if err == nil {
				t.Fatalf("ParseTransaction accepted %s as %s", tc.raw, tx.ID)
			}
			var rej *ledger.RejectError
			if !errors.As(err, &rej) {
				t.Fatalf("error %v is not a *RejectError", err)
			}
			if rej.Code != tc.code || !strings.Contains(rej.Msg, tc.log) {
				t.Errorf("got code %d %q, want code %d mentioning %q", rej.Code, rej.Msg, tc.code, tc.log)
			}
		})
	}
}
