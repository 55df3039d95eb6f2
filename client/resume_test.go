package client_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/websocket"

	"github.com/cometstream/cometstream/client"
	"github.com/cometstream/cometstream/client/clienttest"
)

func TestLiveDelivery(t *testing.T) {
	srv := newServer(t, clienttest.Options{Blocks: clienttest.Blocks(1, 1, 2, 1)})
	c := newClient(t, client.Config{URLs: []string{srv.URL()}})
	more := clienttest.Blocks(4, 2, 0, 3)

	go func() {
		// The request fixes the live edge (tip 3); what is committed after
		// it is the client's.
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		if srv.WaitFor(ctx, func(r []clienttest.Request, _ []int) bool { return len(r) > 0 }) == nil {
			srv.Append(more...)
		}
	}()
	want := clienttest.Messages(more, false, clienttest.Filter{})
	checkEvents(t, want, collect(t, c, len(want)))
	if diff := cmp.Diff([]string{""}, fromHeights(srv.Requests())); diff != "" {
		t.Errorf("from_height per request (-want +got):\n%s", diff)
	}
}

// TestResumeEveryPosition cuts the first connection after each possible
// number of messages, in every way a server can, and checks that every
// event arrives exactly once, in order, and that the client resumed from
// the height of its last event.
func TestResumeEveryPosition(t *testing.T) {
	chain := wellFormed(clienttest.Blocks(1, 2, 0, 3, 1, 4, 2))
	cuts := []struct {
		name string
		plan clienttest.Plan
	}{
		{"drop", clienttest.Plan{Action: clienttest.Drop}},
		{"1001", clienttest.Plan{Action: clienttest.Close, Code: websocket.CloseGoingAway}},
		{"1008", clienttest.Plan{Action: clienttest.Close, Code: websocket.ClosePolicyViolation}},
	}
	streams := []struct {
		name   string
		cfg    client.Config
		blocks bool
		filter clienttest.Filter
	}{
		{"transactions", client.Config{}, false, clienttest.Filter{}},
		{"filtered", client.Config{Operations: []string{"TRANSFER", "CREATE"}, AssetIDs: []string{assetID(0), assetID(2)}}, false,
			clienttest.Filter{Operations: []string{"TRANSFER", "CREATE"}, AssetIDs: []string{assetID(0), assetID(2)}}},
		{"by key", client.Config{PublicKeys: []string{publicKey(1)}}, false,
			clienttest.Filter{PublicKeys: []string{publicKey(1)}}},
		{"blocks", client.Config{Blocks: true}, true, clienttest.Filter{}},
	}
	for _, st := range streams {
		want := clienttest.Messages(chain, st.blocks, st.filter)
		for _, cut := range cuts {
			for pos := 0; pos <= len(want); pos++ {
				t.Run(fmt.Sprintf("%s/%s/after_%d", st.name, cut.name, pos), func(t *testing.T) {
					srv := newServer(t, clienttest.Options{Blocks: chain})
					plan := cut.plan
					plan.After = pos
					srv.Script(plan)
					cfg := st.cfg
					cfg.URLs, cfg.FromHeight = []string{srv.URL()}, 1
					checkEvents(t, want, collect(t, newClient(t, cfg), len(want)))

					reqs := srv.Requests()
					if pos == len(want) {
						return // cut after everything: nothing to resume
					}
					wantFrom := "1"
					switch {
					case pos > 0 && st.blocks:
						wantFrom = strconv.FormatInt(want[pos-1].(clienttest.BlockMessage).Height+1, 10)
					case pos > 0:
						wantFrom = heightOf(want[pos-1])
					}
					if len(reqs) < 2 || reqs[1].Query.Get("from_height") != wantFrom {
						t.Errorf("from_height per request = %q, want the second %q", fromHeights(reqs), wantFrom)
					}
				})
			}
		}
	}
}

// TestManyDisconnects cuts every connection, each one message later than
// the one before, so that the client resumes mid-block again and again.
func TestManyDisconnects(t *testing.T) {
	chain := clienttest.Blocks(10, 3, 5, 0, 4, 1, 6, 2)
	want := clienttest.Messages(chain, false, clienttest.Filter{})
	srv := newServer(t, clienttest.Options{Blocks: chain})
	for i := 1; i <= 12; i++ {
		srv.Script(clienttest.Plan{After: i, Action: clienttest.Drop})
	}
	c := newClient(t, client.Config{URLs: []string{srv.URL()}, FromHeight: 10})
	checkEvents(t, want, collect(t, c, len(want)))
	if n := len(srv.Requests()); n < 5 {
		t.Errorf("%d connections, want several", n)
	}
}

// TestRunAgainContinues shows that the position outlives Run.
func TestRunAgainContinues(t *testing.T) {
	chain := clienttest.Blocks(1, 3, 2)
	want := clienttest.Messages(chain, false, clienttest.Filter{})
	srv := newServer(t, clienttest.Options{Blocks: chain})
	c := newClient(t, client.Config{URLs: []string{srv.URL()}, FromHeight: 1})
	got := collect(t, c, 2)
	got = append(got, collect(t, c, len(want)-2)...)
	checkEvents(t, want, got)
	if diff := cmp.Diff([]string{"1", "1"}, fromHeights(srv.Requests())); diff != "" {
		t.Errorf("from_height per request (-want +got):\n%s", diff)
	}
}

func TestFailover(t *testing.T) {
	chain := clienttest.Blocks(1, 2, 3, 1, 2)
	want := clienttest.Messages(chain, false, clienttest.Filter{})
	a := newServer(t, clienttest.Options{Blocks: chain})
	b := newServer(t, clienttest.Options{Blocks: chain})
	a.Script(clienttest.Plan{After: 3, Action: clienttest.Die}) // mid-block 2
	c := newClient(t, client.Config{URLs: []string{a.URL(), b.URL()}, FromHeight: 1})

	checkEvents(t, want, collect(t, c, len(want)))
	if diff := cmp.Diff([]string{"1"}, fromHeights(a.Requests())); diff != "" {
		t.Errorf("requests to the first node (-want +got):\n%s", diff)
	}
	if got := fromHeights(b.Requests()); len(got) == 0 || got[0] != "2" {
		t.Errorf("requests to the second node = %q, want the first from_height=2", got)
	}
}

// TestServerRestart takes the node down (1001) mid-stream and brings it
// back with more blocks. The client's dialer stands for the node's address:
// it refuses while no server is up, then reaches the new one (a server
// restarted on the very port could find it taken by another process).
func TestServerRestart(t *testing.T) {
	chain := clienttest.Blocks(1, 2, 2, 1)
	more := clienttest.Blocks(4, 3, 1)
	want := clienttest.Messages(append(slices.Clone(chain), more...), false, clienttest.Filter{})
	var up atomic.Pointer[clienttest.Server]
	up.Store(newServer(t, clienttest.Options{Blocks: chain}))
	d := &websocket.Dialer{
		HandshakeTimeout: time.Second,
		NetDialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			s := up.Load()
			if s == nil {
				return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
			}
			var nd net.Dialer
			return nd.DialContext(ctx, network, s.Addr())
		},
	}
	c := newClient(t, client.Config{URLs: []string{"ws://node.test:9985"}, FromHeight: 1, Dialer: d})

	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	halfway := make(chan struct{})
	restarted := make(chan *clienttest.Server, 1)
	go func() {
		defer close(restarted)
		select {
		case <-halfway:
		case <-ctx.Done():
			return
		}
		up.Swap(nil).Close() // subscribers get 1001
		s, err := clienttest.NewServer(withToken(clienttest.Options{Blocks: append(slices.Clone(chain), more...)}))
		if err != nil {
			t.Error(err)
			cancel()
			return
		}
		up.Store(s)
		restarted <- s
	}()
	var got []client.Event
	err := c.Run(ctx, func(e client.Event) error {
		got = append(got, e)
		if len(got) == 3 {
			close(halfway)
		}
		if len(got) == len(want) {
			cancel()
		}
		return nil
	})
	second := <-restarted
	if second != nil {
		defer second.Close()
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v", err)
	}
	checkEvents(t, want, got)
	if second != nil {
		if r := fromHeights(second.Requests()); len(r) == 0 || r[0] == "" {
			t.Errorf("requests after the restart = %q, want a from_height", r)
		}
	}
}
