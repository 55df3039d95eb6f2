package canonical_test

import (
	"bytes"
	"encoding/json"
	"math"
	"math/big"
	"strconv"
	"strings"
	"testing"

	"github.com/cometstream/cometstream/ledger/canonical"
)

// FuzzMarshal checks that canonical output is a fixed point (encoding it
// again changes nothing) and means the same as the input, judged by
// encoding/json as an independent decoder.
func FuzzMarshal(f *testing.F) {
	for _, s := range []string{`{"b":[1,2.50,-0],"a":"\u001f"}`, `"Grüße ✓ 日本"`, `[1e16,1E-7]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := canonical.Unmarshal(data)
		if err != nil {
			return
		}
		first, err := canonical.Marshal(v)
		if err != nil {
			t.Fatalf("Marshal of an Unmarshal result failed: %v", err)
		}
		v2, err := canonical.Unmarshal(first)
		if err != nil {
			t.Fatalf("canonical output %q does not decode: %v", first, err)
		}
		second, err := canonical.Marshal(v2)
		if err != nil {
			t.Fatalf("second Marshal: %v", err)
		}
		if !bytes.Equal(first, second) {
			t.Fatalf("not stable:\nfirst  %q\nsecond %q", first, second)
		}
		want, got := stdDecode(t, data), stdDecode(t, first)
		if !sameValue(want, got) {
			t.Fatalf("meaning changed:\ninput  %q\noutput %q", data, first)
		}
	})
}

func stdDecode(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("encoding/json rejects %q: %v", b, err)
	}
	return v
}

// sameValue compares decoded JSON the way Python sees it: integers exactly
// and of any size, other numbers as float64 (sign of zero included), and
// an integer never equal to a float.
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case json.Number:
		y, ok := b.(json.Number)
		if !ok || isInt(x) != isInt(y) {
			return false
		}
		if isInt(x) {
			bx, _ := new(big.Int).SetString(string(x), 10)
			by, _ := new(big.Int).SetString(string(y), 10)
			return bx != nil && by != nil && bx.Cmp(by) == 0
		}
		fx, _ := strconv.ParseFloat(string(x), 64)
		fy, _ := strconv.ParseFloat(string(y), 64)
		return fx == fy && math.Signbit(fx) == math.Signbit(fy)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !sameValue(xv, yv) {
				return false
			}
		}
		return true
	default:
		return a == b
	}
}

func isInt(n json.Number) bool { return !strings.ContainsAny(string(n), ".eE") }
