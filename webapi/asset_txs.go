package webapi

import (
	"bytes"
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/cometstream/cometstream/ledger"
)

// maxAssetIDs bounds the ids one asset_ids query may name.
const maxAssetIDs = 100

// listTransactions serves GET /api/v1/transactions?asset_ids=<id>[,<id>...]
// (Planetmint 2.x) or ?asset_id=<id> (BigchainDB 2.x), with optional
// operation=CREATE|TRANSFER and last_tx=true|false: the committed
// transactions of the assets, whole and as submitted, in chain order; []
// when there are none. last_tx=true answers only the most recent one, as
// BigchainDB does. At most 1000 transactions are listed: past that the
// answer is 400, never a silently cut list.
func (a *API) listTransactions(w http.ResponseWriter, r *http.Request) {
	q, ok := query(w, r, "asset_id", "asset_ids", "last_tx", "operation")
	if !ok {
		return
	}
	ids, ok := assetIDs(w, q.Get("asset_id"), q.Get("asset_ids"), q.Has("asset_id"), q.Has("asset_ids"))
	if !ok {
		return
	}
	var op string
	if q.Has("operation") {
		// Planetmint's parser takes any case.
		switch op = strings.ToUpper(q.Get("operation")); op {
		case "CREATE", "TRANSFER":
		default:
			writeError(w, http.StatusBadRequest, `operation: Operation must be "CREATE" or "TRANSFER"`)
			return
		}
	}
	last := false
	if q.Has("last_tx") {
		switch strings.ToLower(q.Get("last_tx")) {
		case "true":
			last = true
		case "false":
		default:
			writeError(w, http.StatusBadRequest, `last_tx: Boolean value must be "true" or "false" (lowercase)`)
			return
		}
	}
	var txs []ledger.AssetTx
	for _, id := range ids {
		if last {
			tx, found, err := a.cfg.Ledger.LastAssetTransaction(id, op)
			if err != nil {
				a.internal(w, err)
				return
			}
			if found {
				txs = append(txs, tx)
			}
			continue
		}
		// One more than the cap (and the CREATE an operation=TRANSFER
		// skips) tells a list over the cap from one at it.
		list, err := a.cfg.Ledger.AssetTransactions(id, maxList+2)
		if err != nil {
			a.internal(w, err)
			return
		}
		for _, tx := range list {
			if op == "" || tx.Operation == op {
				txs = append(txs, tx)
			}
		}
		if len(txs) > maxList {
			break // 400 below, whatever the other ids hold
		}
	}
	slices.SortFunc(txs, func(x, y ledger.AssetTx) int {
		return cmp.Or(cmp.Compare(x.Height, y.Height), cmp.Compare(x.Position, y.Position))
	})
	if last && len(txs) > 1 {
		txs = txs[len(txs)-1:]
	}
	if len(txs) > maxList {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("more than %d transactions match: narrow the query with operation= or last_tx=true", maxList))
		return
	}
	a.writeTransactions(w, txs)
}

// assetIDs reads asset_id or asset_ids (comma-separated): 64 hex digits
// each, any case, as Planetmint's valid_txid; duplicates are dropped.
func assetIDs(w http.ResponseWriter, one, many string, hasOne, hasMany bool) ([]string, bool) {
	var raw []string
	switch {
	case hasOne && hasMany:
		writeError(w, http.StatusBadRequest, "give asset_ids or asset_id, not both")
		return nil, false
	case hasOne:
		raw = []string{one}
	case hasMany:
		raw = strings.Split(many, ",")
	default:
		writeError(w, http.StatusBadRequest, "asset_ids is required: GET /api/v1/transactions?asset_ids=<id>[,<id>...] (or asset_id=<id>)")
		return nil, false
	}
	if len(raw) > maxAssetIDs {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("at most %d asset ids per query, not %d", maxAssetIDs, len(raw)))
		return nil, false
	}
	var ids []string
	for _, id := range raw {
		id = strings.ToLower(strings.TrimSpace(id))
		if len(id) != 64 || strings.Trim(id, "0123456789abcdef") != "" {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("asset id %q: Invalid hash (want 64 hex digits)", id))
			return nil, false
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, true
}

// writeTransactions answers the transactions as a JSON list of their
// stored bytes, unchanged.
func (a *API) writeTransactions(w http.ResponseWriter, txs []ledger.AssetTx) {
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, tx := range txs {
		raw, found, err := a.cfg.Ledger.Transaction(tx.ID)
		if err == nil && !found {
			err = fmt.Errorf("asset index lists transaction %s, which is not stored", tx.ID)
		}
		if err != nil {
			a.internal(w, err)
			return
		}
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(raw)
	}
	buf.WriteString("]\n")
	writeBody(w, http.StatusOK, buf.Bytes())
}
