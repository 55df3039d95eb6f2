package node

import (
	"context"
	"crypto/sha256"
	"fmt"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/rpc/client/local"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	sm "github.com/cometbft/cometbft/state"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/webapi"
)

// setupLedgerAPI puts the Planetmint transaction, output and block routes
// on the Web API. Submissions go through the in-process CometBFT node, so
// this runs once that node exists; the routes read the ledger directly.
func (n *Node) setupLedgerAPI() error {
	// The RPC environment is the exported way to CometBFT's stores.
	env, err := n.comet.ConfigureRPC()
	if err != nil {
		return fmt.Errorf("web api: %w", err)
	}
	feed := &commitFeed{log: n.log, committed: n.ledger.Committed, blocks: env.BlockStore, states: env.StateStore}
	if n.log != nil {
		// Waiters are answered once the block is in the log, when a
		// stream subscriber sees it too.
		feed.committed = func() (int64, <-chan struct{}) {
			next := n.log.Wait() // before Bounds, so a write in between is not missed
			_, newest := n.log.Bounds()
			return newest, next
		}
	}
	client := local.New(n.comet)
	commits, err := webapi.NewCommitWaiter(webapi.CommitWaiterConfig{
		Feed:       feed,
		Submit:     client.BroadcastTxSync,
		MaxWaiters: n.cfg.WebAPI.MaxCommitWaiters,
		Logger:     n.logger,
	})
	if err != nil {
		return err
	}
	api, err := webapi.NewAPI(webapi.APIConfig{
		Ledger:      n.ledger,
		Broadcaster: broadcaster{Local: client, commits: commits},
		Logger:      n.logger,
	})
	if err != nil {
		return err
	}
	api.Register(n.web)
	return nil
}

// broadcaster is CometBFT's in-process client with the Web API's
// BroadcastTxCommit, which waits on our committed-block feed: local.Local's
// subscribes each caller to CometBFT's event bus, whose matching of every
// transaction against every subscriber's query runs on consensus's path
// (a flood of commit posts stalled the chain), ignores ctx and admits
// max_subscriptions_per_client callers at once.
type broadcaster struct {
	*local.Local
	commits *webapi.CommitWaiter
}

func (b broadcaster) BroadcastTxCommit(ctx context.Context, tx cmttypes.Tx) (*coretypes.ResultBroadcastTxCommit, error) {
	return b.commits.BroadcastTxCommit(ctx, tx)
}

// commitFeed is the commit waiter's feed: the committed heights of the
// event log (or of the ledger, with the stream off), the results the log
// keeps of every transaction, and the blocks and results CometBFT stored
// before the application's Commit where the log has none.
type commitFeed struct {
	log       *events.Log // nil with the stream off
	committed func() (int64, <-chan struct{})
	blocks    sm.BlockStore
	states    sm.Store
}

func (f *commitFeed) Committed() (int64, <-chan struct{}) { return f.committed() }

func (f *commitFeed) Block(h int64) ([]webapi.CommittedTx, error) {
	if f.log != nil {
		if b, err := f.log.Get(h); err == nil && b.HasResults {
			return f.fromLog(b), nil
		}
	}
	blk := f.blocks.LoadBlock(h)
	if blk == nil {
		return nil, fmt.Errorf("height %d is not in CometBFT's block store", h)
	}
	resp, err := f.finalizeResponse(h)
	if err != nil {
		return nil, err
	}
	out := make([]webapi.CommittedTx, len(blk.Txs))
	for i, tx := range blk.Txs {
		out[i].Hash = sha256.Sum256(tx)
		out[i].Result = abcitypes.ExecTxResult{Code: 1, Log: "no result stored for the transaction"}
		if i < len(resp.TxResults) && resp.TxResults[i] != nil {
			out[i].Result = *resp.TxResults[i]
		}
	}
	return out, nil
}

// fromLog reads the log's results. The log keeps no log message: for a
// refused transaction it is read from CometBFT's results, so that the
// answer says why.
func (f *commitFeed) fromLog(b *events.Block) []webapi.CommittedTx {
	out := make([]webapi.CommittedTx, len(b.Results))
	var resp *abcitypes.ResponseFinalizeBlock
	for i, r := range b.Results {
		copy(out[i].Hash[:], r.Hash)
		out[i].Result = abcitypes.ExecTxResult{Code: r.Code, Codespace: r.Codespace, GasWanted: r.GasWanted, GasUsed: r.GasUsed}
		if r.Code == abcitypes.CodeTypeOK {
			continue
		}
		if resp == nil {
			var err error
			if resp, err = f.finalizeResponse(b.Height); err != nil {
				resp = &abcitypes.ResponseFinalizeBlock{}
			}
		}
		if int(r.Index) < len(resp.TxResults) && resp.TxResults[r.Index] != nil {
			out[i].Result.Log = resp.TxResults[r.Index].Log
		}
	}
	return out
}

// finalizeResponse reads height h's results, kept unless
// storage.discard_abci_responses is set.
func (f *commitFeed) finalizeResponse(h int64) (*abcitypes.ResponseFinalizeBlock, error) {
	resp, err := f.states.LoadFinalizeBlockResponse(h)
	if err != nil {
		return nil, fmt.Errorf("height %d: FinalizeBlock results: %w", h, err)
	}
	return resp, nil
}
