package events

import (
	"errors"
	"sync"
)

// MemStore is a Store that keeps the newest Capacity blocks in memory.
type MemStore struct {
	mu     sync.RWMutex
	ring   []*Block
	oldest int64
	newest int64
}

var _ Store = (*MemStore)(nil)

// NewMemStore returns a store holding at most capacity blocks.
func NewMemStore(capacity int) (*MemStore, error) {
	if capacity < 1 {
		return nil, errors.New("mem store: capacity must be at least 1")
	}
	return &MemStore{ring: make([]*Block, capacity)}, nil
}

// Append implements Store. It is O(1): the oldest block is overwritten when
// the ring is full.
func (s *MemStore) Append(b *Block) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.newest != 0 && b.Height != s.newest+1 {
		return ErrGap
	}
	s.ring[b.Height%int64(len(s.ring))] = b
	s.newest = b.Height
	if s.oldest == 0 {
		s.oldest = b.Height
	}
	if s.newest-s.oldest >= int64(len(s.ring)) {
		s.oldest = s.newest - int64(len(s.ring)) + 1
	}
	return nil
}

// Reset drops every block, so the next Append may start at any height. The
// SegmentStore uses it for its cache; the Log never calls it.
func (s *MemStore) Reset() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.ring)
	s.oldest, s.newest = 0, 0
	return nil
}

// Get implements Store.
func (s *MemStore) Get(h int64) (*Block, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	switch {
	case s.newest == 0 || h > s.newest:
		return nil, ErrNotYet
	case h < s.oldest:
		return nil, &PrunedError{Height: h, Oldest: s.oldest}
	}
	return s.ring[h%int64(len(s.ring))], nil
}

// Bounds implements Store.
func (s *MemStore) Bounds() (oldest, newest int64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.oldest, s.newest
}

// Close implements Store.
func (s *MemStore) Close() error { return nil }
