package clienttest

import (
	"fmt"
	"slices"

	"github.com/cometstream/cometstream/wire"
)

// Tx is a valid transaction of a block, with what filters match on.
type Tx struct {
	ID         string
	AssetIDs   []string
	Operation  string
	PublicKeys []string
}

// Block is a committed block; its Txs are in index order.
type Block struct {
	Height int64
	Hash   string
	Txs    []Tx
}

// Blocks builds consecutive blocks from height first, block i holding
// txs[i] transactions. Transaction j of height h has ID "tx-h.j",
// operation CREATE for even j and TRANSFER for odd j, asset
// "asset-<(h+j)%3>" and public key "key-<j%2>", so filters select
// predictable subsets.
func Blocks(first int64, txs ...int) []Block {
	out := make([]Block, len(txs))
	for i, n := range txs {
		h := first + int64(i)
		b := Block{Height: h, Hash: fmt.Sprintf("%064X", h)}
		for j := range n {
			op := "CREATE"
			if j%2 == 1 {
				op = "TRANSFER"
			}
			b.Txs = append(b.Txs, Tx{
				ID:         fmt.Sprintf("tx-%d.%d", h, j),
				AssetIDs:   []string{fmt.Sprintf("asset-%d", (h+int64(j))%3)},
				Operation:  op,
				PublicKeys: []string{fmt.Sprintf("key-%d", j%2)},
			})
		}
		out[i] = b
	}
	return out
}

// Filter is a parsed valid_transactions filter: each non-empty list is an
// OR, the lists are combined with AND.
type Filter struct {
	AssetIDs, PublicKeys, Operations []string
}

// Match reports whether tx passes f.
func (f Filter) Match(tx Tx) bool {
	anyOf := func(want, have []string) bool {
		if len(want) == 0 {
			return true
		}
		for _, h := range have {
			if slices.Contains(want, h) {
				return true
			}
		}
		return false
	}
	return anyOf(f.AssetIDs, tx.AssetIDs) && anyOf(f.PublicKeys, tx.PublicKeys) &&
		anyOf(f.Operations, []string{tx.Operation})
}

// TxMessage and BlockMessage are the wire messages the node sends.
type (
	TxMessage    = wire.TxMessage
	BlockMessage = wire.BlockMessage
)

// Messages is what a subscriber of stream receives for the blocks, in
// order: one TxMessage per matching transaction, or one BlockMessage per
// block. Tests compare a client's events with it.
func Messages(blocks []Block, blocksStream bool, f Filter) []any {
	var out []any
	for _, b := range blocks {
		out = append(out, messages(b, blocksStream, f)...)
	}
	return out
}

func messages(b Block, blocksStream bool, f Filter) []any {
	if blocksStream {
		ids := make([]string, len(b.Txs))
		for i, tx := range b.Txs {
			ids[i] = tx.ID
		}
		return []any{BlockMessage{Height: b.Height, Hash: b.Hash, TransactionIDs: ids}}
	}
	var out []any
	for _, tx := range b.Txs {
		if !f.Match(tx) {
			continue
		}
		assets := tx.AssetIDs
		if len(assets) == 0 {
			assets = []string{tx.ID}
		}
		out = append(out, TxMessage{TransactionID: tx.ID, AssetID: assets[0], AssetIDs: assets, Height: b.Height})
	}
	return out
}
