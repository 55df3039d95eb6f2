package integration_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/google/go-cmp/cmp"

	"github.com/cometstream/cometstream/client"
	"github.com/cometstream/cometstream/ledger/txbuild"
)

// chainFromRPC is what CometBFT's RPC says the stream of a Planetmint
// node must carry for heights 1..upTo.
func chainFromRPC(t *testing.T, rpc *rpchttp.HTTP, upTo int64) ([]client.BlockEvent, []client.TxEvent) {
	return chainFromRPCWith(t, rpc, upTo, planetmintIDs)
}

// txIDs names a committed transaction as the stream does: its id and its
// (first) asset's.
type txIDs func(raw []byte) (id, asset string, err error)

// planetmintIDs reads a Planetmint transaction's own id and asset.
func planetmintIDs(raw []byte) (id, asset string, err error) {
	var tx struct {
		ID     string `json:"id"`
		Assets []struct {
			ID *string `json:"id"`
		} `json:"assets"`
	}
	if err := json.Unmarshal(raw, &tx); err != nil {
		return "", "", err
	}
	asset = tx.ID
	if len(tx.Assets) > 0 && tx.Assets[0].ID != nil {
		asset = *tx.Assets[0].ID
	}
	return tx.ID, asset, nil
}

// chainFromRPCWith is what CometBFT's RPC says the stream must carry for
// heights 1..upTo: every block, and the transactions with code 0 in order,
// named by ids.
func chainFromRPCWith(t *testing.T, rpc *rpchttp.HTTP, upTo int64, ids txIDs) ([]client.BlockEvent, []client.TxEvent) {
	t.Helper()
	ctx := context.Background()
	var blocks []client.BlockEvent
	var txs []client.TxEvent
	for h := int64(1); h <= upTo; h++ {
		blk, err := rpc.Block(ctx, &h)
		if err != nil {
			t.Fatalf("rpc block %d: %v", h, err)
		}
		res, err := rpc.BlockResults(ctx, &h)
		if err != nil {
			t.Fatalf("rpc block_results %d: %v", h, err)
		}
		b := client.BlockEvent{Height: h, Hash: strings.ToUpper(hex.EncodeToString(blk.BlockID.Hash)), TransactionIDs: []string{}}
		for i, raw := range blk.Block.Txs {
			if res.TxsResults[i].Code != 0 {
				continue
			}
			id, asset, err := ids(raw)
			if err != nil {
				t.Fatalf("height %d tx %d: %v", h, i, err)
			}
			b.TransactionIDs = append(b.TransactionIDs, id)
			txs = append(txs, client.TxEvent{TransactionID: id, AssetID: asset, AssetIDs: []string{asset}, Height: h})
		}
		blocks = append(blocks, b)
	}
	return blocks, txs
}

// readStream reads a stream from height 1 with the Go client until an
// event above upTo arrives, or timeout; it returns the events up to upTo.
func readStream(t *testing.T, urls []string, blocks bool, upTo int64) []client.Event {
	t.Helper()
	c, err := client.New(client.Config{URLs: urls, Blocks: blocks, FromHeight: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var got []client.Event
	errDone := errors.New("done")
	err = c.Run(ctx, func(e client.Event) error {
		if e.Height() > upTo {
			return errDone
		}
		got = append(got, e)
		if blocks && e.Height() == upTo {
			return errDone
		}
		return nil
	})
	if !errors.Is(err, errDone) {
		t.Fatalf("stream read stopped at %d events: %v", len(got), err)
	}
	return got
}

// checkStreams compares both streams of a Planetmint node from height 1
// with what CometBFT reports, up to height upTo (which must be committed).
func checkStreams(t *testing.T, streamURL string, rpc *rpchttp.HTTP, upTo int64) {
	t.Helper()
	checkStreamsWith(t, streamURL, rpc, upTo, planetmintIDs)
}

// checkStreamsWith is checkStreams for a chain whose transactions ids names.
func checkStreamsWith(t *testing.T, streamURL string, rpc *rpchttp.HTTP, upTo int64, ids txIDs) {
	t.Helper()
	wantBlocks, wantTxs := chainFromRPCWith(t, rpc, upTo, ids)
	var gotBlocks []client.BlockEvent
	for _, e := range readStream(t, []string{streamURL}, true, upTo) {
		gotBlocks = append(gotBlocks, *e.Block)
	}
	if diff := cmp.Diff(wantBlocks, gotBlocks); diff != "" {
		t.Errorf("valid_blocks from height 1 (-CometBFT +stream):\n%s", diff)
	}
	// valid_transactions has no end marker: read until the first event
	// past upTo, which needs one more valid tx to be committed later.
	var gotTxs []client.TxEvent
	for _, e := range readStream(t, []string{streamURL}, false, upTo) {
		gotTxs = append(gotTxs, *e.Tx)
	}
	if diff := cmp.Diff(wantTxs, gotTxs); diff != "" {
		t.Errorf("valid_transactions from height 1 (-CometBFT +stream):\n%s", diff)
	}
}

// load submits signed CREATEs (and, every fifth, an invalid tx) until
// stopped; errors from a node that is down are expected and ignored.
type load struct {
	stop chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	sent int
}

func startLoad(rpcAddrs ...string) *load {
	l := &load{stop: make(chan struct{})}
	for w, addr := range rpcAddrs {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			rpc, err := rpchttp.NewWithTimeout("http://"+addr, "/websocket", 5)
			if err != nil {
				return
			}
			key := txbuild.NewKeyPair()
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				raw := []byte("not a transaction")
				if i%5 != 4 {
					raw = txbuild.Create("3.0", key, fmt.Sprintf("QmLoad%d-%d", w, i), nil, txbuild.To("1", key)).MustSign().Raw
				}
				if _, err := rpc.BroadcastTxSync(context.Background(), raw); err != nil {
					time.Sleep(50 * time.Millisecond) // node down or catching up
					continue
				}
				l.mu.Lock()
				l.sent++
				l.mu.Unlock()
				time.Sleep(10 * time.Millisecond)
			}
		}()
	}
	return l
}

func (l *load) halt() {
	close(l.stop)
	l.wg.Wait()
}

// fastBlocks rewrites a home's config.toml for sub-second blocks, and
// turns PEX off (a single node has no peers to exchange).
func fastBlocks(t *testing.T, home string) {
	t.Helper()
	setConfig(t, home, map[string]string{"timeout_propose": `"300ms"`, "timeout_commit": `"100ms"`, "pex": "false"})
}

// setConfig sets keys of a home's config.toml (each must be there once,
// as init writes it) to TOML values.
func setConfig(t *testing.T, home string, keys map[string]string) {
	t.Helper()
	path := home + "/config/config.toml"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for key, val := range keys {
		re := regexp.MustCompile(`(?m)^` + key + ` = .*$`)
		if !re.Match(b) {
			t.Fatalf("config.toml has no %s", key)
		}
		b = re.ReplaceAll(b, []byte(key+" = "+val))
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
