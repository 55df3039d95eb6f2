package node

import (
	"context"
	"fmt"
	"sync/atomic"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/rpc/client/local"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/cometstream/cometstream/webapi"
)

// setupLedgerAPI puts the Planetmint transaction, output and block routes
// on the Web API. Submissions go through the in-process CometBFT node, so
// this runs once that node exists; the routes read the ledger directly.
func (n *Node) setupLedgerAPI() error {
	api, err := webapi.NewAPI(webapi.APIConfig{
		Ledger:      n.ledger,
		Broadcaster: &broadcaster{Local: local.New(n.comet)},
		Logger:      n.logger,
	})
	if err != nil {
		return err
	}
	api.Register(n.web)
	return nil
}

// broadcaster is CometBFT's in-process client with its own
// BroadcastTxCommit.
type broadcaster struct {
	*local.Local
	subscribers atomic.Uint64
}

// BroadcastTxCommit replaces local.Local's, which ignores ctx (a client
// that leaves keeps a wait of timeout_broadcast_tx_commit going) and
// subscribes every caller under the same empty name, so that at most
// max_subscriptions_per_client commits can wait at once and a transaction
// posted twice at the same time fails. This one subscribes to the
// transaction's result under a name of its own, submits it like
// broadcast_tx_sync, and waits for the block or for ctx.
func (b *broadcaster) BroadcastTxCommit(ctx context.Context, tx cmttypes.Tx) (*coretypes.ResultBroadcastTxCommit, error) {
	subscriber := fmt.Sprintf("cometstream-webapi-%d", b.subscribers.Add(1))
	q := cmttypes.EventQueryTxFor(tx)
	// Subscribed before the submission, so the block cannot be missed.
	sub, err := b.EventBus.Subscribe(ctx, subscriber, q, 1)
	if err != nil {
		return nil, fmt.Errorf("subscribe to the transaction's result: %w", err)
	}
	defer func() { _ = b.EventBus.Unsubscribe(context.Background(), subscriber, q) }()
	res, err := b.BroadcastTxSync(ctx, tx)
	if err != nil {
		return nil, err
	}
	out := &coretypes.ResultBroadcastTxCommit{
		CheckTx: abcitypes.ResponseCheckTx{Code: res.Code, Data: res.Data, Log: res.Log, Codespace: res.Codespace},
		Hash:    res.Hash,
	}
	if res.Code != abcitypes.CodeTypeOK {
		return out, nil
	}
	select {
	case msg := <-sub.Out():
		ev, ok := msg.Data().(cmttypes.EventDataTx)
		if !ok {
			return out, fmt.Errorf("unexpected event %T for the transaction", msg.Data())
		}
		out.TxResult, out.Height = ev.Result, ev.Height
		return out, nil
	case <-sub.Canceled():
		return out, fmt.Errorf("CometBFT stopped before the transaction was committed: %w", sub.Err())
	case <-ctx.Done():
		return out, ctx.Err()
	}
}
