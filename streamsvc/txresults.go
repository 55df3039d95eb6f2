package streamsvc

import (
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/wire"
)

// PathTxResults is the tx_results stream, re-exported from package wire.
const PathTxResults = wire.PathTxResults

// encodeTxResults frames one tx_results message per transaction of b, with
// the events each message's query filter matches against (the map CometBFT's
// event bus builds for the transaction), so that subscribers share both.
func encodeTxResults(b *events.Block, frame frameFunc) frames {
	msgs, evs := txResultMessages(b)
	out := frames{ends: make([]int, len(msgs)), events: evs}
	for i := range msgs {
		body, _ := json.Marshal(&msgs[i]) // plain strings, numbers and bools: cannot fail
		out.data = frame(out.data, body)
		out.ends[i] = len(out.data)
	}
	return out
}

// txResultMessages builds b's tx_results messages and their query events.
// A block said to lack results (recorded before the log kept them) yields
// one message per valid transaction, marked so.
func txResultMessages(b *events.Block) ([]wire.TxResultMessage, []map[string][]string) {
	height := strconv.FormatInt(b.Height, 10)
	if !b.HasResults {
		msgs := make([]wire.TxResultMessage, len(b.Txs))
		evs := make([]map[string][]string, len(b.Txs))
		for i, tx := range b.Txs {
			msgs[i] = wire.TxResultMessage{Height: b.Height, Index: tx.Index, TransactionID: tx.ID,
				GasWanted: "0", GasUsed: "0", Events: []wire.EventJSON{}, ResultsMissing: true}
			evs[i] = map[string][]string{cmttypes.EventTypeKey: {cmttypes.EventTx}, cmttypes.TxHeightKey: {height}}
		}
		return msgs, evs
	}
	msgs := make([]wire.TxResultMessage, len(b.Results))
	evs := make([]map[string][]string, len(b.Results))
	for i := range b.Results {
		r := &b.Results[i]
		hash := strings.ToUpper(hex.EncodeToString(r.Hash))
		m := wire.TxResultMessage{Height: b.Height, Index: r.Index, Hash: hash, Code: r.Code, Codespace: r.Codespace,
			GasWanted: strconv.FormatInt(r.GasWanted, 10), GasUsed: strconv.FormatInt(r.GasUsed, 10),
			Events: make([]wire.EventJSON, len(r.Events))}
		for j, e := range r.Events {
			attrs := make([]wire.AttributeJSON, len(e.Attributes))
			for k, a := range e.Attributes {
				attrs[k] = wire.AttributeJSON{Key: a.Key, Value: a.Value, Index: a.Index}
			}
			m.Events[j] = wire.EventJSON{Type: e.Type, Attributes: attrs}
		}
		msgs[i] = m
		evs[i] = queryEvents(r, hash, height)
	}
	return msgs, evs
}

// queryEvents is the map of composite keys ("type.key") to values that
// CometBFT's event bus matches a transaction's subscriptions against: the
// ABCI events (events without a type and attributes without a key left
// out, as CometBFT does) and its own tm.event, tx.hash and tx.height.
func queryEvents(r *events.TxResult, hash, height string) map[string][]string {
	m := make(map[string][]string, 3+len(r.Events))
	for _, e := range r.Events {
		if e.Type == "" {
			continue
		}
		for _, a := range e.Attributes {
			if a.Key == "" {
				continue
			}
			k := e.Type + "." + a.Key
			m[k] = append(m[k], a.Value)
		}
	}
	m[cmttypes.EventTypeKey] = append(m[cmttypes.EventTypeKey], cmttypes.EventTx)
	m[cmttypes.TxHashKey] = append(m[cmttypes.TxHashKey], hash)
	m[cmttypes.TxHeightKey] = append(m[cmttypes.TxHeightKey], height)
	return m
}
