package abci_test

import (
	"context"
	"testing"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/cometstream/cometstream/abci"
)

// A Recorder driven directly, as a listener-based framework drives it:
// a block reaches the sink only after Committed, once; Abandon and a
// failed FinalizeBlock (nil response) hand nothing over.
func TestRecorder(t *testing.T) {
	if _, err := abci.NewRecorder(abci.RecorderConfig{}); err == nil {
		t.Fatal("NewRecorder without a Sink: error = nil")
	}
	sink := &fakeSink{}
	r, err := abci.NewRecorder(abci.RecorderConfig{Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	sink.syncer = r
	block := func(h int64) *abcitypes.RequestFinalizeBlock {
		return &abcitypes.RequestFinalizeBlock{Height: h, Txs: [][]byte{[]byte("a=1")}}
	}
	ok := &abcitypes.ResponseFinalizeBlock{TxResults: results(0)}

	r.Committed() // nothing staged
	r.Finalized(block(1), ok)
	if n := len(sink.appended()); n != 0 {
		t.Fatalf("%d blocks handed over before Committed", n)
	}
	r.Committed()
	r.Committed() // once only
	r.Finalized(block(2), ok)
	r.Abandon()
	r.Committed()
	r.Finalized(block(3), nil)
	r.Committed()
	r.Finalized(block(4), ok)
	r.Committed()

	var heights []int64
	for _, b := range sink.appended() {
		heights = append(heights, b.Height)
	}
	if len(heights) != 2 || heights[0] != 1 || heights[1] != 4 {
		t.Errorf("handed over heights %v, want [1 4]", heights)
	}
}
