package events

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Block is one committed block as the stream sees it. Txs holds only the
// transactions the application accepted (result code 0), in block order.
type Block struct {
	Height int64
	Hash   []byte // the block hash CometBFT computed
	Time   time.Time
	Txs    []Tx
	// Results holds the application's result of every transaction of the
	// block, rejected ones included, in block order, when HasResults.
	Results []TxResult
	// HasResults is false for a block recorded before the log kept results
	// (a record of version 1) or rebuilt from a source that knew only the
	// result codes: such a block is said to lack results and events.
	HasResults bool
	// Appended is when the Log took the block (on the middleware's goroutine,
	// right after Commit queued it), for
	// delivery-time metrics. Zero for blocks read back from disk; it is not
	// stored.
	Appended time.Time
}

// Tx is the event of one valid transaction.
type Tx struct {
	// Index is the transaction's position among all the block's
	// transactions, rejected ones included, so (Height, Index) names it even
	// when CometBFT's tx hash does not.
	Index uint32
	// ID is the transaction id (lower-case hex).
	ID string
	// AssetIDs lists the assets the transaction concerns; the first is the
	// spec's single asset_id. Never empty.
	AssetIDs []string
	// Operation is CREATE, TRANSFER, ... or "" when unknown.
	Operation string
	// PublicKeys are the public keys of the transaction's outputs.
	PublicKeys []string
	// OwnersBefore are the owners_before of the transaction's inputs.
	OwnersBefore []string
}

// TxResult is the application's result of one transaction, as its
// FinalizeBlock returned it: what the tx_results stream carries.
type TxResult struct {
	// Index is the transaction's position among all the block's.
	Index uint32
	// Hash is CometBFT's tx hash, the SHA-256 of the transaction's bytes.
	Hash      []byte
	Code      uint32
	Codespace string
	GasWanted int64
	GasUsed   int64
	// Events are the ABCI events of the transaction, in the app's order.
	Events []ABCIEvent
}

// ABCIEvent is one ABCI event of a transaction.
type ABCIEvent struct {
	Type       string
	Attributes []ABCIAttribute
}

// ABCIAttribute is one key/value of an ABCI event; Index says whether the
// application asked CometBFT to index it.
type ABCIAttribute struct {
	Key, Value string
	Index      bool
}

// Position names a place in the chain: a transaction (Height, Index), or the
// start of a block when Index is 0.
type Position struct {
	Height int64
	Index  uint32
}

// RawID is the transaction id given to bytes no decoder understands:
// CometBFT's tx hash, the SHA-256 of the bytes, in lower-case hex. It is the
// hash CometBFT's RPC takes (/tx?hash=0x..., case-insensitive) and its
// /websocket shows (upper-case) as tx.hash, so the stream of any app names
// each transaction as the rest of its tooling does.
func RawID(tx []byte) string {
	sum := sha256.Sum256(tx)
	return hex.EncodeToString(sum[:])
}
