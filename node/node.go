package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	nm "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/cometbft/cometbft/version"
	"github.com/hashicorp/go-hclog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cometstream/cometstream"
	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/ledger"
	"github.com/cometstream/cometstream/streamsvc"
	"github.com/cometstream/cometstream/tlsreload"
	"github.com/cometstream/cometstream/webapi"
)

// Version is the cometstream version reported by the API root.
const Version = "0.1.1"

// Node is a running (or ready) cometstream node.
type Node struct {
	cfg    Config
	logger hclog.Logger

	ledger *ledger.App
	log    *events.Log         // nil when the stream is disabled
	stream *cometstream.Stream // nil when the stream is disabled
	web    *webapi.Server
	certs  []*tlsreload.Cert // the Web API's, reloaded on SIGHUP
	comet  *nm.Node
	dbs    *dbTracker
	watch  *watch // commits and consensus failure, for /healthz
}

// New builds the node from cfg. CometBFT's handshake runs here, replaying
// any committed blocks the application lacks, so the event log exists
// before it: replayed blocks reach the stream like live ones. On an error
// everything opened so far is closed again, and the error says what failed
// (with a hint when another process holds the home's databases).
func New(cfg Config, logger hclog.Logger) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	// No named result here: a "return nil, err" would set it to nil before
	// a deferred clean-up ran, and the clean-up would panic on it.
	n := &Node{cfg: cfg, logger: logger, dbs: &dbTracker{}, watch: newWatch()}
	if err := n.build(); err != nil {
		n.closeResources()
		return nil, withHint(cfg.Home, err)
	}
	return n, nil
}

// build opens the ledger, the stream and CometBFT in that order.
func (n *Node) build() error {
	cfg := n.cfg
	var err error
	if n.ledger, err = ledger.New(ledger.Config{Dir: ledgerDir(cfg.Comet.DBDir(), n.logger), Logger: n.logger}); err != nil {
		return fmt.Errorf("open ledger: %w", err)
	}
	var app abcitypes.Application = n.ledger
	advertised := ""
	if cfg.Stream.Enable {
		if app, err = n.setupStream(); err != nil {
			return err
		}
		advertised = cfg.Stream.AdvertisedURL
	}
	root, err := streamsvc.NewRootHandler(streamsvc.RootConfig{AdvertisedURL: advertised, Version: Version})
	if err != nil {
		return err
	}
	webTLS, err := n.webTLS()
	if err != nil {
		return err
	}
	if n.web, err = webapi.New(webapi.Config{Addr: cfg.WebAPI.ListenAddr, Root: root, Logger: n.logger, TLS: webTLS}); err != nil {
		return err
	}

	// privval.LoadFilePV exits the process on a missing file: check first.
	keyFile, stateFile := cfg.Comet.PrivValidatorKeyFile(), cfg.Comet.PrivValidatorStateFile()
	for _, f := range []string{keyFile, stateFile} {
		if !fileExists(f) {
			return fmt.Errorf("validator file %s missing: restore it from a backup, or run 'cometstream init --home %s' for a new validator", f, cfg.Home)
		}
	}
	pv := privval.LoadFilePV(keyFile, stateFile)
	nodeKey, err := p2p.LoadNodeKey(cfg.Comet.NodeKeyFile())
	if err != nil {
		return fmt.Errorf("load node key: %w", err)
	}
	n.comet, err = nm.NewNode(cfg.Comet, pv, nodeKey, proxy.NewLocalClientCreator(n.watch.wrap(app)),
		nm.DefaultGenesisDocProviderFunc(cfg.Comet), n.dbs.provider,
		nm.DefaultMetricsProvider(cfg.Comet.Instrumentation), newCometLogger(n.logger, cfg.Comet.LogLevel, n.watch))
	if err != nil {
		return fmt.Errorf("create CometBFT node: %w", err)
	}
	if err := n.setupLedgerAPI(); err != nil {
		return err
	}
	// Every method, so that the handler answers 405 with Allow like every
	// other route, not the root's 404.
	n.web.Handle(HealthPath, n.healthHandler())
	return nil
}

// setupStream opens the library's assembly and wraps the ledger in its
// middleware: the node has no stream wiring of its own.
func (n *Node) setupStream() (abcitypes.Application, error) {
	cfg := n.cfg.Stream.Config
	cfg.DataDir = n.cfg.Comet.DBDir()
	cfg.Decoder = events.Planetmint{}
	cfg.Logger = n.logger
	cfg.Version = Version
	cfg.MetricsNamespace = n.cfg.Comet.Instrumentation.Namespace
	if cfg.JetStream.Enable && cfg.JetStream.ChainID == "" {
		gen, err := cmttypes.GenesisDocFromFile(n.cfg.Comet.GenesisFile())
		if err != nil {
			return nil, fmt.Errorf("jetstream: the chain id from genesis: %w", err)
		}
		cfg.JetStream.ChainID = gen.ChainID
	}
	// Registered with CometBFT's own metrics when its Prometheus listener
	// is on (same registry and namespace, so one scrape gets both).
	if n.cfg.Comet.Instrumentation.Prometheus {
		cfg.Registerer = prometheus.DefaultRegisterer
	}
	var err error
	n.stream, err = cometstream.Open(cfg)
	var already prometheus.AlreadyRegisteredError
	if errors.As(err, &already) {
		// A second node in one process (tests): keep its metrics private.
		cfg.Registerer = nil
		n.stream, err = cometstream.Open(cfg)
	}
	if err != nil {
		return nil, err
	}
	n.log = n.stream.Log()
	return n.stream.Wrap(n.ledger)
}

// Start starts the stream service, the Web API, then CometBFT. An error
// carries a hint when its cause is known (an address in use).
func (n *Node) Start() error {
	if err := n.start(); err != nil {
		return withHint(n.cfg.Home, err)
	}
	n.logger.Info("node started", "version", Version, "cometbft", version.TMCoreSemVer,
		"rpc", n.cfg.Comet.RPC.ListenAddress, "web_api", n.WebAddr(), "stream", n.StreamAddr())
	return nil
}

func (n *Node) start() error {
	if n.stream != nil {
		blocks, err := cometstream.NodeBlocks(n.comet)
		if err != nil {
			return err
		}
		if err := n.stream.Start(blocks); err != nil {
			return err
		}
	}
	if err := n.web.Start(); err != nil {
		return err
	}
	n.watch.mark() // the stall check counts from here until the first Commit
	if err := n.comet.Start(); err != nil {
		return fmt.Errorf("start CometBFT: %w", err)
	}
	return nil
}

// Stop closes every subscriber with 1001 (going away), stops the Web API and
// CometBFT, and closes the databases. It waits for everything the node
// started, or until ctx ends.
func (n *Node) Stop(ctx context.Context) error {
	var errs []error
	errs = append(errs, n.web.Close(ctx))
	if n.comet.IsRunning() {
		if err := n.comet.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("stop CometBFT: %w", err))
		}
		n.comet.Wait()
	}
	// After CometBFT, whose last Commit may still append to the log.
	if n.stream != nil {
		errs = append(errs, n.stream.Close(ctx))
		n.stream = nil
	}
	n.closeResources()
	n.logger.Info("node stopped")
	return errors.Join(errs...)
}

func (n *Node) closeResources() {
	n.stopCometServices()
	n.dbs.closeAll()
	if n.ledger != nil {
		if err := n.ledger.Close(); err != nil {
			n.logger.Error("close ledger", "error", err)
		}
	}
	if n.stream != nil {
		_ = n.stream.Close(context.Background())
	}
}

// stopCometServices stops what CometBFT's NewNode starts before its Start
// (the event bus, whose end also ends the indexer's routine, and the
// application connections), which its Stop leaves running when Start was
// never called, and in part even when it was. Stopping one already
// stopped only returns an error, of no interest here.
func (n *Node) stopCometServices() {
	if n.comet == nil || n.comet.IsRunning() {
		return
	}
	if bus := n.comet.EventBus(); bus != nil && bus.IsRunning() {
		_ = bus.Stop()
	}
	if app := n.comet.ProxyApp(); app != nil && app.IsRunning() {
		_ = app.Stop()
	}
}

// Log returns the event log, nil when the stream is disabled.
func (n *Node) Log() *events.Log { return n.log }

// StreamAddr returns the stream's listen address, "" when disabled or not
// started.
func (n *Node) StreamAddr() string {
	if n.stream == nil || n.stream.Addr() == nil {
		return ""
	}
	return n.stream.Addr().String()
}

// WebAddr returns the Web API's listen address, "" before Start.
func (n *Node) WebAddr() string {
	if a := n.web.Addr(); a != nil {
		return a.String()
	}
	return ""
}

// RPCAddr returns CometBFT's RPC listen address (host:port).
func (n *Node) RPCAddr() string {
	addr := n.cfg.Comet.RPC.ListenAddress
	if _, rest, ok := strings.Cut(addr, "://"); ok {
		addr = rest
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return ""
	}
	return addr
}
