package ledger_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/cometstream/cometstream/internal/fixtures"
	"github.com/cometstream/cometstream/ledger"
	"github.com/cometstream/cometstream/ledger/txbuild"
)

// dupKeyCases are signed transactions (ids and signatures valid for the
// decoded value, which keeps the last of two equal keys) with a key given
// twice somewhere, each refused with CodeDuplicateKey and the object's
// path. Without the rule the first is the attack and is accepted.
func dupKeyCases(t testing.TB) []struct {
	name, path string
	tx         []byte
} {
	t.Helper()
	alice := txbuild.KeyPairFromSeed([32]byte{1})
	create := txbuild.Create("2.0", alice, map[string]any{"name": "a"}, map[string]any{"n": 1}, txbuild.To("1", alice)).MustSign()
	inject := func(after, insert string) []byte {
		t.Helper()
		i := bytes.Index(create.Raw, []byte(after))
		if i < 0 {
			t.Fatalf("%q not in %s", after, create.Raw)
		}
		i += len(after)
		return append(append(append([]byte{}, create.Raw[:i]...), insert...), create.Raw[i:]...)
	}
	return []struct {
		name, path string
		tx         []byte
	}{
		{"unsigned metadata in front", "/", inject(`{`, `"metadata":"INJECTED, not signed",`)},
		{"same key escaped", "/", inject(`{`, `"\u006detadata":"INJECTED",`)},
		{"nested in the asset", "/asset/data", inject(`"data":{`, `"name":"b",`)},
		{"in an output's condition details", "/outputs/0/condition/details", inject(`"details":{`, `"type":"x",`)},
		{"in an input", "/inputs/0", inject(`"inputs":[{`, `"fulfills":null,`)},
		{"after a nested object", "/", inject(`"metadata":{"n":1}`, `,"metadata":{"n":2}`)},
	}
}

func TestDuplicateKeysRefused(t *testing.T) {
	app := openApp(t, t.TempDir())
	for _, tc := range dupKeyCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ledger.ParseTransaction(tc.tx)
			var rej *ledger.RejectError
			if !errors.As(err, &rej) || rej.Code != ledger.CodeDuplicateKey {
				t.Fatalf("ParseTransaction(%s) = %v, want code %d", tc.tx, err, ledger.CodeDuplicateKey)
			}
			if want := "in the object at " + tc.path + ":"; !strings.Contains(rej.Msg, want) {
				t.Errorf("message %q does not contain %q", rej.Msg, want)
			}
			if resp := checkTx(t, app, tc.tx); resp.Code != ledger.CodeDuplicateKey || resp.Log != rej.Msg {
				t.Errorf("CheckTx = %d %q, want %d %q", resp.Code, resp.Log, ledger.CodeDuplicateKey, rej.Msg)
			}
		})
	}
}

// TestDuplicateKeysRefusedInBlock: CheckTx alone is not consensus; a
// proposer may put any bytes in a block, and FinalizeBlock must refuse
// them with the same code while it accepts the same transaction without
// the duplicate.
func TestDuplicateKeysRefusedInBlock(t *testing.T) {
	app := openApp(t, t.TempDir())
	cases := dupKeyCases(t)
	alice := txbuild.KeyPairFromSeed([32]byte{1})
	clean := txbuild.Create("2.0", alice, map[string]any{"name": "a"}, map[string]any{"n": 1}, txbuild.To("1", alice)).MustSign()
	resp := finalize(t, app, 1, cases[0].tx, cases[3].tx, clean.Raw)
	if got, want := codes(resp), []uint32{ledger.CodeDuplicateKey, ledger.CodeDuplicateKey, ledger.CodeOK}; !slices.Equal(got, want) {
		t.Fatalf("block codes %v, want %v", got, want)
	}
	commit(t, app)
	raw, found, err := app.Transaction(clean.ID)
	if err != nil || !found || !bytes.Equal(raw, clean.Raw) {
		t.Fatalf("Transaction(%s) = %s, %v, %v; want the clean bytes", clean.ID, raw, found, err)
	}
}

// TestSameKeyInSiblingObjectsAllowed: the rule is per object; real
// transactions repeat keys across outputs, inputs and nesting levels.
func TestSameKeyInSiblingObjectsAllowed(t *testing.T) {
	for _, name := range fixtures.Names() {
		if !strings.Contains(name, "-v2.0-") && !strings.Contains(name, "-v3.0-") {
			continue
		}
		if _, err := ledger.ParseTransaction(fixtures.Read(name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for i, raw := range builtSeeds() {
		if _, err := ledger.ParseTransaction(raw); err != nil {
			t.Errorf("seed %d: %v", i, err)
		}
	}
}
