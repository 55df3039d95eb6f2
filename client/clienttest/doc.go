// Package clienttest is an in-memory stream server for testing clients of
// the cometstream stream protocol: valid_transactions and valid_blocks
// over WebSocket, from_height replay, filters, 400/410 refusals,
// Cometstream-Next-Height, and close codes with a resume hint.
//
// Requests are parsed with package wire, the node's own parser, so the
// server refuses exactly what a node refuses (unknown or repeated
// parameters, malformed heights and ids, filters on valid_blocks), with
// the node's status and JSON error body.
//
// The chain is a list of Blocks the test appends to; each connection can
// be scripted (Plan) to be refused, to send arbitrary frames, or to drop,
// close, stall or take the whole server down after a number of messages.
// The server records every request and the close codes clients send.
package clienttest
