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

// Validate applies every rule to raw against the committed state: the
// checks of ParseTransaction, then duplicates, inputs that exist and are
// unspent, the asset, the amounts and each fulfillment against the spent
// output's condition. It is what CheckTx runs, and what the Web API runs
// before it submits a transaction, so that a client learns exactly what
// is wrong. A refusal is a *RejectError; any other error is the store's.
//
// It reads a snapshot, so that a block committed meanwhile is seen whole
// or not at all.
func (a *App) Validate(raw []byte) error {
	tx, err := ParseTransaction(raw)
	if err != nil {
		return err
	}
	snap, err := a.db.GetSnapshot()
	if err != nil {
		return fmt.Errorf("ledger: read state: %w", err)
	}
	defer snap.Release()
	return view{db: snap}.check(tx)
}

// CheckTx admits a transaction to the mempool if it passes the block rules
// against the committed state.
func (a *App) CheckTx(_ context.Context, req *abcitypes.RequestCheckTx) (*abcitypes.ResponseCheckTx, error) {
	err := a.Validate(req.Tx)
	var rej *RejectError
	switch {
	case err == nil:
		return &abcitypes.ResponseCheckTx{Code: CodeOK}, nil
	case errors.As(err, &rej):
		return &abcitypes.ResponseCheckTx{Code: rej.Code, Log: rej.Msg, Info: rej.Detail}, nil
	default:
		return nil, fmt.Errorf("ledger: check tx: %w", err)
	}
}

// FinalizeBlock validates the block's transactions in order, each against
// the committed state and the valid transactions before it (so of two
// conflicting transactions the first wins), stages the valid ones for
// Commit and returns the resulting app hash. It writes nothing, so a
// crash before Commit leaves the store at the previous block. It fails
// only when the store cannot be read or the block does not follow the
// committed one, never because of a transaction.
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
	blk := newStaged(req.Height)
	blk.byIndex = make([]*Transaction, len(req.Txs))
	v := view{db: a.db, blk: blk}
	results := make([]*abcitypes.ExecTxResult, len(req.Txs))
	for i, raw := range req.Txs {
		tx, err := ParseTransaction(bytes.Clone(raw))
		if err == nil {
			err = v.check(tx)
		}
		var rej *RejectError
		switch {
		case err == nil:
			blk.add(tx)
			blk.byIndex[i] = tx
			results[i] = &abcitypes.ExecTxResult{Code: CodeOK}
		case errors.As(err, &rej):
			a.log.Debug("transaction rejected", "height", req.Height, "index", i, "code", rej.Code, "reason", rej.Msg, "detail", rej.Detail)
			// Info is outside the results hash, like Log; both are
			// deterministic all the same.
			results[i] = &abcitypes.ExecTxResult{Code: rej.Code, Log: rej.Msg, Info: rej.Detail}
		default:
			return nil, fmt.Errorf("ledger: finalize block %d: %w", req.Height, err)
		}
	}
	blk.appHash = nextAppHash(a.committed.appHash, req.Height, blk.ids)
	a.staged = blk
	return &abcitypes.ResponseFinalizeBlock{TxResults: results, AppHash: bytes.Clone(blk.appHash)}, nil
}

// Commit writes the staged block (its transactions, outputs, spent
// markers, owner index and the new state) in one synced batch: after a
// crash the store holds either all of the block or none of it.
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
	blk.write(batch)
	if err := a.db.Write(batch, &opt.WriteOptions{Sync: true}); err != nil {
		// Keep the staged block: CometBFT stops on this error and the
		// block is replayed on restart.
		return nil, fmt.Errorf("ledger: commit block %d: %w", blk.height, err)
	}
	a.committed = blk.state
	a.staged = nil
	a.announce(blk.height)
	a.log.Debug("block committed", "height", blk.height, "txs", len(blk.ids), "app_hash", hex.EncodeToString(blk.appHash))
	return &abcitypes.ResponseCommit{}, nil
}
