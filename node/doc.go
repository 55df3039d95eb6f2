// Package node assembles a cometstream node: an in-process CometBFT node
// whose application is the reference ledger wrapped by the event-stream
// middleware, the stream service, and the Web API with /healthz (503 with a
// reason when consensus has failed, the event log cannot write, the node
// syncs or trails its peers, or no block was committed for a while). It
// also owns the node's home directory: creating it (Init) and reading its
// config.toml, whose [stream], [webapi] and [health] sections hold the
// settings CometBFT does not know.
package node
