package streamsvc

import (
	"errors"
	"io"
	"net"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hashicorp/go-hclog"

	"github.com/cometstream/cometstream/events"
)

// Close codes and reasons the server sends.
const (
	reasonShutdown = "server shutting down"
	reasonTooSlow  = "subscriber too slow: fell behind the oldest block the server keeps"
)

// closeGrace is how long the writer waits for the client's close reply.
const closeGrace = time.Second

// subscriber is one WebSocket connection. Its writer goroutine (run) owns
// every write to the socket; its reader goroutine (readLoop) only reads.
type subscriber struct {
	srv    *Server
	conn   *websocket.Conn
	raw    net.Conn
	cache  *frameCache
	reader *events.Reader
	logger hclog.Logger

	pings    chan string   // client ping payloads the writer must answer
	readDone chan struct{} // closed when readLoop returns
	readErr  error         // set before readDone is closed

	batch net.Buffers
}

func newSubscriber(s *Server, conn *websocket.Conn, reader *events.Reader, cache *frameCache, path string, id uint64) *subscriber {
	return &subscriber{
		srv:      s,
		conn:     conn,
		raw:      conn.NetConn(),
		cache:    cache,
		reader:   reader,
		logger:   s.logger.With("conn", id, "remote", conn.RemoteAddr().String(), "stream", path),
		pings:    make(chan string, 1),
		readDone: make(chan struct{}),
	}
}

// run is the writer goroutine. It returns after the connection is closed and
// the reader goroutine has returned.
func (s *subscriber) run() {
	s.logger.Debug("subscriber connected")
	go s.readLoop()
	defer func() {
		_ = s.raw.Close()
		<-s.readDone
	}()
	ping := time.NewTicker(s.srv.cfg.PingInterval)
	defer ping.Stop()

	for {
		wake := s.srv.cfg.Log.Wait()
		n, err := s.gather()
		if errors.Is(err, events.ErrPruned) {
			s.logger.Info("closing slow subscriber", "error", err)
			s.closeWith(websocket.ClosePolicyViolation, reasonTooSlow)
			return
		}
		if n > 0 {
			if !s.flush() {
				return
			}
			// More may be waiting: do not block, but still give control
			// work its turn so a steady flow cannot starve pings or
			// shutdown.
			wake = closedChan
		}
		select {
		case <-s.srv.done:
			s.closeWith(websocket.CloseGoingAway, reasonShutdown)
			return
		case <-s.readDone:
			s.peerGone()
			return
		case p := <-s.pings:
			if !s.control(websocket.PongMessage, []byte(p)) {
				return
			}
		case <-ping.C:
			if !s.control(websocket.PingMessage, nil) {
				return
			}
		case <-wake:
		}
	}
}

// closedChan is always ready; see run.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// gather collects the frames of the blocks available to this subscriber, up
// to MaxBatchBytes, into s.batch.
func (s *subscriber) gather() (int, error) {
	size := 0
	for size < s.srv.cfg.MaxBatchBytes {
		b, err := s.reader.TryNext()
		if errors.Is(err, events.ErrNotYet) {
			break
		}
		if err != nil {
			return size, err
		}
		f := s.cache.get(b)
		if len(f.data) > 0 {
			s.batch = append(s.batch, f.data)
			size += len(f.data)
		}
	}
	return size, nil
}

// flush writes the gathered frames in one call. The frames are whole, so
// the socket never sees a control frame of gorilla's (a close on a protocol
// error) land inside one of ours: Go serialises Write calls on a connection.
func (s *subscriber) flush() bool {
	bufs := s.batch
	_ = s.raw.SetWriteDeadline(time.Now().Add(s.srv.cfg.WriteTimeout))
	_, err := bufs.WriteTo(s.raw)
	clear(s.batch)
	s.batch = s.batch[:0]
	if err != nil {
		s.logger.Info("subscriber dropped: write failed", "error", err, "next_height", s.reader.NextHeight())
		return false
	}
	return true
}

func (s *subscriber) control(kind int, payload []byte) bool {
	if err := s.conn.WriteControl(kind, payload, time.Now().Add(s.srv.cfg.WriteTimeout)); err != nil {
		s.logger.Debug("control write failed", "error", err)
		return false
	}
	return true
}

// closeWith sends a close frame and waits briefly for the client's reply.
func (s *subscriber) closeWith(code int, reason string) {
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

// peerGone answers a client's close frame, or notes a dropped connection.
func (s *subscriber) peerGone() {
	var ce *websocket.CloseError
	if errors.As(s.readErr, &ce) {
		s.logger.Debug("subscriber closed the stream", "code", ce.Code, "text", ce.Text)
		code := ce.Code
		if code == websocket.CloseNoStatusReceived {
			code = websocket.CloseNormalClosure
		}
		_ = s.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), time.Now().Add(closeGrace))
		return
	}
	s.logger.Debug("subscriber connection ended", "error", s.readErr)
}

// readLoop reads and discards client messages. Every frame, pongs included,
// proves the client alive and renews the read deadline.
func (s *subscriber) readLoop() {
	defer close(s.readDone)
	alive := s.srv.cfg.PingInterval + s.srv.cfg.PongTimeout
	renew := func() { _ = s.conn.SetReadDeadline(time.Now().Add(alive)) }
	renew()
	s.conn.SetReadLimit(s.srv.cfg.ReadLimit)
	s.conn.SetPongHandler(func(string) error { renew(); return nil })
	s.conn.SetPingHandler(func(p string) error {
		renew()
		select {
		case s.pings <- p: // the writer answers; only the latest matters
		default:
		}
		return nil
	})
	// The writer answers close frames (peerGone), keeping all our writes in
	// one goroutine.
	s.conn.SetCloseHandler(func(int, string) error { return nil })
	for {
		_, r, err := s.conn.NextReader()
		if err != nil {
			s.readErr = err
			return
		}
		renew()
		if _, err := io.Copy(io.Discard, r); err != nil {
			s.readErr = err
			return
		}
	}
}
