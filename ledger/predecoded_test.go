package ledger_test

import (
	"context"
	"testing"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/cometstream/cometstream/abci"
	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/ledger"
	"github.com/cometstream/cometstream/ledger/txbuild"
)

var _ abci.Predecoder = (*ledger.App)(nil)

// TestPredecodedIsWhatTheDecoderReads: for every transaction of a block
// the ledger accepted, the fields it hands the stream equal what the
// stream's own Planetmint decoder reads from the bytes (fixtures of both
// formats, a CREATE with a 2-of-2 output beside a plain one); rejected ones and other heights are
// left to the decoder.
func TestPredecodedIsWhatTheDecoderReads(t *testing.T) {
	app := openApp(t, t.TempDir())
	ctx := context.Background()
	alice, bob := txbuild.NewKeyPair(), txbuild.NewKeyPair()
	create := txbuild.Create("3.0", alice, "QmPredecoded", nil, txbuild.ToAll("5", 2, alice, bob), txbuild.To("1", bob)).MustSign()
	var txs [][]byte
	for _, f := range chainTxs(t) {
		txs = append(txs, f.raw)
	}
	txs = append(txs, []byte("not a transaction"), create.Raw, create.Raw) // the second copy is a double spend
	resp, err := app.FinalizeBlock(ctx, &abcitypes.RequestFinalizeBlock{Height: 1, Txs: txs})
	if err != nil {
		t.Fatal(err)
	}
	pre := app.Predecoded(1)
	if pre == nil {
		t.Fatal("no predecoded transactions after FinalizeBlock")
	}
	valid := 0
	for i, raw := range txs {
		got, ok := pre.Decoded(i)
		if resp.TxResults[i].Code != 0 {
			if ok {
				t.Errorf("tx %d rejected (code %d) but predecoded", i, resp.TxResults[i].Code)
			}
			continue
		}
		valid++
		want, err := events.Planetmint{}.Decode(raw)
		if err != nil || !ok {
			t.Fatalf("tx %d: decoder error %v, predecoded %v", i, err, ok)
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("tx %d: predecoded differs from the decoder (-decoder +predecoded):\n%s", i, diff)
		}
	}
	if valid < len(txs)-2 {
		t.Fatalf("only %d of %d transactions valid: the test block is wrong", valid, len(txs))
	}
	if _, ok := pre.Decoded(len(txs)); ok {
		t.Error("an index past the block is predecoded")
	}
	if app.Predecoded(2) != nil {
		t.Error("predecoded transactions for a height not finalized")
	}
	if _, err := app.Commit(ctx, &abcitypes.RequestCommit{}); err != nil {
		t.Fatal(err)
	}
	if app.Predecoded(1) != nil {
		t.Error("predecoded transactions after Commit")
	}
}
