package cometstream

import (
	"context"
	"fmt"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
)

// RPCClient is the part of CometBFT's RPC client (rpc/client: the
// in-process local client, or HTTP) that RPCBlocks reads.
type RPCClient interface {
	Status(ctx context.Context) (*coretypes.ResultStatus, error)
	Block(ctx context.Context, height *int64) (*coretypes.ResultBlock, error)
	BlockResults(ctx context.Context, height *int64) (*coretypes.ResultBlockResults, error)
}

// rpcTimeout bounds each RPC call of RPCBlocks.
const rpcTimeout = 30 * time.Second

// RPCBlocks returns the Blocks a CometBFT node serves over its RPC, for an
// app that does not hold the node's stores (a Cosmos SDK chain, whose node
// the SDK builds). The node must keep FinalizeBlock results
// (storage.discard_abci_responses = false, CometBFT's default).
func RPCBlocks(c RPCClient) Blocks { return rpcBlocks{c} }

type rpcBlocks struct{ c RPCClient }

func (r rpcBlocks) Range() (base, committed int64, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
	defer cancel()
	st, err := r.c.Status(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("CometBFT RPC status: %w", err)
	}
	return max(st.SyncInfo.EarliestBlockHeight, 1), st.SyncInfo.LatestBlockHeight, nil
}

func (r rpcBlocks) Block(h int64) (Block, error) {
	ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
	defer cancel()
	blk, err := r.c.Block(ctx, &h)
	if err != nil {
		return Block{}, fmt.Errorf("height %d: CometBFT RPC block: %w", h, err)
	}
	if blk == nil || blk.Block == nil {
		return Block{}, fmt.Errorf("height %d is not in CometBFT's block store", h)
	}
	res, err := r.c.BlockResults(ctx, &h)
	if err != nil {
		return Block{}, fmt.Errorf("height %d: CometBFT RPC block_results: %w", h, err)
	}
	b := Block{Hash: blk.BlockID.Hash, Time: blk.Block.Time, Txs: make([][]byte, len(blk.Block.Txs)), Results: res.TxsResults}
	for i, tx := range blk.Block.Txs {
		b.Txs[i] = tx
	}
	if b.Results == nil {
		// A block of no txs: non-nil Results still says "full results",
		// not "codes only" (see Block).
		b.Results = []*abcitypes.ExecTxResult{}
	}
	return b, nil
}
