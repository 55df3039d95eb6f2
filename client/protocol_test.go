package client_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cometstream/cometstream/client"
	"github.com/cometstream/cometstream/client/clienttest"
)

// TestProtocolViolations: a connection that breaks the contract is
// replaced, and delivery continues from the client's own position.
func TestProtocolViolations(t *testing.T) {
	chain := clienttest.Blocks(1, 2, 2, 1)
	txs := clienttest.Messages(chain, false, clienttest.Filter{})   // 1.0 1.1 2.0 2.1 3.0
	blocks := clienttest.Messages(chain, true, clienttest.Filter{}) // 1 2 3
	frames := func(ms ...any) clienttest.Plan { return framesThenDrop(t, ms...) }
	drop := func(after int) clienttest.Plan { return clienttest.Plan{After: after, Action: clienttest.Drop} }
	tests := []struct {
		name      string
		blocks    bool
		from      int64
		plans     []clienttest.Plan
		wantFroms []string
	}{
		{"block repeated", true, 1, []clienttest.Plan{frames(blocks[0], blocks[0])}, []string{"1", "2"}},
		{"block skipped", true, 1, []clienttest.Plan{frames(blocks[0], blocks[2])}, []string{"1", "2"}},
		{"block below from_height", true, 2, []clienttest.Plan{frames(blocks[0])}, []string{"2", "2"}},
		{"tx height goes back", false, 1, []clienttest.Plan{frames(txs[0], txs[1], txs[2], txs[1])}, []string{"1", "2"}},
		{"tx below from_height", false, 2, []clienttest.Plan{frames(txs[1])}, []string{"2", "2"}},
		{"replay in another order", false, 1, []clienttest.Plan{drop(3), frames(txs[3])}, []string{"1", "2", "2"}},
		{"replay missing a delivered tx", false, 1, []clienttest.Plan{drop(3), frames(txs[4])}, []string{"1", "2", "2"}},
		{"not JSON", false, 1, []clienttest.Plan{{Frames: []string{"not json"}, Action: clienttest.Drop}}, []string{"1", "1"}},
		{"no height", false, 1, []clienttest.Plan{{Frames: []string{`{"transaction_id":"x"}`}, Action: clienttest.Drop}}, []string{"1", "1"}},
		{"block for a tx stream", false, 1, []clienttest.Plan{frames(blocks[0])}, []string{"1", "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, clienttest.Options{Blocks: chain})
			srv.Script(tt.plans...)
			c := newClient(t, client.Config{URLs: []string{srv.URL()}, Blocks: tt.blocks, FromHeight: tt.from})
			want := clienttest.Messages(chain[tt.from-1:], tt.blocks, clienttest.Filter{})
			checkEvents(t, want, collect(t, c, len(want)))
			if diff := cmp.Diff(tt.wantFroms, fromHeights(srv.Requests())); diff != "" {
				t.Errorf("from_height per request (-want +got):\n%s", diff)
			}
		})
	}
}

func framesThenDrop(t *testing.T, ms ...any) clienttest.Plan {
	t.Helper()
	p := clienttest.Plan{Action: clienttest.Drop, Frames: []string{}}
	for _, m := range ms {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		p.Frames = append(p.Frames, string(b))
	}
	return p
}
