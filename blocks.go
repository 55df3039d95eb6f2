package cometstream

import (
	"errors"
	"fmt"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	nm "github.com/cometbft/cometbft/node"
	sm "github.com/cometbft/cometbft/state"
	cmttypes "github.com/cometbft/cometbft/types"
)

// Blocks is where the stream rebuilds committed blocks its log lacks: at
// Start (a crash between the app's Commit and the log's write, an empty log
// on a chain with history) and while running (a write that failed). The
// adapter over CometBFT's stores is NodeBlocks or CometBlocks; an app with
// stores of its own may implement it.
type Blocks interface {
	// Range returns the oldest height whose block the source holds and
	// the newest height the application committed.
	Range() (base, committed int64, err error)
	// Block returns the committed block at height h with its result codes.
	Block(h int64) (Block, error)
}

// Block is one committed block as a Blocks source gives it.
type Block struct {
	Hash  []byte
	Time  time.Time
	Txs   [][]byte
	Codes []uint32 // Codes[i] is the result code of Txs[i]; 0 is valid
	// Results, when not nil, are the FinalizeBlock results of Txs, events
	// included, and Codes is ignored. A source that knows only the codes
	// leaves it nil: the rebuilt block is then said to lack results, and
	// tx_results readers are told so.
	Results []*abcitypes.ExecTxResult
}

// BlockStore is the part of CometBFT's block store (store.BlockStore) that
// CometBlocks reads.
type BlockStore interface {
	Base() int64
	LoadBlock(height int64) *cmttypes.Block
}

// StateStore is the part of CometBFT's state store (state.Store) that
// CometBlocks reads.
type StateStore interface {
	Load() (sm.State, error)
	LoadFinalizeBlockResponse(height int64) (*abcitypes.ResponseFinalizeBlock, error)
}

// NodeBlocks returns the Blocks of an in-process CometBFT node, once
// node.NewNode has returned (its handshake has then replayed what the app
// lacked).
func NodeBlocks(n *nm.Node) (Blocks, error) {
	if n == nil {
		return nil, errors.New("node blocks: nil node")
	}
	// The RPC environment is the only exported way to the node's state
	// store on every line; building it has no side effect but chunking
	// the genesis document.
	env, err := n.ConfigureRPC()
	if err != nil {
		return nil, fmt.Errorf("node blocks: %w", err)
	}
	return CometBlocks(env.BlockStore, env.StateStore), nil
}

// CometBlocks returns the Blocks kept by CometBFT's block and state stores.
// FinalizeBlock results must be kept (storage.discard_abci_responses =
// false, CometBFT's default) for heights to be rebuilt.
func CometBlocks(blocks BlockStore, states StateStore) Blocks {
	return cometBlocks{blocks: blocks, states: states}
}

type cometBlocks struct {
	blocks BlockStore
	states StateStore
}

func (c cometBlocks) Range() (base, committed int64, err error) {
	st, err := c.states.Load()
	if err != nil {
		return 0, 0, fmt.Errorf("load CometBFT state: %w", err)
	}
	return max(c.blocks.Base(), 1), st.LastBlockHeight, nil
}

func (c cometBlocks) Block(h int64) (Block, error) {
	blk := c.blocks.LoadBlock(h)
	if blk == nil {
		return Block{}, fmt.Errorf("height %d is not in CometBFT's block store", h)
	}
	resp, err := c.states.LoadFinalizeBlockResponse(h)
	if err != nil {
		return Block{}, fmt.Errorf("height %d: FinalizeBlock results: %w", h, err)
	}
	b := Block{Hash: blk.Hash(), Time: blk.Time, Txs: make([][]byte, len(blk.Txs)), Codes: make([]uint32, len(resp.TxResults)), Results: resp.TxResults}
	for i, tx := range blk.Txs {
		b.Txs[i] = tx
	}
	for i, r := range resp.TxResults {
		if r != nil {
			b.Codes[i] = r.Code
		} else {
			b.Codes[i] = 1 // no result: not a valid transaction
		}
	}
	return b, nil
}
