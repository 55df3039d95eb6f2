package kvstore

import (
	"context"
	"errors"
	"fmt"
	"os"

	dbm "github.com/cometbft/cometbft-db"
	"github.com/cometbft/cometbft/abci/example/kvstore"
	cmtcfg "github.com/cometbft/cometbft/config"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	nm "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"
	"github.com/cometbft/cometbft/types"
	cmttime "github.com/cometbft/cometbft/types/time"

	"github.com/cometstream/cometstream"
)

// Node is CometBFT's kvstore application on an in-process node, with the
// stream.
type Node struct {
	Comet  *nm.Node
	Stream *cometstream.Stream
	app    *kvstore.Application
	dbs    []dbm.DB
}

// Start creates a single-validator home in cfg's root when it has none and
// starts the node with the stream configured by stream (DataDir defaults
// to CometBFT's data directory).
func Start(cfg *cmtcfg.Config, stream cometstream.Config) (*Node, error) {
	if err := initHome(cfg); err != nil {
		return nil, err
	}
	if stream.DataDir == "" {
		stream.DataDir = cfg.DBDir()
	}
	// 1. Open the stream: the durable log under the data directory.
	s, err := cometstream.Open(stream)
	if err != nil {
		return nil, err
	}
	// 2. Wrap the app before CometBFT gets it, so that the blocks its
	// handshake replays reach the log.
	n := &Node{Stream: s, app: kvstore.NewPersistentApplication(cfg.DBDir() + "/kvstore")}
	app, err := s.Wrap(n.app)
	if err != nil {
		return nil, errors.Join(err, n.Stop(context.Background()))
	}
	pv := privval.LoadFilePV(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile())
	nodeKey, err := p2p.LoadNodeKey(cfg.NodeKeyFile())
	if err != nil {
		return nil, errors.Join(err, n.Stop(context.Background()))
	}
	logger := cmtlog.NewFilter(cmtlog.NewTMLogger(cmtlog.NewSyncWriter(os.Stderr)), cmtlog.AllowError())
	n.Comet, err = nm.NewNode(cfg, pv, nodeKey, proxy.NewLocalClientCreator(app),
		nm.DefaultGenesisDocProviderFunc(cfg), n.openDB,
		nm.DefaultMetricsProvider(cfg.Instrumentation), logger)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("create CometBFT node: %w", err), n.Stop(context.Background()))
	}
	// 3. Start the stream on the chain's stores: it records the heights
	// its log lacks, then serves.
	blocks, err := cometstream.NodeBlocks(n.Comet)
	if err == nil {
		err = s.Start(blocks)
	}
	if err == nil {
		err = n.Comet.Start()
	}
	if err != nil {
		return nil, errors.Join(err, n.Stop(context.Background()))
	}
	return n, nil
}

// Stop stops CometBFT, then the stream (after CometBFT's last Commit), and
// closes the databases.
func (n *Node) Stop(ctx context.Context) error {
	var errs []error
	if n.Comet != nil && n.Comet.IsRunning() {
		errs = append(errs, n.Comet.Stop())
		n.Comet.Wait()
	}
	errs = append(errs, n.Stream.Close(ctx))
	// CometBFT's Stop leaves some of its databases open (tx_index); close
	// them all, so that the home can be opened again in this process.
	for _, db := range n.dbs {
		_ = db.Close()
	}
	_ = n.app.Close()
	return errors.Join(errs...)
}

func (n *Node) openDB(ctx *cmtcfg.DBContext) (dbm.DB, error) {
	db, err := cmtcfg.DefaultDBProvider(ctx)
	if err == nil {
		n.dbs = append(n.dbs, db)
	}
	return db, err
}

// initHome writes keys and a genesis file that are missing.
func initHome(cfg *cmtcfg.Config) error {
	cmtcfg.EnsureRoot(cfg.RootDir)
	pv := privval.LoadOrGenFilePV(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile())
	if _, err := p2p.LoadOrGenNodeKey(cfg.NodeKeyFile()); err != nil {
		return fmt.Errorf("node key: %w", err)
	}
	if _, err := os.Stat(cfg.GenesisFile()); err == nil {
		return nil
	}
	pub, err := pv.GetPubKey()
	if err != nil {
		return err
	}
	gen := types.GenesisDoc{
		ChainID:         "kvstore-stream",
		GenesisTime:     cmttime.Now(),
		ConsensusParams: types.DefaultConsensusParams(),
		Validators:      []types.GenesisValidator{{Address: pub.Address(), PubKey: pub, Power: 10}},
	}
	return gen.SaveAs(cfg.GenesisFile())
}
