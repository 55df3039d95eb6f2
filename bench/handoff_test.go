package bench_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// BenchmarkWakeReaders measures the part of a Commit hand-off that wakes
// the readers parked on the log, in two designs, with 0, 1,000 and 10,000
// parked readers. Only the publishing call is timed, as in
// abci.BenchmarkCommitHandoff.
//
//   - close-in-append is events.Log's design before commit 7e839d0: Append
//     closes the wake channel and makes a new one under the log's mutex, and
//     a reader takes the channel (Wait) under the same mutex. Go's close readies every waiting
//     goroutine in the closing one, so the caller (Commit) pays for each
//     reader, then meets them all on the mutex.
//   - notifier: Append stores the block and makes a non-blocking send to a
//     notifier goroutine, which swaps and closes the channel; Wait is an
//     atomic load. The caller's cost no longer depends on the readers.
//     (events.Log now swaps the channel itself and closes the old one on a
//     goroutine of its own: the same effect.)
func BenchmarkWakeReaders(b *testing.B) {
	designs := []struct {
		name string
		new  func() wakeLog
	}{
		{"close-in-append", newMutexWake},
		{"notifier", newNotifierWake},
	}
	for _, d := range designs {
		for _, readers := range []int{0, 1000, 10000} {
			b.Run(fmt.Sprintf("design=%s/readers=%d", d.name, readers), func(b *testing.B) {
				l := d.new()
				defer l.close()
				ctx, cancel := context.WithCancel(context.Background())
				var parked, exited sync.WaitGroup
				parked.Add(readers)
				exited.Add(readers)
				for range readers {
					go func() {
						defer exited.Done()
						seen := int64(0)
						for {
							wake := l.wait()
							for seen < l.newest() {
								seen++ // "read" the block
							}
							parked.Done()
							select {
							case <-wake:
							case <-ctx.Done():
								return
							}
						}
					}()
				}
				parked.Wait()
				for b.Loop() {
					b.StopTimer()
					parked.Add(readers)
					b.StartTimer()
					l.publish()
					b.StopTimer()
					parked.Wait()
					b.StartTimer()
				}
				cancel()
				exited.Wait()
			})
		}
	}
}

// wakeLog is the wake-up part of a log: publish a block, wait for the next.
type wakeLog interface {
	publish()
	wait() <-chan struct{}
	newest() int64
	close()
}

// mutexWake is events.Log's design.
type mutexWake struct {
	mu   sync.Mutex
	wake chan struct{}
	top  atomic.Int64
}

func newMutexWake() wakeLog { return &mutexWake{wake: make(chan struct{})} }

func (l *mutexWake) publish() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.top.Add(1)
	close(l.wake)
	l.wake = make(chan struct{})
}

func (l *mutexWake) wait() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.wake
}

func (l *mutexWake) newest() int64 { return l.top.Load() }
func (l *mutexWake) close()        {}

// notifierWake hands the closing to a goroutine of its own.
type notifierWake struct {
	wake atomic.Pointer[chan struct{}]
	kick chan struct{}
	done chan struct{}
	top  atomic.Int64
}

func newNotifierWake() wakeLog {
	l := &notifierWake{kick: make(chan struct{}, 1), done: make(chan struct{})}
	c := make(chan struct{})
	l.wake.Store(&c)
	go func() {
		defer close(l.done)
		for range l.kick {
			next := make(chan struct{})
			close(*l.wake.Swap(&next))
		}
	}()
	return l
}

// publish makes the block visible before the kick, and a reader takes the
// channel before it looks for a block: a reader that took the old channel
// either sees the block or is woken by its closing.
func (l *notifierWake) publish() {
	l.top.Add(1)
	select {
	case l.kick <- struct{}{}:
	default: // a wake-up is already pending; it will cover this block
	}
}

func (l *notifierWake) wait() <-chan struct{} { return *l.wake.Load() }
func (l *notifierWake) newest() int64         { return l.top.Load() }

func (l *notifierWake) close() {
	close(l.kick)
	<-l.done
}
