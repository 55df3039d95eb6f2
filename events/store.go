package events

import (
	"errors"
	"fmt"
)

// ErrNotYet is returned for a height the log has not reached yet.
var ErrNotYet = errors.New("height not committed yet")

// ErrPruned is matched (errors.Is) by a *PrunedError.
var ErrPruned = errors.New("height no longer in the log")

// PrunedError reports a height below the oldest one the log still holds.
type PrunedError struct {
	Height int64 // the height asked for
	Oldest int64 // the oldest height still available
}

func (e *PrunedError) Error() string {
	return fmt.Sprintf("height %d no longer in the log (oldest is %d)", e.Height, e.Oldest)
}

// Is makes errors.Is(err, ErrPruned) true.
func (e *PrunedError) Is(target error) bool { return target == ErrPruned }

// ErrGap is wrapped by Append for a block whose height does not follow the
// newest one.
var ErrGap = errors.New("height does not follow the newest block")

// A Store keeps committed blocks for the Log. The Log serialises Append; Get
// and Bounds may run concurrently with it and with each other. Stores must
// not modify a block after Append, since readers share it. A store holds
// one contiguous run of heights and deletes only by its own retention: the
// Log has no way to drop history, so that no error path can.
type Store interface {
	// Append stores b. b.Height is newest+1, or any height when the store
	// is empty; another height is refused with an error wrapping ErrGap.
	// A failed Append leaves the store as it was, so that the same height
	// can be tried again.
	Append(b *Block) error
	// Get returns the block at height h, a *PrunedError below the oldest
	// height, ErrNotYet above the newest.
	Get(h int64) (*Block, error)
	// Bounds returns the oldest and newest heights held, 0 and 0 when empty.
	Bounds() (oldest, newest int64)
	// Close releases the store's resources.
	Close() error
}
