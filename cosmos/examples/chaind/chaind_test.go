package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/cometstream/cometstream/client"
)

// txAt is a transfer as the chain records it.
type txAt struct {
	hash   string
	height int64
	index  uint32
}

// A real chain of chaind processes (init, keys, genesis account, gentx,
// collect-gentxs, start), bank transfers sent with its CLI, and two kill -9
// of the node, each followed by a restart: one with a transfer just
// broadcast, one the moment a transfer is committed. A Go client reading
// tx_results under a transfer.recipient query from height 1 receives
// every committed transfer exactly once, in order, across the kill; a
// fresh read of tx_results and of valid_transactions from height 1 gives
// the same list; every hash and height is what `chaind query tx` shows.
func TestChaindTransfersAcrossKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a chain")
	}
	c := newChain(t, buildChaind(t))
	t.Cleanup(c.kill)
	c.start()
	bob := c.mustCLI("keys", "show", "bob", "-a", "--keyring-backend", "test")
	query := "tm.event='Tx' AND transfer.recipient='" + bob + "'"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	live := make(chan client.Event, 64)
	cl, err := client.New(client.Config{
		URLs: []string{"ws://" + c.stream}, TxResults: true, Query: query, FromHeight: 1,
		MinBackoff: 50 * time.Millisecond, MaxBackoff: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	rctx, stopReader := context.WithCancel(ctx)
	readerDone := make(chan error, 1)
	go func() {
		readerDone <- cl.Run(rctx, func(e client.Event) error {
			select {
			case live <- e:
				return nil
			case <-rctx.Done():
				return rctx.Err()
			}
		})
	}()
	defer func() {
		stopReader()
		if err := <-readerDone; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("client: %v", err)
		}
	}()

	var sent []string
	sendCommitted := func(amount int) {
		t.Helper()
		h, err := c.send(bob, amount)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.waitCommitted(ctx, h); err != nil {
			t.Fatal(err)
		}
		sent = append(sent, h)
	}
	for i := range 3 {
		sendCommitted(10 + i)
	}
	// Broadcast one more and kill the node while it is in the mempool or
	// being committed: it is lost with the mempool or committed, and the
	// stream must say exactly what the chain says.
	h, err := c.send(bob, 20)
	if err != nil {
		t.Fatal(err)
	}
	sent = append(sent, h)
	c.kill()
	c.start()
	sendCommitted(30)
	// And once the moment CometBFT's RPC shows a transfer committed: the
	// stream's own record of that block may or may not be on disk yet,
	// which the restart's reconciliation settles.
	if h, err = c.send(bob, 40); err != nil {
		t.Fatal(err)
	}
	sent = append(sent, h)
	if err := c.waitIndexed(ctx, h); err != nil {
		t.Fatal(err)
	}
	c.kill()
	c.start()
	for i := range 2 {
		sendCommitted(50 + i)
	}

	// What the chain holds: each sent transfer's height per query tx.
	var want []txAt
	for _, h := range sent {
		height, code, err := c.committed(h)
		if err != nil {
			t.Fatal(err)
		}
		if height == 0 {
			t.Logf("%s was lost with the mempool at the kill", h)
			continue
		}
		if code != 0 {
			t.Fatalf("%s committed with code %d", h, code)
		}
		want = append(want, txAt{hash: h, height: height})
	}
	sort.SliceStable(want, func(i, j int) bool { return want[i].height < want[j].height })
	if len(want) < 6 {
		t.Fatalf("the chain holds %d of the transfers", len(want))
	}

	// A last transfer marks the end: everything before it in a stream
	// must be exactly want.
	sendCommitted(99)
	last := sent[len(sent)-1]
	lastHeight, _, _ := c.committed(last)
	want = append(want, txAt{hash: last, height: lastHeight})

	var got []txAt
	for len(got) < len(want) {
		select {
		case e := <-live:
			got = append(got, txAt{hash: e.Result.Hash, height: e.Result.Height})
		case <-ctx.Done():
			t.Fatalf("live client: %d of %d transfers (%v): %v", len(got), len(want), got, ctx.Err())
		}
	}
	same(t, "live tx_results across the kill", got, want)

	q := url.QueryEscape(query)
	got = nil
	for _, m := range readStream(t, c.stream, "/api/v1/streams/tx_results?from_height=1&query="+q, len(want)) {
		got = append(got, txAt{hash: m["hash"].(string), height: int64(m["height"].(float64))})
	}
	same(t, "tx_results from height 1", got, want)

	// The chain's only transactions are these transfers (the gentx is in
	// genesis, not in a block): valid_transactions from height 1 is the
	// same list, by lower-case id.
	got = nil
	for _, m := range readStream(t, c.stream, "/api/v1/streams/valid_transactions?from_height=1", len(want)) {
		got = append(got, txAt{hash: strings.ToUpper(m["transaction_id"].(string)), height: int64(m["height"].(float64))})
	}
	same(t, "valid_transactions from height 1", got, want)

	// Say whether a kill fell between CometBFT's commit and the stream's
	// append (then a restart records the heights the log missed).
	log, _ := os.ReadFile(c.log.Name())
	for _, line := range strings.Split(string(log), "\n") {
		if strings.Contains(line, "missing from the event log") {
			t.Log(strings.TrimSpace(line))
		}
	}
}

func same(t *testing.T, what string, got, want []txAt) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s:\n got %v\nwant %v (per chaind query tx)", what, got, want)
	}
}

// readStream reads n messages of a stream path.
func readStream(t *testing.T, addr, path string, n int) []map[string]any {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+addr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var out []map[string]any
	for len(out) < n {
		_ = conn.SetReadDeadline(time.Now().Add(2 * time.Minute))
		var m map[string]any
		if err := conn.ReadJSON(&m); err != nil {
			t.Fatalf("%s: after %d of %d messages: %v", path, len(out), n, err)
		}
		out = append(out, m)
	}
	return out
}
