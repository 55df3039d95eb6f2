package webapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/hashicorp/go-hclog"

	"github.com/cometstream/cometstream/ledger"
)

// Ledger is what the routes read and validate with; *ledger.App
// implements it. Reads see committed state only.
type Ledger interface {
	// Validate applies CheckTx's rules; a refusal is a *ledger.RejectError.
	Validate(tx []byte) error
	Transaction(id string) ([]byte, bool, error)
	TxHeight(id string) (int64, bool, error)
	// Height is the last committed block's, 0 before the first.
	Height() int64
	Block(height int64) (ledger.Block, bool, error)
	Outputs(publicKey string, spent *bool) ([]ledger.OutputRef, error)
	AssetTransactions(assetID string, max int) ([]ledger.AssetTx, error)
	LastAssetTransaction(assetID, operation string) (ledger.AssetTx, bool, error)
	AssetCIDTransactions(cid string, max int) ([]string, error)
	MetadataCIDTransactions(cid string, max int) ([]string, error)
}

// Broadcaster hands a transaction to CometBFT's mempool, as its RPC
// broadcast_tx_{async,sync,commit} do. In a node, async and sync are
// CometBFT's in-process client's (rpc/client/local) and BroadcastTxCommit
// is a CommitWaiter's: never CometBFT's own, which puts a query per
// waiter on its event bus. BroadcastTxCommit must return when ctx ends,
// and returns ErrTooManyWaiters (503) when too many wait.
type Broadcaster interface {
	BroadcastTxAsync(ctx context.Context, tx cmttypes.Tx) (*coretypes.ResultBroadcastTx, error)
	BroadcastTxSync(ctx context.Context, tx cmttypes.Tx) (*coretypes.ResultBroadcastTx, error)
	BroadcastTxCommit(ctx context.Context, tx cmttypes.Tx) (*coretypes.ResultBroadcastTxCommit, error)
}

// APIConfig configures the Planetmint transaction, output, block, asset
// and metadata routes.
type APIConfig struct {
	// Ledger is required.
	Ledger Ledger
	// Broadcaster is required.
	Broadcaster Broadcaster
	// Logger defaults to a null logger.
	Logger hclog.Logger
	// MaxBodyBytes bounds a posted transaction; larger bodies get 413.
	// Defaults to 1 MiB, CometBFT's default largest transaction.
	MaxBodyBytes int64
	// CommitTimeout bounds the wait of mode=commit for the block; past
	// it the answer is 504 (the transaction may still be committed).
	// Defaults to 15s, below the server's write timeout.
	CommitTimeout time.Duration
}

// API serves the Planetmint HTTP API's transactions, outputs, blocks,
// assets and metadata routes under /api/v1. Every answer is JSON, errors included, and
// carries Access-Control-Allow-Origin: * as Planetmint's does.
type API struct {
	cfg APIConfig
	log hclog.Logger
}

// NewAPI validates cfg and returns the routes; Register puts them on a
// Server.
func NewAPI(cfg APIConfig) (*API, error) {
	if cfg.Ledger == nil || cfg.Broadcaster == nil {
		return nil, errors.New("web api: Ledger and Broadcaster are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.CommitTimeout <= 0 {
		cfg.CommitTimeout = 15 * time.Second
	}
	return &API{cfg: cfg, log: cfg.Logger.Named("webapi")}, nil
}

// Register adds the routes to s. Both spellings of the list routes are
// served, with and without the trailing slash: the API root advertises
// "/transactions/", the JavaScript driver posts to "transactions".
func (a *API) Register(s *Server) {
	for pattern, h := range a.routes() {
		s.Handle(pattern, h)
	}
}

func (a *API) routes() map[string]http.Handler {
	txs := methods{http.MethodPost: a.postTransaction, http.MethodGet: a.listTransactions}
	outputs := methods{http.MethodGet: a.getOutputs}
	blocks := methods{http.MethodGet: a.listBlocks}
	assets := methods{http.MethodGet: a.searchAssets}
	metadata := methods{http.MethodGet: a.searchMetadata}
	return map[string]http.Handler{
		"/api/v1/transactions":      txs,
		"/api/v1/transactions/{$}":  txs,
		"/api/v1/transactions/{id}": methods{http.MethodGet: a.getTransaction},
		"/api/v1/outputs":           outputs,
		"/api/v1/outputs/{$}":       outputs,
		"/api/v1/blocks":            blocks,
		"/api/v1/blocks/{$}":        blocks,
		"/api/v1/blocks/latest":     methods{http.MethodGet: a.latestBlock},
		"/api/v1/blocks/{height}":   methods{http.MethodGet: a.getBlock},
		"/api/v1/assets":            assets,
		"/api/v1/assets/{$}":        assets,
		"/api/v1/assets/{cid}":      methods{http.MethodGet: a.getAssets},
		"/api/v1/metadata":          metadata,
		"/api/v1/metadata/{$}":      metadata,
		"/api/v1/metadata/{cid}":    methods{http.MethodGet: a.getMetadata},
	}
}
