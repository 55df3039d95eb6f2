// Package jetstream publishes a node's event log to a NATS JetStream
// stream, for readers beyond one node: every committed block's messages
// (valid_blocks, valid_transactions, tx_results, the bytes a WebSocket
// subscriber gets) on subjects cometstream.<chain_id>.<stream>, exactly
// once and in height order.
//
// The Sink follows the log, never the consensus path, and keeps no state
// of its own: its position is the last message the JetStream stream holds
// (its headers name the height and the message's place in the block), so
// after a NATS outage, a node restart or a crash it goes on right after
// it, backfilling from the log in order. Each publish carries Nats-Msg-Id
// "<height>:<seq>" (seq: the message's place among the block's messages,
// the block's own first) and expects the message before it to be the
// stream's last (Nats-Expected-Last-Msg-Id): a retried publish is dropped
// as a duplicate, and one that would land out of order is refused, after
// which the Sink reads the stream's last message again and resumes there.
package jetstream
