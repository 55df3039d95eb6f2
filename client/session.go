package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hashicorp/go-hclog"

	"github.com/cometstream/cometstream/wire"
)

// closeGrace bounds the wait for the server's reply to our close frame.
const closeGrace = time.Second

// Reasons in the close frames the client sends.
const (
	reasonDone     = "client done"
	reasonHandler  = "client stopped: handler error"
	reasonProtocol = "protocol violation"
	reasonTimeout  = "read timeout"
)

// session runs one connection to base until it fails or Run must stop. It
// reports whether the connection was healthy (sent a valid message or
// lasted MaxBackoff), which resets the backoff. An error wrapped by stop
// ends Run; any other error is the reason for reconnecting.
func (c *Client) session(ctx context.Context, base string, handler func(Event) error) (bool, error) {
	from, skip := c.pos.resume()
	u := c.cfg.streamURL(base, from)
	log := c.logger.With("url", u)

	conn, resp, err := c.cfg.Dialer.DialContext(ctx, u, c.cfg.Header)
	if err != nil {
		if ctx.Err() != nil {
			return false, stop(ctx.Err())
		}
		if errors.Is(err, websocket.ErrBadHandshake) && resp != nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
			rerr := refusalError(u, from, resp, body)
			if errors.Is(rerr, ErrPruned) || errors.Is(rerr, ErrRejected) {
				log.Error("subscription refused", "status", resp.StatusCode, "error", rerr)
				return false, stop(rerr)
			}
			log.Warn("subscription refused, retrying", "status", resp.StatusCode, "error", rerr)
			return false, rerr
		}
		log.Warn("connect failed, retrying", "error", err)
		return false, err
	}
	started := time.Now()

	cur := newCursor(&c.pos)
	if h := nextHeightHeader(resp.Header); h > 0 {
		cur.starts(h)
		if c.pos.learn(h) {
			log.Debug("start height from the server", "next_height", h)
		}
	}
	log.Info("connected", "from_height", from, "skip", skip, "next_height", resp.Header.Get(wire.HeaderNextHeight))

	s := &connState{conn: conn, timeout: c.cfg.ReadTimeout, writeTimeout: c.cfg.WriteTimeout}
	conn.SetReadLimit(c.cfg.ReadLimit)
	conn.SetPingHandler(s.ping)
	conn.SetPongHandler(func(string) error { s.renew(); return nil })

	// The watcher turns a cancelled ctx into a closing handshake that also
	// ends a read in progress.
	done := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case <-ctx.Done():
			s.shutdown(websocket.CloseNormalClosure, reasonDone)
		case <-done:
		}
	}()
	defer func() {
		close(done)
		<-watched
		_ = conn.Close()
	}()

	received := false
	healthy := func() bool { return received || time.Since(started) >= c.cfg.MaxBackoff }
	for {
		if ctx.Err() != nil {
			s.finish(websocket.CloseNormalClosure, reasonDone)
			return false, stop(ctx.Err())
		}
		s.renew()
		kind, data, err := conn.ReadMessage()
		if ctx.Err() != nil {
			s.finish(websocket.CloseNormalClosure, reasonDone)
			return false, stop(ctx.Err())
		}
		if err != nil {
			if c.logDisconnect(log, err) {
				s.shutdown(websocket.CloseGoingAway, reasonTimeout)
			}
			return healthy(), err
		}
		ev, deliver, err := c.accept(cur, kind, data)
		if err != nil {
			log.Error("protocol violation, reconnecting", "error", err)
			s.finish(websocket.CloseProtocolError, reasonProtocol)
			return false, err
		}
		received = true
		if !deliver {
			continue
		}
		if err := handler(ev); err != nil {
			s.finish(websocket.CloseNormalClosure, reasonHandler)
			return false, stop(err)
		}
		c.pos.delivered(ev)
	}
}

// accept decodes one message and checks it against the position.
func (c *Client) accept(cur *cursor, kind int, data []byte) (Event, bool, error) {
	if kind != websocket.TextMessage {
		return Event{}, false, fmt.Errorf("%w: message of type %d, not text", errProtocol, kind)
	}
	var ev Event
	var err error
	switch {
	case c.cfg.Blocks:
		ev.Block, err = decodeBlock(data)
	case c.cfg.TxResults:
		ev.Result, err = decodeResult(data)
	default:
		ev.Tx, err = decodeTx(data)
	}
	if err != nil {
		return Event{}, false, err
	}
	deliver, err := cur.check(ev)
	return ev, deliver, err
}

// logDisconnect logs why a connection ended, adopting a close reason's
// from_height as the start when the client knows no position of its own.
// It reports whether the read timed out, the one case where the server
// has not closed the connection already.
func (c *Client) logDisconnect(log hclog.Logger, err error) (timedOut bool) {
	var ce *websocket.CloseError
	var ne net.Error
	switch {
	case errors.As(err, &ce):
		hint, _ := wire.ParseResumeHeight(ce.Text)
		learned := c.pos.learn(hint)
		log.Info("stream closed by the server", "code", ce.Code, "reason", ce.Text, "hint_adopted", learned)
	case errors.Is(err, websocket.ErrReadLimit):
		log.Error("message larger than the read limit, reconnecting", "read_limit", c.cfg.ReadLimit)
	case errors.As(err, &ne) && ne.Timeout():
		log.Warn("nothing received within the read timeout, reconnecting", "read_timeout", c.cfg.ReadTimeout)
		return true
	default:
		log.Info("connection lost", "error", err)
	}
	return false
}

// nextHeightHeader is the Cometstream-Next-Height value, or 0 when absent
// or not a height.
func nextHeightHeader(h http.Header) int64 {
	n, _ := wire.ParseHeight(h.Get(wire.HeaderNextHeight))
	return n
}

// closeNow sends a close frame and drops the connection without waiting.
func (c *Client) closeNow(conn *websocket.Conn, code int) {
	_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reasonDone), time.Now().Add(c.cfg.WriteTimeout))
	_ = conn.Close()
}

// connState holds a connection's read deadline, which the reading goroutine
// renews and the closing handshake cuts short: once closing, renewals stop.
type connState struct {
	conn         *websocket.Conn
	timeout      time.Duration
	writeTimeout time.Duration

	mu      sync.Mutex
	closing bool
	once    sync.Once
}

func (s *connState) renew() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closing {
		_ = s.conn.SetReadDeadline(time.Now().Add(s.timeout))
	}
}

// ping answers a server ping and counts it as a sign of life.
func (s *connState) ping(data string) error {
	s.renew()
	err := s.conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(s.writeTimeout))
	if err == nil || errors.Is(err, websocket.ErrCloseSent) {
		return nil
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return nil // a late pong is the server's problem, not ours
	}
	return err
}

// shutdown starts the closing handshake: it sends the close frame and
// gives the reader closeGrace to see the reply. Safe from any goroutine.
func (s *connState) shutdown(code int, reason string) {
	s.once.Do(func() {
		s.mu.Lock()
		s.closing = true
		_ = s.conn.SetReadDeadline(time.Now().Add(closeGrace))
		s.mu.Unlock()
		_ = s.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(s.writeTimeout))
	})
}

// finish closes the handshake from the reading goroutine: it sends the
// close frame if the watcher has not, then reads until the server's reply
// (or closeGrace), discarding data.
func (s *connState) finish(code int, reason string) {
	s.shutdown(code, reason)
	for {
		if _, _, err := s.conn.NextReader(); err != nil {
			return
		}
	}
}
