package client_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cometstream/cometstream/client"
	"github.com/cometstream/cometstream/client/clienttest"
)

// TestQueryEncoding checks the request line each configuration sends, as
// the server receives it, raw and decoded.
func TestQueryEncoding(t *testing.T) {
	tests := []struct {
		name     string
		cfg      client.Config
		path     string
		rawQuery string
		query    url.Values
	}{
		{"live", client.Config{}, clienttest.PathTransactions, "", url.Values{}},
		{"from height", client.Config{FromHeight: 42}, clienttest.PathTransactions, "from_height=42",
			url.Values{"from_height": {"42"}}},
		{"blocks", client.Config{Blocks: true, FromHeight: 7}, clienttest.PathBlocks, "from_height=7",
			url.Values{"from_height": {"7"}}},
		{"one asset", client.Config{AssetIDs: []string{"ab12"}}, clienttest.PathTransactions, "asset_id=ab12",
			url.Values{"asset_id": {"ab12"}}},
		{"asset list", client.Config{AssetIDs: []string{"ab12", "cd34", "ef56"}}, clienttest.PathTransactions,
			"asset_id=ab12,cd34,ef56", url.Values{"asset_id": {"ab12,cd34,ef56"}}},
		{"public keys", client.Config{PublicKeys: []string{"4K9sWUMFwTgaDGPfdynrbxWqWS6sWmKbZoTjxLtVUibD", "Gm5"}},
			clienttest.PathTransactions, "public_key=4K9sWUMFwTgaDGPfdynrbxWqWS6sWmKbZoTjxLtVUibD,Gm5",
			url.Values{"public_key": {"4K9sWUMFwTgaDGPfdynrbxWqWS6sWmKbZoTjxLtVUibD,Gm5"}}},
		{"operations", client.Config{Operations: []string{"CREATE", "TRANSFER"}}, clienttest.PathTransactions,
			"operation=CREATE,TRANSFER", url.Values{"operation": {"CREATE,TRANSFER"}}},
		{"values escaped one by one", client.Config{AssetIDs: []string{"a b", "c&d=e", "f+g/h"}}, clienttest.PathTransactions,
			"asset_id=a+b,c%26d%3De,f%2Bg%2Fh", url.Values{"asset_id": {"a b,c&d=e,f+g/h"}}},
		{"everything, in a fixed order", client.Config{
			FromHeight: 3, Operations: []string{"TRANSFER"}, PublicKeys: []string{"k1", "k2"}, AssetIDs: []string{"a1"},
		}, clienttest.PathTransactions, "from_height=3&asset_id=a1&public_key=k1,k2&operation=TRANSFER",
			url.Values{"from_height": {"3"}, "asset_id": {"a1"}, "public_key": {"k1,k2"}, "operation": {"TRANSFER"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, clienttest.Options{})
			srv.Script(clienttest.Plan{Status: 400, Message: "stop here"}) // one request, no retry
			cfg := tt.cfg
			cfg.URLs = []string{srv.URL() + "/"} // a trailing slash is dropped
			if _, err := collectErr(t, newClient(t, cfg), 1); !errors.Is(err, client.ErrRejected) {
				t.Fatalf("Run = %v, want the scripted 400", err)
			}
			reqs := srv.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			got := reqs[0]
			if got.Path != tt.path || got.RawQuery != tt.rawQuery {
				t.Errorf("request %s?%s, want %s?%s", got.Path, got.RawQuery, tt.path, tt.rawQuery)
			}
			if diff := cmp.Diff(tt.query, got.Query); diff != "" {
				t.Errorf("decoded query (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	ok := []string{"ws://127.0.0.1:9985"}
	tests := []struct {
		name    string
		cfg     client.Config
		wantErr string
	}{
		{"no URL", client.Config{}, "no URL"},
		{"http scheme", client.Config{URLs: []string{"http://127.0.0.1:9985"}}, "scheme must be ws or wss"},
		{"no host", client.Config{URLs: []string{"ws:///x"}}, "no host"},
		{"query in base", client.Config{URLs: []string{"ws://h:1?from_height=3"}}, "no query"},
		{"bad second URL", client.Config{URLs: []string{"ws://h:1", "h:2"}}, "scheme must be ws or wss"},
		{"negative height", client.Config{URLs: ok, FromHeight: -1}, "negative FromHeight"},
		{"filter on blocks", client.Config{URLs: ok, Blocks: true, AssetIDs: []string{"a"}}, "valid_blocks"},
		{"comma in value", client.Config{URLs: ok, PublicKeys: []string{"a,b"}}, "comma"},
		{"empty value", client.Config{URLs: ok, Operations: []string{""}}, "empty"},
		{"negative backoff", client.Config{URLs: ok, MinBackoff: -1}, "negative MinBackoff"},
		{"min above max", client.Config{URLs: ok, MinBackoff: 20e9, MaxBackoff: 10e9}, "above MaxBackoff"},
		{"negative read limit", client.Config{URLs: ok, ReadLimit: -1}, "negative ReadLimit"},
		{"handshake header", client.Config{URLs: ok, Header: http.Header{"Sec-WebSocket-Key": {"x"}}}, "WebSocket handshake"},
		{"valid", client.Config{URLs: []string{"ws://127.0.0.1:9985", "wss://node.example/prefix/"}, AssetIDs: []string{"a"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := client.New(tt.cfg)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New = %v, want an error with %q", err, tt.wantErr)
			}
		})
	}
}
