package cometstream_test

import (
	"context"

	"github.com/cometbft/cometbft/abci/example/kvstore"
	cmtcfg "github.com/cometbft/cometbft/config"
	nm "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/proxy"

	"github.com/cometstream/cometstream"
)

// newNode stands for the app's own construction of its CometBFT node,
// given the application CometBFT runs.
var newNode func(cfg *cmtcfg.Config, cc proxy.ClientCreator) (*nm.Node, error)

// The README's "Add the stream to your CometBFT app": the stream of an
// app's in-process node, with every guarantee of the cometstream node.
func Example() {
	cfg := cmtcfg.DefaultConfig()
	s, err := cometstream.Open(cometstream.Config{DataDir: cfg.DBDir()})
	if err != nil {
		panic(err)
	}
	defer s.Close(context.Background())
	app, _ := s.Wrap(kvstore.NewInMemoryApplication()) // before CometBFT replays
	node, err := newNode(cfg, proxy.NewLocalClientCreator(app))
	if err != nil {
		panic(err)
	}
	blocks, _ := cometstream.NodeBlocks(node) // CometBFT's block and state stores
	if err := s.Start(blocks); err != nil {   // reconcile, then serve ws://localhost:9985
		panic(err)
	}
	_ = node.Start()
}
