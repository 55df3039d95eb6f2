package client_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/go-hclog"

	"github.com/cometstream/cometstream/client"
	"github.com/cometstream/cometstream/client/clienttest"
)

// testTimeout bounds every wait in these tests.
const testTimeout = 15 * time.Second

// token is this process's bearer token: the fake servers refuse requests
// without it, so a client of another test process that dials a port one of
// ours has since taken cannot show up in our requests or use our plans.
var token = rand.Text()

// withToken adds the token to a server's options.
func withToken(opts clienttest.Options) clienttest.Options {
	opts.Token = token
	return opts
}

func newServer(t *testing.T, opts clienttest.Options) *clienttest.Server {
	t.Helper()
	s, err := clienttest.NewServer(withToken(opts))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// newClient fills in fast backoff and a test logger.
func newClient(t *testing.T, cfg client.Config) *client.Client {
	t.Helper()
	if cfg.MinBackoff == 0 {
		cfg.MinBackoff = time.Millisecond
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = 20 * time.Millisecond
	}
	if cfg.Header == nil {
		cfg.Header = http.Header{"Authorization": {"Bearer " + token}}
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.New(&hclog.LoggerOptions{Name: t.Name(), Level: hclog.Debug, Output: t.Output()})
	}
	c, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// collect runs c until n events were delivered, then cancels it. It fails
// the test unless Run then returns context.Canceled.
func collect(t *testing.T, c *client.Client, n int) []client.Event {
	t.Helper()
	got, err := collectErr(t, c, n)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run after %d of %d events: %v", len(got), n, err)
	}
	return got
}

func collectErr(t *testing.T, c *client.Client, n int) ([]client.Event, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	timer := time.AfterFunc(testTimeout, cancel)
	defer timer.Stop()
	var got []client.Event
	err := c.Run(ctx, func(e client.Event) error {
		got = append(got, e)
		if len(got) >= n {
			cancel()
		}
		return nil
	})
	if len(got) < n && errors.Is(err, context.Canceled) {
		t.Fatalf("timed out after %d of %d events: %v", len(got), n, messagesOf(got))
	}
	return got, err
}

// messagesOf turns events back into the messages they came from.
func messagesOf(evs []client.Event) []any {
	out := make([]any, 0, len(evs))
	for _, e := range evs {
		switch {
		case e.Tx != nil:
			out = append(out, clienttest.TxMessage{TransactionID: e.Tx.TransactionID, AssetID: e.Tx.AssetID, AssetIDs: e.Tx.AssetIDs, Height: e.Tx.Height})
		case e.Block != nil:
			out = append(out, clienttest.BlockMessage{Height: e.Block.Height, Hash: e.Block.Hash, TransactionIDs: e.Block.TransactionIDs})
		default:
			out = append(out, "empty event")
		}
	}
	return out
}

func checkEvents(t *testing.T, want []any, got []client.Event) {
	t.Helper()
	if diff := cmp.Diff(want, messagesOf(got)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// fromHeights lists the from_height of each request ("" for live).
func fromHeights(reqs []clienttest.Request) []string {
	out := make([]string, len(reqs))
	for i, r := range reqs {
		out[i] = r.Query.Get("from_height")
	}
	return out
}

func heightOf(m any) string {
	switch m := m.(type) {
	case clienttest.TxMessage:
		return strconv.FormatInt(m.Height, 10)
	case clienttest.BlockMessage:
		return strconv.FormatInt(m.Height, 10)
	}
	return "?"
}

// waitFor waits on the server's condition within testTimeout.
func waitFor(t *testing.T, s *clienttest.Server, what string, cond func([]clienttest.Request, []int) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := s.WaitFor(ctx, cond); err != nil {
		t.Fatalf("waiting for %s: %v (requests %v, close codes %v)", what, err, fromHeights(s.Requests()), s.CloseCodes())
	}
}

// assetID and publicKey are well-formed ids, which the node (and so
// clienttest) insists on in filters.
func assetID(n int) string   { return fmt.Sprintf("%064x", n) }
func publicKey(n int) string { return "Key" + strings.Repeat("1", 40) + string(rune('2'+n%8)) }

// wellFormed replaces the "asset-N" and "key-N" of clienttest.Blocks with
// assetID(N) and publicKey(N), so that tests can filter on them.
func wellFormed(chain []clienttest.Block) []clienttest.Block {
	re := func(prefix string, id func(int) string, v string) string {
		n, err := strconv.Atoi(strings.TrimPrefix(v, prefix))
		if err != nil || !strings.HasPrefix(v, prefix) {
			return v
		}
		return id(n)
	}
	out := make([]clienttest.Block, len(chain))
	for i, b := range chain {
		b.Txs = slices.Clone(b.Txs)
		for j, tx := range b.Txs {
			tx.AssetIDs = slices.Clone(tx.AssetIDs)
			for k, a := range tx.AssetIDs {
				tx.AssetIDs[k] = re("asset-", assetID, a)
			}
			tx.PublicKeys = slices.Clone(tx.PublicKeys)
			for k, p := range tx.PublicKeys {
				tx.PublicKeys[k] = re("key-", publicKey, p)
			}
			b.Txs[j] = tx
		}
		out[i] = b
	}
	return out
}
