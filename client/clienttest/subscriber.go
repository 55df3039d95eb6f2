package clienttest

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/gorilla/websocket"

	"github.com/cometstream/cometstream/wire"
)

// subscriber streams to one connection from the handler's goroutine; a
// second goroutine reads, so that control frames are answered.
type subscriber struct {
	srv    *Server
	conn   *websocket.Conn
	plan   Plan
	next   int64 // next height to send
	blocks bool
	filter Filter

	sent     int
	readDone chan struct{}
}

func (s *subscriber) run() {
	s.readDone = make(chan struct{})
	go s.read()
	defer func() {
		_ = s.conn.Close()
		<-s.readDone
	}()
	var ping <-chan time.Time
	if d := s.srv.opts.PingInterval; d > 0 {
		t := time.NewTicker(d)
		defer t.Stop()
		ping = t.C
	}
	if s.plan.Frames != nil {
		for _, f := range s.plan.Frames {
			if !s.write([]byte(f)) {
				return
			}
		}
		s.act(s.next)
		return
	}
	for {
		s.srv.mu.Lock()
		var pending []Block
		for _, b := range s.srv.blocks {
			if b.Height >= s.next {
				pending = append(pending, b)
			}
		}
		grew := s.srv.grew
		s.srv.mu.Unlock()

		for _, b := range pending {
			for _, m := range messages(b, s.blocks, s.filter) {
				if s.due() {
					s.act(b.Height)
					return
				}
				data, _ := json.Marshal(m)
				if !s.write(data) {
					return
				}
				s.sent++
			}
			s.next = b.Height + 1
		}
		if s.due() {
			s.act(s.next)
			return
		}
		select {
		case <-grew:
		case <-ping:
			if s.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)) != nil {
				return
			}
		case <-s.readDone:
			return
		case <-s.srv.done:
			s.closeWith(websocket.CloseGoingAway, wire.ResumeReason("server shutting down", s.next))
			return
		}
	}
}

// due reports whether the plan's action is now.
func (s *subscriber) due() bool {
	return s.plan.Action != Continue && s.sent >= s.plan.After
}

// act carries out the plan's action; resume is the height the client
// should ask for next.
func (s *subscriber) act(resume int64) {
	switch s.plan.Action {
	case Drop:
	case Close:
		reason := s.plan.Reason
		if reason == "" {
			switch s.plan.Code {
			case websocket.CloseGoingAway:
				reason = wire.ResumeReason("server shutting down", resume)
			case websocket.ClosePolicyViolation:
				reason = wire.ResumeReason("subscriber too slow", resume)
			}
		}
		s.closeWith(s.plan.Code, reason)
	case Stall, Continue:
		select {
		case <-s.readDone:
		case <-s.srv.done:
		}
	case Die:
		s.srv.die()
	}
}

func (s *subscriber) write(data []byte) bool {
	_ = s.conn.SetWriteDeadline(time.Now().Add(writeWait))
	return s.conn.WriteMessage(websocket.TextMessage, data) == nil
}

// closeWith sends a close frame and waits a moment for the reply.
func (s *subscriber) closeWith(code int, reason string) {
	msg := websocket.FormatCloseMessage(code, reason)
	if s.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(writeWait)) != nil {
		return
	}
	t := time.NewTimer(time.Second)
	defer t.Stop()
	select {
	case <-s.readDone:
	case <-t.C:
	}
}

// read discards client messages and records the close code a client sends.
func (s *subscriber) read() {
	defer close(s.readDone)
	for {
		_, _, err := s.conn.NextReader()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			s.srv.mu.Lock()
			s.srv.codes = append(s.srv.codes, ce.Code)
			s.srv.notify()
			s.srv.mu.Unlock()
		}
		return
	}
}
