// Package ledger is the reference ABCI application of a cometstream node: a
// Planetmint-compatible transaction ledger that CometBFT drives.
//
// It accepts Planetmint (version "3.0") and BigchainDB (version "2.0")
// CREATE and TRANSFER transactions under the rules of those servers:
// ParseTransaction applies the ones that need no state (schema, amounts,
// output conditions, id, signatures; see package cc for the
// crypto-conditions), and the App the ones that do (duplicates, inputs that
// exist and are unspent, one asset, amounts that add up, fulfillments that
// meet the spent outputs' conditions). Other Planetmint operations are
// refused with CodeUnsupportedOperation. Every refusal has a stable code
// (codes.go), Planetmint's or BigchainDB's own message where their code has
// one (errors_planetmint.go: clients compare it word for word), and a
// detail that says exactly what is wrong.
//
// CheckTx and FinalizeBlock run the same checks through one view of the
// state; in FinalizeBlock that view includes the block's earlier valid
// transactions, so of two conflicting transactions in a block the first
// wins. State changes follow ABCI 2.0: FinalizeBlock validates and stages
// a block and returns its app hash, Commit writes the staged block
// (transactions, outputs, spent markers, the owner, asset and CID indexes,
// the block's ids and app hash) in one synced batch. A crash between the two loses nothing, because
// CometBFT replays the block on restart.
//
// The read methods (Transaction, TxHeight, Block, Outputs,
// AssetTransactions, the CID lookups) serve the Web API from committed
// state, which Commit writes before the stream publishes the block.
package ledger
