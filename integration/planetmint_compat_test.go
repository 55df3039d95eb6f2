package integration_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cometstream/cometstream/ledger"
	"github.com/cometstream/cometstream/ledger/cc"
	"github.com/cometstream/cometstream/ledger/txbuild"
)

// TestPlanetmintCompatibility drives a real node's Web API through what
// Planetmint's and BigchainDB's clients and acceptance suites expect
// (issue 12): the transactions of an asset, the asset and metadata CID
// queries, blocks in Planetmint's shape, text search refused, the exact
// refusal messages, CREATEs with threshold fulfillments, and BigchainDB
// 2.0's key names. Each behaviour is a table of requests and answers.
func TestPlanetmintCompatibility(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	n := startNode(t, testConfig(t, t.TempDir()))
	api := n.webAPI()
	alice, bob, carol := txbuild.NewKeyPair(), txbuild.NewKeyPair(), txbuild.NewKeyPair()

	// An asset of each version, moved on twice.
	const cid, meta = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", "QmCompatMetadata"
	v2 := txbuild.Create("2.0", alice, map[string]any{"kind": "bike"}, map[string]any{"n": 1}, txbuild.To("5", alice)).MustSign()
	v2a := txbuild.Transfer("2.0", v2.ID, nil, []txbuild.Input{v2.Spend(0, alice)}, txbuild.To("2", bob), txbuild.To("3", alice)).MustSign()
	v2b := txbuild.Transfer("2.0", v2.ID, nil, []txbuild.Input{v2a.Spend(0, bob)}, txbuild.To("2", carol)).MustSign()
	v3 := txbuild.Create("3.0", alice, cid, meta, txbuild.To("1", alice)).MustSign()
	v3a := txbuild.Transfer("3.0", v3.ID, meta, []txbuild.Input{v3.Spend(0, alice)}, txbuild.To("1", bob)).MustSign()
	for _, tx := range []*txbuild.Signed{v2, v2a, v2b, v3, v3a} {
		api.post(t, "commit", tx.Raw)
	}

	t.Run("reads", func(t *testing.T) {
		list := func(txs ...*txbuild.Signed) any {
			out := []any{}
			for _, tx := range txs {
				var v any
				_ = json.Unmarshal(tx.Raw, &v)
				out = append(out, v)
			}
			return out
		}
		// The latest block holds v3a, the last post.
		var latest webBlock
		api.getJSON(t, "/blocks/latest", &latest)
		if latest.Height != api.height(t, v3a.ID) || len(latest.TransactionIDs) != 1 || latest.TransactionIDs[0] != v3a.ID || len(latest.AppHash) != 64 {
			t.Fatalf("latest block %+v, want v3a's", latest)
		}
		var byHeight webBlock
		h := api.height(t, v2a.ID)
		api.getJSON(t, "/blocks/"+itoa(h), &byHeight)
		tests := []struct {
			name   string
			path   string
			status int
			want   any // decoded JSON
		}{
			{"BigchainDB asset_id", "/transactions?asset_id=" + v2.ID, 200, list(v2, v2a, v2b)},
			{"Planetmint asset_ids", "/transactions?asset_ids=" + v2.ID + "," + v3.ID, 200, list(v2, v2a, v2b, v3, v3a)},
			{"operation=TRANSFER", "/transactions?asset_ids=" + v2.ID + "&operation=TRANSFER", 200, list(v2a, v2b)},
			{"operation=CREATE", "/transactions?asset_id=" + v3.ID + "&operation=CREATE", 200, list(v3)},
			{"last_tx", "/transactions?asset_ids=" + v2.ID + "&last_tx=true", 200, list(v2b)},
			{"no such asset", "/transactions?asset_ids=" + strings.Repeat("0", 64), 200, []any{}},
			{"asset by CID", "/assets/" + cid, 200, []any{map[string]any{"data": cid}}},
			{"metadata by CID", "/metadata/" + meta + "?limit=5", 200, []any{meta, meta}},
			{"metadata by CID, limit", "/metadata/" + meta + "?limit=1", 200, []any{meta}},
			{"unknown CID", "/assets/QmNothing", 200, []any{}},
			{"block by transaction", "/blocks?transaction_id=" + v2a.ID, 200, map[string]any{"app_hash": byHeight.AppHash, "height": float64(h), "transaction_ids": []any{v2a.ID}}},
			{"no block holds it", "/blocks?transaction_id=" + strings.Repeat("1", 64), 404, map[string]any{"message": "Not found: no committed transaction " + strings.Repeat("1", 64), "status": float64(404)}},
			{"text search of assets", "/assets?search=bike", 400, nil},
			{"text search of metadata", "/metadata/?search=bike&limit=1", 400, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				status, body := api.do(t, http.MethodGet, tt.path, nil)
				if status != tt.status {
					t.Fatalf("GET %s = %d %s, want %d", tt.path, status, body, tt.status)
				}
				if tt.want == nil {
					if !bytes.Contains(body, []byte("text search (search=) is not supported")) {
						t.Errorf("GET %s = %s, want the text search refusal", tt.path, body)
					}
					return
				}
				var got any
				if err := json.Unmarshal(body, &got); err != nil {
					t.Fatalf("GET %s: %v in %s", tt.path, err, body)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("GET %s (-want +got):\n%s", tt.path, diff)
				}
			})
		}
	})

	t.Run("refusals", func(t *testing.T) {
		unknown := strings.Repeat("ab", 32)
		tests := []struct {
			name string
			tx   []byte
			code uint32
			want string // the whole message
		}{
			{"amounts", txbuild.Transfer("2.0", v2.ID, nil, []txbuild.Input{v2a.Spend(1, alice)}, txbuild.To("8", carol)).MustSign().Raw, ledger.CodeAmountMismatch,
				"Invalid transaction (AmountError): The amount used in the inputs `3` needs to be same as the amount used in the outputs `8`"},
			{"spent", txbuild.Transfer("2.0", v2.ID, nil, []txbuild.Input{v2.Spend(0, alice)}, txbuild.To("5", carol)).MustSign().Raw, ledger.CodeDoubleSpend,
				"Invalid transaction (DoubleSpend): input `" + v2.ID + "` was already spent"},
			{"CREATE sent again", v2.Raw, ledger.CodeDuplicate,
				"Invalid transaction (DuplicateTransaction): transaction `" + v2.ID + "` already exists"},
			{"TRANSFER sent again", v2b.Raw, ledger.CodeDuplicate,
				"Invalid transaction (DoubleSpend): input `" + v2a.ID + "` was already spent"},
			{"missing input", txbuild.Transfer("2.0", v2.ID, nil, []txbuild.Input{{Fulfills: &txbuild.Ref{TransactionID: unknown}, OwnersBefore: []string{carol.PublicKey()}, Condition: txbuild.To("1", carol).Condition, Signers: []txbuild.KeyPair{carol}}}, txbuild.To("1", carol)).MustSign().Raw, ledger.CodeInputNotFound,
				"Invalid transaction (InputDoesNotExist): input `" + unknown + "` doesn't exist"},
			{"asset", txbuild.Transfer("2.0", v3.ID, nil, []txbuild.Input{v2a.Spend(1, alice)}, txbuild.To("3", carol)).MustSign().Raw, ledger.CodeAssetMismatch,
				"Invalid transaction (AssetIdMismatch): The asset id of the input does not match the asset id of the transaction"},
			{"signature", remint(t, v2b.Raw, func(tx map[string]any) { tx["metadata"] = map[string]any{"changed": true} }), ledger.CodeBadSignature,
				"Invalid transaction (InvalidSignature): Transaction signature is invalid."},
			{"key name, version 2.0", txbuild.Create("2.0", carol, map[string]any{"ok": map[string]any{"$where": 1}}, nil, txbuild.To("1", carol)).MustSign().Raw, ledger.CodeBadKeyName,
				`Invalid transaction (ValidationError): Invalid key name "$where" in asset object. The key name cannot contain characters ".", "$" or null characters`},
			{"key name in metadata", txbuild.Create("2.0", carol, nil, map[string]any{"a.b": 1}, txbuild.To("1", carol)).MustSign().Raw, ledger.CodeBadKeyName,
				`Invalid transaction (ValidationError): Invalid key name "a.b" in metadata object. The key name cannot contain characters ".", "$" or null characters`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				status, body := api.do(t, http.MethodPost, "/transactions?mode=commit", tt.tx)
				var e struct {
					Message string `json:"message"`
					Status  int    `json:"status"`
					Code    uint32 `json:"code"`
				}
				if err := json.Unmarshal(body, &e); err != nil || status != 400 || e.Status != 400 || e.Code != tt.code || e.Message != tt.want {
					t.Errorf("POST = %d %s\nwant 400, code %d, message %q", status, body, tt.code, tt.want)
				}
			})
		}
	})

	t.Run("CREATE inputs", func(t *testing.T) {
		ed := func(k txbuild.KeyPair) cc.Details {
			return cc.Details{Type: cc.TypeEd25519.Name(), PublicKey: k.PublicKey()}
		}
		thr := func(m int, subs ...cc.Details) cc.Details {
			return cc.Details{Type: cc.TypeThreshold.Name(), Threshold: m, Subconditions: subs}
		}
		all := []string{alice.PublicKey(), bob.PublicKey(), carol.PublicKey()}
		tests := []struct {
			name    string
			version string
			data    any
			cond    cc.Details
			signers []txbuild.KeyPair
		}{
			{"2-of-3", "3.0", "QmTwoOfThree", thr(2, ed(alice), ed(bob), ed(carol)), []txbuild.KeyPair{alice, carol}},
			{"weighted 1 of [alice, 2-of-2]", "2.0", map[string]any{"weighted": true}, thr(1, ed(alice), thr(2, ed(bob), ed(carol))), []txbuild.KeyPair{bob, carol}},
			// Version 3.0 keeps no key-name rule: a CID is a string.
			{"3.0 CID with a dot", "3.0", "Qm.dotted", ed(alice), []txbuild.KeyPair{alice}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tx := txbuild.Create(tt.version, alice, tt.data, nil, txbuild.To("1", bob))
				tx.Inputs[0].Condition, tx.Inputs[0].Signers = tt.cond, tt.signers
				if tt.cond.Type == cc.TypeThreshold.Name() {
					tx.Inputs[0].OwnersBefore = all
				}
				signed := tx.MustSign()
				api.post(t, "commit", signed.Raw)
				status, body := api.do(t, http.MethodGet, "/transactions/"+signed.ID, nil)
				if status != 200 || !bytes.Equal(body, signed.Raw) {
					t.Errorf("GET the CREATE = %d %s", status, body)
				}
			})
		}
	})
}

func itoa(h int64) string { return strconv.FormatInt(h, 10) }
