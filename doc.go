// Package cometstream puts any CometBFT ABCI application on the Planetmint
// WebSocket Event Stream API, with every guarantee of the cometstream node:
// a durable event log under the app's data directory, start-up
// reconciliation with CometBFT's stores, gaps and failed writes repaired
// from those stores instead of history being deleted, metrics, TLS, tokens
// and the API root.
//
// It is one assembly, so that an embedder cannot forget a step that
// protects data:
//
//	s, err := cometstream.Open(cfg)          // validate, open the event log
//	app := s.Wrap(myApp)                      // the ABCI middleware
//	n, err := node.NewNode(..., proxy.NewLocalClientCreator(app), ...)
//	blocks, err := cometstream.NodeBlocks(n)  // CometBFT's block and state stores
//	err = s.Start(blocks)                     // reconcile, then serve
//	defer s.Close(ctx)
//
// The cometstream node (package node) is its first user. The library builds
// against the CometBFT v0.38, v0.39 and v0.40 lines; the module requires the
// oldest, so an app keeps its own CometBFT.
package cometstream
