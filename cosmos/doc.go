// Package cosmos adds the event stream to a Cosmos SDK chain, through the
// SDK's own hook for it: BaseApp calls registered ABCIListeners after each
// FinalizeBlock and Commit, so the chain keeps its application as it is.
//
// In the chain's app.go (a few lines, see Attach):
//
//	app.stream, err = cosmos.Attach(bApp, appOpts, nil) // after baseapp.NewBaseApp
//	...
//	func (app *App) RegisterNodeService(clientCtx client.Context, cfg config.Config) {
//		nodeservice.RegisterNodeService(clientCtx, app.GRPCQueryRouter(), cfg)
//		_ = app.stream.Start(clientCtx.Client) // reconcile with the chain, then serve
//	}
//	// and app.stream.Close(ctx) in the app's Close
//
// and a [stream] section in app.toml (enable = true; the keys of the
// node's [stream], see docs/operations.md). The listener never halts the
// chain: it returns no error to BaseApp (StopNodeOnErr is irrelevant), and
// the stream's own failures are logged, counted and healed as in every
// embedding. Transaction ids are CometBFT tx hashes, which `simd query tx`
// and explorers show.
//
// This is its own Go module, on the SDK's v0.53 line (CometBFT v0.38), so
// that the main module does not require the SDK.
package cosmos
