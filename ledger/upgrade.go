package ledger

import (
	"encoding/binary"
	"fmt"

	"github.com/hashicorp/go-hclog"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// writeQueryIndexes puts the records the Web API's asset, CID and
// transaction-list queries read (see the layout in store.go).
func writeQueryIndexes(batch *leveldb.Batch, tx *Transaction, height int64, position int) {
	op := byte('T')
	if tx.Operation == "CREATE" {
		op = 'C'
	}
	batch.Put(assetTxKey(tx.AssetIDs[0], height, position), append(encodeIDs(tx.ID), op))
	if tx.AssetCID != "" {
		batch.Put(cidKey(assetCIDPrefix, tx.AssetCID, height, position), encodeIDs(tx.ID))
	}
	if tx.MetadataCID != "" {
		batch.Put(cidKey(metaCIDPrefix, tx.MetadataCID, height, position), encodeIDs(tx.ID))
	}
}

// upgradeStore brings a version 2 store to version 3: it derives, from the
// blocks the store holds, each block's app hash (the chain of
// nextAppHash, checked against the state's) and the asset and CID
// indexes, and writes them with the new state record in one synced
// batch. Nothing is deleted; a failure leaves the store as it was.
func upgradeStore(db *leveldb.DB, st state, log hclog.Logger) (state, error) {
	if st.version != 2 {
		return st, nil
	}
	log.Info("upgrading the ledger store", "from", 2, "to", stateVersion, "height", st.height)
	snap, err := db.GetSnapshot()
	if err != nil {
		return st, err
	}
	defer snap.Release()
	batch := new(leveldb.Batch)
	var appHash []byte
	it := snap.NewIterator(util.BytesPrefix([]byte(blockPrefix)), nil)
	defer it.Release()
	for it.Next() {
		key := it.Key()
		if len(key) != len(blockPrefix)+8 {
			return st, fmt.Errorf("corrupt block key %q", key)
		}
		height := int64(binary.BigEndian.Uint64(key[len(blockPrefix):]))
		ids, err := decodeIDs(it.Value())
		if err != nil {
			return st, fmt.Errorf("block %d: %w", height, err)
		}
		for pos, id := range ids {
			raw, err := snap.Get(txKey(id), nil)
			if err != nil {
				return st, fmt.Errorf("block %d: transaction %s: %w", height, id, err)
			}
			tx, err := indexFields(raw, id)
			if err != nil {
				return st, fmt.Errorf("block %d: stored transaction %s: %w", height, id, err)
			}
			writeQueryIndexes(batch, tx, height, pos)
		}
		appHash = nextAppHash(appHash, height, ids)
		batch.Put(blockHashKey(height), appHash)
	}
	if err := it.Error(); err != nil {
		return st, err
	}
	if string(appHash) != string(st.appHash) {
		return st, fmt.Errorf("the blocks' app hashes chain to %x, the state records %x: not upgrading", appHash, st.appHash)
	}
	st.version = stateVersion
	batch.Put([]byte(stateKey), encodeState(st))
	if err := db.Write(batch, &opt.WriteOptions{Sync: true}); err != nil {
		return st, err
	}
	log.Info("ledger store upgraded", "height", st.height, "records", batch.Len())
	return st, nil
}

// indexFields reads what writeQueryIndexes needs from a stored
// transaction. It does not apply today's rules: a transaction valid when
// its block was committed stays indexed even if a later rule would
// refuse it.
func indexFields(raw []byte, id string) (*Transaction, error) {
	obj, err := decodeObject(raw)
	if err != nil {
		return nil, err
	}
	version, _ := obj["version"].(string)
	op, _ := obj["operation"].(string)
	tx := &Transaction{ID: id, Version: version, Operation: op, AssetIDs: []string{id}}
	if op != "CREATE" {
		asset, _ := obj["asset"].(map[string]any)
		if list, ok := obj["assets"].([]any); ok && len(list) > 0 {
			asset, _ = list[0].(map[string]any)
		}
		assetID, _ := asset["id"].(string)
		if !isHexID(assetID) {
			return nil, fmt.Errorf("no asset id")
		}
		tx.AssetIDs[0] = assetID
	}
	tx.AssetCID, tx.MetadataCID = cids(obj, version, op)
	return tx, nil
}
