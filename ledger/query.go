package ledger

import (
	"context"
	"errors"
	"fmt"
	"strings"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/syndtr/goleveldb/leveldb"
)

// Query serves "/tx/<id>": the committed transaction's raw bytes, or
// CodeNotFound. Answers come from committed state only.
func (a *App) Query(_ context.Context, req *abcitypes.RequestQuery) (*abcitypes.ResponseQuery, error) {
	a.mu.Lock()
	height := a.committed.height
	a.mu.Unlock()
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
