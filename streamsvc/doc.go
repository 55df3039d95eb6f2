// Package streamsvc serves the WebSocket event streams of the Planetmint
// Event Stream API (valid_transactions, valid_blocks) from an events.Log,
// and the Web API root document that advertises them.
//
// Each subscriber has one writer goroutine, which follows the log with its
// own events.Reader, and one reader goroutine, which discards whatever the
// client sends and keeps the connection's liveness. Messages are encoded and
// framed once per block for all subscribers and written with one system call
// per batch, so a subscriber costs a socket write, not an encoding; a
// subscriber that stalls only ever delays itself.
package streamsvc
