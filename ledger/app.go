package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/hashicorp/go-hclog"
	"github.com/syndtr/goleveldb/leveldb"
)

// Version is reported in Info so operators can tell ledger builds apart.
const Version = "0.3.0"

// Config configures an App.
type Config struct {
	// Dir is the directory that holds the ledger's database (in a
	// "ledger.db" subfolder). Required.
	Dir string
	// Logger receives the ledger's logs. Defaults to a null logger.
	Logger hclog.Logger
}

// App is the ledger's ABCI application. Its methods are safe for
// concurrent use: CometBFT calls them from several connections, and the
// Web API reads through Transaction and BlockTxIDs at the same time.
type App struct {
	// BaseApplication answers the calls the ledger has no opinion on
	// (proposals, vote extensions, snapshots, app mempool).
	abcitypes.BaseApplication

	log hclog.Logger
	db  *leveldb.DB

	mu        sync.Mutex
	closed    bool
	committed state   // last state written by Commit
	staged    *staged // FinalizeBlock's result, waiting for Commit

	// height and wake announce each Commit (see Committed).
	height atomic.Int64
	wake   atomic.Pointer[chan struct{}]
}

var _ abcitypes.Application = (*App)(nil)

// New opens (or creates) the ledger in cfg.Dir and resumes from its last
// committed block.
func New(cfg Config) (*App, error) {
	if cfg.Dir == "" {
		return nil, errors.New("ledger: Config.Dir is required")
	}
	log := cfg.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	log = log.Named("ledger")
	db, err := leveldb.OpenFile(filepath.Join(cfg.Dir, "ledger.db"), nil)
	if err != nil {
		return nil, fmt.Errorf("ledger: open database: %w", err)
	}
	st, err := loadState(db)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("ledger: load state: %w", err)
	}
	if st, err = upgradeStore(db, st, log); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("ledger: upgrade store: %w", err)
	}
	log.Info("ledger opened", "dir", cfg.Dir, "height", st.height)
	a := &App{log: log, db: db, committed: st}
	wake := make(chan struct{})
	a.wake.Store(&wake)
	a.height.Store(st.height)
	return a, nil
}

// Close closes the database. Staged but uncommitted work is dropped, as a
// crash would drop it; CometBFT replays that block on restart.
func (a *App) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil
	}
	a.closed = true
	a.staged = nil
	if err := a.db.Close(); err != nil {
		return fmt.Errorf("ledger: close database: %w", err)
	}
	return nil
}

// Info reports the last committed block so that CometBFT knows which
// blocks to replay.
func (a *App) Info(context.Context, *abcitypes.RequestInfo) (*abcitypes.ResponseInfo, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return &abcitypes.ResponseInfo{
		Data:             "cometstream-ledger",
		Version:          Version,
		LastBlockHeight:  a.committed.height,
		LastBlockAppHash: bytes.Clone(a.committed.appHash),
	}, nil
}

// InitChain accepts any genesis: the ledger starts empty, so the genesis
// app hash is empty too.
func (a *App) InitChain(_ context.Context, req *abcitypes.RequestInitChain) (*abcitypes.ResponseInitChain, error) {
	a.log.Info("init chain", "chain_id", req.ChainId, "initial_height", req.InitialHeight)
	return &abcitypes.ResponseInitChain{}, nil
}
