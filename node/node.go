package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	nm "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"
	"github.com/cometbft/cometbft/version"
	"github.com/hashicorp/go-hclog"

	"github.com/cometstream/cometstream/abci"
	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/internal/fault"
	"github.com/cometstream/cometstream/ledger"
	"github.com/cometstream/cometstream/streamsvc"
	"github.com/cometstream/cometstream/tlsreload"
	"github.com/cometstream/cometstream/webapi"
)

// Version is the cometstream version reported by the API root.
const Version = "0.1.0"

// Node is a running (or ready) cometstream node.
type Node struct {
	cfg    Config
	logger hclog.Logger

	ledger *ledger.App
	log    *events.Log       // nil when the stream is disabled
	stream *streamsvc.Server // nil when the stream is disabled
	web    *webapi.Server
	certs  []*tlsreload.Cert // reloaded on SIGHUP
	tokens *streamsvc.Tokens // reloaded on SIGHUP
	comet  *nm.Node
	dbs    *dbTracker
}

// New builds the node from cfg. CometBFT's handshake runs here, replaying
// any committed blocks the application lacks, so the event log exists
// before it: replayed blocks reach the stream like live ones.
func New(cfg Config, logger hclog.Logger) (n *Node, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	n = &Node{cfg: cfg, logger: logger, dbs: &dbTracker{}}
	defer func() {
		if err != nil {
			n.closeResources()
		}
	}()

	n.ledger, err = ledger.New(ledger.Config{Dir: filepath.Join(cfg.Comet.DBDir(), "ledger.db"), Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	var app abcitypes.Application = n.ledger
	advertised := ""
	if cfg.Stream.Enable {
		if app, err = n.setupStream(); err != nil {
			return nil, err
		}
		advertised = cfg.Stream.AdvertisedURL
	}
	root, err := streamsvc.NewRootHandler(streamsvc.RootConfig{AdvertisedURL: advertised, Version: Version})
	if err != nil {
		return nil, err
	}
	webTLS, err := n.webTLS()
	if err != nil {
		return nil, err
	}
	if n.web, err = webapi.New(webapi.Config{Addr: cfg.WebAPI.ListenAddr, Root: root, Logger: logger, TLS: webTLS}); err != nil {
		return nil, err
	}

	// privval.LoadFilePV exits the process on a missing file: check first.
	keyFile, stateFile := cfg.Comet.PrivValidatorKeyFile(), cfg.Comet.PrivValidatorStateFile()
	if !fileExists(keyFile) || !fileExists(stateFile) {
		return nil, fmt.Errorf("validator key %s or state %s missing: run 'cometstream init --home %s'", keyFile, stateFile, cfg.Home)
	}
	pv := privval.LoadFilePV(keyFile, stateFile)
	nodeKey, err := p2p.LoadNodeKey(cfg.Comet.NodeKeyFile())
	if err != nil {
		return nil, fmt.Errorf("load node key: %w", err)
	}
	n.comet, err = nm.NewNode(cfg.Comet, pv, nodeKey, proxy.NewLocalClientCreator(app),
		nm.DefaultGenesisDocProviderFunc(cfg.Comet), n.dbs.provider,
		nm.DefaultMetricsProvider(cfg.Comet.Instrumentation), newCometLogger(logger, cfg.Comet.LogLevel))
	if err != nil {
		return nil, fmt.Errorf("create CometBFT node: %w", err)
	}
	if err := n.setupLedgerAPI(); err != nil {
		return nil, err
	}
	n.web.Handle("GET /healthz", n.healthHandler())
	if n.log != nil {
		if err := n.reconcile(); err != nil {
			return nil, fmt.Errorf("reconcile the event log with CometBFT's stores: %w", err)
		}
	}
	return n, nil
}

func (n *Node) setupStream() (abcitypes.Application, error) {
	s := n.cfg.Stream
	plan, err := fault.FromEnv()
	if err != nil {
		return nil, err
	}
	if plan.Armed() {
		n.logger.Warn("fault injection armed: the process will exit", "point", plan.Point, "height", plan.Height)
	}
	store, err := events.OpenSegmentStore(events.SegmentConfig{
		Dir:           filepath.Join(n.cfg.Comet.DBDir(), "eventlog"),
		RetainHeights: s.RetainHeights,
		RetainBytes:   s.RetainBytes,
		CacheBlocks:   s.CacheBlocks,
		Logger:        n.logger.Named("eventlog"),
		FaultMidWrite: func(h int64) bool { return plan.Hit(fault.MidLogWrite, h) },
		Exit:          func() { fault.Exit(fault.MidLogWrite, plan.Height) },
	})
	if err != nil {
		return nil, fmt.Errorf("open event log: %w", err)
	}
	if n.log, err = events.NewLog(store, n.logger); err != nil {
		_ = store.Close()
		return nil, err
	}
	sc, err := n.streamSecurity()
	if err != nil {
		return nil, err
	}
	n.stream, err = streamsvc.New(streamsvc.Config{
		TLS:                     sc.tls,
		Tokens:                  sc.tokens,
		Metrics:                 sc.metrics,
		EnableCompression:       s.Compression,
		MaxConnections:          s.MaxConnections,
		MaxConnectionsPerIP:     s.MaxConnsPerIP,
		ClientMessagesPerSecond: s.ClientMsgsPerSec,
		Log:                     n.log,
		Addr:                    s.ListenAddr,
		Logger:                  n.logger,
		WriteTimeout:            s.WriteTimeout,
		PingInterval:            s.PingInterval,
		PongTimeout:             s.PongTimeout,
		ReadLimit:               s.ReadLimit,
		HandshakeTimeout:        s.HandshakeTimeout,
		AllowedOrigins:          s.AllowedOrigins,
		MaxLagHeights:           s.MaxLagHeights,
	})
	if err != nil {
		return nil, err
	}
	mw := abci.Config{App: n.ledger, Sink: faultSink{n.log, plan, sc.metrics}, Decoder: events.Planetmint{}, Logger: n.logger}
	if plan.Armed() {
		mw.Fault = func(point string, h int64) {
			if plan.Hit(point, h) {
				fault.Exit(point, h)
			}
		}
	}
	return abci.New(mw)
}

// faultSink appends to the log, exiting around the append when a crash
// test armed a fault there.
type faultSink struct {
	log     *events.Log
	plan    fault.Plan
	metrics *streamsvc.Metrics
}

func (f faultSink) Append(b *events.Block) (bool, error) {
	if f.plan.Hit(fault.BeforeLogWrite, b.Height) {
		fault.Exit(fault.BeforeLogWrite, b.Height)
	}
	start := time.Now()
	added, err := f.log.Append(b)
	f.metrics.HandOff.Observe(time.Since(start).Seconds())
	if f.plan.Hit(fault.AfterLogWrite, b.Height) {
		fault.Exit(fault.AfterLogWrite, b.Height)
	}
	return added, err
}

// Start starts the stream service, the Web API, then CometBFT.
func (n *Node) Start() error {
	if n.stream != nil {
		if err := n.stream.Start(); err != nil {
			return err
		}
	}
	if err := n.web.Start(); err != nil {
		return err
	}
	if err := n.comet.Start(); err != nil {
		return fmt.Errorf("start CometBFT: %w", err)
	}
	n.logger.Info("node started", "version", Version, "cometbft", version.TMCoreSemVer,
		"rpc", n.cfg.Comet.RPC.ListenAddress, "web_api", n.WebAddr(), "stream", n.StreamAddr())
	return nil
}

// Stop closes every subscriber with 1001 (going away), stops the Web API and
// CometBFT, and closes the databases. It waits for everything the node
// started, or until ctx ends.
func (n *Node) Stop(ctx context.Context) error {
	var errs []error
	if n.stream != nil {
		errs = append(errs, n.stream.Close(ctx))
	}
	errs = append(errs, n.web.Close(ctx))
	if n.comet.IsRunning() {
		if err := n.comet.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("stop CometBFT: %w", err))
		}
		n.comet.Wait()
	}
	n.closeResources()
	n.logger.Info("node stopped")
	return errors.Join(errs...)
}

func (n *Node) closeResources() {
	n.dbs.closeAll()
	if n.ledger != nil {
		if err := n.ledger.Close(); err != nil {
			n.logger.Error("close ledger", "error", err)
		}
	}
	if n.log != nil {
		_ = n.log.Close()
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
