//go:build testnet

package integration_test

import (
	"syscall"
	"testing"
	"time"
)

// TestKVStoreTestnet runs the embedding app (CometBFT's kvstore with the
// stream, examples/kvstore/cmd/kvstream) as two validator processes under
// load, kills one with SIGKILL (the chain halts without it: each has half
// the power) and restarts it, then reads both streams of both nodes from
// height 1: every block and every transaction of the chain, by CometBFT's
// tx hash, nothing lost or twice.
func TestKVStoreTestnet(t *testing.T) {
	nodes := newKVNet(t, 2)
	for _, n := range nodes {
		n.start(t)
	}
	both := func(min int64) func() bool {
		return func() bool { return nodes[0].height() >= min && nodes[1].height() >= min }
	}
	waitFor(t, "both validators committing", 90*time.Second, both(3))
	ld := startKVLoad(nodes...)
	defer ld.halt()
	waitFor(t, "blocks under load", 90*time.Second, both(10))

	killed := nodes[1]
	_ = killed.proc.cmd.Process.Signal(syscall.SIGKILL)
	killed.waitExit(t, 60*time.Second)
	at := nodes[0].height()
	killed.start(t)
	waitFor(t, "the chain moving on after the restart", 120*time.Second, both(at+6))

	upTo := min(nodes[0].height(), nodes[1].height())
	// valid_transactions ends at the first event past upTo.
	waitFor(t, "blocks past the checked range", 60*time.Second, both(upTo+3))
	for _, n := range nodes {
		checkKVNode(t, n, upTo, nodes...)
	}
}
