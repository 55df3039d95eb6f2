// Package events is the stream's model of committed chain data: the Block and
// Tx events that the ABCI middleware records after each Commit, the Decoder
// that turns raw transaction bytes into those events, and the Log that any
// number of readers follow at their own pace.
//
// Positions come from the chain itself (a height, and an index inside the
// block), never from clocks or in-memory counters, so that a reader can name
// where it stands across restarts. The Log separates the bookkeeping readers
// rely on (bounds, wake-ups, the pruned error) from the Store that keeps the
// blocks: the bounded in-memory MemStore, or the durable SegmentStore (segment
// files with a MemStore cache in front) that the node uses, with the same
// readers.
//
// A Block also keeps the application's result of every transaction, valid
// or not (code, codespace, gas, ABCI events), for the tx_results stream.
// Records store them from record version 2 on (proto/cometstream/events/v1);
// a log written before reads as before, its blocks said to lack results
// (HasResults false), and an older binary reads newer records, ignoring
// the results.
//
// History is deleted only by a store's retention, never by an error path.
// When a write fails (a full disk) or heights arrive with a gap, the Log
// turns degraded instead: Append, on Commit's path, only queues the block in
// memory and returns at once, and a goroutine of the Log writes the missing
// heights in order, from memory or from a Source (the embedder's adapter
// over CometBFT's block and state stores), retrying with backoff. Readers
// waiting at the missing height just wait; Health tells a metric or a
// health check what is missing, and Close stops the goroutine.
package events
