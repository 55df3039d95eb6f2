package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// chain is one chaind validator run as real processes: the CLI for
// every command, `chaind start` for the node, which the test can kill -9.
type chain struct {
	t      *testing.T
	bin    string
	home   string
	rpc    string   // host:port of CometBFT's RPC
	stream string   // host:port of the event stream
	env    []string // for the next start
	node   *exec.Cmd
	exited chan struct{}
	log    *os.File
}

const chainID = "stream-1"

// buildChaind builds this package's binary (without -race, which would
// slow the chain tenfold; the go build cache makes a rebuild a link).
func buildChaind(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "chaind")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// cli runs one chaind command and returns its stdout.
func (c *chain) cli(args ...string) (string, error) {
	cmd := exec.Command(c.bin, append(args, "--home", c.home)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("chaind %s: %v: %s%s", strings.Join(args, " "), err, errOut.String(), out.String())
	}
	return out.String(), nil
}

func (c *chain) mustCLI(args ...string) string {
	c.t.Helper()
	out, err := c.cli(args...)
	if err != nil {
		c.t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

// newChain makes a one-validator chain the way an operator does: init,
// two keys, a genesis account, a gentx, collect-gentxs; then sets its
// ports and turns the stream on in app.toml.
// Each of senders more keys gets a genesis balance too.
func newChain(t *testing.T, bin string, senders ...string) *chain {
	c := &chain{t: t, bin: bin, home: t.TempDir()}
	c.mustCLI("init", "val", "--chain-id", chainID)
	for _, k := range append([]string{"val", "bob"}, senders...) {
		c.mustCLI("keys", "add", k, "--keyring-backend", "test")
	}
	for _, k := range append([]string{"val"}, senders...) {
		c.mustCLI("genesis", "add-genesis-account", k, "1000000000stake", "--keyring-backend", "test")
	}
	c.mustCLI("genesis", "gentx", "val", "100000000stake", "--chain-id", chainID, "--keyring-backend", "test")
	c.mustCLI("genesis", "collect-gentxs")
	c.setPorts()
	return c
}

// setPorts gives the node free ports, a short block time and the stream.
func (c *chain) setPorts() {
	c.rpc, c.stream = freePort(c.t), freePort(c.t)
	edit(c.t, filepath.Join(c.home, "config", "config.toml"), map[string]string{
		`(?m)^laddr = "tcp://127.0.0.1:26657"$`: `laddr = "tcp://` + c.rpc + `"`,
		`(?m)^laddr = "tcp://0.0.0.0:26656"$`:   `laddr = "tcp://` + freePort(c.t) + `"`,
		`(?m)^pprof_laddr = .*$`:                `pprof_laddr = ""`,
		`(?m)^timeout_commit = .*$`:             `timeout_commit = "300ms"`,
	})
	edit(c.t, filepath.Join(c.home, "config", "app.toml"), map[string]string{
		`(?m)^minimum-gas-prices = .*$`:    `minimum-gas-prices = "0stake"`,
		`(?m)^address = "localhost:9090"$`: `address = "` + freePort(c.t) + `"`,
		`\z`:                               "\n[stream]\nenable = true\nladdr = \"" + c.stream + "\"\n",
	})
}

// edit replaces each pattern of a config file, which must match.
func edit(t *testing.T, path string, repl map[string]string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for pat, with := range repl {
		re := regexp.MustCompile(pat)
		if !re.MatchString(s) {
			t.Fatalf("%s: no %s", path, pat)
		}
		s = re.ReplaceAllLiteralString(s, with)
	}
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

// start runs `chaind start` and waits until the node has a block and the
// stream answers. A port another process took meanwhile is the one
// failure it retries, with new ports.
func (c *chain) start() {
	c.t.Helper()
	for attempt := 1; ; attempt++ {
		if c.log == nil {
			f, err := os.Create(filepath.Join(c.home, "node.log"))
			if err != nil {
				c.t.Fatal(err)
			}
			c.log = f
			c.t.Cleanup(func() { _ = f.Close() })
		}
		c.node = exec.Command(c.bin, "start", "--home", c.home)
		c.node.Stdout, c.node.Stderr = c.log, c.log
		c.node.Env = append(os.Environ(), c.env...)
		if err := c.node.Start(); err != nil {
			c.t.Fatal(err)
		}
		c.exited = make(chan struct{})
		go func(cmd *exec.Cmd, done chan struct{}) { _ = cmd.Wait(); close(done) }(c.node, c.exited)
		if c.waitUp() {
			return
		}
		log, _ := os.ReadFile(c.log.Name())
		if attempt < 3 && bytes.Contains(log, []byte("address already in use")) {
			c.t.Logf("attempt %d: a port was taken; again with other ports", attempt)
			c.setPorts()
			continue
		}
		c.t.Fatalf("chaind start did not come up:\n%s", tail(log, 4000))
	}
}

// waitUp polls the node until it has committed a block and the stream's
// API root answers; false when the process exits first. The deadline is
// a generous bound on a stuck node, not a measure of speed.
func (c *chain) waitUp() bool {
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case <-c.exited:
			return false
		case <-time.After(200 * time.Millisecond):
		}
		if h, err := c.height(); err != nil || h < 1 {
			continue
		}
		if resp, err := http.Get("http://" + c.stream + "/api/v1/streams/valid_blocks"); err == nil {
			resp.Body.Close()
			return true
		}
	}
	c.kill()
	return false
}

// height is the node's latest committed height, from CometBFT's /status.
func (c *chain) height() (int64, error) {
	resp, err := http.Get("http://" + c.rpc + "/status")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var st struct {
		Result struct {
			SyncInfo struct {
				Height string `json:"latest_block_height"`
			} `json:"sync_info"`
		} `json:"result"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return 0, err
	}
	return strconv.ParseInt(st.Result.SyncInfo.Height, 10, 64)
}

// kill sends SIGKILL: no handler runs, nothing is flushed.
func (c *chain) kill() {
	if c.node == nil {
		return
	}
	_ = c.node.Process.Signal(syscall.SIGKILL)
	<-c.exited
	c.node = nil
}

// send is `chaind tx bank send val <to> <amount>`, broadcast sync; it
// returns the tx hash the CLI prints.
func (c *chain) send(to string, amount int) (string, error) {
	return c.sendFrom("val", to, amount)
}

// sendFrom is send from the key named from.
func (c *chain) sendFrom(from, to string, amount int) (string, error) {
	out, err := c.cli("tx", "bank", "send", from, to, fmt.Sprintf("%dstake", amount),
		"--chain-id", chainID, "--keyring-backend", "test", "--node", "tcp://"+c.rpc,
		"--fees", "10stake", "--broadcast-mode", "sync", "--yes", "--output", "json")
	if err != nil {
		return "", err
	}
	var resp struct {
		TxHash string `json:"txhash"`
		Code   uint32 `json:"code"`
		RawLog string `json:"raw_log"`
	}
	if err := json.Unmarshal([]byte(out), &resp); err != nil {
		return "", fmt.Errorf("send: %v: %s", err, out)
	}
	if resp.Code != 0 {
		return "", fmt.Errorf("send: code %d: %s", resp.Code, resp.RawLog)
	}
	return resp.TxHash, nil
}

// committed is `chaind query tx <hash>`: the height the chain says the
// transaction is at, or 0 when it has none.
func (c *chain) committed(hash string) (int64, uint32, error) {
	out, err := c.cli("query", "tx", hash, "--node", "tcp://"+c.rpc, "--output", "json")
	if err != nil {
		if strings.Contains(err.Error(), "not found") {
			return 0, 0, nil
		}
		return 0, 0, err
	}
	var resp struct {
		Height string `json:"height"`
		Code   uint32 `json:"code"`
		TxHash string `json:"txhash"`
	}
	if err := json.Unmarshal([]byte(out), &resp); err != nil {
		return 0, 0, fmt.Errorf("query tx: %v: %s", err, out)
	}
	if resp.TxHash != hash {
		return 0, 0, fmt.Errorf("query tx %s answered %s", hash, resp.TxHash)
	}
	h, err := strconv.ParseInt(resp.Height, 10, 64)
	return h, resp.Code, err
}

// waitCommitted polls query tx until the chain has the transaction.
func (c *chain) waitCommitted(ctx context.Context, hash string) (int64, error) {
	for {
		h, _, err := c.committed(hash)
		if err != nil || h > 0 {
			return h, err
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("tx %s not committed: %w", hash, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// waitIndexed polls CometBFT's RPC /tx, far cheaper than a CLI process,
// until the transaction is committed and indexed.
func (c *chain) waitIndexed(ctx context.Context, hash string) error {
	for {
		if at, err := c.indexed(hash); err == nil && at.height > 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("tx %s not indexed: %w", hash, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// blockTxs reads CometBFT's blocks 1 to upTo (/block) and returns where
// each transaction is, by its hash (upper-case hex).
func (c *chain) blockTxs(upTo int64) (map[string]txAt, error) {
	out := map[string]txAt{}
	for h := int64(1); h <= upTo; h++ {
		resp, err := http.Get(fmt.Sprintf("http://%s/block?height=%d", c.rpc, h))
		if err != nil {
			return nil, err
		}
		var r struct {
			Result struct {
				Block struct {
					Data struct {
						Txs [][]byte `json:"txs"`
					} `json:"data"`
				} `json:"block"`
			} `json:"result"`
		}
		err = json.NewDecoder(resp.Body).Decode(&r)
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("/block %d: %w", h, err)
		}
		for i, tx := range r.Result.Block.Data.Txs {
			sum := sha256.Sum256(tx)
			hash := strings.ToUpper(hex.EncodeToString(sum[:]))
			out[hash] = txAt{hash: hash, height: h, index: uint32(i)}
		}
	}
	return out, nil
}

// indexed is CometBFT's /tx: where the chain holds a transaction (height
// 0: nowhere).
func (c *chain) indexed(hash string) (txAt, error) {
	resp, err := http.Get("http://" + c.rpc + "/tx?hash=0x" + hash)
	if err != nil {
		return txAt{}, err
	}
	defer resp.Body.Close()
	var r struct {
		Result *struct {
			Height string `json:"height"`
			Index  uint32 `json:"index"`
		} `json:"result"`
		Error *struct {
			Data string `json:"data"`
		} `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return txAt{}, err
	}
	if r.Result == nil {
		if r.Error != nil && strings.Contains(r.Error.Data, "not found") {
			return txAt{hash: hash}, nil
		}
		return txAt{}, fmt.Errorf("/tx %s: %+v", hash, r.Error)
	}
	h, err := strconv.ParseInt(r.Result.Height, 10, 64)
	return txAt{hash: hash, height: h, index: r.Result.Index}, err
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
