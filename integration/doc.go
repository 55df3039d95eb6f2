// Package integration holds end-to-end tests against real cometstream
// nodes: an in-process node driven through CometBFT's RPC and read by real
// WebSocket clients (Go, and Python's websockets as a client that is not
// ours). The package has no non-test code.
package integration
