package streamsvc

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hashicorp/go-hclog"

	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/wire"
)

// closeGrace is how long the writer waits for the client's close reply, and
// how long a close frame may take to write.
const closeGrace = time.Second

// subscriber is one WebSocket connection, served by one goroutine (run)
// that writes the blocks, pings and pongs and, between writes, reads what
// the client sends. Waiting, it sits in a read of the socket (a Peek of
// one byte, which consumes nothing) whose deadline is the next ping; the
// server's waker moves that deadline to the past when a block arrives or
// the server shuts down (interrupt). An idle subscriber is one parked
// goroutine and this struct. A frame, once its first byte is there, is
// read whole under the keep-alive deadline.
type subscriber struct {
	srv   *Server
	conn  *websocket.Conn
	raw   net.Conn
	br    *bufio.Reader // in front of raw, for Peek
	in    inbound
	cache *frameCache
	// deflate: permessage-deflate was negotiated; client messages may
	// be compressed.
	deflate bool
	reader  *events.Reader
	query   Query
	logger  hclog.Logger

	armMu sync.Mutex
	armed bool // in an interruptible read

	aliveUntil time.Time // dropped if no frame arrives before
	closing    bool      // closeWith is reading the client's reply
	pong       [maxControlPayload]byte
	pongLen    int
	pongOwed   bool
	readErr    error

	// resume is the height a client should ask for to continue after what
	// it has been sent: every block below it was written in full.
	resume int64
	// live is set once the subscriber has reached the live edge; only then
	// does MaxLagHeights apply, so a replay from an old height is not
	// mistaken for a slow client.
	live   bool
	batch  net.Buffers
	out    net.Buffers     // what flush is writing; see flush
	blocks []*events.Block // the blocks gathered into batch, for metrics
}

// readBuffer is the bufio.Reader's size, its minimum: it holds what Peek
// saw and the header bytes inbound asks for, never a payload.
const readBuffer = 16

func newSubscriber(s *Server, conn *websocket.Conn, reader *events.Reader, q Query, cache *frameCache, deflate bool, path string, id uint64) *subscriber {
	sub := &subscriber{
		deflate: deflate,
		srv:     s,
		conn:    conn,
		raw:     conn.NetConn(),
		cache:   cache,
		reader:  reader,
		query:   q,
		logger:  s.logger.With("conn", id, "remote", conn.RemoteAddr().String(), "stream", path),
		resume:  reader.NextHeight(),
	}
	sub.br = bufio.NewReaderSize(sub.raw, readBuffer)
	sub.in = inbound{conn: sub.br, deflate: deflate, limit: s.cfg.ReadLimit, alive: sub.alive, ping: sub.pinged}
	return sub
}

// alive notes a frame from the client: every frame, pongs included,
// proves it there.
func (s *subscriber) alive() {
	s.aliveUntil = time.Now().Add(s.srv.cfg.PingInterval + s.srv.cfg.PongTimeout)
	if !s.closing {
		_ = s.raw.SetReadDeadline(s.aliveUntil)
	}
}

// pinged keeps the latest ping's payload for its pong: RFC 6455 5.5.3 lets
// an endpoint answer only the most recent of several pings.
func (s *subscriber) pinged(p []byte) {
	s.pongLen = copy(s.pong[:], p)
	s.pongOwed = true
}

// run is the subscriber's goroutine. It returns, with the reason the
// subscriber ended (a metrics label), after the connection is closed.
func (s *subscriber) run() string {
	s.logger.Debug("subscriber connected", "from_height", s.query.FromHeight, "filtered", s.query.Filtered())
	defer func() { _ = s.raw.Close() }()
	cfg := &s.srv.cfg
	now := time.Now()
	s.aliveUntil = now.Add(cfg.PingInterval + cfg.PongTimeout)
	nextPing := now.Add(cfg.PingInterval)
	pace := newBucket(cfg.ClientMessagesPerSecond, cfg.ClientMessageBurst)
	var readAfter, probed time.Time // throttled until; last read during a catch-up

	for {
		select {
		case <-s.srv.done:
			s.closeWith(websocket.CloseGoingAway, "server shutting down")
			return "shutdown"
		default:
		}
		wake := cfg.Log.Wait()
		n, msgs, more, err := s.gather()
		switch {
		case errors.Is(err, events.ErrPruned):
			s.logger.Info("closing subscriber behind the log's oldest block", "error", err, "resume", s.resume)
			s.closeWith(websocket.ClosePolicyViolation, "fell behind the oldest block kept")
			return "pruned"
		case err != nil:
			s.logger.Error("reading the event log", "error", err, "resume", s.resume)
			s.closeWith(websocket.CloseInternalServerErr, "event log unavailable")
			return "log_error"
		}
		if n == 0 {
			clear(s.blocks) // all filtered out: nothing to write
			s.blocks = s.blocks[:0]
			if s.reader.NextHeight() > 0 {
				s.resume = s.reader.NextHeight()
			}
		} else if !s.flush(msgs, n) {
			return "write_failed"
		}
		if s.live {
			if lag := s.reader.Lag(); lag > cfg.MaxLagHeights {
				s.logger.Info("closing slow subscriber", "lag", lag, "resume", s.resume)
				s.closeWith(websocket.ClosePolicyViolation, fmt.Sprintf("too far behind (%d blocks)", lag))
				return "too_slow"
			}
		}
		now = time.Now()
		if !now.Before(nextPing) {
			if !s.control(websocket.PingMessage, nil) {
				return "write_failed"
			}
			nextPing = now.Add(cfg.PingInterval)
		}
		if !now.Before(s.aliveUntil) {
			s.logger.Info("subscriber dropped: no pong in time", "resume", s.resume)
			s.closeWith(websocket.ClosePolicyViolation, "keep-alive timeout: no pong")
			return "keepalive_timeout"
		}
		deadline := nextPing
		if s.aliveUntil.Before(deadline) {
			deadline = s.aliveUntil
		}
		if now.Before(readAfter) {
			// A flooding client: not reading is the point (TCP pushes back
			// on it), but blocks and pings go on.
			if !more {
				s.sleep(wake, earlier(readAfter, deadline))
			}
			continue
		}
		if more {
			// A catch-up: more blocks wait, so look at the socket only
			// now and then, for an instant (pongs, a close).
			if now.Sub(probed) < catchUpProbe {
				continue
			}
			probed = now
			deadline = now.Add(time.Millisecond)
		}
		s.arm(deadline)
		if !more {
			// The waker interrupts armed reads only: a block (or the
			// shutdown) since gather is seen here.
			select {
			case <-wake:
				s.disarm()
				continue
			case <-s.srv.done:
				s.disarm()
				continue
			default:
			}
		}
		_, err = s.br.Peek(1)
		s.disarm()
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			continue // interrupted, a ping due or a probe: see the loop's top
		}
		if err == nil {
			var done bool
			if done, err = s.in.next(); err == nil {
				pinged := s.pongOwed
				if pinged {
					s.pongOwed = false
					if !s.control(websocket.PongMessage, s.pong[:s.pongLen]) {
						return "write_failed"
					}
				}
				// Messages and pings are paced; pongs and fragments are not.
				if done || pinged {
					if d := pace.wait(); d > 0 {
						readAfter = time.Now().Add(d)
					}
				}
				continue
			}
		}
		s.readErr = err
		return s.peerGone()
	}
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// catchUpProbe is how often a subscriber catching up looks at its socket.
const catchUpProbe = 50 * time.Millisecond

// sleep waits for a block, the shutdown or until.
func (s *subscriber) sleep(wake <-chan struct{}, until time.Time) {
	t := time.NewTimer(time.Until(until))
	defer t.Stop()
	select {
	case <-wake:
	case <-s.srv.done:
	case <-t.C:
	}
}

// arm makes the next read interruptible (see interrupt), bounded by
// deadline.
func (s *subscriber) arm(deadline time.Time) {
	s.armMu.Lock()
	_ = s.raw.SetReadDeadline(deadline)
	s.armed = true
	s.armMu.Unlock()
}

// disarm ends the interruptible read: what follows reads a frame whole,
// under the keep-alive deadline, and no interrupt may cut it.
func (s *subscriber) disarm() {
	s.armMu.Lock()
	s.armed = false
	_ = s.raw.SetReadDeadline(s.aliveUntil)
	s.armMu.Unlock()
}

// interrupt ends an armed read at once; the server's waker calls it.
func (s *subscriber) interrupt() {
	s.armMu.Lock()
	if s.armed {
		s.armed = false
		_ = s.raw.SetReadDeadline(longAgo)
	}
	s.armMu.Unlock()
}

// longAgo is a deadline already past.
var longAgo = time.Unix(1, 0)

// closedChan is always ready; see run.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// gather collects the frames of the blocks available to this subscriber
// into s.batch, up to MaxBatchBytes of frames or maxBatchBlocks blocks (a
// filtered replay may read many blocks that yield nothing). more reports
// that it stopped at a cap rather than at the newest block, which marks
// the subscriber live.
func (s *subscriber) gather() (size, msgs int, more bool, err error) {
	for range maxBatchBlocks {
		if size >= s.srv.cfg.MaxBatchBytes {
			return size, msgs, true, nil
		}
		b, err := s.reader.TryNext()
		if errors.Is(err, events.ErrNotYet) {
			s.live = true
			return size, msgs, false, nil
		}
		if err != nil {
			return size, msgs, false, err
		}
		f := s.cache.get(b)
		s.blocks = append(s.blocks, b)
		if !s.query.Filtered() {
			if len(f.data) > 0 {
				s.batch = append(s.batch, f.data)
				size += len(f.data)
				msgs += len(f.ends)
			}
			continue
		}
		for i := range f.ends {
			if s.query.matchFrame(b, &f, i) {
				fr := f.frame(i)
				s.batch = append(s.batch, fr)
				size += len(fr)
				msgs++
			}
		}
	}
	return size, msgs, true, nil
}

// maxBatchBlocks caps the blocks one gather reads.
const maxBatchBlocks = 256

// flush writes the gathered frames (msgs messages, bytes bytes) in one call
// (writev). The frames are
// whole, so the socket never sees a control frame of gorilla's (a close on
// a protocol error) land inside one of ours: Go serialises Write calls on a
// connection.
func (s *subscriber) flush(msgs, bytes int) bool {
	// WriteTo consumes the slice it is called on: hand it a copy of the
	// header kept in the subscriber, so the call allocates nothing.
	s.out = s.batch
	_ = s.raw.SetWriteDeadline(time.Now().Add(s.srv.cfg.WriteTimeout))
	_, err := s.out.WriteTo(s.raw)
	clear(s.batch)
	s.batch = s.batch[:0]
	if err != nil {
		clear(s.blocks)
		s.blocks = s.blocks[:0]
		s.logger.Info("subscriber dropped: write failed", "error", err, "resume", s.resume)
		return false
	}
	s.resume = s.reader.NextHeight()
	s.srv.metrics.observeWrite(s.blocks, msgs, bytes, s.reader.Lag())
	clear(s.blocks)
	s.blocks = s.blocks[:0]
	return true
}

func (s *subscriber) control(kind int, payload []byte) bool {
	if err := s.conn.WriteControl(kind, payload, time.Now().Add(s.srv.cfg.WriteTimeout)); err != nil {
		s.logger.Debug("control write failed", "error", err)
		return false
	}
	return true
}

// closeWith sends a close frame whose reason ends with the height to resume
// from, and waits briefly for the client's reply.
func (s *subscriber) closeWith(code int, why string) {
	reason := wire.ResumeReason(why, s.resume)
	if len(reason) > maxCloseReason {
		reason = reason[:maxCloseReason]
	}
	msg := websocket.FormatCloseMessage(code, reason)
	if err := s.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(closeGrace)); err != nil {
		s.logger.Debug("close write failed", "error", err)
		return
	}
	// The client's reply, or closeGrace: frames read and discarded until
	// its close frame (or any error) ends the read.
	s.closing = true
	_ = s.raw.SetReadDeadline(time.Now().Add(closeGrace))
	for {
		if _, err := s.in.next(); err != nil {
			return
		}
	}
}

// maxCloseReason is the room RFC 6455 leaves for a close reason.
const maxCloseReason = 123

// peerGone answers a client's close frame, tells a client that broke the
// protocol or a silent one why it is dropped, or notes a connection that
// just ended.
func (s *subscriber) peerGone() string {
	var pc *peerClose
	var f *failure
	var ne net.Error
	switch {
	case errors.As(s.readErr, &pc):
		s.logger.Debug("subscriber closed the stream", "code", pc.code, "text", pc.text)
		code := pc.code
		if code == websocket.CloseNoStatusReceived {
			code = websocket.CloseNormalClosure
		}
		_ = s.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), time.Now().Add(closeGrace))
		return "client_closed"
	case errors.As(s.readErr, &f):
		s.logger.Debug("subscriber dropped: bad frame", "code", f.code, "reason", f.reason)
		s.fail(f)
		if f.code == websocket.CloseMessageTooBig {
			return "message_too_big"
		}
		return "protocol_error"
	case errors.As(s.readErr, &ne) && ne.Timeout():
		s.logger.Info("subscriber dropped: no pong in time", "resume", s.resume)
		s.closeWith(websocket.ClosePolicyViolation, "keep-alive timeout: no pong")
		return "keepalive_timeout"
	default:
		s.logger.Debug("subscriber connection ended", "error", s.readErr)
		return "disconnected"
	}
}

// fail sends the close frame for a client's failure, then closes our side
// and reads what the client still sends for a moment before the
// connection is closed: closing with unread data in the socket would send
// a reset, which can destroy the close frame before the client reads it.
func (s *subscriber) fail(f *failure) {
	msg := websocket.FormatCloseMessage(f.code, f.reason)
	if err := s.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(closeGrace)); err != nil {
		return
	}
	if cw, ok := s.raw.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_ = s.raw.SetReadDeadline(time.Now().Add(closeGrace))
	_, _ = io.CopyN(io.Discard, s.raw, lingerBytes)
}

// lingerBytes bounds what fail reads after the close frame.
const lingerBytes = 256 << 10
