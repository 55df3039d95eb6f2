package kvstore_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/gorilla/websocket"

	"github.com/cometstream/cometstream"
	"github.com/cometstream/cometstream/examples/kvstore"
)

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func startNode(t *testing.T, home, rpc, stream string) *kvstore.Node {
	t.Helper()
	cfg := cmtcfg.DefaultConfig()
	cfg.SetRoot(home)
	cfg.RPC.ListenAddress = "tcp://" + rpc
	cfg.P2P.ListenAddress = "tcp://127.0.0.1:0"
	// A single node has no peers to exchange; and the address book's save
	// routine, which PEX starts, may still write config/addrbook.json
	// after the node has stopped (t.TempDir's removal then fails).
	cfg.P2P.PexReactor = false
	cfg.Consensus.TimeoutCommit = 50 * time.Millisecond
	cfg.Instrumentation.Prometheus = false
	n, err := kvstore.Start(cfg, cometstream.Config{ListenAddr: stream, AdvertisedURL: "ws://" + stream})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// rpcGet calls CometBFT's JSON-RPC over HTTP and decodes its result.
func rpcGet(t *testing.T, rpc, path string, result any) {
	t.Helper()
	if err := rpcCall(rpc, path, result); err != nil {
		t.Fatal(err)
	}
}

// rpcCall is one JSON-RPC GET: an error for a failed request or an RPC
// error answer.
func rpcCall(rpc, path string, result any) error {
	resp, err := http.Get("http://" + rpc + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var env struct {
		Result json.RawMessage `json:"result"`
		Error  json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Error != nil {
		return fmt.Errorf("GET %s: %s (%v)", path, body, err)
	}
	if err := json.Unmarshal(env.Result, result); err != nil {
		return fmt.Errorf("GET %s: %v", path, err)
	}
	return nil
}

// rpcTx calls /tx for hash until CometBFT's indexer, which indexes a block
// in the background after it is committed, has it (or 60 s pass).
func rpcTx(t *testing.T, rpc, hash string, result any) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := rpcCall(rpc, "/tx?hash=0x"+hash, result)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// read reads n messages of a stream from height 1.
func read(t *testing.T, stream, path string, n int) []map[string]any {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	c, _, err := websocket.DefaultDialer.Dial("ws://"+stream+"/api/v1/streams/"+path+sep+"from_height=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var out []map[string]any
	for len(out) < n {
		_ = c.SetReadDeadline(time.Now().Add(60 * time.Second))
		var m map[string]any
		if err := c.ReadJSON(&m); err != nil {
			t.Fatalf("%s: after %d of %d messages: %v", path, len(out), n, err)
		}
		out = append(out, m)
	}
	return out
}

// The kvstore app with the stream embedded: transactions sent through
// CometBFT's RPC come out of valid_transactions from height 1, named by
// CometBFT's tx hash, and valid_blocks matches the chain; after a restart
// the durable log still serves them all.
func TestKVStoreStream(t *testing.T) {
	home, rpc, stream := t.TempDir(), freePort(t), freePort(t)
	n := startNode(t, home, rpc, stream)
	const txs = 20
	want := map[string]string{} // tx hash -> tx
	var heights []int64
	for i := range txs {
		tx := fmt.Sprintf("key%d=value%d", i, i)
		sum := sha256.Sum256([]byte(tx))
		want[hex.EncodeToString(sum[:])] = tx
		var res struct {
			Code   uint32 `json:"code"`
			Hash   string `json:"hash"`
			Height string `json:"height"`
		}
		rpcGet(t, rpc, fmt.Sprintf(`/broadcast_tx_commit?tx="%s"`, tx), &res)
		if !strings.EqualFold(res.Hash, hex.EncodeToString(sum[:])) {
			t.Fatalf("CometBFT's hash %s, sha256 %x", res.Hash, sum)
		}
		var h int64
		fmt.Sscan(res.Height, &h)
		heights = append(heights, h)
	}
	check := func(t *testing.T) {
		got := read(t, stream, "valid_transactions", txs)
		seen := map[string]bool{}
		for _, m := range got {
			id, _ := m["transaction_id"].(string)
			if _, ok := want[id]; !ok {
				t.Errorf("transaction_id %q is no CometBFT tx hash of ours", id)
			}
			if seen[id] {
				t.Errorf("transaction %s streamed twice", id)
			}
			seen[id] = true
			var tx struct {
				Hash string `json:"hash"`
			}
			rpcTx(t, rpc, id, &tx)
			if !strings.EqualFold(tx.Hash, id) {
				t.Errorf("/tx?hash=0x%s found %s", id, tx.Hash)
			}
		}
		checkTxResults(t, rpc, stream, want)
		last := heights[len(heights)-1]
		blocks := read(t, stream, "valid_blocks", int(last))
		for i, m := range blocks {
			h := int64(m["height"].(float64))
			if h != int64(i+1) {
				t.Fatalf("valid_blocks message %d has height %d", i, h)
			}
			var blk struct {
				BlockID struct {
					Hash string `json:"hash"`
				} `json:"block_id"`
			}
			rpcGet(t, rpc, fmt.Sprintf("/block?height=%d", h), &blk)
			if m["hash"] != blk.BlockID.Hash {
				t.Errorf("height %d: stream hash %v, chain's %s", h, m["hash"], blk.BlockID.Hash)
			}
		}
	}
	t.Run("live", check)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := n.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	// A new RPC port: CometBFT's Stop leaves its RPC listener serving.
	rpc = freePort(t)
	n = startNode(t, home, rpc, stream)
	defer n.Stop(ctx)
	t.Run("after restart", check)
}

// checkTxResults reads tx_results from height 1: every transaction with
// CometBFT's hash and the ABCI events CometBFT's /tx shows; and with a
// query on the kvstore's own events (app.key is the tx's key, and again
// its value), only the transaction it names.
func checkTxResults(t *testing.T, rpc, stream string, want map[string]string) {
	t.Helper()
	type result struct {
		Height string `json:"height"`
		Index  uint32 `json:"index"`
		Hash   string `json:"hash"`
		Result struct {
			Code   uint32          `json:"code"`
			Events json.RawMessage `json:"events"`
		} `json:"tx_result"`
	}
	for _, m := range read(t, stream, "tx_results", len(want)) {
		hash, _ := m["hash"].(string)
		if _, ok := want[strings.ToLower(hash)]; !ok || hash != strings.ToUpper(hash) {
			t.Errorf("tx_results hash %q is no upper-case CometBFT tx hash of ours", hash)
			continue
		}
		var tx result
		rpcTx(t, rpc, hash, &tx)
		gotEvents, _ := json.Marshal(m["events"])
		var a, b any
		_ = json.Unmarshal(gotEvents, &a)
		_ = json.Unmarshal(tx.Result.Events, &b)
		if fmt.Sprint(a) != fmt.Sprint(b) || fmt.Sprint(m["height"]) != tx.Height || uint32(m["index"].(float64)) != tx.Index {
			t.Errorf("tx %s: stream height %v index %v events %s; CometBFT's /tx height %s index %d events %s",
				hash, m["height"], m["index"], gotEvents, tx.Height, tx.Index, tx.Result.Events)
		}
	}
	for _, q := range []string{"app.key='key7'", "app.key='value7' AND tm.event='Tx'"} {
		got := read(t, stream, "tx_results?query="+url.QueryEscape(q), 1)
		sum := sha256.Sum256([]byte("key7=value7"))
		if got[0]["hash"] != strings.ToUpper(hex.EncodeToString(sum[:])) {
			t.Errorf("query %s: first message is %v, want key7=value7's", q, got[0]["hash"])
		}
	}
}

// RPCBlocks (over CometBFT's RPC, for apps that do not hold the node's
// stores) and NodeBlocks (the stores themselves) give the same blocks.
func TestRPCBlocksMatchNodeBlocks(t *testing.T) {
	home, rpc, stream := t.TempDir(), freePort(t), freePort(t)
	n := startNode(t, home, rpc, stream)
	defer n.Stop(context.Background())
	for i := range 3 {
		var res struct{}
		rpcGet(t, rpc, fmt.Sprintf(`/broadcast_tx_commit?tx="rpc%d=v"`, i), &res)
	}
	viaStores, err := cometstream.NodeBlocks(n.Comet)
	if err != nil {
		t.Fatal(err)
	}
	client, err := rpchttp.New("http://"+rpc, "/websocket")
	if err != nil {
		t.Fatal(err)
	}
	viaRPC := cometstream.RPCBlocks(client)
	base, committed, err := viaRPC.Range()
	if err != nil || base != 1 || committed < 3 {
		t.Fatalf("RPC range %d..%d, %v; want 1..3 or more", base, committed, err)
	}
	txs := 0
	for h := int64(1); h <= 3; h++ {
		a, err := viaStores.Block(h)
		if err != nil {
			t.Fatal(err)
		}
		b, err := viaRPC.Block(h)
		if err != nil {
			t.Fatal(err)
		}
		txs += len(b.Txs)
		if !a.Time.Equal(b.Time) {
			t.Errorf("height %d: times %v and %v", h, a.Time, b.Time)
		}
		a.Time, b.Time, a.Codes = time.Time{}, time.Time{}, nil
		if diff := cmp.Diff(a, b, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("height %d (-stores +RPC):\n%s", h, diff)
		}
	}
	if txs == 0 {
		t.Error("no transactions in heights 1 to 3")
	}
}
