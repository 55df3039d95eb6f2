// Package ledger is the reference ABCI application of a cometstream node: a
// minimal Planetmint-compatible transaction ledger that CometBFT drives.
//
// It accepts Planetmint (version "3.0") and BigchainDB (version "2.0")
// transactions whose id is the SHA3-256 of their canonical JSON (see
// package canonical), rejects duplicates, and stores every committed
// transaction and the ids of each block in LevelDB, so that the stream and
// the Web API can read what the chain decided.
//
// State changes follow ABCI 2.0: FinalizeBlock validates and stages a
// block and returns its app hash, Commit writes the staged block in one
// synced batch. A crash between the two loses nothing, because CometBFT
// replays the block on restart.
//
// This milestone checks the transaction's shape and id only. Signatures,
// spent outputs and amounts are checked in a later milestone; Transaction
// already exposes the fields those rules need.
package ledger
