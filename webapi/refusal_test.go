package webapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/cometstream/cometstream/ledger"
	"github.com/cometstream/cometstream/ledger/txbuild"
	"github.com/cometstream/cometstream/webapi"
)

// checkRefusal asserts a refused transaction's 400: the message starts
// with want (Planetmint's wording) and the ledger's code is in "code".
func checkRefusal(t *testing.T, r response, code uint32, want string) {
	t.Helper()
	checkError(t, r, http.StatusBadRequest, want)
	var got errorBody
	if err := json.NewDecoder(bytes.NewReader(r.body)).Decode(&got); err != nil {
		t.Fatalf("error body %s: %v", r.body, err)
	}
	if got.Code == nil || *got.Code != code || !strings.HasPrefix(got.Message, want) {
		t.Errorf("error body %s, want code %d and a message starting %q", r.body, code, want)
	}
}

// TestPlanetmintMessages: every refusal Planetmint's code has a message
// for gets that message word for word (exception name in the
// parentheses), with the ledger's stable code beside it.
func TestPlanetmintMessages(t *testing.T) {
	e := newEnv(t, webapi.APIConfig{})
	carol := txbuild.NewKeyPair()
	unknown := strings.Repeat("ab", 32)
	// give left alice output 1 (3) and bob output 0 (2).
	tests := []struct {
		name string
		tx   []byte
		code uint32
		want string
	}{
		{"amounts do not add up", txbuild.Transfer("2.0", e.create.ID, nil, []txbuild.Input{e.give.Spend(1, e.alice)}, txbuild.To("8", carol)).MustSign().Raw,
			ledger.CodeAmountMismatch, "Invalid transaction (AmountError): The amount used in the inputs `3` needs to be same as the amount used in the outputs `8`"},
		{"spent input", txbuild.Transfer("2.0", e.create.ID, nil, []txbuild.Input{e.create.Spend(0, e.alice)}, txbuild.To("5", carol)).MustSign().Raw,
			ledger.CodeDoubleSpend, "Invalid transaction (DoubleSpend): input `" + e.create.ID + "` was already spent"},
		{"input spent twice", txbuild.Transfer("2.0", e.create.ID, nil, []txbuild.Input{e.give.Spend(1, e.alice), e.give.Spend(1, e.alice)}, txbuild.To("6", carol)).MustSign().Raw,
			ledger.CodeDoubleSpend, "Invalid transaction (DoubleSpend): tx \""},
		{"missing input", txbuild.Transfer("2.0", e.create.ID, nil, []txbuild.Input{{Fulfills: &txbuild.Ref{TransactionID: unknown}, OwnersBefore: []string{carol.PublicKey()}, Condition: txbuild.To("1", carol).Condition, Signers: []txbuild.KeyPair{carol}}}, txbuild.To("1", carol)).MustSign().Raw,
			ledger.CodeInputNotFound, "Invalid transaction (InputDoesNotExist): input `" + unknown + "` doesn't exist"},
		{"wrong asset", txbuild.Transfer("2.0", unknown, nil, []txbuild.Input{e.give.Spend(1, e.alice)}, txbuild.To("3", carol)).MustSign().Raw,
			ledger.CodeAssetMismatch, "Invalid transaction (AssetIdMismatch): The asset id of the input does not match the asset id of the transaction"},
		{"not the owner", txbuild.Transfer("2.0", e.create.ID, nil, []txbuild.Input{{Fulfills: &txbuild.Ref{TransactionID: e.give.ID, OutputIndex: 1}, OwnersBefore: []string{carol.PublicKey()}, Condition: txbuild.To("3", carol).Condition, Signers: []txbuild.KeyPair{carol}}}, txbuild.To("3", carol)).MustSign().Raw,
			ledger.CodeConditionMismatch, "Invalid transaction (InvalidSignature): Transaction signature is invalid."},
		{"CREATE already committed", e.create.Raw, ledger.CodeDuplicate, "Invalid transaction (DuplicateTransaction): transaction `" + e.create.ID + "` already exists"},
		{"TRANSFER sent again", e.give.Raw, ledger.CodeDuplicate, "Invalid transaction (DoubleSpend): input `" + e.create.ID + "` was already spent"},
		{"id does not match", bytes.Replace(e.give.Raw, []byte(`"amount":"2"`), []byte(`"amount":"9"`), 1),
			ledger.CodeBadID, "Invalid transaction (InvalidHash): The transaction's id '" + e.give.ID + "' isn't equal to the hash of its body, i.e. it's not valid."},
		{"amount zero", reminted(t, txbuild.Create("2.0", carol, nil, nil, txbuild.To("0", carol)).Object([]any{"x"}, nil)),
			ledger.CodeBadAmount, "Invalid transaction (AmountError): `amount` must be greater than 0"},
		{"schema", reminted(t, map[string]any{"version": "2.0", "operation": "CREATE", "asset": map[string]any{"data": nil}, "metadata": nil, "inputs": "none", "outputs": []any{}}),
			ledger.CodeBadSchema, "Invalid transaction schema: inputs must be a list"},
		{"BigchainDB 2.0 key name", txbuild.Create("2.0", carol, map[string]any{"a.b": 1}, nil, txbuild.To("1", carol)).MustSign().Raw,
			ledger.CodeBadKeyName, `Invalid transaction (ValidationError): Invalid key name "a.b" in asset object. The key name cannot contain characters ".", "$" or null characters`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkRefusal(t, e.do(t, http.MethodPost, "/api/v1/transactions?mode=sync", tt.tx), tt.code, tt.want)
		})
	}
}

// reminted encodes obj with its id filled in: only the rule under test
// refuses it.
func reminted(t *testing.T, obj map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	raw, _, err := ledger.WithID(b)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
