package client_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/websocket"

	"github.com/cometstream/cometstream/client"
	"github.com/cometstream/cometstream/client/clienttest"
	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/streamsvc"
	"github.com/cometstream/cometstream/wire"
)

// startNode serves a real streamsvc.Server over an empty in-memory log and
// returns its ws:// base URL and the log, for the test to append blocks.
func startNode(t *testing.T) (string, *events.Log) {
	t.Helper()
	store, err := events.NewMemStore(64)
	if err != nil {
		t.Fatal(err)
	}
	log, err := events.NewLog(store, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := streamsvc.New(streamsvc.Config{Log: log})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Errorf("Server.Close: %v", err)
		}
		hs.Close()
	})
	return "ws" + strings.TrimPrefix(hs.URL, "http"), log
}

// answer is what a subscription request got: the status and, for a
// refusal, the decoded JSON error body.
type answer struct {
	Status      int
	ContentType string
	Body        wire.Error
}

func subscribe(t *testing.T, url string) answer {
	t.Helper()
	h := http.Header{"Authorization": {"Bearer " + token}}
	conn, resp, err := websocket.DefaultDialer.Dial(url, h)
	if err == nil {
		_ = conn.Close()
		return answer{Status: resp.StatusCode}
	}
	if resp == nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	a := answer{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type")}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a.Body); err != nil {
		t.Fatalf("%s: body %q is not a wire.Error: %v", url, data, err)
	}
	return a
}

// TestFakeRefusesWhatTheNodeRefuses sends the same requests to the real
// server and to clienttest: they must give the same status and the same
// JSON error, so a client that passes against the fake builds requests the
// node accepts. The refused cases mirror streamsvc's
// TestQueryRefusedBeforeUpgrade.
func TestFakeRefusesWhatTheNodeRefuses(t *testing.T) {
	node, _ := startNode(t)
	fake := newServer(t, clienttest.Options{})
	id := strings.Repeat("ab", 32)
	key := "4K9sWUMFwTgaDGPfdynrbxWqWS6sWmKbZoTjxLtVUibD"
	tx, blocks := wire.PathTransactions, wire.PathBlocks
	tests := []struct {
		name, path, query string
		status            int
	}{
		{"live transactions", tx, "", http.StatusSwitchingProtocols},
		{"live blocks", blocks, "", http.StatusSwitchingProtocols},
		{"every filter", tx, "asset_id=" + id + "&public_key=" + key + "&operation=CREATE,VOTE", http.StatusSwitchingProtocols},
		{"any upper-case operation", tx, "operation=BOGUS", http.StatusSwitchingProtocols},

		{"from_height zero", tx, "from_height=0", http.StatusBadRequest},
		{"from_height negative", tx, "from_height=-4", http.StatusBadRequest},
		{"from_height not a number", blocks, "from_height=ten", http.StatusBadRequest},
		{"from_height float", blocks, "from_height=1e3", http.StatusBadRequest},
		{"from_height overflow", blocks, "from_height=9223372036854775808", http.StatusBadRequest},
		{"from_height twice", tx, "from_height=1&from_height=2", http.StatusBadRequest},
		{"filter twice", tx, "operation=CREATE&operation=VOTE", http.StatusBadRequest},
		{"unknown parameter", tx, "from=1", http.StatusBadRequest},
		{"asset id upper-case", tx, "asset_id=" + strings.ToUpper(id), http.StatusBadRequest},
		{"asset id short", tx, "asset_id=abc", http.StatusBadRequest},
		{"empty list item", tx, "asset_id=" + id + ",,", http.StatusBadRequest},
		{"public key not base58", tx, "public_key=0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl", http.StatusBadRequest},
		{"operation lower-case", tx, "operation=create", http.StatusBadRequest},
		{"filter on valid_blocks", blocks, "operation=CREATE", http.StatusBadRequest},
		{"bad escape", tx, "operation=%zz", http.StatusBadRequest},
		{"no such stream", "/api/v1/streams/valid_assets", "", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := tt.path
			if tt.query != "" {
				target += "?" + tt.query
			}
			want := subscribe(t, node+target)
			if want.Status != tt.status {
				t.Fatalf("node answered %+v, want status %d", want, tt.status)
			}
			if got := subscribe(t, fake.URL()+target); !cmp.Equal(want, got) {
				t.Errorf("clienttest differs from the node (-node +clienttest):\n%s", cmp.Diff(want, got))
			}
		})
	}
}

// TestRequestParsesBack: the query string a Client sends, as the server
// receives it, parses with wire.ParseQuery into the configured query.
func TestRequestParsesBack(t *testing.T) {
	key := "4K9sWUMFwTgaDGPfdynrbxWqWS6sWmKbZoTjxLtVUibD"
	tests := []struct {
		name string
		cfg  client.Config
		want wire.Query
	}{
		{"live", client.Config{}, wire.Query{}},
		{"from height", client.Config{FromHeight: 5}, wire.Query{FromHeight: 5}},
		{"blocks", client.Config{Blocks: true, FromHeight: 2}, wire.Query{FromHeight: 2}},
		{"every filter", client.Config{
			FromHeight: 3, AssetIDs: []string{assetID(1), assetID(2)}, PublicKeys: []string{key}, Operations: []string{"TRANSFER"},
		}, wire.Query{FromHeight: 3, AssetIDs: []string{assetID(1), assetID(2)}, PublicKeys: []string{key}, Operations: []string{"TRANSFER"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, clienttest.Options{})
			srv.Script(clienttest.Plan{Status: http.StatusBadRequest, Message: "stop here"}) // one request
			cfg := tt.cfg
			cfg.URLs = []string{srv.URL()}
			if _, err := collectErr(t, newClient(t, cfg), 1); err == nil {
				t.Fatal("Run succeeded, want the scripted 400")
			}
			reqs := srv.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			got, err := wire.ParseQuery(reqs[0].Path, reqs[0].RawQuery)
			if err != nil {
				t.Fatalf("ParseQuery(%q): %v", reqs[0].RawQuery, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parsed request (-want +got):\n%s", diff)
			}
		})
	}
}
