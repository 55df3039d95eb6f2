package streamsvc

import (
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hashicorp/go-hclog"

	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/wire"
)

// closeGrace is how long the writer waits for the client's close reply, and
// how long a close frame may take to write.
const closeGrace = time.Second

// subscriber is one WebSocket connection. Its writer goroutine (run) owns
// every write to the socket; its reader goroutine (readLoop) only reads.
type subscriber struct {
	srv   *Server
	conn  *websocket.Conn
	raw   net.Conn
	cache *frameCache
	// deflate: permessage-deflate was negotiated; client messages may
	// be compressed.
	deflate bool
	reader  *events.Reader
	query   Query
	logger  hclog.Logger

	pings    chan string   // client ping payloads the writer must answer
	readDone chan struct{} // closed when readLoop returns
	readErr  error         // set before readDone is closed

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

func newSubscriber(s *Server, conn *websocket.Conn, reader *events.Reader, q Query, cache *frameCache, deflate bool, path string, id uint64) *subscriber {
	return &subscriber{
		deflate:  deflate,
		srv:      s,
		conn:     conn,
		raw:      conn.NetConn(),
		cache:    cache,
		reader:   reader,
		query:    q,
		logger:   s.logger.With("conn", id, "remote", conn.RemoteAddr().String(), "stream", path),
		pings:    make(chan string, 1),
		readDone: make(chan struct{}),
		resume:   reader.NextHeight(),
	}
}

// run is the writer goroutine. It returns, with the reason the subscriber
// ended (a metrics label), after the connection is closed and the reader
// goroutine has returned.
func (s *subscriber) run() string {
	s.logger.Debug("subscriber connected", "from_height", s.query.FromHeight, "filtered", s.query.Filtered())
	go s.readLoop()
	defer func() {
		_ = s.raw.Close()
		<-s.readDone
	}()
	ping := time.NewTicker(s.srv.cfg.PingInterval)
	defer ping.Stop()

	for {
		wake := s.srv.cfg.Log.Wait()
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
		if more {
			// More is waiting: do not block, but still give control work
			// its turn so a steady flow cannot starve pings or shutdown.
			wake = closedChan
		}
		if s.live {
			if lag := s.reader.Lag(); lag > s.srv.cfg.MaxLagHeights {
				s.logger.Info("closing slow subscriber", "lag", lag, "resume", s.resume)
				s.closeWith(websocket.ClosePolicyViolation, fmt.Sprintf("too far behind (%d blocks)", lag))
				return "too_slow"
			}
		}
		select {
		case <-s.srv.done:
			s.closeWith(websocket.CloseGoingAway, "server shutting down")
			return "shutdown"
		case <-s.readDone:
			return s.peerGone()
		case p := <-s.pings:
			if !s.control(websocket.PongMessage, []byte(p)) {
				return "write_failed"
			}
		case <-ping.C:
			if !s.control(websocket.PingMessage, nil) {
				return "write_failed"
			}
		case <-wake:
		}
	}
}

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
	t := time.NewTimer(closeGrace)
	defer t.Stop()
	select {
	case <-s.readDone:
	case <-t.C:
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
// The reader goroutine has returned, so reading here is safe.
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

// readLoop reads and discards client messages (see inbound). Every frame,
// pongs included, proves the client alive and renews the read deadline.
func (s *subscriber) readLoop() {
	defer close(s.readDone)
	alive := s.srv.cfg.PingInterval + s.srv.cfg.PongTimeout
	renew := func() { _ = s.raw.SetReadDeadline(time.Now().Add(alive)) }
	pace := newBucket(s.srv.cfg.ClientMessagesPerSecond, s.srv.cfg.ClientMessageBurst)
	throttle := func() {
		if d := pace.wait(); d > 0 {
			// Not reading is the point: the client's sends back up.
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-s.srv.done:
			}
			t.Stop()
		}
	}
	renew()
	in := &inbound{conn: s.raw, deflate: s.deflate, limit: s.srv.cfg.ReadLimit, alive: renew,
		ping: func(p []byte) {
			throttle()
			offerLatest(s.pings, string(p)) // the writer answers
		}}
	// The writer answers close frames and failures (peerGone), keeping all
	// our writes in one goroutine.
	for {
		if err := in.discardMessage(); err != nil {
			s.readErr = err
			return
		}
		throttle()
	}
}

// offerLatest leaves p in ch (capacity 1, whose one receiver is the
// writer), in place of a ping payload still waiting there: RFC 6455 5.5.3
// lets an endpoint answer only the most recent of several pings, never
// only an older one (a client waiting for its latest pong would wait for
// ever). The reader is ch's only sender, so the loop ends at once.
func offerLatest(ch chan string, p string) {
	for {
		select {
		case ch <- p:
			return
		default:
		}
		select {
		case <-ch: // the older ping's pong is not owed any more
		default:
		}
	}
}
