// Package node assembles a cometstream node: an in-process CometBFT node
// whose application is the reference ledger wrapped by the event-stream
// middleware, the stream service, and the Web API. It also owns the node's
// home directory: creating it (Init) and reading its config.toml, whose
// [stream] and [webapi] sections hold the settings CometBFT does not know.
package node
