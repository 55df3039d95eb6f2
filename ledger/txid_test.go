package ledger_test

import (
	"bytes"
	"crypto/sha3"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/cometstream/cometstream/internal/fixtures"
	"github.com/cometstream/cometstream/ledger"
)

func TestTxIDFixtures(t *testing.T) {
	for _, tx := range chainTxs(t) {
		t.Run(tx.name, func(t *testing.T) {
			got, err := ledger.TxID(tx.raw)
			if err != nil {
				t.Fatalf("TxID: %v", err)
			}
			if got != tx.id {
				t.Errorf("TxID = %s, want the fixture's id %s", got, tx.id)
			}
			signed, id, err := ledger.WithID(tx.raw)
			if err != nil {
				t.Fatalf("WithID: %v", err)
			}
			if id != tx.id {
				t.Errorf("WithID id = %s, want %s", id, tx.id)
			}
			if again, err := ledger.TxID(signed); err != nil || again != id {
				t.Errorf("TxID(WithID output) = %s, %v; want %s", again, err, id)
			}
		})
	}
}

// The want ids below were computed by the reference serialiser
// (python-rapidjson, as Planetmint calls it) with SHA3-256, for the
// BigchainDB CREATE fixture with the edits shown.
func TestTxIDMatchesReference(t *testing.T) {
	create := fixtures.Read("bigchaindb-v2.0-create.json")
	const text = "Grüße ✓ 日本"
	tests := []struct {
		name   string
		edit   func(tx map[string]any)
		want   string
		substr string // must appear verbatim in the canonical bytes
	}{
		{
			name: "non-ASCII asset data and metadata",
			edit: func(tx map[string]any) {
				tx["asset"] = map[string]any{"data": map[string]any{"text": text}}
				tx["metadata"] = map[string]any{"note": text}
			},
			want:   "4a4a3d8f9a0fce378120e80528c38f5f2c3aaa6bd3068dc55d5c918c8db83fd1",
			substr: `"note":"` + text + `"`,
		},
		{
			name: "control characters and numbers",
			edit: func(tx map[string]any) {
				tx["metadata"] = map[string]any{
					"ctl": "a\x1fb\x7f",
					"n":   json.Number("1.50"),
					"big": json.Number("12345678901234567890123"),
				}
			},
			want:   "f481e0826b586c67c815c01ef974fcd2675dc80ee50c5a5171cbea2973e21d9b",
			substr: `{"big":12345678901234567890123,"ctl":"a\u001Fb` + "\x7f" + `","n":1.5}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			signed, id, err := ledger.WithID(edit(t, create, tt.edit))
			if err != nil {
				t.Fatalf("WithID: %v", err)
			}
			if id != tt.want {
				t.Errorf("WithID id = %s, want %s", id, tt.want)
			}
			if got, err := ledger.TxID(signed); err != nil || got != id {
				t.Errorf("TxID(signed) = %s, %v; want %s", got, err, id)
			}
			if !bytes.Contains(signed, []byte(tt.substr)) {
				t.Errorf("canonical bytes lack %s:\n%s", tt.substr, signed)
			}
			// Hash the output again by hand: the id must be the hash of
			// exactly these bytes with the id nulled.
			unsigned := bytes.Replace(signed, []byte(`"id":"`+id+`"`), []byte(`"id":null`), 1)
			sum := sha3.Sum256(unsigned)
			if got := hex.EncodeToString(sum[:]); got != id {
				t.Errorf("SHA3-256 of canonical bytes = %s, want %s", got, id)
			}
		})
	}
}

func TestTxIDErrors(t *testing.T) {
	for _, in := range []string{``, `[]`, `"tx"`, `{"a":1} x`, "{\"a\":\"\xff\"}"} {
		if id, err := ledger.TxID([]byte(in)); err == nil {
			t.Errorf("TxID(%q) = %s, want an error", in, id)
		}
		if _, _, err := ledger.WithID([]byte(in)); err == nil {
			t.Errorf("WithID(%q) succeeded, want an error", in)
		}
	}
}
