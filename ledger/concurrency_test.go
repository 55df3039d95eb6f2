package ledger_test

import (
	"context"
	"sync"
	"testing"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/cometstream/cometstream/ledger"
)

// TestConcurrentReads runs the Web API's reads and CheckTx while blocks are
// committed; under -race it proves the locking, and without it that a
// listed id is always readable (block and transactions land together).
func TestConcurrentReads(t *testing.T) {
	txs := chainTxs(t)
	app := openApp(t, t.TempDir())
	done := make(chan struct{})
	var wg sync.WaitGroup
	read := func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			for h := int64(1); h <= int64(len(txs)); h++ {
				ids, _, err := app.BlockTxIDs(h)
				if err != nil {
					t.Errorf("BlockTxIDs(%d): %v", h, err)
					return
				}
				for _, id := range ids {
					if _, ok, err := app.Transaction(id); !ok || err != nil {
						t.Errorf("block %d lists %s but Transaction gives %v, %v", h, id, ok, err)
						return
					}
				}
			}
			resp, err := app.CheckTx(context.Background(), &abcitypes.RequestCheckTx{Tx: txs[0].raw})
			if err != nil || (resp.Code != ledger.CodeOK && resp.Code != ledger.CodeDuplicate) {
				t.Errorf("CheckTx = %v, %v", resp, err)
				return
			}
		}
	}
	for range 3 {
		wg.Add(1)
		go read()
	}
	for i, tx := range txs {
		finalize(t, app, int64(i+1), tx.raw)
		commit(t, app)
		info(t, app)
	}
	close(done)
	wg.Wait()
}
