package streamsvc_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/websocket"

	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/streamsvc"
)

// TestFromHeightReplaysThenGoesLive resumes at every block boundary of a
// committed range (and one past it), then appends more: each client gets
// every block from its height exactly once, replay and live joined with no
// gap or duplicate.
func TestFromHeightReplaysThenGoesLive(t *testing.T) {
	ts := startServer(t, streamsvc.Config{}, serverOptions{})
	committed := makeBlocks(1, 8, func(h int64) int { return int(h % 3) }) // some empty
	ts.append(t, committed...)
	type sub struct {
		from   int64
		txs    *client
		blocks *client
	}
	var subs []sub
	for from := int64(1); from <= 9; from++ {
		q := fmt.Sprintf("?from_height=%d", from)
		s := sub{from: from,
			txs:    dial(t, ts.url+streamsvc.PathTransactions+q, dialOptions{}),
			blocks: dial(t, ts.url+streamsvc.PathBlocks+q, dialOptions{})}
		s.txs.sync(t)
		s.blocks.sync(t)
		subs = append(subs, s)
	}
	live := makeBlocks(9, 3, func(int64) int { return 2 })
	ts.append(t, live...)
	all := append(committed, live...)
	for _, s := range subs {
		want := all[s.from-1:]
		wantTx := wantTxMsgs(want...)
		if diff := diffMsgs(wantTx, decodeAll[txMsg](t, s.txs.collect(t, len(wantTx)))); diff != "" {
			t.Errorf("from_height=%d valid_transactions (-want +got):\n%s", s.from, diff)
		}
		if diff := diffMsgs(wantBlockMsgs(want...), decodeAll[blockMsg](t, s.blocks.collect(t, len(want)))); diff != "" {
			t.Errorf("from_height=%d valid_blocks (-want +got):\n%s", s.from, diff)
		}
		s.txs.sync(t)
		s.txs.expectQuiet(t)
	}
}

// TestFromHeightAheadWaits asks for a height not committed yet.
func TestFromHeightAheadWaits(t *testing.T) {
	ts := startServer(t, streamsvc.Config{}, serverOptions{})
	ts.append(t, makeBlocks(1, 2, func(int64) int { return 1 })...)
	c := dial(t, ts.url+streamsvc.PathBlocks+"?from_height=5", dialOptions{})
	c.sync(t)
	ts.append(t, makeBlocks(3, 3, func(int64) int { return 1 })...) // 3, 4, 5
	if diff := cmp.Diff([]int64{5}, heights(decodeAll[blockMsg](t, c.collect(t, 1)))); diff != "" {
		t.Errorf("heights (-want +got):\n%s", diff)
	}
}

// TestFromHeightGone asks for a height the log no longer keeps.
func TestFromHeightGone(t *testing.T) {
	ts := startServer(t, streamsvc.Config{}, serverOptions{capacity: 4})
	ts.append(t, makeBlocks(1, 10, func(int64) int { return 1 })...)
	for _, path := range []string{streamsvc.PathTransactions, streamsvc.PathBlocks} {
		_, resp, err := websocket.DefaultDialer.Dial(ts.url+path+"?from_height=3", nil)
		if err == nil {
			t.Fatalf("%s: dial succeeded, want 410", path)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusGone {
			t.Fatalf("%s: status %d, want 410 (%s)", path, resp.StatusCode, body)
		}
		var doc struct {
			Message string `json:"message"`
			Status  int    `json:"status"`
			Oldest  int64  `json:"oldest_height"`
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatalf("%s: body %q: %v", path, body, err)
		}
		if doc.Oldest != 7 || doc.Status != 410 || !strings.Contains(doc.Message, "oldest") {
			t.Errorf("%s: body %+v, want oldest_height 7", path, doc)
		}
	}
}

func TestQueryRefusedBeforeUpgrade(t *testing.T) {
	ts := startServer(t, streamsvc.Config{}, serverOptions{})
	id := strings.Repeat("ab", 32)
	tests := []struct{ name, path, query string }{
		{"from_height zero", streamsvc.PathTransactions, "from_height=0"},
		{"from_height negative", streamsvc.PathTransactions, "from_height=-4"},
		{"from_height not a number", streamsvc.PathBlocks, "from_height=ten"},
		{"from_height float", streamsvc.PathBlocks, "from_height=1e3"},
		{"from_height twice", streamsvc.PathTransactions, "from_height=1&from_height=2"},
		{"unknown parameter", streamsvc.PathTransactions, "from=1"},
		{"asset id upper-case", streamsvc.PathTransactions, "asset_id=" + strings.ToUpper(id)},
		{"asset id short", streamsvc.PathTransactions, "asset_id=abc"},
		{"empty list item", streamsvc.PathTransactions, "asset_id=" + id + ",,"},
		{"public key not base58", streamsvc.PathTransactions, "public_key=0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl"},
		{"operation lower-case", streamsvc.PathTransactions, "operation=create"},
		{"filter on valid_blocks", streamsvc.PathBlocks, "operation=CREATE"},
		{"bad escape", streamsvc.PathTransactions, "operation=%zz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, resp, err := websocket.DefaultDialer.Dial(ts.url+tt.path+"?"+tt.query, nil)
			if err == nil {
				t.Fatal("dial succeeded, want 400")
			}
			defer resp.Body.Close()
			checkErrorResponse(t, resp, http.StatusBadRequest)
		})
	}
}

// TestNextHeightHeader checks the header a live client resumes from.
func TestNextHeightHeader(t *testing.T) {
	ts := startServer(t, streamsvc.Config{}, serverOptions{})
	header := func(query string) string {
		t.Helper()
		c, resp, err := websocket.DefaultDialer.Dial(ts.url+streamsvc.PathTransactions+query, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return resp.Header.Get(streamsvc.HeaderNextHeight)
	}
	if h := header(""); h != "" {
		t.Errorf("empty log: header %q, want none", h)
	}
	ts.append(t, makeBlocks(1, 3, func(int64) int { return 0 })...)
	if h := header(""); h != "4" {
		t.Errorf("live after 3 blocks: header %q, want 4", h)
	}
	if h := header("?from_height=2"); h != "2" {
		t.Errorf("from_height=2: header %q, want 2", h)
	}
}

// TestLiveSubscriberTooFarBehind lets a live subscriber fall MaxLagHeights
// behind while its writer is stuck; once it writes again it is closed with
// 1008 and the height to resume from.
func TestLiveSubscriberTooFarBehind(t *testing.T) {
	cfg := stallConfig(streamsvc.Config{WriteTimeout: 5 * time.Minute, MaxBatchBytes: 1, MaxLagHeights: 3})
	ts := startServer(t, cfg, serverOptions{firstSendBuffer: socketBuffer})
	release := make(chan struct{})
	slow := dial(t, ts.url+streamsvc.PathBlocks, dialOptions{recvBuffer: socketBuffer, holdAfter: 1, holdInside: true, release: release})
	slow.sync(t)
	sent := []*events.Block{makeBlock(1, 1), makeBlock(2, 30000)}
	ts.append(t, sent...)
	slow.waitHolding(t)
	ts.append(t, makeBlocks(3, 10, func(int64) int { return 1 })...)
	close(release)
	msgs, err := slow.end(t)
	wantCloseError(t, err, websocket.ClosePolicyViolation, "too far behind")
	wantCloseError(t, err, websocket.ClosePolicyViolation, fmt.Sprintf("resume with from_height=%d", len(msgs)+1))
	if diff := diffMsgs(wantBlockMsgs(makeBlocks(1, len(msgs), func(h int64) int {
		if h == 2 {
			return 30000
		}
		return 1
	})...), decodeAll[blockMsg](t, msgs)); diff != "" {
		t.Errorf("messages before the close (-want +got):\n%s", diff)
	}
}

// TestReplayIsNotHeldToTheLagLimit replays far more blocks than
// MaxLagHeights: a subscriber catching up from the log is not slow.
func TestReplayIsNotHeldToTheLagLimit(t *testing.T) {
	ts := startServer(t, streamsvc.Config{MaxLagHeights: 2, MaxBatchBytes: 1}, serverOptions{})
	blocks := makeBlocks(1, 50, func(int64) int { return 1 })
	ts.append(t, blocks...)
	c := dial(t, ts.url+streamsvc.PathBlocks+"?from_height=1", dialOptions{})
	if diff := diffMsgs(wantBlockMsgs(blocks...), decodeAll[blockMsg](t, c.collect(t, len(blocks)))); diff != "" {
		t.Errorf("replay (-want +got):\n%s", diff)
	}
}

// TestShutdownReasonNamesResumeHeight checks 1001 tells the client where to
// pick up.
func TestShutdownReasonNamesResumeHeight(t *testing.T) {
	ts := startServer(t, streamsvc.Config{}, serverOptions{})
	c := dial(t, ts.url+streamsvc.PathBlocks, dialOptions{})
	c.sync(t)
	ts.append(t, makeBlocks(1, 3, func(int64) int { return 1 })...)
	c.collect(t, 3)
	c.sync(t)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := ts.srv.Close(ctx); err != nil {
		t.Fatal(err)
	}
	_, err := c.end(t)
	wantCloseError(t, err, websocket.CloseGoingAway, "server shutting down; resume with from_height=4")
}
