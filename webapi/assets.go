package webapi

import (
	"fmt"
	"net/http"
	"strconv"
)

// maxList bounds every list the asset, metadata and transaction queries
// answer: Planetmint's store answers 1000 assets or metadata by default.
const maxList = 1000

// getAssets serves GET /api/v1/assets/{cid}[?limit=N], Planetmint 2.x's
// asset query for version 3.0 assets, whose data is a CID: one
// {"data": cid} per committed CREATE of such an asset, oldest first, []
// when none. limit defaults to, and is capped at, 1000.
func (a *API) getAssets(w http.ResponseWriter, r *http.Request) {
	cid, limit, ok := cidQuery(w, r)
	if !ok {
		return
	}
	ids, err := a.cfg.Ledger.AssetCIDTransactions(cid, limit)
	if err != nil {
		a.internal(w, err)
		return
	}
	out := make([]map[string]string, len(ids))
	for i := range ids {
		out[i] = map[string]string{"data": cid}
	}
	writeJSON(w, http.StatusOK, out)
}

// getMetadata serves GET /api/v1/metadata/{cid}[?limit=N]: the metadata
// (the CID) of each committed version 3.0 transaction whose metadata is
// cid, oldest first, as Planetmint 2.x answers; [] when none.
func (a *API) getMetadata(w http.ResponseWriter, r *http.Request) {
	cid, limit, ok := cidQuery(w, r)
	if !ok {
		return
	}
	ids, err := a.cfg.Ledger.MetadataCIDTransactions(cid, limit)
	if err != nil {
		a.internal(w, err)
		return
	}
	out := make([]string, len(ids))
	for i := range ids {
		out[i] = cid
	}
	writeJSON(w, http.StatusOK, out)
}

// searchAssets and searchMetadata answer /assets and /metadata without a
// CID, where BigchainDB 2.0 ran a MongoDB text search (?search=): the
// ledger keeps no text index, so both are a clear 400.
func (a *API) searchAssets(w http.ResponseWriter, r *http.Request) {
	refuseSearch(w, r, "assets")
}

func (a *API) searchMetadata(w http.ResponseWriter, r *http.Request) {
	refuseSearch(w, r, "metadata")
}

func refuseSearch(w http.ResponseWriter, r *http.Request, what string) {
	if r.URL.Query().Has("search") {
		writeError(w, http.StatusBadRequest, "text search (search=) is not supported: this node keeps no text index; look assets and metadata up by CID with GET /api/v1/assets/<cid> or /api/v1/metadata/<cid>")
		return
	}
	writeError(w, http.StatusBadRequest, fmt.Sprintf("a CID is required: GET /api/v1/%s/<cid>[?limit=N]", what))
}

// cidQuery reads the {cid} path value and the optional limit.
func cidQuery(w http.ResponseWriter, r *http.Request) (cid string, limit int, ok bool) {
	if r.URL.Query().Has("search") {
		refuseSearch(w, r, "")
		return "", 0, false
	}
	q, ok := query(w, r, "limit")
	if !ok {
		return "", 0, false
	}
	limit = maxList
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		switch {
		case err != nil || n < 0:
			writeError(w, http.StatusBadRequest, fmt.Sprintf("limit %q must be a non-negative integer", s))
			return "", 0, false
		case n > 0 && n < maxList:
			// 0 is no limit in Planetmint, hence the default here.
			limit = n
		}
	}
	return r.PathValue("cid"), limit, true
}
