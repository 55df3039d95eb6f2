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
package events
