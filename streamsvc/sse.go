package streamsvc

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/internal/httpserve"
	"github.com/cometstream/cometstream/wire"
)

// Server-Sent Events: the stream paths answer a GET that accepts
// text/event-stream (and is no WebSocket upgrade) with the same messages,
// one event each, whose id is "<height>:<i>" (i: the message's place among
// the block's messages before any filter) or "<height>" on valid_blocks. A
// browser's EventSource sends the last id it saw as Last-Event-ID when it
// reconnects; the stream goes on right after it. Keep-alives are comment
// lines; a stream the server ends gets an "end" event with the reason and
// the height to resume from, as a WebSocket close reason carries them.

// wantsSSE reports whether r asks for an event stream.
func wantsSSE(r *http.Request) bool {
	return !websocket.IsWebSocketUpgrade(r) && httpserve.HasMediaType(r.Header, "Accept", "text/event-stream")
}

// lastEventID is a parsed Last-Event-ID: resume at height, after the
// message numbered index (index -1: the whole height was seen, as a
// valid_blocks id says).
type lastEventID struct {
	height int64
	index  int
}

// parseLastEventID reads "<height>:<index>" or "<height>".
func parseLastEventID(s string, blocks bool) (lastEventID, error) {
	hs, is, hasIndex := strings.Cut(s, ":")
	h, err := strconv.ParseInt(hs, 10, 64)
	if err != nil || h < 1 || len(s) > 40 {
		return lastEventID{}, fmt.Errorf("Last-Event-ID %q: want <height>:<index> as this stream's event ids are", s)
	}
	if blocks || !hasIndex {
		if hasIndex {
			return lastEventID{}, fmt.Errorf("Last-Event-ID %q: valid_blocks ids are a height", s)
		}
		return lastEventID{height: h, index: -1}, nil
	}
	i, err := strconv.Atoi(is)
	if err != nil || i < 0 {
		return lastEventID{}, fmt.Errorf("Last-Event-ID %q: the index after the colon must be a number", s)
	}
	return lastEventID{height: h, index: i}, nil
}

// handleSSE serves one event stream. It runs in the request's goroutine,
// which net/http owns, until the stream ends.
func (s *Server) handleSSE(w http.ResponseWriter, r *http.Request, path string) {
	switch {
	case r.Method != http.MethodGet:
		s.refuse(w, &refusal{http.StatusMethodNotAllowed, "streams accept only GET", "method"})
		return
	case !s.originAllowed(r.Header.Get("Origin")):
		s.refuse(w, &refusal{http.StatusForbidden, "origin not allowed", "origin"})
		return
	}
	if s.cfg.Tokens != nil {
		if err := s.cfg.Tokens.check(r); err != nil {
			s.refuse(w, &refusal{http.StatusUnauthorized, err.Error(), "unauthorized"})
			return
		}
	}
	q, err := ParseQuery(path, r.URL.RawQuery)
	if err != nil {
		s.refuse(w, &refusal{http.StatusBadRequest, err.Error(), "bad_query"})
		return
	}
	blocks := path == wire.PathBlocks
	last := lastEventID{index: -1}
	if id := r.Header.Get("Last-Event-ID"); id != "" {
		if last, err = parseLastEventID(id, blocks); err != nil {
			s.refuse(w, &refusal{http.StatusBadRequest, err.Error(), "bad_query"})
			return
		}
		// The id says where the client is, whatever from_height it
		// asked for first (EventSource repeats the original URL).
		q.FromHeight = last.height
		if last.index < 0 {
			q.FromHeight++
		}
	}
	reader, done, ok := s.open(w, r, q)
	if !ok {
		return
	}
	defer done()
	stream := strings.TrimPrefix(path, wire.StreamPrefix)
	s.metrics.Connections.WithLabelValues(stream).Inc()
	defer s.metrics.Connections.WithLabelValues(stream).Dec()
	sse := &sseSubscriber{srv: s, w: w, rc: http.NewResponseController(w), r: r, reader: reader, query: q, blocks: blocks,
		cache: s.streams[path].plain, events: s.streams[path].sse, last: last, resume: reader.NextHeight()}
	reason := sse.run()
	s.metrics.Closed.WithLabelValues(reason).Inc()
}

// sseSubscriber is one event stream.
type sseSubscriber struct {
	srv    *Server
	w      http.ResponseWriter
	rc     *http.ResponseController
	r      *http.Request
	reader *events.Reader
	query  Query
	blocks bool        // valid_blocks: ids are heights
	cache  *frameCache // the stream's plain frames, for the filters
	events *frameCache // the same as events, shared by the stream's subscribers
	bufs   [][]byte    // the events gathered for one write
	last   lastEventID // messages at last.height up to last.index were seen
	resume int64
	live   bool
	buf    []byte
}

func (s *sseSubscriber) run() string {
	h := s.w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // proxies such as nginx: do not buffer
	if next := s.reader.NextHeight(); next > 0 {
		h.Set(HeaderNextHeight, strconv.FormatInt(next, 10))
	}
	// The http.Server's deadlines bound a request, not a stream: clear the
	// read deadline and set the write one per write.
	_ = s.rc.SetReadDeadline(time.Time{})
	s.w.WriteHeader(http.StatusOK)
	// retry: how soon an EventSource reconnects after a drop.
	if !s.write(append(s.buf[:0], "retry: 1000\n\n"...)) {
		return "write_failed"
	}
	ping := time.NewTicker(s.srv.cfg.PingInterval)
	defer ping.Stop()
	for {
		wake := s.srv.cfg.Log.Wait()
		more, err := s.gather()
		switch {
		case errors.Is(err, events.ErrPruned):
			s.end("fell behind the oldest block kept")
			return "pruned"
		case err != nil:
			s.srv.logger.Error("reading the event log", "error", err, "resume", s.resume)
			s.end("event log unavailable")
			return "log_error"
		}
		if len(s.bufs) > 0 && !s.writeAll(s.bufs) {
			return "write_failed"
		}
		if next := s.reader.NextHeight(); next > 0 {
			s.resume = next
		}
		if more {
			wake = closedChan
		}
		if s.live {
			if lag := s.reader.Lag(); lag > s.srv.cfg.MaxLagHeights {
				s.end(fmt.Sprintf("too far behind (%d blocks)", lag))
				return "too_slow"
			}
		}
		select {
		case <-s.srv.done:
			s.end("server shutting down")
			return "shutdown"
		case <-s.r.Context().Done():
			return "disconnected"
		case <-ping.C:
			if !s.write(append(s.buf[:0], ": ping\n\n"...)) {
				return "write_failed"
			}
		case <-wake:
		}
	}
}

// gather appends the events of the blocks available, up to the batch
// caps, to s.bufs (slices of the stream's shared events: nothing is copied
// per subscriber until the write); more: it stopped at a cap.
func (s *sseSubscriber) gather() (more bool, err error) {
	clear(s.bufs)
	s.bufs = s.bufs[:0]
	size := 0
	add := func(p []byte) {
		if len(p) > 0 {
			s.bufs = append(s.bufs, p)
			size += len(p)
		}
	}
	for range maxBatchBlocks {
		if size >= s.srv.cfg.MaxBatchBytes {
			return true, nil
		}
		b, err := s.reader.TryNext()
		if errors.Is(err, events.ErrNotYet) {
			s.live = true
			return false, nil
		}
		if err != nil {
			return false, err
		}
		f, e := s.cache.get(b), s.events.get(b)
		if !s.query.Filtered() && b.Height != s.last.height {
			add(e.data) // the whole block, as every unfiltered subscriber gets it
			continue
		}
		for i := range f.ends {
			if b.Height == s.last.height && i <= s.last.index {
				continue // the client has it
			}
			if s.query.Filtered() && !s.query.matchFrame(b, &f, i) {
				continue
			}
			add(e.frame(i))
		}
	}
	return true, nil
}

// sseEvents lays out a block's events as an event stream sends them, once
// for every subscriber of the stream: "id: <height>:<i>" (valid_blocks:
// the height), the message as the data line, a blank line; ends[i] ends
// the i-th, as in the frames they are made from.
func sseEvents(b *events.Block, f frames, blocks bool) frames {
	size := len(f.data)
	for range f.ends {
		size += 40 // the id line, the field names and the blank line
	}
	out := frames{data: make([]byte, 0, size), ends: make([]int, len(f.ends))}
	for i := range f.ends {
		out.data = append(out.data, "id: "...)
		out.data = strconv.AppendInt(out.data, b.Height, 10)
		if !blocks {
			out.data = append(out.data, ':')
			out.data = strconv.AppendInt(out.data, int64(i), 10)
		}
		out.data = append(out.data, "\ndata: "...)
		out.data = append(out.data, framePayload(f.frame(i))...)
		out.data = append(out.data, "\n\n"...)
		out.ends[i] = len(out.data)
	}
	return out
}

// framePayload is the message inside one of the cache's frames: unmasked,
// uncompressed, so the header is 2, 4 or 10 bytes by the length code
// (RFC 6455 5.2). JSON from the encoders has no raw newline, so it is one
// data line.
func framePayload(fr []byte) []byte {
	switch fr[1] & 0x7f {
	case 126:
		return fr[4:]
	case 127:
		return fr[10:]
	default:
		return fr[2:]
	}
}

// writeAll sends the gathered events (shared, read-only) and flushes
// them, within WriteTimeout.
func (s *sseSubscriber) writeAll(bufs [][]byte) bool {
	_ = s.rc.SetWriteDeadline(time.Now().Add(s.srv.cfg.WriteTimeout))
	for _, p := range bufs {
		if _, err := s.w.Write(p); err != nil {
			return false
		}
	}
	return s.rc.Flush() == nil
}

// write sends p and flushes it, within WriteTimeout.
func (s *sseSubscriber) write(p []byte) bool {
	_ = s.rc.SetWriteDeadline(time.Now().Add(s.srv.cfg.WriteTimeout))
	if _, err := s.w.Write(p); err != nil {
		return false
	}
	return s.rc.Flush() == nil
}

// end sends the "end" event: why the server ends the stream and where to
// resume, in the words of a WebSocket close reason.
func (s *sseSubscriber) end(why string) {
	s.buf = append(s.buf[:0], "event: end\ndata: "...)
	s.buf = strconv.AppendQuote(s.buf, wire.ResumeReason(why, s.resume))
	s.buf = append(s.buf, "\n\n"...)
	_ = s.write(s.buf)
}
