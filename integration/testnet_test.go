//go:build testnet

package integration_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cometstream/cometstream/client"
	"github.com/cometstream/cometstream/internal/fault"
)

// TestTestnet runs a local network of 4 validators and 1 full node as
// processes of the real binary, under a steady load of valid and invalid
// transactions submitted to every node, and checks the stream's promises
// on it: every node streams the same events, exactly the accepted
// transactions; nodes killed, crashed at each fault point or stopped
// recover without losing or repeating an event; clients that reconnect or
// fail over to another node get every event once; and thousands of
// subscribers on one node do not slow the chain. Subtests share the
// network and run in order; each starts by restarting any node a failed
// one left down.
func TestTestnet(t *testing.T) {
	start := time.Now()
	tn := newTestnet(t, 4, 1)
	t.Logf("network of %d nodes live at height %d after %v", len(tn.nodes), tn.height(), time.Since(start).Round(time.Millisecond))
	load := startTestnetLoad(t, tn.rpcAddrs(), 2)
	defer func() { t.Logf("load: %v; suite took %v", load, time.Since(start).Round(time.Second)) }()

	step := func(name string, f func(t *testing.T)) {
		t.Run(name, func(t *testing.T) {
			began := time.Now()
			tn.ensureUp(t)
			f(t)
			t.Logf("%s took %v, network at height %d", name, time.Since(began).Round(time.Millisecond), tn.height())
		})
	}
	step("1_every_node_streams_the_chain", func(t *testing.T) { testnetIdenticalStreams(t, tn) })
	step("2_sigkill_and_blocksync", func(t *testing.T) { testnetKillAndCatchUp(t, tn, tn.nodes[3]) })
	step("3_fault_points", func(t *testing.T) { testnetFaultPoints(t, tn, tn.nodes[2]) })
	step("4_node_restart_clients_reconnect", func(t *testing.T) { testnetClientsReconnect(t, tn, tn.nodes[4]) })
	step("5_client_fails_over", func(t *testing.T) { testnetClientFailover(t, tn, tn.nodes[1], tn.nodes[0]) })
	step("6_many_subscribers", func(t *testing.T) { testnetManySubscribers(t, tn, tn.nodes[1]) })
	// Last, the whole history, through every fault above, on every node.
	step("7_every_node_streams_the_whole_chain", func(t *testing.T) { testnetIdenticalStreams(t, tn) })
}

// testnetIdenticalStreams checks that every node's streams, read from
// height 1, equal CometBFT's blocks and accepted transactions, and that
// the load put refused transactions into blocks (which must be absent).
func testnetIdenticalStreams(t *testing.T, tn *tnNet) {
	tn.waitHeight(t, 15, 60*time.Second)
	upTo := tn.committed()
	c := tn.chain(t, upTo)
	refused := refusedInBlocks(t, tn, upTo)
	if len(c.txs) == 0 || refused == 0 {
		t.Fatalf("heights 1..%d hold %d accepted and %d refused transactions: the load did not reach the chain", upTo, len(c.txs), refused)
	}
	t.Logf("heights 1..%d: %d accepted transactions, %d refused in blocks", upTo, len(c.txs), refused)
	for _, n := range tn.nodes {
		checkNode(t, n, c, 1)
	}
}

// refusedInBlocks counts the transactions in blocks 1..upTo that
// FinalizeBlock refused.
func refusedInBlocks(t *testing.T, tn *tnNet, upTo int64) int {
	t.Helper()
	rpc := tn.source(t).rpc
	refused := 0
	for h := int64(1); h <= upTo; h++ {
		res, err := rpc.BlockResults(context.Background(), &h)
		if err != nil {
			t.Fatalf("block_results %d: %v", h, err)
		}
		for _, r := range res.TxsResults {
			if r.Code != 0 {
				refused++
			}
		}
	}
	return refused
}

// testnetKillAndCatchUp kills a validator with SIGKILL under load, lets
// the others go on without it, restarts it, and checks that it catches up
// and streams the same events, read from before the kill with from_height
// and from height 1.
func testnetKillAndCatchUp(t *testing.T, tn *tnNet, victim *tnNode) {
	killedAt := victim.height()
	victim.stop(t, syscall.SIGKILL)
	tn.waitHeight(t, killedAt+15, 60*time.Second)
	victim.start(t)
	behind := tn.height()
	waitFor(t, victim.Name+" caught up", 90*time.Second, func() bool { return victim.live(behind) })
	t.Logf("%s killed at height %d, restarted %d blocks behind, caught up", victim.Name, killedAt, behind-killedAt)

	upTo := victim.height()
	c := tn.chain(t, upTo)
	checkNode(t, victim, c, max(killedAt-3, 1))
	checkNode(t, victim, c, 1)
}

// testnetFaultPoints crashes a validator at each fault-injection point of
// a height a few blocks ahead, restarts it, and checks its streams from
// before that height and from height 1.
func testnetFaultPoints(t *testing.T, tn *tnNet, victim *tnNode) {
	for _, point := range fault.Points {
		t.Run(point, func(t *testing.T) {
			victim.stop(t, syscall.SIGTERM)
			at := max(tn.height(), victim.height()) + 4
			victim.start(t, fault.Env+"="+point+"@"+strconv.FormatInt(at, 10))
			if err := checkExitCode(victim.waitExit(t, 60*time.Second), fault.ExitCode); err != nil {
				t.Fatalf("%s with %s@%d: %v", victim.Name, point, at, err)
			}
			if want := fmt.Sprintf("fault injection: exiting at %s, height %d", point, at); !strings.Contains(victim.logs.tail(5), want) {
				t.Fatalf("%s did not exit at the fault point; log ends:\n%s", victim.Name, victim.logs.tail(5))
			}

			victim.start(t)
			target := max(tn.height(), at+2)
			waitFor(t, victim.Name+" back at the tip", 90*time.Second, func() bool { return victim.live(target) })
			upTo := victim.height()
			c := tn.chain(t, upTo)
			checkNode(t, victim, c, at-2)
			checkNode(t, victim, c, 1)
			if point == fault.MidLogWrite && !strings.Contains(victim.logs.tail(200), "repair") {
				t.Errorf("%s: no repair of the torn record logged", victim.Name)
			}
		})
	}
}

// testnetClientsReconnect stops a node for a while with Go clients on it
// (from height 1 and from the live edge, both streams), restarts it, and
// checks that each client, having reconnected to it, got every event once.
func testnetClientsReconnect(t *testing.T, tn *tnNet, target *tnNode) {
	cfg := func(blocks bool, from int64) client.Config {
		return client.Config{URLs: []string{target.StreamURL}, Blocks: blocks, FromHeight: from,
			MinBackoff: 50 * time.Millisecond, MaxBackoff: 500 * time.Millisecond}
	}
	live := tn.height() + 1
	clients := []struct {
		name   string
		blocks bool
		from   int64
		c      *collector
	}{
		{name: "transactions from 1", from: 1},
		{name: "blocks from 1", blocks: true, from: 1},
		{name: "transactions from the next height", from: live},
		{name: "blocks from the next height", blocks: true, from: live},
		{name: "blocks from the live edge (no from_height)", blocks: true},
	}
	for i := range clients {
		clients[i].c = startCollector(t, cfg(clients[i].blocks, clients[i].from), 0)
	}
	// Everyone on the node and past the replay before it stops.
	waitFor(t, "the clients at the live edge", 60*time.Second, func() bool {
		for _, c := range clients {
			if c.c.top.Load() < max(live, c.from) {
				return false
			}
		}
		return true
	})

	stoppedAt := target.height()
	target.stop(t, syscall.SIGTERM)
	tn.waitHeight(t, stoppedAt+10, 60*time.Second)
	target.start(t)
	waitFor(t, target.Name+" back at the tip", 90*time.Second, func() bool { return target.live(stoppedAt + 10) })

	upTo := target.height() + 2
	tn.waitHeight(t, upTo+1, 30*time.Second)
	for _, c := range clients {
		c.c.finishAt(upTo)
	}
	ch := tn.chain(t, upTo)
	for _, c := range clients {
		got := c.c.wait(t, 60*time.Second)
		from := c.from
		if from == 0 && len(got) > 0 {
			from = got[0].Height() // a live-edge subscription starts with a whole block
		}
		compareEvents(t, c.name, c.blocks, got, ch, from)
	}
	t.Logf("%s stopped at height %d while the network made %d blocks; %d clients got every event up to %d once",
		target.Name, stoppedAt, upTo-2-stoppedAt, len(clients), upTo)
}

// testnetClientFailover gives clients two nodes' URLs, kills the node they
// are on with SIGKILL mid-stream, and checks that they carry on from the
// other node, every event once.
func testnetClientFailover(t *testing.T, tn *tnNet, first, second *tnNode) {
	cfg := func(blocks bool) client.Config {
		return client.Config{URLs: []string{first.StreamURL, second.StreamURL}, Blocks: blocks, FromHeight: 1,
			MinBackoff: 50 * time.Millisecond, MaxBackoff: 500 * time.Millisecond}
	}
	txs := startCollector(t, cfg(false), 0)
	blocks := startCollector(t, cfg(true), 0)
	live := tn.height()
	waitFor(t, "the clients at the live edge", 60*time.Second, func() bool {
		return txs.top.Load() >= live && blocks.top.Load() >= live
	})

	killedAt := first.height()
	first.stop(t, syscall.SIGKILL)
	// Only the second node can deliver these heights.
	waitFor(t, "events from "+second.Name, 60*time.Second, func() bool {
		return txs.top.Load() >= killedAt+8 && blocks.top.Load() >= killedAt+8
	})
	upTo := blocks.top.Load()
	txs.finishAt(upTo)
	blocks.finishAt(upTo)
	tn.waitHeight(t, upTo+1, 30*time.Second)
	c := tn.chain(t, upTo)
	compareEvents(t, "transactions", false, txs.wait(t, 60*time.Second), c, 1)
	compareEvents(t, "blocks", true, blocks.wait(t, 60*time.Second), c, 1)
	t.Logf("%s killed at height %d; the clients went on from %s to height %d", first.Name, killedAt, second.Name, upTo)
	first.start(t)
}
