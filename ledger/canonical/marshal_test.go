package canonical_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/cometstream/cometstream/ledger/canonical"
)

func TestMarshal(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"nil", nil, `null`},
		{"bools", []any{true, false}, `[true,false]`},
		{"sorted keys", map[string]any{"b": "1", "a": "2", "B": "3"}, `{"B":"3","a":"2","b":"1"}`},
		{"code point order beyond BMP", map[string]any{"\U0001F600": 1, "\uFFFF": 2}, `{"` + "\uFFFF" + `":2,"` + "\U0001F600" + `":1}`},
		{"prefix sorts first", map[string]any{"ab": 1, "a": 2}, `{"a":2,"ab":1}`},
		{"nested", map[string]any{"x": []any{map[string]any{"k": nil}, []any{}}}, `{"x":[{"k":null},[]]}`},
		{"utf8 passes through", "Grüße ✓ 日本", `"Grüße ✓ 日本"`},
		{"html and separators not escaped", "<>&\u2028\u2029/", "\"<>&\u2028\u2029/\""},
		{"short escapes", "\b\t\n\f\r\"\\", `"\b\t\n\f\r\"\\"`},
		{"upper-case hex escapes", "\x00\x0b\x1f", `"\u0000\u000B\u001F"`},
		{"DEL unescaped", "\x7f", "\"\x7f\""},
		{"number kept when integer", json.Number("123456789012345678901234567890"), `123456789012345678901234567890`},
		{"minus zero integer", json.Number("-0"), `0`},
		{"float trailing zero dropped", json.Number("1.50"), `1.5`},
		{"exponent to positional", json.Number("1E2"), `100.0`},
		{"large exponent", json.Number("1e16"), `1e+16`},
		{"small exponent", json.Number("1.5e-7"), `1.5e-07`},
		{"float64", 0.25, `0.25`},
		{"float64 integral", float64(3), `3.0`},
		{"negative zero float", math.Copysign(0, -1), `-0.0`},
		{"ints", []any{1, int64(-2), uint64(3)}, `[1,-2,3]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := canonical.Marshal(tt.in)
			if err != nil {
				t.Fatalf("Marshal(%#v): %v", tt.in, err)
			}
			if string(got) != tt.want {
				t.Errorf("Marshal(%#v) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestMarshalErrors(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"unsupported type", map[string]any{"a": struct{}{}}, "unsupported type"},
		{"NaN", math.NaN(), "non-finite"},
		{"infinity", []any{math.Inf(1)}, "non-finite"},
		{"malformed number", json.Number("01"), "malformed number"},
		{"number with spaces", json.Number(" 1"), "malformed number"},
		{"empty number", json.Number(""), "malformed number"},
		{"overflowing number", json.Number("1e400"), "does not fit"},
		{"invalid UTF-8 value", "\xff", "not valid UTF-8"},
		{"invalid UTF-8 key", map[string]any{"\xc3": 1}, "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := canonical.Marshal(tt.in)
			if err == nil {
				t.Fatalf("Marshal(%#v) = %s, want an error", tt.in, got)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Marshal(%#v) error = %q, want it to mention %q", tt.in, err, tt.want)
			}
		})
	}
}
