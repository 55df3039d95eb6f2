package webapi

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/cometstream/cometstream/ledger/cc"
)

// getOutputs serves GET /api/v1/outputs?public_key=<base58>[&spent=true|false]:
// a list of {"transaction_id", "output_index"}, oldest first, as Planetmint
// answers.
func (a *API) getOutputs(w http.ResponseWriter, r *http.Request) {
	q, ok := query(w, r, "public_key", "spent")
	if !ok {
		return
	}
	key := q.Get("public_key")
	if key == "" {
		writeError(w, http.StatusBadRequest, "public_key is required")
		return
	}
	if _, err := cc.DecodePublicKey(key); err != nil {
		writeError(w, http.StatusBadRequest, "public_key: "+err.Error())
		return
	}
	var spent *bool
	if q.Has("spent") {
		// Planetmint accepts any case.
		switch strings.ToLower(q.Get("spent")) {
		case "true":
			spent = new(bool)
			*spent = true
		case "false":
			spent = new(bool)
		default:
			writeError(w, http.StatusBadRequest, `spent must be "true" or "false"`)
			return
		}
	}
	refs, err := a.cfg.Ledger.Outputs(key, spent)
	if err != nil {
		a.internal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, refs)
}

// getBlock serves GET /api/v1/blocks/{height} in Planetmint's shape:
// {"height": h, "transactions": [the block's valid transactions, whole]}.
func (a *API) getBlock(w http.ResponseWriter, r *http.Request) {
	height, err := strconv.ParseInt(r.PathValue("height"), 10, 64)
	if err != nil || height <= 0 {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("block height %q must be a positive integer", r.PathValue("height")))
		return
	}
	ids, found, err := a.cfg.Ledger.BlockTxIDs(height)
	if err != nil {
		a.internal(w, err)
		return
	}
	if !found {
		writeError(w, http.StatusNotFound, fmt.Sprintf("Not found: no committed block at height %d", height))
		return
	}
	txs := make([]json.RawMessage, len(ids))
	for i, id := range ids {
		raw, found, err := a.cfg.Ledger.Transaction(id)
		if err == nil && !found {
			err = fmt.Errorf("block %d lists transaction %s, which is not stored", height, id)
		}
		if err != nil {
			a.internal(w, err)
			return
		}
		txs[i] = raw
	}
	writeJSON(w, http.StatusOK, map[string]any{"height": height, "transactions": txs})
}

// listBlocks serves GET /api/v1/blocks?transaction_id=<id>: the heights of
// the blocks holding the transaction, [] when none does.
func (a *API) listBlocks(w http.ResponseWriter, r *http.Request) {
	q, ok := query(w, r, "transaction_id")
	if !ok {
		return
	}
	id := q.Get("transaction_id")
	if id == "" {
		writeError(w, http.StatusBadRequest, "transaction_id is required")
		return
	}
	height, found, err := a.cfg.Ledger.TxHeight(id)
	if err != nil {
		a.internal(w, err)
		return
	}
	heights := []int64{}
	if found {
		heights = append(heights, height)
	}
	writeJSON(w, http.StatusOK, heights)
}

// query parses the query string and refuses parameters the route does not
// know or that are repeated, as Planetmint's strict parser does.
func query(w http.ResponseWriter, r *http.Request, known ...string) (url.Values, bool) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		writeError(w, http.StatusBadRequest, "malformed query string: "+err.Error())
		return nil, false
	}
	for _, k := range slices.Sorted(maps.Keys(q)) {
		switch {
		case !slices.Contains(known, k):
			writeError(w, http.StatusBadRequest, fmt.Sprintf("unknown parameter %q (allowed: %s)", k, strings.Join(known, ", ")))
			return nil, false
		case len(q[k]) > 1:
			writeError(w, http.StatusBadRequest, fmt.Sprintf("parameter %q given more than once", k))
			return nil, false
		}
	}
	return q, true
}
