package canonical_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cometstream/cometstream/ledger/canonical"
)

func TestUnmarshal(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want any
	}{
		{"object", ` {"a": [1, "x", null, true]} `, map[string]any{"a": []any{json.Number("1"), "x", nil, true}}},
		{"surrogate pair", `"\ud83d\ude00"`, "\U0001F600"},
		{"number text kept", `1.50`, json.Number("1.50")},
		{"tiny number underflows to zero", `1e-400`, json.Number("1e-400")},
		{"escaped backslash before u", `"\\ud800"`, `\ud800`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := canonical.Unmarshal([]byte(tt.in))
			if err != nil {
				t.Fatalf("Unmarshal(%s): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Unmarshal(%s) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestUnmarshalErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"empty", ``, "EOF"},
		{"garbage", `{nope}`, "invalid character"},
		{"trailing value", `{} {}`, "data after"},
		{"trailing garbage", `1 x`, "data after"},
		{"truncated", `{"a":`, "EOF"},
		{"invalid UTF-8", "\"\xff\"", "not valid UTF-8"},
		{"UTF-8 BOM", "\ufeff{}", "invalid character"},
		{"lone high surrogate", `"\ud800x"`, "unpaired surrogate"},
		{"high surrogate at end", `"\uD800"`, "unpaired surrogate"},
		{"lone low surrogate", `["\udc00"]`, "unpaired surrogate"},
		{"two high surrogates", `"\ud800\ud800"`, "unpaired surrogate"},
		{"surrogate in key", `{"\udfff":1}`, "unpaired surrogate"},
		{"number overflow", `{"a":[1e400]}`, "does not fit"},
		{"NaN", `NaN`, "invalid character"},
		{"control character", "\"\x01\"", "invalid character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := canonical.Unmarshal([]byte(tt.in))
			if err == nil {
				t.Fatalf("Unmarshal(%q) = %#v, want an error", tt.in, got)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Unmarshal(%q) error = %q, want it to mention %q", tt.in, err, tt.want)
			}
		})
	}
}
