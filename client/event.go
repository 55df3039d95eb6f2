package client

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cometstream/cometstream/wire"
)

// Event is one delivered message: Tx on valid_transactions, Block on
// valid_blocks. Exactly one of the two is set.
type Event struct {
	Tx    *TxEvent
	Block *BlockEvent
}

// Height is the block height of the event.
func (e Event) Height() int64 {
	if e.Block != nil {
		return e.Block.Height
	}
	if e.Tx != nil {
		return e.Tx.Height
	}
	return 0
}

// TxEvent is a valid_transactions message. Its JSON form is the message's.
type TxEvent = wire.TxMessage

// BlockEvent is a valid_blocks message. Its JSON form is the message's.
type BlockEvent = wire.BlockMessage

// errProtocol marks a message or sequence the contract does not allow; the
// connection is replaced.
var errProtocol = errors.New("protocol error")

// decodeTx parses and checks a valid_transactions message.
func decodeTx(data []byte) (*TxEvent, error) {
	var m TxEvent
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%w: transaction message: %v", errProtocol, err)
	}
	if m.TransactionID == "" || m.Height <= 0 {
		return nil, fmt.Errorf("%w: transaction message without transaction_id or a positive height", errProtocol)
	}
	return &m, nil
}

// decodeBlock parses and checks a valid_blocks message.
func decodeBlock(data []byte) (*BlockEvent, error) {
	var m BlockEvent
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%w: block message: %v", errProtocol, err)
	}
	if m.Height <= 0 {
		return nil, fmt.Errorf("%w: block message without a positive height", errProtocol)
	}
	if m.TransactionIDs == nil {
		m.TransactionIDs = []string{}
	}
	return &m, nil
}
