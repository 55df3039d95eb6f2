package streamsvc_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/websocket"

	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/streamsvc"
)

// These tests stall a client: it reads the first message, then stops
// reading. With small socket buffers on both ends (socketBuffer) the
// server's writes to it block once some tens of KiB are in flight, far less
// than the ~2 MiB of frames the tests append (stalledBlocks blocks of
// txsPerBlock transactions), so the stalled subscriber's writer is certainly
// blocked, and far behind, while the rest of the log is appended.
const (
	socketBuffer  = 16 << 10
	stalledBlocks = 64
	txsPerBlock   = 500 // a valid_blocks frame of ~34 KiB; ~2 MiB in all
)

// stallConfig gives a stall test's config a keep-alive far longer than any
// run: a stalled client answers no ping, so with the default 30 s a run
// slowed down by a loaded machine dropped it as "keep-alive timeout: no
// pong", a reason these tests are not about. What ends a stalled
// subscriber here is the test's own choice: the write timeout, the log's
// retention or Close.
func stallConfig(cfg streamsvc.Config) streamsvc.Config {
	cfg.PingInterval, cfg.PongTimeout = stallKeepAlive, stallKeepAlive
	return cfg
}

const stallKeepAlive = time.Hour

// TestStalledClientDoesNotDelayOthers is the fan-out test: while one
// subscriber is stalled with its writer blocked on a full socket, other
// subscribers of both streams receive every event. The write timeout is
// long, so the stalled writer stays blocked for the whole test: if any
// delivery waited for it, the fast clients would never finish. Once the
// stalled client reads again it gets everything too, since the log still
// holds it.
func TestStalledClientDoesNotDelayOthers(t *testing.T) {
	cfg := stallConfig(streamsvc.Config{WriteTimeout: 5 * time.Minute, MaxBatchBytes: 64 << 10})
	ts := startServer(t, cfg, serverOptions{capacity: 4 * stalledBlocks, firstSendBuffer: socketBuffer})

	release := make(chan struct{})
	stalled := dial(t, ts.url+streamsvc.PathBlocks, dialOptions{recvBuffer: socketBuffer, holdAfter: 1, release: release})
	fastBlocks := []*client{
		dial(t, ts.url+streamsvc.PathBlocks, dialOptions{}),
		dial(t, ts.url+streamsvc.PathBlocks, dialOptions{}),
	}
	fastTxs := dial(t, ts.url+streamsvc.PathTransactions, dialOptions{})
	for _, c := range append(fastBlocks, fastTxs, stalled) {
		c.sync(t)
	}

	blocks := makeBlocks(1, stalledBlocks, func(int64) int { return txsPerBlock })
	ts.append(t, blocks...)

	wantBlocks := wantBlockMsgs(blocks...)
	for i, c := range fastBlocks {
		got := decodeAll[blockMsg](t, c.collect(t, len(wantBlocks)))
		if diff := diffMsgs(wantBlocks, got); diff != "" {
			t.Errorf("fast block client %d mismatch (-want +got):\n%s", i, diff)
		}
	}
	wantTxs := wantTxMsgs(blocks...)
	if diff := diffMsgs(wantTxs, decodeAll[txMsg](t, fastTxs.collect(t, len(wantTxs)))); diff != "" {
		t.Errorf("fast tx client mismatch (-want +got):\n%s", diff)
	}

	select {
	case <-stalled.done:
		t.Fatalf("stalled client was disconnected (%v); the write timeout is %v", stalled.err, cfg.WriteTimeout)
	default:
	}
	close(release)
	got := decodeAll[blockMsg](t, stalled.collect(t, len(wantBlocks)))
	if diff := diffMsgs(wantBlocks, got); diff != "" {
		t.Errorf("stalled client, once resumed, mismatch (-want +got):\n%s", diff)
	}
	for _, c := range append(fastBlocks, fastTxs, stalled) {
		c.sync(t)
		c.expectQuiet(t)
	}
}

// TestStalledClientIsDropped checks that a subscriber whose socket stays
// full for WriteTimeout is disconnected, that a fast subscriber meanwhile
// gets every event, and that the server goes on serving new subscribers.
func TestStalledClientIsDropped(t *testing.T) {
	logs, logger := newLogWatcher()
	// Short enough to drop the stalled client soon, long enough for the
	// fast one to drain a 64 KiB batch on a loaded machine.
	cfg := stallConfig(streamsvc.Config{WriteTimeout: 500 * time.Millisecond, MaxBatchBytes: 64 << 10, Logger: logger})
	ts := startServer(t, cfg, serverOptions{capacity: 4 * stalledBlocks, firstSendBuffer: socketBuffer})

	release := make(chan struct{})
	stalled := dial(t, ts.url+streamsvc.PathBlocks, dialOptions{recvBuffer: socketBuffer, holdAfter: 1, release: release})
	fast := dial(t, ts.url+streamsvc.PathBlocks, dialOptions{})
	stalled.sync(t)
	fast.sync(t)

	blocks := makeBlocks(1, stalledBlocks, func(int64) int { return txsPerBlock })
	ts.append(t, blocks...)
	wantBlocks := wantBlockMsgs(blocks...)
	if diff := diffMsgs(wantBlocks, decodeAll[blockMsg](t, fast.collect(t, len(wantBlocks)))); diff != "" {
		t.Errorf("fast client mismatch (-want +got):\n%s", diff)
	}

	// The server logs under the client's address as it sees it.
	logs.waitFor(t, "subscriber dropped", stalled.conn.LocalAddr().String())
	close(release)
	msgs, err := stalled.end(t)
	if err == nil || errors.Is(err, errClientClosed) {
		t.Fatalf("stalled client ended with %v, want a read error", err)
	}
	got := heights(decodeAll[blockMsg](t, msgs))
	if len(got) >= stalledBlocks {
		t.Fatalf("stalled client got all %d blocks, want it dropped before", len(got))
	}
	if diff := cmp.Diff(seq(1, int64(len(got))), got); diff != "" {
		t.Errorf("stalled client heights are not a prefix of the log (-want +got):\n%s", diff)
	}

	late := dial(t, ts.url+streamsvc.PathBlocks, dialOptions{})
	late.sync(t)
	next := makeBlock(stalledBlocks+1, 2)
	ts.append(t, next)
	for name, c := range map[string]*client{"fast": fast, "late": late} {
		if diff := cmp.Diff(wantBlockMsgs(next), decodeAll[blockMsg](t, c.collect(t, 1))); diff != "" {
			t.Errorf("%s client mismatch (-want +got):\n%s", name, diff)
		}
	}
}

// TestBlockedSubscriberClosedWith1008 makes a subscriber fall behind the
// oldest block a 4-block log keeps while its writer is blocked, never long
// enough for the write timeout: the client takes block 1, reads only the
// header of block 2, whose ~2 MiB frame cannot fit in the socket buffers,
// and stops. The writer has block 2 from the log and is stuck writing it
// while blocks 3..7 push block 3 out. Once the client reads again it gets
// block 2 whole, then 1008 with a reason; the server serves new subscribers.
func TestBlockedSubscriberClosedWith1008(t *testing.T) {
	const capacity = 4
	cfg := stallConfig(streamsvc.Config{WriteTimeout: 5 * time.Minute, MaxBatchBytes: 16 << 10})
	ts := startServer(t, cfg, serverOptions{capacity: capacity, firstSendBuffer: socketBuffer})

	release := make(chan struct{})
	slow := dial(t, ts.url+streamsvc.PathBlocks, dialOptions{recvBuffer: socketBuffer, holdAfter: 1, holdInside: true, release: release})
	slow.sync(t)
	sent := []*events.Block{makeBlock(1, 1), makeBlock(2, 30000)}
	ts.append(t, sent...)
	slow.waitHolding(t)
	ts.append(t, makeBlocks(3, capacity+1, func(int64) int { return 1 })...)
	close(release)

	msgs, err := slow.end(t)
	// Blocks 1 and 2 were written whole: the client is told to resume at 3.
	wantCloseError(t, err, websocket.ClosePolicyViolation, "fell behind the oldest block kept; resume with from_height=3")
	if diff := diffMsgs(wantBlockMsgs(sent...), decodeAll[blockMsg](t, msgs)); diff != "" {
		t.Errorf("slow client messages mismatch (-want +got):\n%s", diff)
	}

	late := dial(t, ts.url+streamsvc.PathBlocks, dialOptions{})
	late.sync(t)
	next := makeBlock(3+capacity+1, 1)
	ts.append(t, next)
	if diff := cmp.Diff(wantBlockMsgs(next), decodeAll[blockMsg](t, late.collect(t, 1))); diff != "" {
		t.Errorf("late client mismatch (-want +got):\n%s", diff)
	}
}

// TestLaggingSubscriberClosedWith1008 lets the log outrun a subscriber that
// has stopped reading: however far its writer got (the socket buffers hold
// far less than the ~2 MiB appended), its next block is no longer in the
// 4-block log, so the client gets a prefix of the log in order, then 1008.
func TestLaggingSubscriberClosedWith1008(t *testing.T) {
	const capacity = 4
	cfg := stallConfig(streamsvc.Config{WriteTimeout: 5 * time.Minute, MaxBatchBytes: 16 << 10})
	ts := startServer(t, cfg, serverOptions{capacity: capacity, firstSendBuffer: socketBuffer})

	release := make(chan struct{})
	slow := dial(t, ts.url+streamsvc.PathBlocks, dialOptions{recvBuffer: socketBuffer, holdAfter: 1, release: release})
	slow.sync(t)
	blocks := makeBlocks(1, stalledBlocks, func(int64) int { return txsPerBlock })
	ts.append(t, blocks[0])
	first := slow.collect(t, 1)
	ts.append(t, blocks[1:]...)
	close(release)

	rest, err := slow.end(t)
	msgs := append(first, rest...)
	wantCloseError(t, err, websocket.ClosePolicyViolation, fmt.Sprintf("resume with from_height=%d", len(msgs)+1))
	if oldest := int64(stalledBlocks - capacity + 1); int64(len(msgs)) >= oldest {
		t.Fatalf("slow client got %d blocks before 1008, want fewer than %d (the oldest kept)", len(msgs), oldest)
	}
	if diff := diffMsgs(wantBlockMsgs(blocks[:len(msgs)]...), decodeAll[blockMsg](t, msgs)); diff != "" {
		t.Errorf("slow client messages are not a prefix of the log (-want +got):\n%s", diff)
	}
}

// TestCloseWithStalledClient checks that Close completes, and leaves no
// goroutine behind, while a client is stalled. Whatever its writer was doing
// ends on its own deadline: a write blocked on the full socket at
// WriteTimeout, the 1001 close frame and the wait for its reply at the close
// grace. Close does not cut either short, so a Close whose ctx is shorter
// returns an error while such a subscriber finishes.
func TestCloseWithStalledClient(t *testing.T) {
	cfg := stallConfig(streamsvc.Config{WriteTimeout: 300 * time.Millisecond, MaxBatchBytes: 64 << 10})
	ts := startServer(t, cfg, serverOptions{capacity: 4 * stalledBlocks, firstSendBuffer: socketBuffer})
	release := make(chan struct{})
	stalled := dial(t, ts.url+streamsvc.PathBlocks, dialOptions{recvBuffer: socketBuffer, holdAfter: 1, release: release})
	stalled.sync(t)
	ts.append(t, makeBlocks(1, stalledBlocks, func(int64) int { return txsPerBlock })...)

	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := ts.srv.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	close(release)
	msgs, err := stalled.end(t)
	if err == nil || errors.Is(err, errClientClosed) {
		t.Fatalf("stalled client ended with %v, want a read error", err)
	}
	if len(msgs) >= stalledBlocks {
		t.Errorf("stalled client got all %d blocks, want it cut off", len(msgs))
	}
}
