package ledger

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// AssetTx is a committed transaction of an asset and its place in the
// chain.
type AssetTx struct {
	ID        string
	Operation string // "CREATE" or "TRANSFER"
	Height    int64
	Position  int // index among the block's valid transactions
}

// Block is a committed block as the Web API describes it.
type Block struct {
	Height  int64
	AppHash []byte   // the app hash after the block
	TxIDs   []string // valid transactions in block order, never nil
}

// AssetTransactions lists the committed transactions of an asset, its
// CREATE then its TRANSFERs, oldest first, at most max of them (max <= 0
// means none). The list is never nil.
func (a *App) AssetTransactions(assetID string, max int) ([]AssetTx, error) {
	out := []AssetTx{}
	if !isHexID(assetID) || max <= 0 {
		return out, nil
	}
	prefix := assetTxPrefixOf(assetID)
	it := a.db.NewIterator(util.BytesPrefix(prefix), nil)
	defer it.Release()
	for len(out) < max && it.Next() {
		tx, err := decodeAssetTx(prefix, it.Key(), it.Value())
		if err != nil {
			return nil, err
		}
		out = append(out, tx)
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("ledger: read asset %s: %w", assetID, err)
	}
	return out, nil
}

// AssetCIDTransactions lists, oldest first and at most max, the ids of
// the committed version 3.0 CREATEs whose assets[0].data is cid.
func (a *App) AssetCIDTransactions(cid string, max int) ([]string, error) {
	return a.cidTransactions(assetCIDPrefix, cid, max)
}

// MetadataCIDTransactions lists, oldest first and at most max, the ids of
// the committed version 3.0 transactions whose metadata is cid.
func (a *App) MetadataCIDTransactions(cid string, max int) ([]string, error) {
	return a.cidTransactions(metaCIDPrefix, cid, max)
}

func (a *App) cidTransactions(prefix, cid string, max int) ([]string, error) {
	out := []string{}
	if cid == "" || max <= 0 {
		return out, nil
	}
	p := cidPrefixOf(prefix, cid)
	it := a.db.NewIterator(util.BytesPrefix(p), nil)
	defer it.Release()
	for len(out) < max && it.Next() {
		if len(it.Key()) != len(p)+12 || len(it.Value()) != 32 {
			return nil, fmt.Errorf("ledger: corrupt CID record %q", it.Key())
		}
		ids, _ := decodeIDs(it.Value())
		out = append(out, ids[0])
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("ledger: read CID %q: %w", cid, err)
	}
	return out, nil
}

// Block returns a committed block; found is false for heights not
// committed yet.
func (a *App) Block(height int64) (Block, bool, error) {
	ids, found, err := a.BlockTxIDs(height)
	if err != nil || !found {
		return Block{}, found, err
	}
	hash, err := a.db.Get(blockHashKey(height), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return Block{}, false, fmt.Errorf("ledger: block %d has no app hash record", height)
	}
	if err != nil {
		return Block{}, false, fmt.Errorf("ledger: read block %d: %w", height, err)
	}
	return Block{Height: height, AppHash: hash, TxIDs: ids}, true, nil
}

// LastAssetTransaction returns the asset's most recent committed
// transaction of operation ("" for any), reading from the end of its
// list.
func (a *App) LastAssetTransaction(assetID, operation string) (AssetTx, bool, error) {
	if !isHexID(assetID) {
		return AssetTx{}, false, nil
	}
	prefix := assetTxPrefixOf(assetID)
	it := a.db.NewIterator(util.BytesPrefix(prefix), nil)
	defer it.Release()
	for ok := it.Last(); ok; ok = it.Prev() {
		tx, err := decodeAssetTx(prefix, it.Key(), it.Value())
		if err != nil {
			return AssetTx{}, false, err
		}
		if operation == "" || tx.Operation == operation {
			return tx, true, nil
		}
	}
	if err := it.Error(); err != nil {
		return AssetTx{}, false, fmt.Errorf("ledger: read asset %s: %w", assetID, err)
	}
	return AssetTx{}, false, nil
}

func decodeAssetTx(prefix, key, v []byte) (AssetTx, error) {
	if len(key) != len(prefix)+12 || len(v) != 33 {
		return AssetTx{}, fmt.Errorf("ledger: corrupt asset record %q", key)
	}
	ids, _ := decodeIDs(v[:32])
	op := "TRANSFER"
	if v[32] == 'C' {
		op = "CREATE"
	}
	pos := key[len(prefix):]
	return AssetTx{
		ID:        ids[0],
		Operation: op,
		Height:    int64(binary.BigEndian.Uint64(pos)),
		Position:  int(binary.BigEndian.Uint32(pos[8:])),
	}, nil
}
