// Package streamsvc serves the WebSocket event streams of the Planetmint
// Event Stream API (valid_transactions, valid_blocks, tx_results) and the
// same as Server-Sent Events from an events.Log, and the Web API root
// document that advertises them (with the live page, package explorer).
//
// Each subscriber has one goroutine, which follows the log with its own
// events.Reader, writes, and between writes reads (and discards) whatever
// the client sends, keeping the connection's liveness; idle, it waits in a
// read of the socket that the server's waker interrupts when a block
// arrives (about 4 KiB per idle subscriber). Messages are encoded and
// framed once per block for all subscribers and written with one system call
// per batch, so a subscriber costs a socket write, not an encoding; a
// subscriber that stalls only ever delays itself.
package streamsvc
