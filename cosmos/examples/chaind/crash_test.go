package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cometstream/cometstream/internal/fault"
)

// The chain stops, as a kill at that instant would, at each point of a
// height's commit path that the library marks (the SDK's listener calls,
// the log's append), with transfers from several senders in flight; each
// restart records what the log missed. Afterwards tx_results and
// valid_transactions from height 1 hold every transfer the chain
// committed, once, in (height, index) order, as CometBFT's /tx places
// them: an SDK chain has the node's crash guarantee.
func TestChaindCrashAtEachFaultPoint(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a chain")
	}
	senders := []string{"s0", "s1", "s2", "s3"}
	c := newChain(t, buildChaind(t), senders...)
	t.Cleanup(c.kill)
	c.start()
	bob := c.mustCLI("keys", "show", "bob", "-a", "--keyring-backend", "test")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()

	var sent []string
	var faulted []int64
	for _, point := range fault.Points {
		// The fault's height is a few blocks past the restart, so the
		// senders are busy when it comes.
		h, err := c.height()
		if err != nil {
			t.Fatal(err)
		}
		c.kill()
		at := h + 12
		c.env = []string{fault.Env + "=" + fmt.Sprintf("%s@%d", point, at)}
		faulted = append(faulted, at)
		c.start()
		sent = append(sent, c.sendUntilExit(ctx, senders, bob)...)
		if code := c.node.ProcessState.ExitCode(); code != fault.ExitCode {
			log, _ := os.ReadFile(c.log.Name())
			t.Fatalf("%s@%d: chaind exited with %d, not the fault's %d:\n%s", point, at, code, fault.ExitCode, tail(log, 4000))
		}
		c.node = nil
		c.env = nil
		c.start()
		t.Logf("%s@%d: stopped there, restarted", point, at)
	}
	h, err := c.send(bob, 99)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.waitIndexed(ctx, h); err != nil {
		t.Fatal(err)
	}
	sent = append(sent, h)

	// Where each transfer is, read from CometBFT's blocks: its tx index is
	// filled asynchronously after a commit and never again, so a block
	// committed just before a fault may be missing from it.
	top, err := c.height()
	if err != nil {
		t.Fatal(err)
	}
	inBlocks, err := c.blockTxs(top)
	if err != nil {
		t.Fatal(err)
	}
	var want []txAt
	for _, h := range sent {
		if at, ok := inBlocks[h]; ok {
			want = append(want, at)
		}
	}
	sort.Slice(want, func(i, j int) bool {
		if want[i].height != want[j].height {
			return want[i].height < want[j].height
		}
		return want[i].index < want[j].index
	})
	t.Logf("%d transfers sent, %d committed", len(sent), len(want))
	for _, at := range faulted {
		n := 0
		for _, w := range want {
			if w.height == at {
				n++
			}
		}
		t.Logf("height %d, where the chain stopped, holds %d of them", at, n)
	}

	q := url.QueryEscape("transfer.recipient='" + bob + "'")
	var got []txAt
	for _, m := range readStream(t, c.stream, "/api/v1/streams/tx_results?from_height=1&query="+q, len(want)) {
		got = append(got, txAt{hash: m["hash"].(string), height: int64(m["height"].(float64)), index: uint32(m["index"].(float64))})
	}
	same(t, "tx_results from height 1", got, want)
	// valid_transactions has no index: its order is the comparison.
	got = nil
	for _, m := range readStream(t, c.stream, "/api/v1/streams/valid_transactions?from_height=1", len(want)) {
		got = append(got, txAt{hash: strings.ToUpper(m["transaction_id"].(string)), height: int64(m["height"].(float64))})
	}
	for i := range want {
		want[i].index = 0
	}
	same(t, "valid_transactions from height 1", got, want)

	log, _ := os.ReadFile(c.log.Name())
	for _, line := range strings.Split(string(log), "\n") {
		if strings.Contains(line, "missing from the event log") || strings.Contains(line, "fault injection") {
			t.Log(strings.TrimSpace(line))
		}
	}
}

// sendUntilExit has each sender send transfers to to, one at a time (the
// CLI takes the sequence from committed state), until the node exits; it
// returns every hash the node accepted.
func (c *chain) sendUntilExit(ctx context.Context, senders []string, to string) []string {
	// One context for every wait, ended by the node's exit.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-c.exited:
		case <-ctx.Done():
		}
		cancel()
	}()
	var (
		mu   sync.Mutex
		sent []string
		wg   sync.WaitGroup
	)
	for i, from := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ctx.Err() == nil; n++ {
				h, err := c.sendFrom(from, to, 100*(i+1)+n)
				if err != nil {
					continue // the node is going or gone, or the sequence raced a commit
				}
				mu.Lock()
				sent = append(sent, h)
				mu.Unlock()
				_ = c.waitIndexed(ctx, h)
			}
		}()
	}
	wg.Wait()
	<-c.exited
	return sent
}
