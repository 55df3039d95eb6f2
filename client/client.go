package client

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/hashicorp/go-hclog"

	"github.com/cometstream/cometstream/wire"
)

// Client follows one stream across reconnections and delivers each event
// once, in chain order. One Run at a time: a concurrent call fails.
type Client struct {
	cfg    Config
	bases  []string
	logger hclog.Logger

	running atomic.Bool
	// Touched only by the goroutine in Run.
	pos  position
	next int // index in bases of the next URL to dial
}

// New validates cfg and returns a Client; it connects nothing until Run.
func New(cfg Config) (*Client, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	bases := make([]string, len(cfg.URLs))
	for i, u := range cfg.URLs {
		bases[i], _ = parseBase(u) // checked by setDefaults
	}
	return &Client{
		cfg:    cfg,
		bases:  bases,
		logger: cfg.Logger.Named("client"),
		pos:    position{blocks: cfg.Blocks, height: cfg.FromHeight},
	}, nil
}

// Run connects and calls handler with each event, in order, from its own
// goroutine, one call at a time. It reconnects after failures (dial errors,
// 5xx, closes, read timeouts, protocol violations) with backoff, moving to
// the next URL each time, and resumes where delivery stopped, so handler
// sees each event exactly once.
//
// Run returns:
//   - ctx.Err() when ctx ends, after closing the connection with 1000;
//   - handler's error, unwrapped, when handler fails; that event counts as
//     not delivered, so a later Run on the same Client starts with it;
//   - a *PrunedError (errors.Is ErrPruned) when a node no longer keeps the
//     height delivery must resume from;
//   - a *StatusError (errors.Is ErrRejected) when a node refuses the
//     request itself, such as 400 for a malformed filter.
//
// A later Run continues from the same position.
func (c *Client) Run(ctx context.Context, handler func(Event) error) error {
	if handler == nil {
		return errors.New("client: nil handler")
	}
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("client: Run is already running")
	}
	defer c.running.Store(false)

	failures := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		base := c.bases[c.next]
		c.next = (c.next + 1) % len(c.bases)
		healthy, err := c.session(ctx, base, handler)
		var stop *stopError
		if errors.As(err, &stop) {
			return stop.err
		}
		if healthy {
			failures = 0
		} else {
			failures++
		}
		wait := c.backoff(failures)
		c.logger.Debug("reconnecting", "after", wait, "failures", failures, "next_url", c.bases[c.next])
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// stopError carries an error that ends Run instead of a reconnection.
type stopError struct{ err error }

func (e *stopError) Error() string { return e.err.Error() }

func stop(err error) error { return &stopError{err: err} }

// NextHeight asks the URLs in turn for the height of the next block the
// node will commit (the Cometstream-Next-Height of a live valid_blocks
// subscription, opened and closed at once). It returns 0 when the node has
// not committed a block yet, and an error listing every URL's failure when
// none answers.
func (c *Client) NextHeight(ctx context.Context) (int64, error) {
	var errs []error
	for _, base := range c.bases {
		u := base + wire.PathBlocks
		conn, resp, err := c.cfg.Dialer.DialContext(ctx, u, c.cfg.Header)
		if err != nil {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			errs = append(errs, fmt.Errorf("%s: %w", u, err))
			continue
		}
		h := nextHeightHeader(resp.Header)
		c.closeNow(conn, 1000)
		return h, nil
	}
	return 0, fmt.Errorf("client: no node answered: %w", errors.Join(errs...))
}
