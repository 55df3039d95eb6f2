package webapi

import (
	"encoding/hex"
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

// getBlock serves GET /api/v1/blocks/{height} in the shape Planetmint
// answers since it standardised its blocks API: {"app_hash", "height",
// "transaction_ids"}. BigchainDB 2.0 (and Planetmint before) put the
// whole transactions in "transactions"; GET /transactions/{id} reads them.
func (a *API) getBlock(w http.ResponseWriter, r *http.Request) {
	height, err := strconv.ParseInt(r.PathValue("height"), 10, 64)
	if err != nil || height <= 0 {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("block height %q must be a positive integer", r.PathValue("height")))
		return
	}
	a.writeBlock(w, height, fmt.Sprintf("Not found: no committed block at height %d", height))
}

// latestBlock serves GET /api/v1/blocks/latest: the last committed block,
// 404 before the first.
func (a *API) latestBlock(w http.ResponseWriter, _ *http.Request) {
	a.writeBlock(w, a.cfg.Ledger.Height(), "Not found: no block is committed yet")
}

// listBlocks serves GET /api/v1/blocks?transaction_id=<id>: the block
// holding the transaction, in getBlock's shape, or 404, as Planetmint
// answers (BigchainDB 2.0 answered a list of heights, [] for none).
func (a *API) listBlocks(w http.ResponseWriter, r *http.Request) {
	q, ok := query(w, r, "transaction_id")
	if !ok {
		return
	}
	if !q.Has("transaction_id") {
		writeError(w, http.StatusBadRequest, "transaction_id is required")
		return
	}
	// Given but empty (or not an id) is 404, as in Planetmint.
	id := q.Get("transaction_id")
	height, found, err := a.cfg.Ledger.TxHeight(id)
	if err != nil {
		a.internal(w, err)
		return
	}
	if !found {
		writeError(w, http.StatusNotFound, "Not found: no committed transaction "+id)
		return
	}
	a.writeBlock(w, height, fmt.Sprintf("Not found: no committed block at height %d", height))
}

func (a *API) writeBlock(w http.ResponseWriter, height int64, notFound string) {
	b, found, err := a.cfg.Ledger.Block(height)
	if err != nil {
		a.internal(w, err)
		return
	}
	if !found {
		writeError(w, http.StatusNotFound, notFound)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"app_hash":        hex.EncodeToString(b.AppHash),
		"height":          b.Height,
		"transaction_ids": b.TxIDs,
	})
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
