package cometstream_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/google/go-cmp/cmp"

	"github.com/cometstream/cometstream"
	"github.com/cometstream/cometstream/events"
)

// chain is a Blocks source of its own: heights 1 and 2 with FinalizeBlock
// results (events included), height 3 with result codes only.
type chain struct{}

func (chain) Range() (int64, int64, error) { return 1, 3, nil }

func (chain) Block(h int64) (cometstream.Block, error) {
	tx := fmt.Appendf(nil, "k%d=v", h)
	b := cometstream.Block{Hash: []byte{byte(h)}, Time: time.Unix(h, 0), Txs: [][]byte{tx, []byte("bad")}}
	if h == 3 {
		b.Codes = []uint32{0, 1}
		return b, nil
	}
	b.Results = []*abcitypes.ExecTxResult{
		{GasUsed: h, Events: []abcitypes.Event{{Type: "app", Attributes: []abcitypes.EventAttribute{{Key: "key", Value: fmt.Sprint(h), Index: true}}}}},
		{Code: 1, Codespace: "app"},
	}
	return b, nil
}

// Start rebuilds the heights an empty log lacks from the source: with the
// results and events where the source has them, said to lack them where it
// has only codes; the valid transaction is an event either way.
func TestStartRebuildsResultsFromTheSource(t *testing.T) {
	s, err := cometstream.Open(cometstream.Config{DataDir: t.TempDir(), ListenAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	if err := s.Start(chain{}); err != nil {
		t.Fatal(err)
	}
	for h := int64(1); h <= 3; h++ {
		b, err := s.Log().Get(h)
		if err != nil {
			t.Fatalf("Get(%d): %v", h, err)
		}
		tx := fmt.Appendf(nil, "k%d=v", h)
		if len(b.Txs) != 1 || b.Txs[0].ID != events.RawID(tx) {
			t.Errorf("height %d: txs %+v, want the one valid tx", h, b.Txs)
		}
		if h == 3 {
			if b.HasResults || b.Results != nil {
				t.Errorf("height 3 (codes only): HasResults %v, %d results; want none", b.HasResults, len(b.Results))
			}
			continue
		}
		h0, h1 := sha256.Sum256(tx), sha256.Sum256([]byte("bad"))
		want := []events.TxResult{
			{Index: 0, Hash: h0[:], GasUsed: h, Events: []events.ABCIEvent{{Type: "app", Attributes: []events.ABCIAttribute{{Key: "key", Value: fmt.Sprint(h), Index: true}}}}},
			{Index: 1, Hash: h1[:], Code: 1, Codespace: "app"},
		}
		if !b.HasResults {
			t.Errorf("height %d: HasResults false", h)
		}
		if diff := cmp.Diff(want, b.Results); diff != "" {
			t.Errorf("height %d results (-want +got):\n%s", h, diff)
		}
	}
}
