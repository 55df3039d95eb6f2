package integration_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cometstream/cometstream/client"
	"github.com/cometstream/cometstream/ledger/txbuild"
)

// TestClientReconnectsUnderLoad cuts the Go client's connection again and
// again while a steady load commits transactions: it must deliver every
// valid transaction exactly once, in order, as CometBFT committed them.
func TestClientReconnectsUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	n := startNode(t, testConfig(t, t.TempDir()))
	proxy := newCutProxy(t, n.StreamAddr())

	c, err := client.New(client.Config{URLs: []string{"ws://" + proxy.addr()}, FromHeight: 1,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	key := txbuild.NewKeyPair()
	marker := txbuild.Create("3.0", key, "QmMarker", nil, txbuild.To("1", key)).MustSign()

	var mu sync.Mutex
	var got []client.TxEvent
	errMarker := errors.New("marker seen")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	runErr := make(chan error, 1)
	go func() {
		runErr <- c.Run(ctx, func(e client.Event) error {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, *e.Tx)
			if e.Tx.TransactionID == marker.ID {
				return errMarker
			}
			return nil
		})
	}()

	ld := startLoad(n.RPCAddr(), n.RPCAddr())
	for i := 0; i < 25; i++ {
		time.Sleep(120 * time.Millisecond)
		proxy.cut()
	}
	ld.halt()
	res, err := n.rpc.BroadcastTxCommit(ctx, marker.Raw)
	if err != nil || res.TxResult.Code != 0 {
		t.Fatalf("marker: %v %+v", err, res)
	}
	if err := <-runErr; !errors.Is(err, errMarker) {
		t.Fatalf("client stopped: %v", err)
	}
	_, want := chainFromRPC(t, n.rpc, res.Height)
	if len(want) < 20 {
		t.Fatalf("only %d valid txs committed: the load did not run", len(want))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("client events (-CometBFT +client):\n%s", diff)
	}
	t.Logf("%d events through %d connection cuts", len(got), proxy.cuts)
}
