package ledger_test

import (
	"encoding/base64"
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
	uriA = "ni:///sha-256;PNYwdxaRaNw60N6LDFzOWO97b8tJeragczakL8PrAPc?fpt=ed25519-sha-256&cost=131072"
	uriB = "ni:///sha-256;lu6ov4AKkee6KWGnyjOVLBeyuP0bz4-O6_dPi15eYUc?fpt=ed25519-sha-256&cost=131072"

	v2Create = "4957744b3ac54434b8270f2c854cc1040228c82ea4e72d66d2887a4d3e30b317"
	v2Xfer1  = "79ef6803210c941903d63d08b40fa17f0a5a04f11ac0ff04451553a187d97a30"
	v3Create = "0fdeb547670bbea980389df53cf5a91e60159339084c6b0b5cc0b5494a679530"
	v3Xfer1  = "8d11fe2bd91c4747a41e0c3dbe1400c511175be42f008d6cff92cbfa9e04f799"
)

func TestParseTransactionFixtures(t *testing.T) {
	out := func(key, uri string) []ledger.Output {
		return []ledger.Output{{Amount: "1", Value: 1, PublicKeys: []string{key}, ConditionURI: uri}}
	}
	tests := []struct {
		file string
		want ledger.Transaction
	}{
		{"bigchaindb-v2.0-create.json", ledger.Transaction{
			ID: v2Create, Version: "2.0", Operation: "CREATE", AssetIDs: []string{v2Create},
			Inputs:  []ledger.Input{{OwnersBefore: []string{keyA}, ConditionURI: uriA}},
			Outputs: out(keyA, uriA),
		}},
		{"bigchaindb-v2.0-transfer-1.json", ledger.Transaction{
			ID: v2Xfer1, Version: "2.0", Operation: "TRANSFER", AssetIDs: []string{v2Create},
			Inputs:  []ledger.Input{{OwnersBefore: []string{keyA}, Fulfills: &ledger.OutputRef{TransactionID: v2Create}, ConditionURI: uriA}},
			Outputs: out(keyB, uriB),
		}},
		{"planetmint-v3.0-create.json", ledger.Transaction{
			ID: v3Create, Version: "3.0", Operation: "CREATE", AssetIDs: []string{v3Create},
			Inputs:   []ledger.Input{{OwnersBefore: []string{keyA}, ConditionURI: uriA}},
			Outputs:  out(keyA, uriA),
			AssetCID: "QmQP5C3PmhH9oB84n7YqSY4WVqmYatdoo1BdwhH4zmcwqM", MetadataCID: "QmZs4UHLHCUGLQr6rzbtJTjT8Sf5pw6FNuaRZ5pzguk5FV",
		}},
		{"planetmint-v3.0-transfer-1.json", ledger.Transaction{
			ID: v3Xfer1, Version: "3.0", Operation: "TRANSFER", AssetIDs: []string{v3Create},
			Inputs:      []ledger.Input{{OwnersBefore: []string{keyA}, Fulfills: &ledger.OutputRef{TransactionID: v3Create}, ConditionURI: uriA}},
			Outputs:     out(keyB, uriB),
			MetadataCID: "QmQ9Sc3VWZ3nH5FWVVi2MNMDhyjTiKrEb6mN79qqt1Uq9s",
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

type rejection struct {
	name string
	raw  []byte
	code uint32
	log  string
}

// rejectionCases are the rules that need no state, shared by the
// ParseTransaction, CheckTx and FinalizeBlock tests: each rule must give
// the same code everywhere. Cases made with mint have a correct id, so
// that only the edited rule can refuse them; edits that keep the schema
// then fail on the signature, which covered the original content.
func rejectionCases(t testing.TB) []rejection {
	v2 := fixtures.Read("bigchaindb-v2.0-create.json")
	v2x := fixtures.Read("bigchaindb-v2.0-transfer-1.json")
	v3 := fixtures.Read("planetmint-v3.0-transfer-1.json")
	v3c := fixtures.Read("planetmint-v3.0-create.json")
	set := func(k string, v any) func(map[string]any) { return func(tx map[string]any) { tx[k] = v } }
	del := func(k string) func(map[string]any) { return func(tx map[string]any) { delete(tx, k) } }
	input := func(k string, v any) func(map[string]any) {
		return func(tx map[string]any) { tx["inputs"].([]any)[0].(map[string]any)[k] = v }
	}
	output := func(k string, v any) func(map[string]any) {
		return func(tx map[string]any) { tx["outputs"].([]any)[0].(map[string]any)[k] = v }
	}
	condition := func(k string, v any) func(map[string]any) {
		return func(tx map[string]any) {
			tx["outputs"].([]any)[0].(map[string]any)["condition"].(map[string]any)[k] = v
		}
	}
	details := func(d map[string]any) func(map[string]any) { return condition("details", d) }
	ed := func(key string) map[string]any { return map[string]any{"type": "ed25519-sha-256", "public_key": key} }
	fulfillment := func(der ...byte) func(map[string]any) {
		return input("fulfillment", base64.RawURLEncoding.EncodeToString(der))
	}
	flipSignature := func(tx map[string]any) {
		in := tx["inputs"].([]any)[0].(map[string]any)
		b, _ := base64.RawURLEncoding.DecodeString(in["fulfillment"].(string))
		b[len(b)-1] ^= 1
		in["fulfillment"] = base64.RawURLEncoding.EncodeToString(b)
	}
	return []rejection{
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

		{"operation missing", mint(t, v2, del("operation")), ledger.CodeBadSchema, "operation must be a string"},
		{"operation empty", mint(t, v3, set("operation", "")), ledger.CodeBadSchema, `unknown operation ""`},
		{"operation lower-case", mint(t, v3, set("operation", "create")), ledger.CodeBadSchema, `unknown operation "create"`},
		{"COMPOSE is not a 2.0 operation", mint(t, v2, set("operation", "COMPOSE")), ledger.CodeBadSchema, `unknown operation "COMPOSE" for version 2.0`},
		{"VALIDATOR_ELECTION", mint(t, v2, set("operation", "VALIDATOR_ELECTION")), ledger.CodeUnsupportedOperation, "operation VALIDATOR_ELECTION is not supported"},
		{"CHAIN_MIGRATION_ELECTION", mint(t, v3, set("operation", "CHAIN_MIGRATION_ELECTION")), ledger.CodeUnsupportedOperation, "not supported"},
		{"VOTE", mint(t, v2, set("operation", "VOTE")), ledger.CodeUnsupportedOperation, "operation VOTE is not supported"},
		{"COMPOSE", mint(t, v3, set("operation", "COMPOSE")), ledger.CodeUnsupportedOperation, "operation COMPOSE is not supported"},
		{"DECOMPOSE", mint(t, v3, set("operation", "DECOMPOSE")), ledger.CodeUnsupportedOperation, "operation DECOMPOSE is not supported"},
		{"v3 script", mint(t, v3, set("script", map[string]any{})), ledger.CodeUnsupportedOperation, "script (Zenroom)"},

		{"unknown field", mint(t, v2, set("extra", 1)), ledger.CodeBadSchema, `unknown field "extra"`},
		{"metadata missing", mint(t, v2, del("metadata")), ledger.CodeBadSchema, `no "metadata" field`},
		{"inputs missing", mint(t, v2, del("inputs")), ledger.CodeBadSchema, `no "inputs" field`},
		{"inputs an object", mint(t, v2, set("inputs", map[string]any{})), ledger.CodeBadSchema, "inputs must be a list"},
		{"outputs an object", mint(t, v3, set("outputs", map[string]any{})), ledger.CodeBadSchema, "outputs must be a list"},
		{"outputs empty", mint(t, v3, set("outputs", []any{})), ledger.CodeBadSchema, "outputs must not be empty"},
		{"input not an object", mint(t, v2, set("inputs", []any{"x"})), ledger.CodeBadSchema, "inputs[0] must be an object"},
		{"CREATE with two inputs", mint(t, v2, func(tx map[string]any) {
			in := tx["inputs"].([]any)
			tx["inputs"] = append(in, in[0])
		}), ledger.CodeBadSchema, "a CREATE has exactly one input, not 2"},
		{"TRANSFER without inputs", mint(t, v3, set("inputs", []any{})), ledger.CodeBadSchema, "at least one input"},
		{"owners_before missing", mint(t, v2, func(tx map[string]any) {
			delete(tx["inputs"].([]any)[0].(map[string]any), "owners_before")
		}), ledger.CodeBadSchema, `inputs[0] has no "owners_before" field`},
		{"owners_before empty", mint(t, v2, input("owners_before", []any{})), ledger.CodeBadSchema, "inputs[0].owners_before must be a non-empty list"},
		{"owners_before not base58", mint(t, v2, input("owners_before", []any{"0OIl"})), ledger.CodeBadSchema, "inputs[0].owners_before[0]: public key"},
		{"input with an extra field", mint(t, v2, input("extra", true)), ledger.CodeBadSchema, `inputs[0] has an unknown field "extra"`},
		{"fulfills malformed", mint(t, v3, input("fulfills", map[string]any{"transaction_id": "x", "output_index": 0})), ledger.CodeBadSchema, "inputs[0].fulfills.transaction_id"},
		{"output_index a float", mint(t, v3, input("fulfills", map[string]any{"transaction_id": v3Create, "output_index": 0.5})), ledger.CodeBadSchema, "output_index must be a non-negative integer"},
		{"output_index negative", mint(t, v3, input("fulfills", map[string]any{"transaction_id": v3Create, "output_index": -1})), ledger.CodeBadSchema, "output_index must be a non-negative integer"},
		{"CREATE that spends", mint(t, v2, input("fulfills", map[string]any{"transaction_id": v3Create, "output_index": 0})), ledger.CodeBadSchema, "must be null in a CREATE"},
		{"TRANSFER that spends nothing", mint(t, v3, input("fulfills", nil)), ledger.CodeBadSchema, "must name the output a TRANSFER spends"},

		{"fulfillment null", mint(t, v2, input("fulfillment", nil)), ledger.CodeBadFulfillment, "the input is not signed"},
		{"fulfillment as details", mint(t, v2, input("fulfillment", ed(keyA))), ledger.CodeBadFulfillment, "the input is not signed"},
		{"fulfillment not base64url", mint(t, v2, input("fulfillment", "pGSA+")), ledger.CodeBadFulfillment, "base64url"},
		{"fulfillment of an unsupported type", mint(t, v2, fulfillment(0xA0, 0x02, 0x80, 0x00)), ledger.CodeBadFulfillment, "unsupported fulfillment type preimage-sha-256"},
		{"fulfillment truncated", mint(t, v2, fulfillment(0xA4, 0x64, 0x80, 0x20)), ledger.CodeBadFulfillment, "truncated"},

		{"amount a number", mint(t, v2, output("amount", 1)), ledger.CodeBadAmount, "outputs[0].amount must be a string"},
		{"amount zero", mint(t, v2, output("amount", "000")), ledger.CodeBadAmount, "must be at least 1"},
		{"amount above 9e18", mint(t, v2, output("amount", "9000000000000000001")), ledger.CodeBadAmount, "exceeds the maximum 9000000000000000000"},
		{"amount of 21 digits", mint(t, v2, output("amount", "100000000000000000000")), ledger.CodeBadAmount, "1 to 20 decimal digits"},
		{"amount negative", mint(t, v2, output("amount", "-1")), ledger.CodeBadAmount, "1 to 20 decimal digits"},
		{"amount with a point", mint(t, v2, output("amount", "1.0")), ledger.CodeBadAmount, "1 to 20 decimal digits"},
		{"public_keys missing", mint(t, v3, func(tx map[string]any) {
			delete(tx["outputs"].([]any)[0].(map[string]any), "public_keys")
		}), ledger.CodeBadSchema, `outputs[0] has no "public_keys" field`},
		{"public_keys not the condition's", mint(t, v2, output("public_keys", []any{keyB})), ledger.CodeBadCondition, "must list the condition's keys"},
		{"public_keys twice the same", mint(t, v2, output("public_keys", []any{keyA, keyA})), ledger.CodeBadCondition, "each once"},
		{"uri of another key", mint(t, v2, condition("uri", uriB)), ledger.CodeBadCondition, "is not the condition its details describe"},
		{"condition without uri", mint(t, v2, func(tx map[string]any) {
			delete(tx["outputs"].([]any)[0].(map[string]any)["condition"].(map[string]any), "uri")
		}), ledger.CodeBadSchema, `outputs[0].condition has no "uri" field`},
		{"details of an unknown type", mint(t, v2, details(map[string]any{"type": "preimage-sha-256"})), ledger.CodeBadSchema, `details.type must be "ed25519-sha-256" or "threshold-sha-256"`},
		{"zenroom details", mint(t, v3, details(map[string]any{"type": "zenroom-sha-256", "public_key": keyA})), ledger.CodeUnsupportedOperation, "zenroom-sha-256 conditions are not supported"},
		{"details with an extra field", mint(t, v2, details(map[string]any{"type": "ed25519-sha-256", "public_key": keyA, "x": 1})), ledger.CodeBadSchema, `details has an unknown field "x"`},
		{"threshold 0", mint(t, v2, details(map[string]any{"type": "threshold-sha-256", "threshold": 0, "subconditions": []any{ed(keyA)}})), ledger.CodeBadSchema, "threshold must be an integer in 1..100"},
		{"threshold above n", mint(t, v2, details(map[string]any{"type": "threshold-sha-256", "threshold": 2, "subconditions": []any{ed(keyA)}})), ledger.CodeBadCondition, "at least as many subconditions"},
		{"details key not base58", mint(t, v2, details(ed("0OIl"))), ledger.CodeBadCondition, "invalid character"},

		{"v2 asset missing", mint(t, v2, del("asset")), ledger.CodeBadSchema, `no "asset" field`},
		{"v2 asset a string", mint(t, v2, set("asset", "QmCID")), ledger.CodeBadSchema, "asset must be an object"},
		{"v2 asset null", mint(t, v2, set("asset", nil)), ledger.CodeBadSchema, "asset must be an object"},
		{"v2 CREATE asset data a string", mint(t, v2, set("asset", map[string]any{"data": "QmCID"})), ledger.CodeBadSchema, "asset.data must be an object or null in version 2.0"},
		{"v2 CREATE asset with an id", mint(t, v2, set("asset", map[string]any{"data": nil, "id": v2Create})), ledger.CodeBadSchema, `asset has an unknown field "id"`},
		{"v2 TRANSFER asset without id", mint(t, v2x, set("asset", map[string]any{"data": nil})), ledger.CodeBadSchema, `asset has no "id" field`},
		{"v2 TRANSFER asset id malformed", mint(t, v2x, set("asset", map[string]any{"id": "abc"})), ledger.CodeBadSchema, "asset.id must be 64 lower-case hex digits"},
		{"v2 metadata empty object", mint(t, v2, set("metadata", map[string]any{})), ledger.CodeBadSchema, "metadata must be null or an object with at least one key"},
		{"v2 metadata a string", mint(t, v2, set("metadata", "QmCID")), ledger.CodeBadSchema, "metadata must be null or an object"},
		{"v2 with v3 assets only", mint(t, v3, set("version", "2.0")), ledger.CodeBadSchema, `no "asset" field`},
		{"v3 metadata an object", mint(t, v3c, set("metadata", map[string]any{"a": 1})), ledger.CodeBadSchema, "metadata must be a string (a CID) or null"},
		{"v3 assets missing", mint(t, v3, del("assets")), ledger.CodeBadSchema, `no "assets" field`},
		{"v3 assets an object", mint(t, v3, set("assets", map[string]any{})), ledger.CodeBadSchema, "assets must be a list of exactly one asset"},
		{"v3 TRANSFER of two assets", mint(t, v3, set("assets", []any{map[string]any{"id": v3Create}, map[string]any{"id": v2Create}})), ledger.CodeBadSchema, "assets must be a list of exactly one asset in a TRANSFER"},
		{"v3 CREATE asset data an object", mint(t, v3c, set("assets", []any{map[string]any{"data": map[string]any{}}})), ledger.CodeBadSchema, "must be a string (a CID) or null in version 3.0"},
		{"v3 asset id a number", mint(t, v3, set("assets", []any{map[string]any{"id": 1}})), ledger.CodeBadSchema, "assets[0].id must be 64 lower-case hex digits"},

		// Valid in form, but not what was signed.
		{"amount changed", mint(t, v2, output("amount", "2")), ledger.CodeBadSignature, "inputs[0].fulfillment: signature does not verify"},
		{"v2 metadata changed", mint(t, v2x, set("metadata", map[string]any{"sequence": 2})), ledger.CodeBadSignature, "signature does not verify"},
		{"v3 metadata changed", mint(t, v3c, set("metadata", "QmOther")), ledger.CodeBadSignature, "signature does not verify"},
		{"owner changed", mint(t, v2, func(tx map[string]any) {
			output("public_keys", []any{keyB})(tx)
			condition("details", ed(keyB))(tx)
			condition("uri", uriB)(tx)
		}), ledger.CodeBadSignature, "signature does not verify"},
		{"spent output index changed", mint(t, v3, input("fulfills", map[string]any{"transaction_id": v3Create, "output_index": 1})), ledger.CodeBadSignature, "signature does not verify"},
		{"signature byte changed", mint(t, v3, flipSignature), ledger.CodeBadSignature, "signature does not verify"},
		{"issuer changed", mint(t, v2, input("owners_before", []any{keyB})), ledger.CodeBadSignature, "signature does not verify"},
	}
}

func TestParseTransactionRejects(t *testing.T) {
	for _, tc := range rejectionCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			tx, err := ledger.ParseTransaction(tc.raw)
			if err == nil {
				t.Fatalf("ParseTransaction accepted %s as %s", tc.raw, tx.ID)
			}
			var rej *ledger.RejectError
			if !errors.As(err, &rej) {
				t.Fatalf("error %v is not a *RejectError", err)
			}
			if rej.Code != tc.code || !strings.Contains(rej.Msg+" "+rej.Detail, tc.log) {
				t.Errorf("got code %d %q (%q), want code %d mentioning %q", rej.Code, rej.Msg, rej.Detail, tc.code, tc.log)
			}
		})
	}
}
