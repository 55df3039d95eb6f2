package integration_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestAPIRootAdvertisesServedRoutes GETs every URL the API root documents
// advertise, on a real node: none may answer 404 (a route that only takes
// POST answers 405, a list without its parameter 400, a stream without the
// upgrade 400 or 426; each exists).
func TestAPIRootAdvertisesServedRoutes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	n := startNode(t, testConfig(t, t.TempDir()))
	base := "http://" + n.WebAddr()
	api := &webAPI{base: base, hc: n.webAPI().hc}
	var root struct {
		API struct {
			V1 map[string]string `json:"v1"`
		} `json:"api"`
	}
	api.getJSON(t, "/", &root)
	var v1 map[string]string
	api.getJSON(t, "/api/v1/", &v1)
	if len(v1) == 0 || len(root.API.V1) == 0 {
		t.Fatalf("empty API root documents: %v, %v", root.API.V1, v1)
	}
	urls := map[string]string{}
	// GET / gives full paths; GET /api/v1/, as Planetmint's does, paths
	// under /api/v1.
	for prefix, doc := range map[string]map[string]string{base: root.API.V1, base + "/api/v1": v1} {
		for key, u := range doc {
			switch {
			case key == "docs": // the project's README, not this node
			case strings.HasPrefix(u, "/"):
				urls[key+" "+u] = prefix + u
			case strings.HasPrefix(u, "ws://"):
				urls[key+" "+u] = "http://" + strings.TrimPrefix(u, "ws://")
			default:
				t.Errorf("%s: unexpected URL %q", key, u)
			}
		}
	}
	for name, u := range urls {
		resp, err := api.hc.Get(u)
		if err != nil {
			t.Errorf("GET %s (%s): %v", u, name, err)
			continue
		}
		_ = resp.Body.Close()
		if resp.StatusCode == http.StatusNotFound {
			t.Errorf("GET %s (advertised as %s) = 404", u, name)
		}
	}
}
