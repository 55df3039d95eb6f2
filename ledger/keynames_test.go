package ledger_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cometstream/cometstream/ledger"
	"github.com/cometstream/cometstream/ledger/txbuild"
)

// TestKeyNames: version 2.0 follows BigchainDB 2.0 (no key in asset.data
// or metadata may start with "$" or contain "." or NUL, at any depth;
// asset first, then the first bad key in document order), version 3.0
// Planetmint, which has no such rule (its data and metadata are CIDs).
func TestKeyNames(t *testing.T) {
	alice := txbuild.NewKeyPair()
	msg := func(key, object string) string {
		return `Invalid key name "` + key + `" in ` + object + ` object. The key name cannot contain characters ".", "$" or null characters`
	}
	tests := []struct {
		name     string
		data     any
		metadata any
		want     string // "" when accepted
	}{
		{"plain keys", map[string]any{"a": map[string]any{"b-c": []any{map[string]any{"d_e": 1}}}}, map[string]any{"x y": "$.\x00 in values is fine"}, ""},
		{"dollar inside is fine", map[string]any{"a$b": 1}, nil, ""},
		{"dot in asset.data", map[string]any{"a.b": 1}, nil, msg("a.b", "asset")},
		{"leading dollar in metadata", nil, map[string]any{"$set": 1}, msg("$set", "metadata")},
		{"NUL in a nested key", map[string]any{"ok": map[string]any{"n\x00ul": 1}}, nil, msg("n\x00ul", "asset")},
		{"key inside a list", map[string]any{"list": []any{1, []any{map[string]any{"a.b": 1}}}}, nil, msg("a.b", "asset")},
		{"asset reported before metadata", map[string]any{"a.b": 1}, map[string]any{"$c": 1}, msg("a.b", "asset")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tx := txbuild.Create("2.0", alice, tt.data, tt.metadata, txbuild.To("1", alice)).MustSign()
			err := newChain(t).app.Validate(tx.Raw)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want accepted", err)
				}
				return
			}
			var rej *ledger.RejectError
			if !errors.As(err, &rej) {
				t.Fatalf("Validate = %v, want a refusal", err)
			}
			if diff := cmp.Diff(tt.want, rej.Msg); diff != "" || rej.Code != ledger.CodeBadKeyName || rej.Exception() != "ValidationError" {
				t.Errorf("code %d %s, message (-want +got):\n%s", rej.Code, rej.Exception(), diff)
			}
		})
	}
	// The first bad key in document order, as BigchainDB's walk finds it:
	// canonical JSON sorts keys, so "a.z" comes before "b.a".
	tx := txbuild.Create("2.0", alice, map[string]any{"b.a": 1, "a.z": 1}, nil, txbuild.To("1", alice)).MustSign()
	if err := newChain(t).app.Validate(tx.Raw); err == nil || err.Error() != msg("a.z", "asset") {
		t.Errorf("Validate = %v, want the first key in document order", err)
	}
	// Version 3.0 has no key names to check; CIDs are strings. Nothing to
	// refuse even where 2.0 would: the rule keys on the version.
	v3 := txbuild.Create("3.0", alice, "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", nil, txbuild.To("1", alice)).MustSign()
	if err := newChain(t).app.Validate(v3.Raw); err != nil {
		t.Errorf("Validate(3.0) = %v", err)
	}
}

// TestException: the exception named from a code and Log alone (what
// CometBFT answers) is the one the refusal itself names.
func TestException(t *testing.T) {
	alice := txbuild.NewKeyPair()
	c := newChain(t)
	create := txbuild.Create("2.0", alice, nil, nil, txbuild.To("2", alice)).MustSign()
	give := txbuild.Transfer("2.0", create.ID, nil, []txbuild.Input{create.Spend(0, alice)}, txbuild.To("2", alice)).MustSign()
	c.accept(create, give)
	unsigned := txbuild.Create("2.0", alice, nil, nil, txbuild.To("1", alice)).Object([]any{nil}, nil)
	for _, raw := range [][]byte{
		create.Raw, give.Raw,
		txbuild.Create("2.0", alice, nil, nil, txbuild.To("0", alice)).MustSign().Raw,
		txbuild.Create("2.0", alice, nil, nil, txbuild.To("x", alice)).MustSign().Raw,
		mintObject(t, unsigned),
		txbuild.Create("2.0", alice, map[string]any{"a.b": 1}, nil, txbuild.To("1", alice)).MustSign().Raw,
	} {
		var rej *ledger.RejectError
		if err := c.app.Validate(raw); !errors.As(err, &rej) {
			t.Fatalf("Validate = %v, want a refusal", err)
		}
		if got := ledger.Exception(rej.Code, rej.Msg); got != rej.Exception() {
			t.Errorf("Exception(%d, %q) = %s, the refusal names %s", rej.Code, rej.Msg, got, rej.Exception())
		}
	}
}

func mintObject(t *testing.T, obj map[string]any) []byte {
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
