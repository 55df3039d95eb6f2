package events

import (
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/go-hclog"
)

// Defaults of LogConfig.
const (
	DefaultRetryMin   = 100 * time.Millisecond
	DefaultRetryMax   = 5 * time.Second
	DefaultMaxPending = 1024
)

// Source rebuilds committed blocks the log missed (CometBFT's block and
// state stores, through an adapter of the embedding package).
type Source interface {
	// Block returns the block event at height h, or an error (e.g. the
	// height was pruned from the source or is not committed yet).
	Block(h int64) (*Block, error)
}

// LogConfig configures a Log. Only Store is required.
type LogConfig struct {
	// Store keeps the blocks.
	Store Store

	// Source, when set, rebuilds heights the log holds nowhere: a gap in
	// the heights handed to Append, blocks dropped from memory past
	// MaxPending, and the heights Fill and Reconcile ask for. Without it a
	// gap leaves the log degraded until the process restarts and the
	// embedder reconciles.
	Source Source

	// Logger receives the degraded and recovered notices. Defaults to
	// discarding.
	Logger hclog.Logger

	// RetryMin and RetryMax bound the exponential backoff between attempts
	// to write a missing height. Default to 100ms and 5s.
	RetryMin, RetryMax time.Duration

	// MaxPending is how many blocks Append keeps in memory while the log is
	// degraded. Past it, with a Source, newer blocks are not kept and are
	// fetched from the Source when their turn comes; without a Source
	// nothing is dropped, since nothing could bring it back. Defaults to
	// 1024.
	MaxPending int
}

func (c LogConfig) withDefaults() (LogConfig, error) {
	var errs []error
	if c.Store == nil {
		errs = append(errs, errors.New("store is required"))
	}
	if c.Logger == nil {
		c.Logger = hclog.NewNullLogger()
	}
	if c.RetryMin < 0 || c.RetryMax < 0 {
		errs = append(errs, fmt.Errorf("retry %v to %v: want durations of 0 (default) or more", c.RetryMin, c.RetryMax))
	}
	if c.RetryMin == 0 {
		c.RetryMin = DefaultRetryMin
	}
	if c.RetryMax == 0 {
		c.RetryMax = max(DefaultRetryMax, c.RetryMin)
	}
	if c.RetryMax < c.RetryMin {
		errs = append(errs, fmt.Errorf("retry max %v is less than retry min %v", c.RetryMax, c.RetryMin))
	}
	switch {
	case c.MaxPending == 0:
		c.MaxPending = DefaultMaxPending
	case c.MaxPending < 0:
		errs = append(errs, fmt.Errorf("max pending %d: want 0 (default) or more", c.MaxPending))
	}
	if err := errors.Join(errs...); err != nil {
		return c, fmt.Errorf("event log config: %w", err)
	}
	return c, nil
}
