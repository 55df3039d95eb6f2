package events_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cometstream/cometstream/events"
)

func TestNewMemStoreCapacity(t *testing.T) {
	tests := []struct {
		name     string
		capacity int
		wantErr  bool
	}{
		{name: "zero", capacity: 0, wantErr: true},
		{name: "negative", capacity: -1, wantErr: true},
		{name: "one", capacity: 1},
		{name: "many", capacity: 1024},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := events.NewMemStore(tt.capacity)
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("NewMemStore(%d) error = %v, want error %v", tt.capacity, err, tt.wantErr)
			}
			if !tt.wantErr && s == nil {
				t.Fatal("NewMemStore returned a nil store without error")
			}
		})
	}
}

func TestMemStoreEmpty(t *testing.T) {
	s, _ := events.NewMemStore(4)
	if oldest, newest := s.Bounds(); oldest != 0 || newest != 0 {
		t.Errorf("Bounds() = %d, %d; want 0, 0", oldest, newest)
	}
	for _, h := range []int64{0, 1, 100} {
		if _, err := s.Get(h); !errors.Is(err, events.ErrNotYet) {
			t.Errorf("Get(%d) on an empty store: error = %v, want ErrNotYet", h, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// TestMemStoreBounds appends heights from..to into a store of the given
// capacity and checks every Get around the bounds.
func TestMemStoreBounds(t *testing.T) {
	tests := []struct {
		name                   string
		capacity               int
		from, to               int64
		wantOldest, wantNewest int64
	}{
		{name: "not full", capacity: 8, from: 1, to: 5, wantOldest: 1, wantNewest: 5},
		{name: "exactly full", capacity: 5, from: 1, to: 5, wantOldest: 1, wantNewest: 5},
		{name: "wrapped once", capacity: 3, from: 1, to: 5, wantOldest: 3, wantNewest: 5},
		{name: "wrapped many times", capacity: 4, from: 1, to: 103, wantOldest: 100, wantNewest: 103},
		{name: "capacity one", capacity: 1, from: 1, to: 9, wantOldest: 9, wantNewest: 9},
		{name: "initial height not 1", capacity: 3, from: 1000, to: 1001, wantOldest: 1000, wantNewest: 1001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := events.NewMemStore(tt.capacity)
			if err != nil {
				t.Fatal(err)
			}
			blocks := map[int64]*events.Block{}
			for h := tt.from; h <= tt.to; h++ {
				blocks[h] = block(h)
				if err := s.Append(blocks[h]); err != nil {
					t.Fatalf("Append(%d): %v", h, err)
				}
			}
			oldest, newest := s.Bounds()
			if diff := cmp.Diff([2]int64{tt.wantOldest, tt.wantNewest}, [2]int64{oldest, newest}); diff != "" {
				t.Fatalf("Bounds (-want +got):\n%s", diff)
			}
			for h := tt.wantOldest; h <= tt.wantNewest; h++ {
				got, err := s.Get(h)
				if err != nil {
					t.Fatalf("Get(%d): %v", h, err)
				}
				if got != blocks[h] {
					t.Errorf("Get(%d) returned block %d, not the one appended", h, got.Height)
				}
			}
			for _, h := range []int64{tt.wantNewest + 1, tt.wantNewest + 1000} {
				if _, err := s.Get(h); !errors.Is(err, events.ErrNotYet) {
					t.Errorf("Get(%d) above newest: error = %v, want ErrNotYet", h, err)
				}
			}
			for _, h := range []int64{tt.wantOldest - 1, tt.from, 1, 0, -5} {
				if h >= tt.wantOldest {
					continue
				}
				_, err := s.Get(h)
				var pe *events.PrunedError
				if !errors.As(err, &pe) {
					t.Fatalf("Get(%d) below oldest: error = %v, want *PrunedError", h, err)
				}
				if diff := cmp.Diff(events.PrunedError{Height: h, Oldest: tt.wantOldest}, *pe); diff != "" {
					t.Errorf("Get(%d) PrunedError (-want +got):\n%s", h, diff)
				}
				if !errors.Is(err, events.ErrPruned) {
					t.Errorf("Get(%d): errors.Is(%v, ErrPruned) = false", h, err)
				}
			}
		})
	}
}

func TestMemStoreAppendGap(t *testing.T) {
	tests := []struct {
		name   string
		height int64
	}{
		{name: "skips a height", height: 7},
		{name: "repeats newest", height: 5},
		{name: "goes back", height: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := events.NewMemStore(3)
			for h := int64(1); h <= 5; h++ {
				if err := s.Append(block(h)); err != nil {
					t.Fatal(err)
				}
			}
			kept, _ := s.Get(5)
			if err := s.Append(block(tt.height)); !errors.Is(err, events.ErrGap) {
				t.Fatalf("Append(%d) after 5: error = %v, want ErrGap", tt.height, err)
			}
			if oldest, newest := s.Bounds(); oldest != 3 || newest != 5 {
				t.Errorf("Bounds after a refused Append = %d, %d; want 3, 5", oldest, newest)
			}
			if got, _ := s.Get(5); got != kept {
				t.Error("a refused Append replaced the newest block")
			}
		})
	}
}

func TestMemStoreReset(t *testing.T) {
	s, _ := events.NewMemStore(3)
	for h := int64(1); h <= 5; h++ {
		if err := s.Append(block(h)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Reset(); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	if oldest, newest := s.Bounds(); oldest != 0 || newest != 0 {
		t.Errorf("Bounds after Reset = %d, %d; want 0, 0", oldest, newest)
	}
	if _, err := s.Get(5); !errors.Is(err, events.ErrNotYet) {
		t.Errorf("Get(5) after Reset: error = %v, want ErrNotYet", err)
	}
	if err := s.Append(block(42)); err != nil {
		t.Fatalf("Append(42) after Reset: %v", err)
	}
	if oldest, newest := s.Bounds(); oldest != 42 || newest != 42 {
		t.Errorf("Bounds = %d, %d; want 42, 42", oldest, newest)
	}
	if _, err := s.Get(41); !errors.Is(err, events.ErrPruned) {
		t.Errorf("Get(41) after restarting at 42: error = %v, want ErrPruned", err)
	}
}

func TestPrunedErrorMessage(t *testing.T) {
	err := error(&events.PrunedError{Height: 12, Oldest: 345})
	msg := err.Error()
	for _, want := range []string{strconv.Itoa(12), strconv.Itoa(345)} {
		if !strings.Contains(msg, want) {
			t.Errorf("PrunedError message %q does not mention %s", msg, want)
		}
	}
	if errors.Is(err, events.ErrNotYet) || errors.Is(err, events.ErrGap) {
		t.Errorf("PrunedError matches an unrelated sentinel")
	}
}
