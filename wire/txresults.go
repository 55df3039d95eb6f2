package wire

import (
	"fmt"
	"unicode/utf8"

	"github.com/cometbft/cometbft/libs/pubsub/query"
)

// PathTxResults is the tx_results stream: one message per transaction of
// each committed block, valid or not, with its result and ABCI events.
const PathTxResults = StreamPrefix + "tx_results"

// ParamQuery is tx_results' filter: a query in CometBFT's event query
// language, as its /websocket subscribe takes it, e.g.
// "tm.event='Tx' AND transfer.recipient='cosmos1...'".
const ParamQuery = "query"

// The bounds of a query, which is matched against every transaction the
// stream carries: its length, and how many conditions it has (the cost of
// a match grows with both and with the transaction's events).
const (
	MaxEventQueryBytes      = 4096
	MaxEventQueryConditions = 32
)

// ParseEventQuery parses and compiles a tx_results query with CometBFT's
// own parser (libs/pubsub/query), so that it means what it means on
// /websocket. The error names the offset CometBFT's parser stopped at.
func ParseEventQuery(s string) (*query.Query, error) {
	switch {
	case s == "":
		return nil, fmt.Errorf("%s is empty; leave it out to receive every transaction", ParamQuery)
	case len(s) > MaxEventQueryBytes:
		return nil, fmt.Errorf("%s is %d bytes; at most %d", ParamQuery, len(s), MaxEventQueryBytes)
	case !utf8.ValidString(s):
		return nil, fmt.Errorf("%s is not valid UTF-8", ParamQuery)
	}
	q, err := query.New(s)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", ParamQuery, err)
	}
	if n := len(q.Syntax()); n > MaxEventQueryConditions {
		return nil, fmt.Errorf("%s has %d conditions; at most %d", ParamQuery, n, MaxEventQueryConditions)
	}
	return q, nil
}

// TxResultMessage is a tx_results message, in the shape CometBFT's RPC
// prints a transaction's result: Hash is upper-case hex, gas amounts are
// decimal strings (int64s that JavaScript numbers cannot hold), events
// are the app's ABCI events. A block recorded before the log kept results
// yields one message per valid transaction with ResultsMissing set, its
// TransactionID instead of a hash, and no events.
type TxResultMessage struct {
	Height         int64       `json:"height"`
	Index          uint32      `json:"index"`
	Hash           string      `json:"hash,omitempty"`
	Code           uint32      `json:"code"`
	Codespace      string      `json:"codespace"`
	GasWanted      string      `json:"gas_wanted"`
	GasUsed        string      `json:"gas_used"`
	Events         []EventJSON `json:"events"`
	TransactionID  string      `json:"transaction_id,omitempty"`
	ResultsMissing bool        `json:"results_missing,omitempty"`
}

// EventJSON is one ABCI event as CometBFT's RPC prints it.
type EventJSON struct {
	Type       string          `json:"type"`
	Attributes []AttributeJSON `json:"attributes"`
}

// AttributeJSON is one attribute of an ABCI event.
type AttributeJSON struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	Index bool   `json:"index"`
}
