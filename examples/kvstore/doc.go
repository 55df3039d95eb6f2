// Package kvstore embeds the event stream in CometBFT's own example
// application, abci/example/kvstore, as an app developer would: no code of
// the cometstream node, only the cometstream package's Open, Wrap, Start
// and Close around an in-process CometBFT node. Its tests run on every
// CometBFT line the library supports (make test-lines).
package kvstore
