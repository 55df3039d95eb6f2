package node

import (
	"errors"

	sm "github.com/cometbft/cometbft/state"

	"github.com/cometstream/cometstream/abci"
	"github.com/cometstream/cometstream/events"
)

// reconcile records in the event log the committed heights it lacks,
// rebuilt from CometBFT's block store and the FinalizeBlock responses it
// saved. It runs after CometBFT's handshake (which replays heights the app
// lacked through the middleware) and before the node serves anyone, and
// covers the one window the middleware cannot: a crash after the app's
// Commit but before the log recorded the height, which CometBFT does not
// re-execute. On an empty log it backfills whatever the block store holds,
// so enabling the stream on an existing node gives clients its history.
func (n *Node) reconcile() error {
	stateDB := n.dbs.get("state")
	if stateDB == nil {
		return errors.New("CometBFT's state database is not open")
	}
	states := sm.NewStore(stateDB, sm.StoreOptions{})
	state, err := states.Load()
	if err != nil {
		return err
	}
	committed := state.LastBlockHeight
	blocks := n.comet.BlockStore()
	_, newest := n.log.Bounds()
	from := newest + 1
	if newest == 0 {
		from = max(blocks.Base(), 1)
	}
	if from > committed {
		return nil
	}
	n.logger.Info("recording committed heights missing from the event log", "from", from, "to", committed)
	decoder := events.Planetmint{}
	for h := from; h <= committed; h++ {
		blk := blocks.LoadBlock(h)
		if blk == nil {
			n.logger.Warn("block not in the block store; the log restarts after it", "height", h)
			continue
		}
		resp, err := states.LoadFinalizeBlockResponse(h)
		if err != nil {
			n.logger.Warn("FinalizeBlock results not saved; the log restarts after this height", "height", h, "error", err)
			continue
		}
		txs := make([][]byte, len(blk.Txs))
		for i, tx := range blk.Txs {
			txs[i] = tx
		}
		ev := abci.BlockEvent(decoder, n.logger, h, blk.Hash(), blk.Time, txs, resp.TxResults)
		if _, err := n.log.Append(ev); err != nil {
			return err
		}
		if (h-from+1)%10000 == 0 {
			n.logger.Info("reconciling the event log", "height", h, "to", committed)
		}
	}
	return nil
}
