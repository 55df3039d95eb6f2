package node

import (
	"context"
	"fmt"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/rpc/client/local"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	sm "github.com/cometbft/cometbft/state"
	cmttypes "github.com/cometbft/cometbft/types"

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
	feed := &commitFeed{committed: n.ledger.Committed, blocks: env.BlockStore, states: env.StateStore}
	if n.log != nil {
		// Waiters are answered once the block's events are in the log,
		// when a stream subscriber sees it too.
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
// event log (or of the ledger, with the stream off) and the blocks and
// results CometBFT stored before the application's Commit.
type commitFeed struct {
	committed func() (int64, <-chan struct{})
	blocks    sm.BlockStore
	states    sm.Store
}

func (f *commitFeed) Committed() (int64, <-chan struct{}) { return f.committed() }

func (f *commitFeed) Block(h int64) ([][]byte, []*abcitypes.ExecTxResult, error) {
	blk := f.blocks.LoadBlock(h)
	if blk == nil {
		return nil, nil, fmt.Errorf("height %d is not in CometBFT's block store", h)
	}
	// Kept unless storage.discard_abci_responses is set.
	resp, err := f.states.LoadFinalizeBlockResponse(h)
	if err != nil {
		return nil, nil, fmt.Errorf("height %d: FinalizeBlock results: %w", h, err)
	}
	txs := make([][]byte, len(blk.Txs))
	for i, tx := range blk.Txs {
		txs[i] = tx
	}
	return txs, resp.TxResults, nil
}
