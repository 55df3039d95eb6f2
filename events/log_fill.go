package events

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// LogHealth is the state of a Log, for a metric or a health check.
type LogHealth struct {
	// Degraded is true while heights handed to the log are not all
	// written.
	Degraded bool
	// Reason is the latest error that keeps the log degraded, e.g.
	// "append height 70: write ...: no space left on device".
	Reason string
	// MissingFrom is the first height not yet written, 0 when healthy.
	MissingFrom int64
	// Target is the newest height handed to the log (by Append or Fill).
	Target int64
	// FailedWrites counts the store writes that failed since the log was
	// opened.
	FailedWrites uint64
}

// Health returns the log's state.
func (l *Log) Health() LogHealth {
	_, newest := l.store.Bounds()
	l.mu.Lock()
	defer l.mu.Unlock()
	h := LogHealth{Degraded: l.degraded, Target: max(l.target, newest), FailedWrites: l.failedWrites.Load()}
	if l.degraded {
		h.Reason, h.MissingFrom = l.reason, l.missingFrom
	}
	return h
}

// Fill tells the log that heights up to to are committed, so that the
// filler rebuilds from the Source those it lacks, in the background. On a
// log that holds no block and has none pending, it starts at from (the
// oldest height the Source holds); otherwise from is ignored and it starts
// after the newest height the log has. The log is degraded until it has
// caught up. It needs a Source.
func (l *Log) Fill(from, to int64) error {
	if l.src == nil {
		return errors.New("fill: the event log has no source")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrLogClosed
	}
	_, newest := l.store.Bounds()
	if to <= max(newest, l.target) {
		return nil
	}
	if !l.degraded {
		start := newest + 1
		if newest == 0 && l.target == 0 {
			start = max(from, 1)
		}
		if start > to {
			return nil
		}
		l.degraded, l.missingFrom, l.filled = true, start, 0
		l.slow.Store(true)
		l.reason = fmt.Sprintf("catching up heights %d to %d from the source", start, to)
		l.logger.Info("event log catching up from the source", "from", start, "to", to)
	}
	l.target = to
	l.startFiller()
	l.wakeFiller()
	return nil
}

// Reconcile appends, synchronously, the heights from the Source that the
// log lacks up to to, for an embedder to run before it serves anyone. The
// first height is as for Fill. When a write fails the log turns degraded,
// the filler takes over the rest (as Fill would), and Reconcile returns the
// error; an error of the Source is returned as it is.
func (l *Log) Reconcile(ctx context.Context, from, to int64) error {
	if l.src == nil {
		return errors.New("reconcile: the event log has no source")
	}
	_, newest := l.store.Bounds()
	start := newest + 1
	if newest == 0 && l.Health().Target == 0 {
		start = max(from, 1)
	}
	for h := start; h <= to; h++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("reconcile: %w", err)
		}
		b, err := l.blockFromSource(h)
		if err != nil {
			return fmt.Errorf("reconcile: %w", err)
		}
		if _, err := l.Append(b); err != nil && !errors.Is(err, ErrDegraded) {
			return fmt.Errorf("reconcile: %w", err)
		}
		if l.Health().Degraded {
			if err := l.Fill(from, to); err != nil {
				return fmt.Errorf("reconcile: %w", err)
			}
			return fmt.Errorf("reconcile height %d: %w", h, ErrDegraded)
		}
	}
	return nil
}

func (l *Log) blockFromSource(h int64) (*Block, error) {
	b, err := l.src.Block(h)
	switch {
	case err != nil:
		return nil, fmt.Errorf("height %d from the source: %w", h, err)
	case b == nil || b.Height != h:
		return nil, fmt.Errorf("height %d from the source: got another block", h)
	}
	return b, nil
}

// startFiller starts the filler once. Called with mu held.
func (l *Log) startFiller() {
	if !l.filling && !l.closed {
		l.filling = true
		go l.fill()
	}
}

// wakeFiller tells the filler there is work, without waiting.
func (l *Log) wakeFiller() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// fill is the filler: it writes the missing heights in order, while the log
// is degraded, until Close.
func (l *Log) fill() {
	defer close(l.fillDone)
	var delay time.Duration
	for {
		h, b, ok := l.nextMissing()
		if !ok || (b == nil && l.src == nil) {
			// Healthy, or a height only a Source could give: wait for news.
			select {
			case <-l.kick:
				continue
			case <-l.stop:
				return
			}
		}
		var err error
		if b == nil {
			b, err = l.blockFromSource(h)
			if err != nil {
				err = fmt.Errorf("fill: %w", err)
			}
		}
		if err == nil {
			err = l.writeMissing(b)
		}
		if err == nil {
			delay = 0
			continue
		}
		l.mu.Lock()
		l.reason = err.Error()
		l.mu.Unlock()
		delay = min(max(2*delay, l.retryMin), l.retryMax)
		l.logger.Debug("event log: writing a missing height failed, retrying", "height", h, "in", delay, "error", err)
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-l.stop:
			t.Stop()
			return
		}
	}
}

// nextMissing returns the first missing height and its block when held, or
// ok false when nothing is missing; it is where the log recovers.
func (l *Log) nextMissing() (h int64, b *Block, ok bool) {
	l.mu.Lock()
	if !l.degraded || l.closed {
		l.mu.Unlock()
		return 0, nil, false
	}
	if l.missingFrom > l.target {
		l.degraded, l.reason, l.missingFrom = false, "", 0
		l.slow.Store(false)
		clear(l.pending)
		filled, newest := l.filled, l.target
		l.mu.Unlock()
		l.logger.Info("event log recovered", "filled", filled, "newest", newest)
		return 0, nil, false
	}
	defer l.mu.Unlock()
	return l.missingFrom, l.pending[l.missingFrom], true
}

// writeMissing writes b, the first missing height, and wakes the readers.
func (l *Log) writeMissing(b *Block) error {
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	if _, newest := l.store.Bounds(); newest >= b.Height {
		l.advance(newest) // written meanwhile (by an Append racing the switch)
		return nil
	}
	if b.Appended.IsZero() {
		b.Appended = time.Now()
	}
	if err := l.store.Append(b); err != nil {
		if !errors.Is(err, ErrGap) {
			l.failedWrites.Add(1)
		}
		return fmt.Errorf("fill height %d: %w", b.Height, err)
	}
	l.advance(b.Height)
	l.written(b.Height)
	return nil
}

// advance records that every height up to h is written.
func (l *Log) advance(h int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for k := l.missingFrom; k <= h; k++ {
		delete(l.pending, k)
	}
	if h >= l.missingFrom {
		l.filled += h - l.missingFrom + 1
		l.missingFrom = h + 1
	}
}
