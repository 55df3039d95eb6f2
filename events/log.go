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
type Log struct {
	store  Store
	logger hclog.Logger

	mu   sync.Mutex                    // serialises Append
	wake atomic.Pointer[chan struct{}] // closed by the next Append
	// first is the height of the first block ever appended (0 before), where
	// a reader made on the empty log starts, so that it too gets a
	// *PrunedError, not a silent gap, when it falls behind before its first
	// read.
	first atomic.Int64
}

// NewLog returns a log kept in store. A nil logger discards.
func NewLog(store Store, logger hclog.Logger) (*Log, error) {
	if store == nil {
		return nil, errors.New("event log: store is required")
	}
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	l := &Log{store: store, logger: logger.Named("eventlog")}
	wake := make(chan struct{})
	l.wake.Store(&wake)
	return l, nil
}

// Append adds a committed block and wakes the readers. A height at or below
// the newest one is a block re-executed after a restart: it is ignored and
// added is false. A height past newest+1 means blocks were never recorded;
// the log then restarts at b, and readers still behind it get a
// *PrunedError rather than a silent gap.
func (l *Log) Append(b *Block) (added bool, err error) {
	if b == nil || b.Height < 1 {
		// Height 0 means "none" to Bounds and Reader; heights start at 1.
		return false, errors.New("append: block height must be at least 1")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	_, newest := l.store.Bounds()
	if newest != 0 && b.Height <= newest {
		return false, nil
	}
	if b.Appended.IsZero() {
		b.Appended = time.Now()
	}
	err = l.store.Append(b)
	if errors.Is(err, ErrGap) {
		l.logger.Warn("gap in committed heights, restarting the log", "newest", newest, "height", b.Height)
		if err = l.store.Reset(); err == nil {
			err = l.store.Append(b)
		}
	}
	if err != nil {
		return false, fmt.Errorf("append height %d: %w", b.Height, err)
	}
	l.first.CompareAndSwap(0, b.Height)
	next := make(chan struct{})
	old := l.wake.Swap(&next)
	// close readies every waiting reader, O(N): not on Commit's goroutine.
	go close(*old)
	return true, nil
}

// Wait returns a channel closed by the next successful Append. Take it
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

// Close closes the store.
func (l *Log) Close() error { return l.store.Close() }

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
