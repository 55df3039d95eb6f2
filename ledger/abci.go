package ledger

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
)

// CheckTx admits a transaction to the mempool if it passes the block rules
// against the committed state.
func (a *App) CheckTx(_ context.Context, req *abcitypes.RequestCheckTx) (*abcitypes.ResponseCheckTx, error) {
	tx, err := ParseTransaction(req.Tx)
	if err == nil {
		err = a.checkNew(tx, nil)
	}
	var rej *RejectError
	switch {
	case err == nil:
		return &abcitypes.ResponseCheckTx{Code: CodeOK}, nil
	case errors.As(err, &rej):
		return &abcitypes.ResponseCheckTx{Code: rej.Code, Log: rej.Msg}, nil
	default:
		return nil, fmt.Errorf("ledger: check tx: %w", err)
	}
}

// checkNew refuses an id that is committed or, when blk is not nil, already
// valid earlier in the block being finalized. Storage failures come back
// as plain errors, refusals as *RejectError.
func (a *App) checkNew(tx *Transaction, blk *staged) error {
	if blk != nil {
		if _, dup := blk.txs[tx.ID]; dup {
			return reject(CodeDuplicate, "transaction "+tx.ID+" already appears earlier in this block")
		}
	}
	committed, err := has(a.db, tx.ID)
	if err != nil {
		return err
	}
	if committed {
		return reject(CodeDuplicate, "transaction "+tx.ID+" is already committed")
	}
	return nil
}

// FinalizeBlock validates the block's transactions in order, stages the
// valid ones for Commit and returns the resulting app hash. It writes
// nothing, so a crash before Commit leaves the store at the previous
// block. It fails only when the store cannot be read or the block does not
// follow the committed one, never because of a transaction.
func (a *App) FinalizeBlock(_ context.Context, req *abcitypes.RequestFinalizeBlock) (*abcitypes.ResponseFinalizeBlock, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil, leveldb.ErrClosed
	}
	// The first block may come at any height (genesis initial_height);
	// after that heights must follow on, or the app hash chain would
	// silently diverge from the chain CometBFT stores.
	if req.Height <= 0 || (a.committed.height > 0 && req.Height != a.committed.height+1) {
		return nil, fmt.Errorf("ledger: finalize block %d: last committed block is %d", req.Height, a.committed.height)
	}
	blk := &staged{state: state{height: req.Height}, txs: make(map[string][]byte)}
	results := make([]*abcitypes.ExecTxResult, len(req.Txs))
	for i, raw := range req.Txs {
		tx, err := ParseTransaction(raw)
		if err == nil {
			err = a.checkNew(tx, blk)
		}
		var rej *RejectError
		switch {
		case err == nil:
			blk.ids = append(blk.ids, tx.ID)
			blk.txs[tx.ID] = bytes.Clone(raw)
			results[i] = &abcitypes.ExecTxResult{Code: CodeOK}
		case errors.As(err, &rej):
			a.log.Debug("transaction rejected", "height", req.Height, "index", i, "code", rej.Code, "reason", rej.Msg)
			results[i] = &abcitypes.ExecTxResult{Code: rej.Code, Log: rej.Msg}
		default:
			return nil, fmt.Errorf("ledger: finalize block %d: %w", req.Height, err)
		}
	}
	blk.appHash = nextAppHash(a.committed.appHash, req.Height, blk.ids)
	a.staged = blk
	return &abcitypes.ResponseFinalizeBlock{TxResults: results, AppHash: bytes.Clone(blk.appHash)}, nil
}

// Commit writes the staged block, its transactions and the new state in
// one synced batch: after a crash the store holds either all of the block
// or none of it.
func (a *App) Commit(context.Context, *abcitypes.RequestCommit) (*abcitypes.ResponseCommit, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil, leveldb.ErrClosed
	}
	blk := a.staged
	if blk == nil {
		a.log.Warn("commit without a finalized block", "height", a.committed.height)
		return &abcitypes.ResponseCommit{}, nil
	}
	batch := new(leveldb.Batch)
	for _, id := range blk.ids {
		batch.Put(txKey(id), blk.txs[id])
	}
	batch.Put(blockKey(blk.height), encodeIDs(blk.ids))
	batch.Put([]byte(stateKey), encodeState(blk.state))
	if err := a.db.Write(batch, &opt.WriteOptions{Sync: true}); err != nil {
		// Keep the staged block: CometBFT stops on this error and the
		// block is replayed on restart.
		return nil, fmt.Errorf("ledger: commit block %d: %w", blk.height, err)
	}
	a.committed = blk.state
	a.staged = nil
	a.log.Debug("block committed", "height", blk.height, "txs", len(blk.ids), "app_hash", hex.EncodeToString(blk.appHash))
	return &abcitypes.ResponseCommit{}, nil
}
