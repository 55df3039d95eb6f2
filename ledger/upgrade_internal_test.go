package ledger

import (
	"bytes"
	"context"
	"testing"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/google/go-cmp/cmp"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/cometstream/cometstream/internal/fixtures"
)

// TestUpgradeFromVersion2: a store written before the block app hashes
// and the asset and CID indexes existed (state version 2) is upgraded
// when opened, to exactly what a version 3 ledger writes itself.
func TestUpgradeFromVersion2(t *testing.T) {
	dir := t.TempDir()
	app, err := New(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var height int64
	for _, chain := range [][]string{
		{"bigchaindb-v2.0-create.json", "planetmint-v3.0-create.json"},
		{"bigchaindb-v2.0-transfer-1.json", "planetmint-v3.0-transfer-1.json"},
		{},
		{"bigchaindb-v2.0-transfer-2.json", "planetmint-v3.0-transfer-2.json"},
	} {
		var txs [][]byte
		for _, name := range chain {
			txs = append(txs, fixtures.Read(name))
		}
		height++
		res, err := app.FinalizeBlock(ctx, &abcitypes.RequestFinalizeBlock{Height: height, Txs: txs})
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range res.TxResults {
			if r.Code != 0 {
				t.Fatalf("block %d tx %d: %d %s", height, i, r.Code, r.Log)
			}
		}
		if _, err := app.Commit(ctx, &abcitypes.RequestCommit{}); err != nil {
			t.Fatal(err)
		}
	}
	want := dump(t, app.db)
	if err := app.Close(); err != nil {
		t.Fatal(err)
	}

	// Take the store back to version 2: no new records, a version 2 state.
	db, err := leveldb.OpenFile(dir+"/ledger.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	batch := new(leveldb.Batch)
	for _, p := range []string{blockHashPrefix, assetTxPrefix, assetCIDPrefix, metaCIDPrefix} {
		it := db.NewIterator(util.BytesPrefix([]byte(p)), nil)
		for it.Next() {
			batch.Delete(bytes.Clone(it.Key()))
		}
		it.Release()
	}
	st, err := db.Get([]byte(stateKey), nil)
	if err != nil {
		t.Fatal(err)
	}
	batch.Put([]byte(stateKey), append([]byte{2}, st[1:]...))
	if err := db.Write(batch, nil); err != nil {
		t.Fatal(err)
	}
	if n := len(dump(t, db)); n >= len(want) {
		t.Fatalf("downgrade left %d records of %d", n, len(want))
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	app, err = New(Config{Dir: dir})
	if err != nil {
		t.Fatalf("New on a version 2 store: %v", err)
	}
	defer app.Close()
	if diff := cmp.Diff(want, dump(t, app.db)); diff != "" {
		t.Errorf("upgraded store (-written by version 3 +upgraded):\n%s", diff)
	}
	blk, found, err := app.Block(3)
	if err != nil || !found || len(blk.TxIDs) != 0 || len(blk.AppHash) != 32 {
		t.Errorf("Block(3) = %+v %v %v, want the empty block with its app hash", blk, found, err)
	}
}

func dump(t *testing.T, db *leveldb.DB) map[string]string {
	t.Helper()
	out := map[string]string{}
	it := db.NewIterator(nil, nil)
	defer it.Release()
	for it.Next() {
		out[string(it.Key())] = string(it.Value())
	}
	if err := it.Error(); err != nil {
		t.Fatal(err)
	}
	return out
}
