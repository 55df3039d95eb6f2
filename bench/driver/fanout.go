package driver

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/cometstream/cometstream/bench"
	"github.com/cometstream/cometstream/bench/floor"
	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/streamsvc"
)

// publisher makes a block's publication ready (encoding for the floor,
// nothing for the node) and returns the call that publishes it. The call
// returns the commit time (time.Now just before Log.Append, or before the
// floor's Publish) and how long the hand-off took.
type publisher func(b *events.Block) func() (at int64, took time.Duration, err error)

func logPublisher(log *events.Log) publisher {
	return func(b *events.Block) func() (int64, time.Duration, error) {
		return func() (int64, time.Duration, error) {
			now := time.Now()
			added, err := log.Append(b)
			took := time.Since(now)
			if err == nil && !added {
				err = fmt.Errorf("height %d not added: the log is past it", b.Height)
			}
			return now.UnixNano(), took, err
		}
	}
}

func floorPublisher(f *floor.Server) publisher {
	return func(b *events.Block) func() (int64, time.Duration, error) {
		frames := bench.TxFrames(b)
		return func() (int64, time.Duration, error) {
			now := time.Now()
			f.Publish(frames)
			return now.UnixNano(), time.Since(now), nil
		}
	}
}

// fanOutWriteTimeout is the node's and the floor's write timeout in the
// fan-out trials. A block of 1,000 transactions to 10,000 subscribers is
// 2.3 GB of frames, which the client processes, on the same 2 cores as the
// server, take longer than the default 10 s to read from some sockets: the
// server would drop those subscribers (they could resume; the benchmark
// would count their events as lost).
const fanOutWriteTimeout = 2 * time.Minute

// fanOut runs the synthetic grid. For each subscriber count: the node's
// memory with them idle, then, for each block size, a burst and a paced
// trial against the node, then the same trials against the floor, then
// against the node over SSE (memory again, for SSESubscribers).
func (r *runner) fanOut(ctx context.Context) error {
	n, err := startStreamNode(r.work, "fanout", fanOutWriteTimeout, r.nodeLog)
	if err != nil {
		return err
	}
	defer func() {
		if err := n.stop(); err != nil {
			r.note("stopping the fan-out node: %v", err)
		}
	}()
	// The stream's chain has no blocks: the synthetic ones are its heights,
	// from 1.
	next := int64(1)
	if _, _, err := logPublisher(n.Log())(bench.SyntheticBlock(r.runID, next, 0))(); err != nil {
		return fmt.Errorf("the synthetic blocks' first height: %w", err)
	}
	next++

	// One floor for the run. A floor connection starts at the next block
	// published, as a subscriber starts at the live edge.
	f, err := floor.Start("127.0.0.1:0", fanOutWriteTimeout)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := f.Close(cctx); err != nil {
			r.note("closing the floor: %v", err)
		}
	}()
	floorNext := int64(1)

	// For each subscriber count and block size, the node's trials, then the
	// floor's right after (the machine is shared: what runs back to back
	// compares best), then the node's over SSE, each with its own client
	// processes. Every target takes the WebSocket burst's block count and
	// pace.
	for _, subs := range r.cfg.Subscribers {
		for i, txs := range r.cfg.TxsPerBlock {
			var burst Trial
			pair := func(cs *clientSet, target string, pub publisher, next *int64) error {
				b, err := r.synthetic(ctx, cs, Trial{Target: target, Kind: KindBurst, Subs: subs, Txs: txs,
					Blocks: r.burstBlocks(subs, txs)}, pub, next)
				if err != nil {
					return err
				}
				if target == TargetStream {
					burst = b
				}
				_, err = r.synthetic(ctx, cs, Trial{Target: target, Kind: KindPaced, Subs: subs, Txs: txs,
					Blocks: r.pacedBlocks(subs, txs), Interval: pacedInterval(burst)}, pub, next)
				return err
			}
			err := r.withClients(ctx, n.streamURL(streamsvc.PathTransactions), bench.ModeStream, "", subs, i == 0, func(cs *clientSet) error {
				return pair(cs, TargetStream, logPublisher(n.Log()), &next)
			})
			if err != nil {
				return err
			}
			if !r.cfg.NoFloor {
				err = r.withClients(ctx, "ws://"+f.Addr()+"/", bench.ModeStream, "", subs, false, func(cs *clientSet) error {
					if err := waitFor(ctx, time.Minute, func() bool { return f.Subscribers() >= cs.connected() }); err != nil {
						return fmt.Errorf("floor: %d of %d subscribers registered: %w", f.Subscribers(), cs.connected(), err)
					}
					return pair(cs, TargetFloor, floorPublisher(f), &floorNext)
				})
				f.Drop()
				if err != nil {
					return err
				}
			}
			if slices.Contains(r.cfg.SSESubscribers, subs) {
				err = r.withClients(ctx, n.sseURL(streamsvc.PathTransactions), bench.ModeSSE, "", subs, i == 0, func(cs *clientSet) error {
					return pair(cs, TargetSSE, logPublisher(n.Log()), &next)
				})
				if err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// withClients starts client processes for subs connections to url, runs
// fn, and stops them. With memory set, it first records the driver's
// (the node's) memory per idle subscriber of a cometstream mode.
func (r *runner) withClients(ctx context.Context, url, mode, query string, subs int, memory bool, fn func(*clientSet) error) error {
	var before uint64
	goroutines := runtime.NumGoroutine()
	memory = memory && subs >= 100 && mode != bench.ModeCometBFT // below 100, the noise is larger than the subscribers
	if memory {
		goroutines = settledGoroutines(ctx)
		before = liveBytes()
	}
	cs, err := startClients(ctx, url, mode, query, subs, r.cfg.MaxConnsPerProcess, r.cfg.Sources)
	if err != nil {
		return err
	}
	r.logf("%d/%d subscribers connected to %s", cs.connected(), subs, url)
	if errs := cs.readyErrors(); len(errs) > 0 {
		r.logf("  set-up errors: %v", errs)
	}
	if memory && cs.connected() > 0 {
		// Each subscriber runs at least one goroutine once set up (a
		// WebSocket one its writer, an event stream its handler and
		// net/http's background read): wait for those, then for the count
		// to settle.
		want := goroutines + cs.connected()
		if err := waitFor(ctx, time.Minute, func() bool { return runtime.NumGoroutine() >= want }); err != nil {
			r.note("idle memory at %d subscribers: %d goroutines, want at least %d", subs, runtime.NumGoroutine(), want)
		}
		settledGoroutines(ctx)
		after := liveBytes()
		r.res.IdleMemory = append(r.res.IdleMemory, Memory{Subs: cs.connected(),
			BytesPerSub: (float64(after) - float64(before)) / float64(cs.connected()), Mode: mode})
	}
	err = fn(cs)
	if err != nil {
		cs.kill()
		return err
	}
	return cs.quit()
}

// synthetic runs one trial of spec.Blocks synthetic blocks of spec.Txs
// transactions, published back to back (burst) or every spec.Interval
// (paced), and records it.
func (r *runner) synthetic(ctx context.Context, cs *clientSet, spec Trial, pub publisher, next *int64) (Trial, error) {
	t := spec
	t.Served = cs.connected()
	t.SetupErrors = cs.readyErrors()
	t.Load, _, _ = strings.Cut(loadAverage(), " ")
	base, err := cs.report() // clears what came before; the CPU baseline
	if err != nil {
		return t, err
	}
	calls := make([]func() (int64, time.Duration, error), t.Blocks)
	d := delivery{commits: map[int64]int64{}, want: map[int64]int{}, served: t.Served}
	heights := make([]int64, t.Blocks)
	for i := range calls {
		heights[i] = *next
		*next++
		calls[i] = pub(bench.SyntheticBlock(r.runID, heights[i], t.Txs))
		d.want[heights[i]] = t.Txs
	}
	for _, b := range base {
		d.cpuStart = append(d.cpuStart, b.CPUNanos)
	}

	cpu0 := processCPU()
	start := time.Now()
	handoffs := make([]float64, 0, len(calls))
	for i, call := range calls {
		if t.Interval > 0 {
			if err := sleepUntil(ctx, start.Add(time.Duration(i)*t.Interval)); err != nil {
				return t, err
			}
		}
		at, took, err := call()
		if err != nil {
			return t, err
		}
		d.commits[heights[i]] = at
		handoffs = append(handoffs, float64(took.Nanoseconds())/1e3)
	}
	t.HandoffP50 = bench.Percentile(handoffs, 50)
	t.HandoffMax = bench.Percentile(handoffs, 100)
	if err := r.waitDelivered(ctx, cs, int64(t.Served)*int64(t.Blocks)*int64(t.Txs), r.cfg.StallTimeout); err != nil {
		return t, err
	}
	cpu := processCPU() - cpu0
	if d.reports, err = cs.report(); err != nil {
		return t, err
	}
	d.analyze(&t)
	if t.Delivered > 0 {
		t.ServerCPUPerEvent = float64(cpu) / float64(t.Delivered)
	}
	r.res.FanOut = append(r.res.FanOut, t)
	r.logf("%-11s %-5s subs=%-5d txs=%-4d blocks=%-3d %9.0f events/s lost=%d p50=%.1fms p99=%.1fms max=%.1fms hand-off p50=%.0fus ends=%v",
		t.Target, t.Kind, t.Subs, t.Txs, t.Blocks, t.EventsPerSec, t.Lost, t.LatP50, t.LatP99, t.LatMax, t.HandoffP50, t.Ends)
	return t, nil
}

// waitDelivered polls the clients until they hold want messages, or none
// has arrived for stall.
func (r *runner) waitDelivered(ctx context.Context, cs *clientSet, want int64, stall time.Duration) error {
	var last int64 = -1
	progress := time.Now()
	for {
		st, err := cs.status()
		if err != nil {
			return err
		}
		if st.Msgs >= want {
			return nil
		}
		if st.Msgs != last {
			last, progress = st.Msgs, time.Now()
		} else if time.Since(progress) > stall {
			return nil // the rest is lost; the report counts it
		}
		if err := sleepUntil(ctx, time.Now().Add(10*time.Millisecond)); err != nil {
			return err
		}
	}
}

// burstBlocks is how many blocks make about TargetEvents events.
func (r *runner) burstBlocks(subs, txs int) int {
	n := int(math.Round(float64(r.cfg.TargetEvents) / float64(subs*txs)))
	return min(max(n, r.cfg.MinBlocks), r.cfg.MaxBlocks)
}

func (r *runner) pacedBlocks(subs, txs int) int {
	n := int(math.Round(float64(r.cfg.TargetEvents) / 2 / float64(subs*txs)))
	return min(max(n, r.cfg.MinBlocks), r.cfg.MaxPacedBlocks)
}

// pacedInterval leaves each block twice the time a block took in the
// burst, so that a block is normally delivered before the next one comes.
func pacedInterval(burst Trial) time.Duration {
	if burst.Blocks == 0 {
		return pacedIntervalMinimum
	}
	per := time.Duration(burst.Seconds / float64(burst.Blocks) * float64(time.Second))
	return max(pacedIntervalMinimum, pacedIntervalHeadroom*per).Round(time.Millisecond)
}

func waitFor(ctx context.Context, timeout time.Duration, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("not within %v", timeout)
		}
		if err := sleepUntil(ctx, time.Now().Add(10*time.Millisecond)); err != nil {
			return err
		}
	}
	return nil
}

func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// settledGoroutines waits until the number of goroutines has not changed
// for 250 ms (at most 10 s) and returns it: the server ends the previous
// trial's subscribers a moment after their client processes have quit.
func settledGoroutines(ctx context.Context) int {
	n, since := runtime.NumGoroutine(), time.Now()
	for deadline := since.Add(10 * time.Second); time.Since(since) < 250*time.Millisecond && time.Now().Before(deadline); {
		if sleepUntil(ctx, time.Now().Add(10*time.Millisecond)) != nil {
			break
		}
		if m := runtime.NumGoroutine(); m != n {
			n, since = m, time.Now()
		}
	}
	return n
}

// liveBytes is the live heap plus goroutine stacks, after a full GC.
func liveBytes() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc + m.StackInuse
}

// processCPU is this process's user plus system CPU time, ns.
func processCPU() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
