// Package client follows a cometstream node's event stream (valid
// transactions or valid blocks, see docs/stream-api.md) and delivers each
// event exactly once, in chain order, across disconnects, node restarts
// and failover between nodes.
//
// Client.Run connects, answers the server's pings, and on any failure
// reconnects with backoff to the next URL, asking the node to replay from
// where delivery stopped (from_height). Positions come from the chain, not
// from the connection: for valid_blocks the next height; for
// valid_transactions the height of the last delivered transaction and the
// transactions of that height already delivered, whose replay is dropped
// (the node sends a block's transactions in index order, filtered or not).
// A node that no longer keeps the height needed ends Run with a
// *PrunedError; a request the node refuses as malformed ends it with a
// *StatusError.
//
// The position lives in the Client, so a later Run continues where the
// previous one stopped; it is not persisted across processes.
//
// Package clienttest provides an in-memory node for testing code that uses
// the client.
package client
