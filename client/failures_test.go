package client_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/websocket"

	"github.com/cometstream/cometstream/client"
	"github.com/cometstream/cometstream/client/clienttest"
)

func TestPruned(t *testing.T) {
	tests := []struct {
		name     string
		from     int64
		plans    []clienttest.Plan
		want     client.PrunedError
		wantMsg  string
		requests int
	}{
		{
			name:     "first request",
			from:     5,
			want:     client.PrunedError{Requested: 5, Oldest: 120},
			wantMsg:  "height 5 is no longer kept by the node (oldest is 120)",
			requests: 1,
		},
		{
			name: "on resume",
			from: 120,
			// Two transactions of 120 delivered, then the node prunes.
			plans:    []clienttest.Plan{{After: 2, Action: clienttest.Drop}, {Status: http.StatusGone, Message: "pruned"}},
			want:     client.PrunedError{Requested: 120, Oldest: 120},
			wantMsg:  "height 120 is no longer kept by the node (oldest is 120)",
			requests: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, clienttest.Options{Blocks: clienttest.Blocks(120, 3, 3)})
			srv.Script(tt.plans...)
			c := newClient(t, client.Config{URLs: []string{srv.URL()}, FromHeight: tt.from})
			_, err := collectErr(t, c, 100)
			if !errors.Is(err, client.ErrPruned) {
				t.Fatalf("Run = %v, want ErrPruned", err)
			}
			var pe *client.PrunedError
			if !errors.As(err, &pe) {
				t.Fatalf("Run = %T, want *PrunedError", err)
			}
			got := *pe
			got.URL = ""
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("PrunedError (-want +got):\n%s", diff)
			}
			if err.Error() != tt.wantMsg {
				t.Errorf("message %q, want %q", err.Error(), tt.wantMsg)
			}
			if n := len(srv.Requests()); n != tt.requests {
				t.Errorf("%d requests, want %d: a 410 is not retried", n, tt.requests)
			}
		})
	}
}

func TestRejected(t *testing.T) {
	tests := []struct {
		name    string
		cfg     client.Config
		plan    clienttest.Plan
		status  int
		wantMsg string
	}{
		{"malformed filter", client.Config{Operations: []string{"bogus"}}, clienttest.Plan{}, 400, `operation "bogus" is not an operation name`},
		{"malformed asset id", client.Config{AssetIDs: []string{"asset-0"}}, clienttest.Plan{}, 400, `asset_id "asset-0" is not a transaction id`},
		{"forbidden", client.Config{}, clienttest.Plan{Status: 403, Message: "origin not allowed"}, 403, "origin not allowed"},
		{"not found", client.Config{}, clienttest.Plan{Status: 404, Message: "no stream"}, 404, "no stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, clienttest.Options{})
			srv.Script(tt.plan)
			cfg := tt.cfg
			cfg.URLs = []string{srv.URL()}
			_, err := collectErr(t, newClient(t, cfg), 1)
			var se *client.StatusError
			if !errors.As(err, &se) || !errors.Is(err, client.ErrRejected) {
				t.Fatalf("Run = %v, want a *StatusError matching ErrRejected", err)
			}
			if se.Status != tt.status || !strings.Contains(se.Message, tt.wantMsg) {
				t.Errorf("StatusError %+v, want status %d and a message with %q", se, tt.status, tt.wantMsg)
			}
			if n := len(srv.Requests()); n != 1 {
				t.Errorf("%d requests: a permanent refusal must not be retried", n)
			}
		})
	}
}

// TestHeader: Config.Header goes with every request; without the token
// the node's 401 ends Run.
func TestHeader(t *testing.T) {
	chain := clienttest.Blocks(1, 1)
	srv := newServer(t, clienttest.Options{Blocks: chain})
	srv.Script(clienttest.Plan{After: 0, Action: clienttest.Drop}) // the header must go on the retry too
	c := newClient(t, client.Config{URLs: []string{srv.URL()}, FromHeight: 1})
	checkEvents(t, clienttest.Messages(chain, false, clienttest.Filter{}), collect(t, c, 1))

	c = newClient(t, client.Config{URLs: []string{srv.URL()}, Header: http.Header{"Authorization": {"Bearer wrong"}}})
	_, err := collectErr(t, c, 1)
	var se *client.StatusError
	if !errors.As(err, &se) || se.Status != http.StatusUnauthorized || !errors.Is(err, client.ErrRejected) {
		t.Fatalf("Run = %v, want a 401 *StatusError matching ErrRejected", err)
	}
}

func TestServerErrorsRetried(t *testing.T) {
	chain := clienttest.Blocks(1, 2, 1)
	want := clienttest.Messages(chain, false, clienttest.Filter{})
	srv := newServer(t, clienttest.Options{Blocks: chain})
	srv.Script(
		clienttest.Plan{Status: http.StatusServiceUnavailable, Message: "server is shutting down"},
		clienttest.Plan{Status: http.StatusInternalServerError},
		clienttest.Plan{Status: http.StatusTooManyRequests},
	)
	c := newClient(t, client.Config{URLs: []string{srv.URL()}, FromHeight: 1})
	checkEvents(t, want, collect(t, c, len(want)))
	if n := len(srv.Requests()); n != 4 {
		t.Errorf("%d requests, want 3 refused and 1 served", n)
	}
}

// TestCloseHint: a 1001 close's from_height is adopted only while the
// client knows no position of its own.
func TestCloseHint(t *testing.T) {
	t.Run("adopted before anything is known", func(t *testing.T) {
		// Nothing committed yet: no Cometstream-Next-Height, and the
		// close says to resume from 1.
		srv := newServer(t, clienttest.Options{})
		srv.Script(clienttest.Plan{Action: clienttest.Close, Code: websocket.CloseGoingAway})
		c := newClient(t, client.Config{URLs: []string{srv.URL()}})
		chain := clienttest.Blocks(1, 1, 2)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			if srv.WaitFor(ctx, func(r []clienttest.Request, _ []int) bool { return len(r) >= 2 }) == nil {
				srv.Append(chain...)
			}
		}()
		want := clienttest.Messages(chain, false, clienttest.Filter{})
		checkEvents(t, want, collect(t, c, len(want)))
		if diff := cmp.Diff([]string{"", "1"}, fromHeights(srv.Requests())); diff != "" {
			t.Errorf("from_height per request (-want +got):\n%s", diff)
		}
	})
	t.Run("ignored once the client has a position", func(t *testing.T) {
		chain := clienttest.Blocks(1, 2, 2)
		srv := newServer(t, clienttest.Options{Blocks: chain})
		srv.Script(clienttest.Plan{After: 3, Action: clienttest.Close, Code: websocket.CloseGoingAway,
			Reason: "server shutting down; resume with from_height=99"})
		c := newClient(t, client.Config{URLs: []string{srv.URL()}, FromHeight: 1})
		want := clienttest.Messages(chain, false, clienttest.Filter{})
		checkEvents(t, want, collect(t, c, len(want)))
		if diff := cmp.Diff([]string{"1", "2"}, fromHeights(srv.Requests())); diff != "" {
			t.Errorf("from_height per request (-want +got):\n%s", diff)
		}
	})
}

// TestNextHeightStartsLive: a live client that loses its first connection
// before any event resumes from that connection's Cometstream-Next-Height,
// so blocks committed while it was away are not lost.
func TestNextHeightStartsLive(t *testing.T) {
	srv := newServer(t, clienttest.Options{Blocks: clienttest.Blocks(1, 1, 1, 1, 1, 1)})
	srv.Script(clienttest.Plan{Action: clienttest.Drop})
	more := clienttest.Blocks(6, 2, 1)
	var dials atomic.Int32
	d := &websocket.Dialer{
		HandshakeTimeout: time.Second,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if dials.Add(1) == 2 {
				srv.Append(more...) // committed while the client is away
			}
			var nd net.Dialer
			return nd.DialContext(ctx, network, addr)
		},
	}
	c := newClient(t, client.Config{URLs: []string{srv.URL()}, Dialer: d})
	want := clienttest.Messages(more, false, clienttest.Filter{})
	checkEvents(t, want, collect(t, c, len(want)))
	if diff := cmp.Diff([]string{"", "6"}, fromHeights(srv.Requests())); diff != "" {
		t.Errorf("from_height per request (-want +got):\n%s", diff)
	}
}

// TestUnreachableThenReachable: the node refuses connections at first;
// the client keeps trying, with growing waits, until it is up. The refusals
// come from the dialer: a really closed port would be one freed for the
// test, which another process may take in the meantime.
func TestUnreachableThenReachable(t *testing.T) {
	chain := clienttest.Blocks(1, 2, 1)
	srv := newServer(t, clienttest.Options{Blocks: chain})
	var (
		mu       sync.Mutex
		attempts []time.Time
	)
	d := &websocket.Dialer{
		HandshakeTimeout: time.Second,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			mu.Lock()
			attempts = append(attempts, time.Now())
			n := len(attempts)
			mu.Unlock()
			if n <= 3 {
				return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
			}
			var nd net.Dialer
			return nd.DialContext(ctx, network, addr)
		},
	}
	c := newClient(t, client.Config{URLs: []string{srv.URL()}, FromHeight: 1, Dialer: d,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 40 * time.Millisecond})
	want := clienttest.Messages(chain, false, clienttest.Filter{})
	checkEvents(t, want, collect(t, c, len(want)))

	mu.Lock()
	defer mu.Unlock()
	if len(attempts) != 4 {
		t.Fatalf("%d dial attempts, want 3 refused and 1 served", len(attempts))
	}
	// Waits start at 10ms and double, each drawn from its upper half:
	// 5-10ms, 10-20ms, then 20-40ms before the fourth attempt.
	for i, least := range []time.Duration{5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond} {
		if gap := attempts[i+1].Sub(attempts[i]); gap < least {
			t.Errorf("retry %d after %v, want at least %v", i+1, gap, least)
		}
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d requests reached the node, want 1", n)
	}
}

func TestHandlerErrorStopsRun(t *testing.T) {
	chain := clienttest.Blocks(1, 3)
	want := clienttest.Messages(chain, false, clienttest.Filter{})
	srv := newServer(t, clienttest.Options{Blocks: chain})
	c := newClient(t, client.Config{URLs: []string{srv.URL()}, FromHeight: 1})
	boom := errors.New("boom")
	var got []client.Event
	err := c.Run(context.Background(), func(e client.Event) error {
		got = append(got, e)
		if len(got) == 2 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Run = %v, want the handler's error", err)
	}
	waitFor(t, srv, "close 1000", func(_ []clienttest.Request, codes []int) bool {
		return slices.Contains(codes, websocket.CloseNormalClosure)
	})
	// The failed event was not delivered: the next Run starts with it.
	got = append(got[:1], collect(t, c, 2)...)
	checkEvents(t, want, got)
}

func TestCancel(t *testing.T) {
	t.Run("connected", func(t *testing.T) {
		srv := newServer(t, clienttest.Options{Blocks: clienttest.Blocks(1, 1)})
		c := newClient(t, client.Config{URLs: []string{srv.URL()}, FromHeight: 1})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		first := make(chan struct{})
		errc := make(chan error, 1)
		go func() {
			errc <- c.Run(ctx, func(client.Event) error {
				select {
				case <-first:
				default:
					close(first)
				}
				return nil
			})
		}()
		select {
		case <-first:
		case <-time.After(testTimeout):
			t.Fatal("no event")
		}
		start := time.Now()
		cancel()
		select {
		case err := <-errc:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Run = %v, want context.Canceled", err)
			}
		case <-time.After(testTimeout):
			t.Fatal("Run did not return after cancel")
		}
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Errorf("Run returned %v after cancel", d)
		}
		waitFor(t, srv, "close 1000", func(_ []clienttest.Request, codes []int) bool {
			return slices.Contains(codes, websocket.CloseNormalClosure)
		})
	})
	t.Run("backing off", func(t *testing.T) {
		srv := newServer(t, clienttest.Options{})
		srv.Script(clienttest.Plan{Status: http.StatusServiceUnavailable})
		c := newClient(t, client.Config{URLs: []string{srv.URL()}, MinBackoff: time.Hour, MaxBackoff: time.Hour})
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() { errc <- c.Run(ctx, func(client.Event) error { return nil }) }()
		waitFor(t, srv, "the refused request", func(r []clienttest.Request, _ []int) bool { return len(r) == 1 })
		cancel()
		select {
		case err := <-errc:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Run = %v, want context.Canceled", err)
			}
		case <-time.After(testTimeout):
			t.Fatal("Run did not return after cancel")
		}
	})
}

// TestReadTimeout: a connection that goes silent is replaced; one the
// server keeps pinging is not.
func TestReadTimeout(t *testing.T) {
	t.Run("silent", func(t *testing.T) {
		chain := clienttest.Blocks(1, 2, 1)
		srv := newServer(t, clienttest.Options{Blocks: chain})
		srv.Script(clienttest.Plan{After: 1, Action: clienttest.Stall})
		c := newClient(t, client.Config{URLs: []string{srv.URL()}, FromHeight: 1, ReadTimeout: 100 * time.Millisecond})
		want := clienttest.Messages(chain, false, clienttest.Filter{})
		checkEvents(t, want, collect(t, c, len(want)))
		if diff := cmp.Diff([]string{"1", "1"}, fromHeights(srv.Requests())); diff != "" {
			t.Errorf("from_height per request (-want +got):\n%s", diff)
		}
	})
	t.Run("pinged", func(t *testing.T) {
		srv := newServer(t, clienttest.Options{PingInterval: 10 * time.Millisecond})
		c := newClient(t, client.Config{URLs: []string{srv.URL()}, ReadTimeout: 500 * time.Millisecond})
		chain := clienttest.Blocks(1, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			if srv.WaitFor(ctx, func(r []clienttest.Request, _ []int) bool { return len(r) > 0 }) != nil {
				return
			}
			// Three read timeouts long, kept alive by pings alone (50 per
			// timeout: a loaded machine may delay a few).
			select {
			case <-time.After(1500 * time.Millisecond):
				srv.Append(chain...)
			case <-ctx.Done():
			}
		}()
		checkEvents(t, clienttest.Messages(chain, false, clienttest.Filter{}), collect(t, c, 1))
		if n := len(srv.Requests()); n != 1 {
			t.Errorf("%d connections, want the first kept alive by pings", n)
		}
	})
}
