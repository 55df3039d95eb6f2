package webapi

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/hashicorp/go-hclog"
)

// CommitFeed is the committed-block feed that mode=commit waits on: in a
// node, the event log (its blocks keep every transaction's hash and
// result), or with the stream off the ledger's commits and CometBFT's
// stored blocks and results. Its reads run on the CommitWaiter's one
// goroutine, never on consensus's.
type CommitFeed interface {
	// Committed returns the newest committed height the feed has (0
	// before the first) and a channel closed once a newer one is there.
	Committed() (height int64, next <-chan struct{})
	// Block returns every transaction of committed height h, refused
	// ones included, with its FinalizeBlock result.
	Block(h int64) ([]CommittedTx, error)
}

// CommittedTx is one transaction of a committed block.
type CommittedTx struct {
	// Hash is CometBFT's tx hash, the SHA-256 of the transaction.
	Hash   [sha256.Size]byte
	Result abcitypes.ExecTxResult
}

// CommitWaiterConfig configures a CommitWaiter.
type CommitWaiterConfig struct {
	// Feed is required.
	Feed CommitFeed
	// Submit hands a transaction to the mempool and returns CheckTx's
	// answer: CometBFT's in-process BroadcastTxSync. Required.
	Submit func(context.Context, cmttypes.Tx) (*coretypes.ResultBroadcastTx, error)
	// MaxWaiters caps the commit posts waiting at once; past it
	// BroadcastTxCommit returns ErrTooManyWaiters (503 with Retry-After).
	// Defaults to DefaultMaxCommitWaiters.
	MaxWaiters int
	// Logger defaults to a null logger.
	Logger hclog.Logger
}

// DefaultMaxCommitWaiters is CommitWaiterConfig.MaxWaiters' default:
// above the 2,000 concurrent posts of the benchmark, so that it measures
// the wait, while a waiter costs a map entry and the handler's goroutine.
const DefaultMaxCommitWaiters = 5000

// ErrTooManyWaiters is returned by BroadcastTxCommit when MaxWaiters
// commit posts already wait; the transaction was not submitted.
var ErrTooManyWaiters = errors.New("too many transactions are waiting for their block")

// CommitWaiter implements broadcast_tx_commit without CometBFT's event
// bus: a waiter is a map entry keyed by the transaction's hash, and one
// goroutine follows the feed and answers the waiters of each committed
// block. CometBFT's own BroadcastTxCommit subscribes every caller to its
// event bus with a query of its own, which consensus then matches against
// every transaction of every block (a flood of commit posts stalled the
// chain); here consensus does nothing per waiter.
//
// The goroutine runs only while someone waits: the first waiter starts
// it, and it returns once none is left.
type CommitWaiter struct {
	cfg CommitWaiterConfig
	log hclog.Logger

	mu      sync.Mutex
	waiters map[[sha256.Size]byte][]*waiter
	count   int
	running bool          // the follower goroutine is running
	next    int64         // the first height the follower has not read
	kick    chan struct{} // tells the follower the last waiter left
	done    chan struct{} // closed when the current follower returns
}

type waiter struct {
	result chan commitResult // buffered: the follower never blocks on it
}

type commitResult struct {
	height int64
	res    abcitypes.ExecTxResult
}

// NewCommitWaiter validates cfg. It starts nothing until the first wait.
func NewCommitWaiter(cfg CommitWaiterConfig) (*CommitWaiter, error) {
	if cfg.Feed == nil || cfg.Submit == nil {
		return nil, errors.New("commit waiter: Feed and Submit are required")
	}
	if cfg.MaxWaiters < 0 {
		return nil, fmt.Errorf("commit waiter: MaxWaiters %d is negative", cfg.MaxWaiters)
	}
	if cfg.MaxWaiters == 0 {
		cfg.MaxWaiters = DefaultMaxCommitWaiters
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	return &CommitWaiter{
		cfg:     cfg,
		log:     cfg.Logger.Named("commits"),
		waiters: map[[sha256.Size]byte][]*waiter{},
		kick:    make(chan struct{}, 1),
	}, nil
}

// Waiting returns how many commit posts wait for their block.
func (c *CommitWaiter) Waiting() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.count
}

// Idle returns a channel closed once no follower goroutine runs (at once
// when none does), for tests and for a shutdown that wants to wait.
func (c *CommitWaiter) Idle() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running {
		closed := make(chan struct{})
		close(closed)
		return closed
	}
	return c.done
}

// BroadcastTxCommit submits tx as BroadcastTxSync does and, once CheckTx
// accepted it, waits until the block holding it is committed (the
// result's Height and TxResult say how it fared there) or ctx ends. It
// returns ErrTooManyWaiters, without submitting, when MaxWaiters wait.
func (c *CommitWaiter) BroadcastTxCommit(ctx context.Context, tx cmttypes.Tx) (*coretypes.ResultBroadcastTxCommit, error) {
	// Registered before the submission, so the block cannot be missed.
	w, err := c.register(tx)
	if err != nil {
		return nil, err
	}
	defer c.unregister(tx, w)
	res, err := c.cfg.Submit(ctx, tx)
	if err != nil {
		return nil, err
	}
	out := &coretypes.ResultBroadcastTxCommit{
		CheckTx: abcitypes.ResponseCheckTx{Code: res.Code, Data: res.Data, Log: res.Log, Codespace: res.Codespace},
		Hash:    res.Hash,
	}
	if res.Code != abcitypes.CodeTypeOK {
		return out, nil
	}
	select {
	case r := <-w.result:
		out.TxResult, out.Height = r.res, r.height
		return out, nil
	case <-ctx.Done():
		return out, ctx.Err()
	}
}

func (c *CommitWaiter) register(tx cmttypes.Tx) (*waiter, error) {
	key := sha256.Sum256(tx)
	// Read before the submission, so the transaction's block comes after
	// it; outside mu, so that no feed lock is taken under it.
	newest, _ := c.cfg.Feed.Committed()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.count >= c.cfg.MaxWaiters {
		return nil, ErrTooManyWaiters
	}
	w := &waiter{result: make(chan commitResult, 1)}
	c.waiters[key] = append(c.waiters[key], w)
	c.count++
	if !c.running {
		c.next = newest + 1
		c.running = true
		c.done = make(chan struct{})
		go c.follow(c.done)
	}
	return w, nil
}

// unregister removes w unless the follower already did (it answered).
func (c *CommitWaiter) unregister(tx cmttypes.Tx, w *waiter) {
	key := sha256.Sum256(tx)
	c.mu.Lock()
	defer c.mu.Unlock()
	ws := c.waiters[key]
	for i, x := range ws {
		if x == w {
			c.remove(key, i)
			break
		}
	}
	if c.count == 0 {
		select {
		case c.kick <- struct{}{}:
		default:
		}
	}
}

// remove drops the i-th waiter of key. Called with mu held.
func (c *CommitWaiter) remove(key [sha256.Size]byte, i int) {
	ws := c.waiters[key]
	if len(ws) == 1 {
		delete(c.waiters, key)
	} else {
		c.waiters[key] = append(ws[:i:i], ws[i+1:]...)
	}
	c.count--
}

// follow reads each committed block while anyone waits and answers the
// waiters of its transactions. It returns once none is left.
func (c *CommitWaiter) follow(done chan struct{}) {
	defer close(done)
	for {
		newest, next := c.cfg.Feed.Committed()
		c.mu.Lock()
		if c.count == 0 {
			c.running = false
			c.mu.Unlock()
			return
		}
		from := c.next
		c.mu.Unlock()
		for h := from; h <= newest; h++ {
			c.answer(h)
			c.mu.Lock()
			c.next = h + 1
			c.mu.Unlock()
		}
		select {
		case <-next:
		case <-c.kick:
			// The last waiter left; a stale kick from an earlier
			// follower only costs one more look.
		}
	}
}

// answer reads height h and hands each waiting transaction its result.
func (c *CommitWaiter) answer(h int64) {
	if c.Waiting() == 0 {
		return
	}
	txs, err := c.cfg.Feed.Block(h)
	if err != nil {
		// Its waiters time out (504: the transaction may be committed).
		c.log.Error("reading a committed block for the commit waiters failed", "height", h, "error", err)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, tx := range txs {
		ws := c.waiters[tx.Hash]
		if len(ws) == 0 {
			continue
		}
		for _, w := range ws {
			w.result <- commitResult{height: h, res: tx.Result}
		}
		delete(c.waiters, tx.Hash)
		c.count -= len(ws)
	}
}
