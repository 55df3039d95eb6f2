package ledger

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// The read methods below serve the Web API. They read committed state
// only, which Commit writes before the stream middleware publishes the
// block: a client that has seen a transaction on the stream finds it
// here.

// Query serves "/tx/<id>": the committed transaction's raw bytes, or
// CodeNotFound. Answers come from committed state only.
func (a *App) Query(_ context.Context, req *abcitypes.RequestQuery) (*abcitypes.ResponseQuery, error) {
	height := a.Height()
	id, ok := strings.CutPrefix(req.Path, "/tx/")
	if !ok {
		return &abcitypes.ResponseQuery{Code: CodeBadQuery, Log: fmt.Sprintf("unknown query path %q: want /tx/<id>", req.Path), Height: height}, nil
	}
	raw, found, err := a.Transaction(id)
	if err != nil {
		return nil, err
	}
	if !found {
		return &abcitypes.ResponseQuery{Code: CodeNotFound, Log: "no committed transaction " + id, Key: []byte(id), Height: height}, nil
	}
	return &abcitypes.ResponseQuery{Code: CodeOK, Key: []byte(id), Value: raw, Height: height}, nil
}

// Height returns the height of the last committed block, 0 before the
// first.
func (a *App) Height() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.committed.height
}

// Transaction returns a committed transaction as it was submitted.
func (a *App) Transaction(id string) ([]byte, bool, error) {
	if !isHexID(id) {
		return nil, false, nil
	}
	raw, err := a.db.Get(txKey(id), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("ledger: read transaction %s: %w", id, err)
	}
	return raw, true, nil
}

// TxHeight returns the height of the block that holds a committed
// transaction.
func (a *App) TxHeight(id string) (int64, bool, error) {
	if !isHexID(id) {
		return 0, false, nil
	}
	b, err := a.db.Get(txBlockKey(id), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("ledger: read transaction %s: %w", id, err)
	}
	if len(b) != 8 {
		return 0, false, fmt.Errorf("ledger: corrupt block record of transaction %s", id)
	}
	return int64(binary.BigEndian.Uint64(b)), true, nil
}

// BlockTxIDs returns the ids of the valid transactions of a committed
// block in block order; an empty block gives an empty, non-nil list.
// found is false for heights not committed yet.
func (a *App) BlockTxIDs(height int64) ([]string, bool, error) {
	if height <= 0 {
		return nil, false, nil
	}
	b, err := a.db.Get(blockKey(height), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("ledger: read block %d: %w", height, err)
	}
	ids, err := decodeIDs(b)
	if err != nil {
		return nil, false, fmt.Errorf("ledger: read block %d: %w", height, err)
	}
	return ids, true, nil
}

// Outputs lists the committed outputs whose public_keys name publicKey,
// oldest first: all of them when spent is nil, else only the spent or
// only the unspent ones. The list is never nil.
func (a *App) Outputs(publicKey string, spent *bool) ([]OutputRef, error) {
	out := []OutputRef{}
	if publicKey == "" || strings.Contains(publicKey, "/") {
		return out, nil
	}
	snap, err := a.db.GetSnapshot()
	if err != nil {
		return nil, fmt.Errorf("ledger: read outputs: %w", err)
	}
	defer snap.Release()
	it := snap.NewIterator(util.BytesPrefix([]byte(ownerPrefix+publicKey+"/")), nil)
	defer it.Release()
	for it.Next() {
		key, ids := it.Key(), it.Value()
		if len(key) < 16 || len(ids) != 32 {
			return nil, fmt.Errorf("ledger: corrupt owner record %q", key)
		}
		id, _ := decodeIDs(ids)
		ref := OutputRef{TransactionID: id[0], OutputIndex: int64(binary.BigEndian.Uint32(key[len(key)-4:]))}
		if spent != nil {
			k, _ := outputKey(spentPrefix, ref)
			isSpent, err := snap.Has(k, nil)
			if err != nil {
				return nil, fmt.Errorf("ledger: read outputs: %w", err)
			}
			if isSpent != *spent {
				continue
			}
		}
		out = append(out, ref)
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("ledger: read outputs: %w", err)
	}
	return out, nil
}
