// Package abci is the middleware that puts any CometBFT ABCI application on
// the event stream. App embeds the wrapped application, so every call it does
// not intercept is forwarded unchanged; it intercepts FinalizeBlock, to stage
// the block's valid transactions, and Commit, to hand the staged block to the
// stream only after the wrapped application committed it.
//
// Consensus comes first: the middleware never changes a request or a
// response, never returns an error of its own from an ABCI call, and its
// hand-off costs the same whatever the stream's subscribers do.
package abci
