package webapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/cometstream/cometstream/webapi"
)

// FuzzQueries sends arbitrary query strings and CIDs to the routes that
// parse them (the transactions of assets, the CID lookups, blocks): each
// answer is 200, 400 or 404 with a JSON body, never a failure of the node.
func FuzzQueries(f *testing.F) {
	for _, s := range []string{
		"asset_ids=" + string(make([]byte, 0)),
		"asset_ids=4957744b3ac54434b8270f2c854cc1040228c82ea4e72d66d2887a4d3e30b317,ABCD&operation=transfer&last_tx=TRUE",
		"asset_id=%zz", "operation=CREATE&operation=CREATE", "limit=-1", "limit=99999999999999999999", "search=x",
		"transaction_id=", "asset_ids=,,,", "limit=0&x=1",
	} {
		f.Add(s, "QmCID")
	}
	e := newEnv(f, webapi.APIConfig{})
	f.Fuzz(func(t *testing.T, rawQuery, cid string) {
		// Bytes a request line cannot carry are the HTTP server's to
		// refuse (package httpserve), before any route.
		for _, c := range []byte(rawQuery) {
			if c <= ' ' || c >= 0x7f || c == '#' {
				return
			}
		}
		for _, path := range []string{
			"/api/v1/transactions?" + rawQuery,
			"/api/v1/assets/" + url.PathEscape(cid) + "?" + rawQuery,
			"/api/v1/metadata/" + url.PathEscape(cid) + "?" + rawQuery,
			"/api/v1/blocks?" + rawQuery,
		} {
			if _, err := url.ParseRequestURI(path); err != nil {
				continue
			}
			r := e.do(t, http.MethodGet, path, nil)
			switch r.status {
			case http.StatusOK, http.StatusBadRequest, http.StatusNotFound:
			default:
				t.Fatalf("GET %s = %d %s", path, r.status, r.body)
			}
			if !json.Valid(r.body) {
				t.Fatalf("GET %s: body %q is not JSON", path, r.body)
			}
		}
	})
}
