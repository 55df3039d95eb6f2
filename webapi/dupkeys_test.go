package webapi_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/cometstream/cometstream/ledger"
	"github.com/cometstream/cometstream/ledger/txbuild"
	"github.com/cometstream/cometstream/webapi"
)

// TestPostDuplicateKeys is the attack: a valid signed CREATE with
// an unsigned "metadata" put in front. Every mode answers 400 JSON with
// the ledger's code and message, and nothing reaches the chain.
func TestPostDuplicateKeys(t *testing.T) {
	e := newEnv(t, webapi.APIConfig{})
	carol := txbuild.NewKeyPair()
	tx := txbuild.Create("2.0", carol, map[string]any{"n": 1}, map[string]any{"signed": true}, txbuild.To("1", carol)).MustSign()
	injected := append([]byte(`{"metadata":"INJECTED, not signed",`), tx.Raw[1:]...)
	for _, mode := range []string{"async", "sync", "commit"} {
		t.Run(mode, func(t *testing.T) {
			r := e.do(t, http.MethodPost, "/api/v1/transactions?mode="+mode, injected)
			checkRefusal(t, r, ledger.CodeDuplicateKey, `Invalid transaction (DuplicateKey): duplicate key "metadata" in the object at /`)
		})
	}
	if r := e.do(t, http.MethodGet, "/api/v1/transactions/"+tx.ID, nil); r.status != http.StatusNotFound {
		t.Errorf("GET the attacked transaction = %d %s, want 404", r.status, r.body)
	}
	// The same transaction without the injection is accepted and served
	// as signed.
	if r := e.do(t, http.MethodPost, "/api/v1/transactions?mode=commit", tx.Raw); r.status != http.StatusAccepted {
		t.Fatalf("POST the clean transaction = %d %s", r.status, r.body)
	}
	if r := e.do(t, http.MethodGet, "/api/v1/transactions/"+tx.ID, nil); r.status != http.StatusOK || !bytes.Equal(r.body, tx.Raw) {
		t.Errorf("GET = %d %s, want the signed bytes", r.status, r.body)
	}
}
