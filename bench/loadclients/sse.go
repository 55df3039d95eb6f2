package loadclients

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cometstream/cometstream/bench"
)

// maxSSELine caps a line of an event stream. The longest the server sends
// is a valid_blocks message of a big block (about 70 bytes per
// transaction); a longer line ends the stream rather than grow the buffer
// without bound.
const maxSSELine = 1 << 20

// sseClient is the sse mode's HTTP client: connections from cfg.Source, one
// per stream (a stream holds its connection until it ends), and set-up
// bounded as a WebSocket handshake is.
func sseClient(nd *net.Dialer, cfg Config) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext:           nd.DialContext,
		ResponseHeaderTimeout: cfg.HandshakeTimeout,
		DisableCompression:    true,
	}}
}

// dialSSE opens one event stream: a GET with Accept: text/event-stream,
// subscribed once the 200 arrives (the server admits the subscriber
// before it answers).
func dialSSE(ctx context.Context, hc *http.Client, cfg Config) (*conn, error) {
	ctx, cancel := context.WithCancel(ctx)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cfg.URL, nil)
	if err != nil {
		cancel()
		return nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := hc.Do(req)
	if err != nil {
		cancel()
		return nil, err
	}
	media, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode != http.StatusOK || media != "text/event-stream" {
		_ = resp.Body.Close() // a refusal: its body is not read
		cancel()
		return nil, fmt.Errorf("event stream: HTTP %d, %s", resp.StatusCode, media)
	}
	return &conn{sse: resp.Body, cancel: cancel}, nil
}

// readSSE reads the event stream until it ends. Each data line is one
// message, whose height is recorded as a WebSocket message's is; the data
// of an "end" event is why the server ended the stream.
func (c *conn) readSSE(bufSize int) {
	sc := bufio.NewScanner(c.sse)
	sc.Buffer(make([]byte, 0, bufSize), maxSSELine)
	var event []byte // the event field of the event being read
	for sc.Scan() {
		now := time.Now().UnixNano()
		line := sc.Bytes()
		if len(line) == 0 {
			event = event[:0] // the event is complete
			continue
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(field) {
		case "event":
			event = append(event[:0], value...)
		case "data":
			if string(event) == "end" {
				c.end("end " + sseEndReason(value))
				continue
			}
			if h, ok := height(bench.ModeStream, value); ok {
				c.record(h, now)
			}
		}
		// A comment (": ping", an empty field), id and retry need nothing.
	}
	switch err := sc.Err(); {
	case errors.Is(err, bufio.ErrTooLong):
		c.end(fmt.Sprintf("line over %d bytes", maxSSELine))
	case err != nil:
		c.end(errorKind(err))
	default:
		c.end("EOF without an end event")
	}
}

// sseEndReason is an end event's reason, cut at its first ";" as a close
// frame's (the server appends the height to resume from).
func sseEndReason(data []byte) string {
	text, err := strconv.Unquote(string(data))
	if err != nil {
		text = string(data)
	}
	text, _, _ = strings.Cut(text, ";")
	return text
}
