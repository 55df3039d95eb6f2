package streamsvc_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cometstream/cometstream/streamsvc"
)

// sseEvent is one Server-Sent Event as a browser's EventSource parses it.
type sseEvent struct {
	id, event, data string
}

// sseStream is an open event stream.
type sseStream struct {
	resp *http.Response
	rd   *bufio.Reader
	// comments counts keep-alive comment lines read.
	comments int
}

// openSSE GETs path of the test server as an event stream; lastID, when
// set, is sent as EventSource sends it on a reconnect.
func openSSE(t *testing.T, ts *testServer, path, lastID string) *sseStream {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http"+strings.TrimPrefix(ts.url, "ws")+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("GET %s: %s, %s", path, resp.Status, resp.Header.Get("Content-Type"))
	}
	return &sseStream{resp: resp, rd: bufio.NewReader(resp.Body)}
}

// next reads one event (skipping the retry field and comments).
func (s *sseStream) next(t *testing.T) sseEvent {
	t.Helper()
	var ev sseEvent
	for {
		line, err := s.rd.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the event stream: %v", err)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if ev.data != "" || ev.event != "" {
				return ev
			}
		case strings.HasPrefix(line, ":"):
			s.comments++
		case strings.HasPrefix(line, "id: "):
			ev.id = line[4:]
		case strings.HasPrefix(line, "event: "):
			ev.event = line[7:]
		case strings.HasPrefix(line, "data: "):
			ev.data += line[6:]
		}
	}
}

func (s *sseStream) txs(t *testing.T, n int) ([]txMsg, []string) {
	t.Helper()
	var msgs []txMsg
	var ids []string
	for range n {
		ev := s.next(t)
		var m txMsg
		if err := json.Unmarshal([]byte(ev.data), &m); err != nil {
			t.Fatalf("event %+v: %v", ev, err)
		}
		msgs, ids = append(msgs, m), append(ids, ev.id)
	}
	return msgs, ids
}

// An event stream cut anywhere, even inside a block, resumes from the
// Last-Event-ID an EventSource sends with nothing lost or repeated; it
// carries live blocks too.
func TestSSEResumesFromLastEventID(t *testing.T) {
	ts := startServer(t, streamsvc.Config{}, serverOptions{})
	blocks := makeBlocks(1, 6, func(int64) int { return 3 })
	ts.append(t, blocks[:4]...)

	first := openSSE(t, ts, "/api/v1/streams/valid_transactions?from_height=1", "")
	got, ids := first.txs(t, 5) // ends in the middle of height 2
	if ids[0] != "1:0" || ids[4] != "2:1" {
		t.Fatalf("ids %v; want 1:0 ... 2:1", ids)
	}
	first.resp.Body.Close()

	// EventSource repeats its URL, from_height=1 included: the id wins.
	again := openSSE(t, ts, "/api/v1/streams/valid_transactions?from_height=1", ids[4])
	rest, _ := again.txs(t, 7)
	got = append(got, rest...)
	ts.append(t, blocks[4:]...)
	live, _ := again.txs(t, 6)
	got = append(got, live...)
	if d := diffMsgs(wantTxMsgs(blocks...), got); d != "" {
		t.Fatal(d)
	}
}

// valid_blocks' ids are heights; a filter applies as on the WebSocket, and
// the ids keep the transactions' places in the unfiltered block, so a
// resumed filtered stream skips exactly what was seen.
func TestSSEBlocksAndFilters(t *testing.T) {
	ts := startServer(t, streamsvc.Config{}, serverOptions{})
	blocks := makeBlocks(1, 3, func(int64) int { return 2 })
	ts.append(t, blocks...)

	bs := openSSE(t, ts, "/api/v1/streams/valid_blocks?from_height=1", "")
	for h := int64(1); h <= 3; h++ {
		ev := bs.next(t)
		var m blockMsg
		if err := json.Unmarshal([]byte(ev.data), &m); err != nil || ev.id != fmt.Sprint(h) || m.Height != h {
			t.Fatalf("block event %+v (%v); want id and height %d", ev, err, h)
		}
	}
	resumed := openSSE(t, ts, "/api/v1/streams/valid_blocks", "2")
	if ev := resumed.next(t); ev.id != "3" {
		t.Fatalf("after Last-Event-ID 2: event %+v; want height 3", ev)
	}

	id := blocks[1].Txs[1].ID
	f := openSSE(t, ts, "/api/v1/streams/valid_transactions?from_height=1&asset_id="+id, "")
	got, ids := f.txs(t, 1)
	if got[0].TransactionID != id || ids[0] != "2:1" {
		t.Fatalf("filtered: %v %v; want %s as 2:1", got, ids, id)
	}
}

// Bad input is a JSON error before any event; the keep-alive is a
// comment line; a shutdown ends the stream with an end event naming the
// height to resume from.
func TestSSEErrorsKeepAliveAndEnd(t *testing.T) {
	ts := startServer(t, streamsvc.Config{PingInterval: 10 * time.Millisecond}, serverOptions{})
	ts.append(t, makeBlocks(1, 2, func(int64) int { return 1 })...)
	for _, tc := range []struct {
		path, lastID string
	}{
		{"/api/v1/streams/valid_transactions?from_height=x", ""},
		{"/api/v1/streams/valid_transactions", "abc"},
		{"/api/v1/streams/valid_transactions", "2:-1"},
		{"/api/v1/streams/valid_blocks", "2:0"},
	} {
		req, _ := http.NewRequest(http.MethodGet, "http"+strings.TrimPrefix(ts.url, "ws")+tc.path, nil)
		req.Header.Set("Accept", "text/event-stream")
		if tc.lastID != "" {
			req.Header.Set("Last-Event-ID", tc.lastID)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		checkErrorResponse(t, resp, http.StatusBadRequest)
	}

	s := openSSE(t, ts, "/api/v1/streams/valid_blocks", "")
	for s.comments < 2 {
		line, err := s.rd.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(line, ": ping") {
			s.comments++
		}
	}
	done := make(chan error, 1)
	go func() { done <- ts.srv.Close(t.Context()) }()
	ev := s.next(t)
	if ev.event != "end" || !strings.Contains(ev.data, "server shutting down") || !strings.Contains(ev.data, "3") {
		t.Fatalf("at shutdown: %+v; want an end event resuming at 3", ev)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// On the server's own listener, whose HTTP timeouts bound a request, an
// event stream outlives them: its deadlines are set per write.
func TestSSEOutlivesRequestTimeouts(t *testing.T) {
	srv, err := streamsvc.New(streamsvc.Config{Addr: "127.0.0.1:0", Log: newLog(t, 16),
		HandshakeTimeout: 50 * time.Millisecond, PingInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close(t.Context()) })
	ts := &testServer{srv: srv, url: "ws://" + srv.Addr().String()}
	s := openSSE(t, ts, "/api/v1/streams/valid_blocks", "")
	start := time.Now()
	for pings := 0; pings < 10 || time.Since(start) < 200*time.Millisecond; {
		line, err := s.rd.ReadString('\n')
		if err != nil {
			t.Fatalf("after %d pings, %v: %v", pings, time.Since(start), err)
		}
		if strings.HasPrefix(line, ": ping") {
			pings++
		}
	}
}
