package driver

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/cometstream/cometstream/node"
)

// nodeOptions are what differs between the benchmark's nodes.
type nodeOptions struct {
	name   string // the home's directory name
	stream bool
	// writeTimeout is the stream's write_timeout; 0 keeps the default.
	writeTimeout time.Duration
	fast         bool
	// raisedRPC lifts CometBFT's subscription limits (see raiseRPCLimits).
	raisedRPC bool
}

// benchNode is a started in-process node and a JSON-RPC client for it.
type benchNode struct {
	*node.Node
	cfg node.Config
	rpc *rpcClient
}

// startNode initialises a fresh home under dir and starts a node in this
// process on free loopback ports, then waits for its first block.
func startNode(ctx context.Context, dir string, o nodeOptions, logOut *os.File) (*benchNode, error) {
	cfg, err := initHome(dir, o)
	if err != nil {
		return nil, err
	}
	logger := hclog.New(&hclog.LoggerOptions{Name: o.name, Level: hclog.Warn, Output: logOut})
	n, err := node.New(cfg, logger)
	if err != nil {
		return nil, fmt.Errorf("new node %s: %w", o.name, err)
	}
	if err := n.Start(); err != nil {
		_ = n.Stop(context.Background())
		return nil, fmt.Errorf("start node %s: %w", o.name, err)
	}
	bn := &benchNode{Node: n, cfg: cfg, rpc: newRPCClient(n.RPCAddr())}
	if err := bn.rpc.waitHeight(ctx, 1, time.Minute); err != nil {
		_ = bn.stop()
		return nil, err
	}
	return bn, nil
}

// initHome writes a fresh single-validator home under dir for o, on free
// loopback ports, and returns its configuration.
func initHome(dir string, o nodeOptions) (node.Config, error) {
	cfg := node.DefaultConfig(filepath.Join(dir, o.name))
	ports, err := freePorts(4)
	if err != nil {
		return cfg, err
	}
	cfg.Stream.Enable = o.stream
	cfg.Stream.ListenAddr = "127.0.0.1:" + ports[0]
	cfg.Stream.AdvertisedURL = "ws://127.0.0.1:" + ports[0]
	// The clients come from a few loopback addresses, thousands each.
	cfg.Stream.MaxConnections = 20000
	cfg.Stream.MaxConnsPerIP = 20000
	if o.writeTimeout > 0 {
		cfg.Stream.WriteTimeout = o.writeTimeout
	}
	cfg.WebAPI.ListenAddr = "127.0.0.1:" + ports[1]
	cfg.Comet.RPC.ListenAddress = "tcp://127.0.0.1:" + ports[2]
	cfg.Comet.P2P.ListenAddress = "tcp://127.0.0.1:" + ports[3]
	cfg.Comet.P2P.PexReactor = false
	cfg.Comet.Instrumentation.Prometheus = false
	if o.fast {
		cfg.Comet.Consensus.TimeoutPropose = 200 * time.Millisecond
		cfg.Comet.Consensus.TimeoutCommit = 100 * time.Millisecond
	}
	if o.raisedRPC {
		raiseRPCLimits(&cfg)
	}
	if err := node.Init(cfg); err != nil {
		return cfg, fmt.Errorf("init node %s: %w", o.name, err)
	}
	return cfg, nil
}

// raiseRPCLimits lifts the limits that make CometBFT's /websocket refuse
// or cancel subscribers: connections unlimited, subscription clients far
// above the run's, and buffers of 10,000 events per subscription and per
// connection (the defaults: 900, 100, 200 and 200).
func raiseRPCLimits(cfg *node.Config) {
	rpc := cfg.Comet.RPC
	rpc.MaxOpenConnections = 0
	rpc.MaxSubscriptionClients = 20000
	rpc.MaxSubscriptionsPerClient = 5
	rpc.SubscriptionBufferSize = 10000
	rpc.WebSocketWriteBufferSize = 10000
}

func (n *benchNode) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return n.Stop(ctx)
}

func (n *benchNode) streamURL(path string) string { return n.cfg.Stream.AdvertisedURL + path }

func (n *benchNode) rpcWebSocketURL() string { return "ws://" + n.RPCAddr() + "/websocket" }

func freePorts(n int) ([]string, error) {
	var ports []string
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			_ = ln.Close()
		}
	}()
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
		ports = append(ports, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	}
	return ports, nil
}

// rpcClient speaks CometBFT's JSON-RPC over HTTP, with enough idle
// connections kept for the broadcast workers.
type rpcClient struct {
	base string
	http *http.Client
}

func newRPCClient(addr string) *rpcClient {
	tr := &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute}
	return &rpcClient{base: "http://" + addr, http: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// call makes a JSON-RPC call. A connection the server closed as it was
// reused (EOF, reset) is retried once on a new one.
func (c *rpcClient) call(ctx context.Context, method string, params any, result any) error {
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	if err != nil {
		return err
	}
	var resp *http.Response
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err = c.http.Do(req)
		if err == nil {
			break
		}
		if attempt > 0 || ctx.Err() != nil {
			return err
		}
	}
	defer func() { _ = resp.Body.Close() }() // the body is read below; closing only frees the connection
	var out struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Message string `json:"message"`
			Data    string `json:"data"`
		} `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return fmt.Errorf("%s: decode answer: %w", method, err)
	}
	if out.Error != nil {
		return fmt.Errorf("%s: %s %s", method, out.Error.Message, out.Error.Data)
	}
	return json.Unmarshal(out.Result, result)
}

// waitHeight waits until the node has committed height h.
func (c *rpcClient) waitHeight(ctx context.Context, h int64, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		got, err := c.latestHeight(ctx)
		if err == nil && got >= h {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("node at height %d after %v, want %d (%v)", got, timeout, h, err)
		}
		if err := sleepUntil(ctx, time.Now().Add(20*time.Millisecond)); err != nil {
			return err
		}
	}
}

func (c *rpcClient) latestHeight(ctx context.Context) (int64, error) {
	var st struct {
		SyncInfo struct {
			LatestBlockHeight int64 `json:"latest_block_height,string"`
		} `json:"sync_info"`
	}
	if err := c.call(ctx, "status", map[string]any{}, &st); err != nil {
		return 0, err
	}
	return st.SyncInfo.LatestBlockHeight, nil
}

// appHeight is the height of the application's last Commit.
func (c *rpcClient) appHeight(ctx context.Context) (int64, error) {
	var res struct {
		Response struct {
			LastBlockHeight int64 `json:"last_block_height,string"`
		} `json:"response"`
	}
	if err := c.call(ctx, "abci_info", map[string]any{}, &res); err != nil {
		return 0, err
	}
	return res.Response.LastBlockHeight, nil
}

// unconfirmed is the number of transactions in the mempool.
func (c *rpcClient) unconfirmed(ctx context.Context) (int, error) {
	var res struct {
		Total json.RawMessage `json:"total"` // a string or a number, by CometBFT version
	}
	if err := c.call(ctx, "num_unconfirmed_txs", map[string]any{}, &res); err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.Trim(string(res.Total), `"`))
}

// numTxs returns the number of transactions of each height in [from, to]
// (at most 20 heights per call, CometBFT's limit).
func (c *rpcClient) numTxs(ctx context.Context, from, to int64) (map[int64]int, error) {
	var res struct {
		BlockMetas []struct {
			Header struct {
				Height int64 `json:"height,string"`
			} `json:"header"`
			NumTxs int `json:"num_txs,string"`
		} `json:"block_metas"`
	}
	params := map[string]any{"minHeight": strconv.FormatInt(from, 10), "maxHeight": strconv.FormatInt(to, 10)}
	if err := c.call(ctx, "blockchain", params, &res); err != nil {
		return nil, err
	}
	out := map[int64]int{}
	for _, m := range res.BlockMetas {
		out[m.Header.Height] = m.NumTxs
	}
	return out, nil
}

// broadcast submits tx with broadcast_tx_sync and returns CheckTx's code.
// A retried call that finds the tx in the mempool's cache was accepted the
// first time.
func (c *rpcClient) broadcast(ctx context.Context, tx []byte) (uint32, string, error) {
	var res struct {
		Code uint32 `json:"code"`
		Log  string `json:"log"`
	}
	err := c.call(ctx, "broadcast_tx_sync", map[string]any{"tx": base64.StdEncoding.EncodeToString(tx)}, &res)
	if err != nil && strings.Contains(err.Error(), "tx already exists in cache") {
		err = nil
	}
	return res.Code, res.Log, err
}
