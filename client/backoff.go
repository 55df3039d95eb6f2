package client

import (
	"context"
	"math/rand/v2"
	"time"
)

// backoff is the wait before the next attempt after failures consecutive
// failed ones: MinBackoff after a healthy connection or the first failure,
// doubled for each further failure, capped at MaxBackoff, and drawn from
// its upper half so that clients cut off together do not return together.
func (c *Client) backoff(failures int) time.Duration {
	d := c.cfg.MinBackoff
	for i := 1; i < failures && d < c.cfg.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, c.cfg.MaxBackoff)
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(d-half+1)
}

// sleep waits d, or returns ctx.Err() when ctx ends first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
