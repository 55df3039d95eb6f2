package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/cometstream/cometstream/wire"
)

// Event is one delivered message: Tx on valid_transactions, Block on
// valid_blocks, Result on tx_results. Exactly one is set.
type Event struct {
	Tx     *TxEvent
	Block  *BlockEvent
	Result *TxResultEvent
}

// Height is the block height of the event.
func (e Event) Height() int64 {
	if e.Block != nil {
		return e.Block.Height
	}
	if e.Tx != nil {
		return e.Tx.Height
	}
	if e.Result != nil {
		return e.Result.Height
	}
	return 0
}

// key names e among the events of its height, for the resume: a
// transaction's id, a result's index in the block.
func (e Event) key() string {
	if e.Result != nil {
		return strconv.FormatUint(uint64(e.Result.Index), 10)
	}
	return e.Tx.TransactionID
}

// TxEvent is a valid_transactions message. Its JSON form is the message's.
type TxEvent = wire.TxMessage

// BlockEvent is a valid_blocks message. Its JSON form is the message's.
type BlockEvent = wire.BlockMessage

// TxResultEvent is a tx_results message. Its JSON form is the message's.
type TxResultEvent = wire.TxResultMessage

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

// decodeResult parses and checks a tx_results message.
func decodeResult(data []byte) (*TxResultEvent, error) {
	var m TxResultEvent
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%w: tx result message: %v", errProtocol, err)
	}
	if m.Height <= 0 || (m.Hash == "" && m.TransactionID == "") {
		return nil, fmt.Errorf("%w: tx result message without a positive height, a hash or a transaction_id", errProtocol)
	}
	if m.Events == nil {
		m.Events = []wire.EventJSON{}
	}
	return &m, nil
}
