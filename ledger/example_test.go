package ledger_test

import (
	"context"
	"fmt"
	"os"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/cometstream/cometstream/internal/fixtures"
	"github.com/cometstream/cometstream/ledger"
)

func ExampleTxID() {
	id, err := ledger.TxID(fixtures.Read("bigchaindb-v2.0-create.json"))
	if err != nil {
		panic(err)
	}
	fmt.Println(id)
	// Output: 4957744b3ac54434b8270f2c854cc1040228c82ea4e72d66d2887a4d3e30b317
}

// A block goes through FinalizeBlock, which answers with one result per
// transaction and the app hash, then Commit, which makes it durable.
func ExampleApp() {
	dir, err := os.MkdirTemp("", "ledger-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	app, err := ledger.New(ledger.Config{Dir: dir})
	if err != nil {
		panic(err)
	}
	defer app.Close()

	ctx := context.Background()
	tx := fixtures.Read("planetmint-v3.0-create.json")
	res, err := app.FinalizeBlock(ctx, &abcitypes.RequestFinalizeBlock{Height: 1, Txs: [][]byte{tx, tx, []byte("{}")}})
	if err != nil {
		panic(err)
	}
	for _, r := range res.TxResults {
		fmt.Printf("%d %q\n", r.Code, r.Log)
	}
	if _, err := app.Commit(ctx, &abcitypes.RequestCommit{}); err != nil {
		panic(err)
	}
	ids, _, _ := app.BlockTxIDs(1)
	fmt.Println(ids)
	// Output:
	// 0 ""
	// 4 "transaction `0fdeb547670bbea980389df53cf5a91e60159339084c6b0b5cc0b5494a679530` already exists"
	// 5 "version must be the string \"2.0\" or \"3.0\""
	// [0fdeb547670bbea980389df53cf5a91e60159339084c6b0b5cc0b5494a679530]
}
