package events

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
)

// Log is the sequence of committed blocks that stream readers follow. One
// writer (the ABCI middleware, after Commit) appends; any number of Readers
// follow at their own pace without the writer ever waiting for them: an
// Append costs the same whatever the number or speed of readers, and readers
// learn of it by the closing of a channel (Wait). Readers never take the
// writer's lock, and the channel is closed off the writer's goroutine,
// since waking N readers costs O(N).
//
// The store always holds one contiguous run of heights, and the log never
// deletes any of it: only the store's retention does. When a write fails or
// a height arrives past newest+1, the log turns degraded (see Health):
// Append then only queues blocks in memory, and a goroutine of the log
// writes the missing heights in order, from memory or from the Source,
// retrying with backoff, until it has caught up. Readers waiting at the
// missing height simply wait.
type Log struct {
	store      Store
	src        Source
	logger     hclog.Logger
	retryMin   time.Duration
	retryMax   time.Duration
	maxPending int

	// writeMu serialises store writes. Append in degraded mode never takes
	// it, since the filler holds it across writes that may be slow.
	writeMu sync.Mutex
	wake    atomic.Pointer[chan struct{}] // closed after the next write
	// first is the height of the first block ever appended (0 before), where
	// a reader made on the empty log starts, so that it too gets a
	// *PrunedError, not a silent gap, when it falls behind before its first
	// read.
	first        atomic.Int64
	failedWrites atomic.Uint64

	// slow is degraded || closed, for Append's lock-free check; it changes
	// with them, under mu.
	slow atomic.Bool

	mu          sync.Mutex // guards what follows; never held across a write
	closed      bool
	degraded    bool
	reason      string
	missingFrom int64            // the first height not written, while degraded
	target      int64            // the newest height handed to the log while degraded (healthy, the store's newest is)
	pending     map[int64]*Block // blocks waiting for their turn, while degraded
	filled      int64            // heights written by the filler in this episode
	filling     bool             // the filler goroutine was started
	kick        chan struct{}    // tells the filler there is work
	stop        chan struct{}    // closed by Close
	fillDone    chan struct{}    // closed when the filler returns
}

// ErrDegraded is wrapped by the error of the Append that turns the log
// degraded: the block is kept and written later, in the background.
var ErrDegraded = errors.New("event log degraded: the block is written in the background")

// ErrLogClosed is returned by a Log used after Close.
var ErrLogClosed = errors.New("event log closed")

// NewLog returns a log kept in store, with no Source and the default
// retries. A nil logger discards.
func NewLog(store Store, logger hclog.Logger) (*Log, error) {
	return OpenLog(LogConfig{Store: store, Logger: logger})
}

// OpenLog returns a log configured by cfg (see LogConfig). It starts no
// goroutine: the filler starts the first time the log turns degraded, and
// Close stops it.
func OpenLog(cfg LogConfig) (*Log, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	l := &Log{
		store:      cfg.Store,
		src:        cfg.Source,
		logger:     cfg.Logger.Named("eventlog"),
		retryMin:   cfg.RetryMin,
		retryMax:   cfg.RetryMax,
		maxPending: cfg.MaxPending,
		pending:    make(map[int64]*Block),
		kick:       make(chan struct{}, 1),
		stop:       make(chan struct{}),
		fillDone:   make(chan struct{}),
	}
	_, l.target = cfg.Store.Bounds()
	wake := make(chan struct{})
	l.wake.Store(&wake)
	return l, nil
}

// Append adds a committed block and wakes the readers. A height at or below
// the newest one is a block re-executed after a restart: it is ignored and
// added is false.
//
// A failed write, or a height past newest+1 (heights never recorded), turns
// the log degraded: that Append returns false and an error wrapping
// ErrDegraded and the cause, for the caller to log once. While degraded,
// Append only queues b in memory and returns false and nil at once; it never
// waits for a store write. added is true only for a block this call wrote.
func (l *Log) Append(b *Block) (added bool, err error) {
	if b == nil || b.Height < 1 {
		// Height 0 means "none" to Bounds and Reader; heights start at 1.
		return false, errors.New("append: block height must be at least 1")
	}
	// Healthy, the hand-off takes no lock but writeMu: slow is one atomic
	// load, checked again once writeMu is held (the log may have turned
	// degraded meanwhile).
	if l.slow.Load() {
		if queued, err := l.queue(b); queued {
			return false, err
		}
	}
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	if l.slow.Load() {
		if queued, err := l.queue(b); queued {
			return false, err
		}
	}
	_, newest := l.store.Bounds()
	if newest != 0 && b.Height <= newest {
		return false, nil
	}
	if b.Appended.IsZero() {
		b.Appended = time.Now()
	}
	if newest != 0 && b.Height > newest+1 {
		return false, l.degrade(b, newest+1, fmt.Errorf("append height %d after %d: %w", b.Height, newest, ErrGap))
	}
	if err := l.store.Append(b); err != nil {
		err = fmt.Errorf("append height %d: %w", b.Height, err)
		if errors.Is(err, ErrGap) {
			_, newest = l.store.Bounds()
			return false, l.degrade(b, newest+1, err)
		}
		l.failedWrites.Add(1)
		return false, l.degrade(b, b.Height, err)
	}
	l.written(b.Height)
	return true, nil
}

// queue keeps b for the filler when the log is degraded, and reports
// whether it did (or refused b because the log is closed).
func (l *Log) queue(b *Block) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return true, ErrLogClosed
	}
	if !l.degraded {
		return false, nil
	}
	if b.Height < l.missingFrom || l.pending[b.Height] != nil {
		return true, nil
	}
	if b.Appended.IsZero() {
		b.Appended = time.Now()
	}
	if len(l.pending) < l.maxPending || l.src == nil {
		l.pending[b.Height] = b
	}
	l.target = max(l.target, b.Height)
	l.wakeFiller()
	return true, nil
}

// degrade turns the log degraded at height from, keeping b. Called with
// writeMu held.
func (l *Log) degrade(b *Block, from int64, cause error) error {
	l.mu.Lock()
	l.degraded = true
	l.slow.Store(true)
	l.reason = cause.Error()
	l.missingFrom = from
	l.target = max(l.target, b.Height)
	l.pending[b.Height] = b
	l.filled = 0
	l.startFiller()
	l.mu.Unlock()
	l.logger.Error("event log degraded: writing the missing heights in the background",
		"height", b.Height, "missing_from", from, "error", cause)
	return fmt.Errorf("%w (%w)", cause, ErrDegraded)
}

// written records that height h is in the store and wakes the readers.
func (l *Log) written(h int64) {
	l.first.CompareAndSwap(0, h)
	next := make(chan struct{})
	old := l.wake.Swap(&next)
	// close readies every waiting reader, O(N): not on Commit's goroutine.
	go close(*old)
}

// Wait returns a channel closed by the next height written. Take it
// before checking for a block, so that an Append in between is not missed.
func (l *Log) Wait() <-chan struct{} { return *l.wake.Load() }

// Get returns the block at height h (see Store.Get for the errors).
func (l *Log) Get(h int64) (*Block, error) { return l.store.Get(h) }

// Bounds returns the oldest and newest heights held, 0 and 0 when empty.
func (l *Log) Bounds() (oldest, newest int64) { return l.store.Bounds() }

// SizeBytes returns the store's size on disk, or -1 when the store does
// not say.
func (l *Log) SizeBytes() int64 {
	if s, ok := l.store.(interface{ SizeBytes() int64 }); ok {
		return s.SizeBytes()
	}
	return -1
}

// Close stops the filler, waiting for a write or Source call it has under
// way, then closes the store. Blocks still pending are not written: the
// embedder's reconciliation at the next start records them again.
func (l *Log) Close() error {
	l.mu.Lock()
	first := !l.closed
	l.closed = true
	l.slow.Store(true)
	filling, lost := l.filling, l.degraded
	from, target := l.missingFrom, l.target
	l.mu.Unlock()
	if first {
		close(l.stop)
		if lost {
			l.logger.Warn("event log closed while degraded: heights not written",
				"missing_from", from, "target", target)
		}
	}
	if filling {
		<-l.fillDone
	}
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	return l.store.Close()
}

// Reader follows the log block by block. A Reader is used by one goroutine.
type Reader struct {
	log  *Log
	next int64 // 0: the first block appended after the reader was made
}

// NewReader returns a reader whose first block is at height from, or, when
// from <= 0, the first block appended after this call (the live edge).
func (l *Log) NewReader(from int64) *Reader {
	if from <= 0 {
		_, newest := l.Bounds()
		if newest > 0 {
			from = newest + 1
		} else {
			from = 0
		}
	}
	return &Reader{log: l, next: from}
}

// NextHeight returns the height the reader reads next, 0 while it waits for
// the log's first block.
func (r *Reader) NextHeight() int64 { return r.next }

// Lag returns how many committed blocks the reader has yet to read.
func (r *Reader) Lag() int64 {
	next := r.next
	if next == 0 {
		if next = r.log.first.Load(); next == 0 {
			return 0
		}
	}
	_, newest := r.log.Bounds()
	if newest == 0 || next > newest {
		return 0
	}
	return newest - next + 1
}

// TryNext returns the next block and advances, or ErrNotYet when the log has
// not reached it, or a *PrunedError when the reader fell behind the oldest
// block the log keeps.
func (r *Reader) TryNext() (*Block, error) {
	if r.next == 0 {
		first := r.log.first.Load()
		if first == 0 {
			return nil, ErrNotYet
		}
		r.next = first
	}
	b, err := r.log.Get(r.next)
	if err != nil {
		return nil, err
	}
	r.next++
	return b, nil
}

// Next waits for the next block (see TryNext) or for ctx to end.
func (r *Reader) Next(ctx context.Context) (*Block, error) {
	for {
		wake := r.log.Wait()
		b, err := r.TryNext()
		if !errors.Is(err, ErrNotYet) {
			return b, err
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
