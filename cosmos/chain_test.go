package cosmos_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/client/flags"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	clitestutil "github.com/cosmos/cosmos-sdk/testutil/cli"
	"github.com/cosmos/cosmos-sdk/testutil/network"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/gorilla/websocket"

	"github.com/cometstream/cometstream/cosmos"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// readStream reads n messages of a stream path (with its query) from
// height 1.
func readStream(t *testing.T, addr, path string, n int) []map[string]any {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial("ws://"+addr+path, nil)
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

// A real Cosmos SDK chain (the SDK's in-process test network: a validator
// running CometBFT and an app of auth, bank, staking, genutil, consensus
// and tx modules) with the stream attached in its app constructor, as an
// app.go would: bank transfers sent with the SDK's own CLI come out of
// tx_results, chosen by a transfer.recipient query, and of
// valid_transactions, read from height 1, with the hashes the chain
// reports for them.
func TestSDKChainBankTransfers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs an SDK chain")
	}
	if os.Getenv(chainChild) == "" {
		runChainChild(t, "TestSDKChainBankTransfers")
		return
	}
	cfg, err := network.DefaultConfigWithAppConfig(network.MinimumAppConfig())
	if err != nil {
		t.Fatal(err)
	}
	cfg.NumValidators = 1
	streamAddr := freeAddr(t)
	build := cfg.AppConstructor
	var stream *cosmos.Stream
	cfg.AppConstructor = func(val network.ValidatorI) servertypes.Application {
		app := build(val)
		opts := appOptions(t, map[string]any{"enable": true, "laddr": streamAddr, "advertised_url": "ws://" + streamAddr})
		opts.Set("home", val.GetCtx().Config.RootDir)
		s, err := cosmos.Attach(app.(cosmos.App), opts, nil)
		if err != nil {
			panic(err)
		}
		stream = s
		return app
	}
	chain, err := network.New(t, t.TempDir(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		chain.Cleanup()
		_ = stream.Close(context.Background())
	}()
	val := chain.Validators[0]
	if err := stream.Start(val.RPCClient); err != nil {
		t.Fatal(err)
	}

	to := sdk.AccAddress(secp256k1.GenPrivKey().PubKey().Address())
	ac := addresscodec.NewBech32Codec("cosmos")
	var hashes []string
	for i := range 3 {
		out, err := clitestutil.MsgSendExec(val.ClientCtx, val.Address, to,
			sdk.NewCoins(sdk.NewInt64Coin(cfg.BondDenom, int64(10+i))), ac,
			"--"+flags.FlagSkipConfirmation, "--"+flags.FlagBroadcastMode+"="+flags.BroadcastSync,
			"--"+flags.FlagFees+"="+sdk.NewCoins(sdk.NewInt64Coin(cfg.BondDenom, 10)).String())
		if err != nil {
			t.Fatal(err)
		}
		var resp sdk.TxResponse
		if err := val.ClientCtx.Codec.UnmarshalJSON(out.Bytes(), &resp); err != nil || resp.Code != 0 {
			t.Fatalf("send %d: %s (%v)", i, out.String(), err)
		}
		hashes = append(hashes, resp.TxHash)
		if err := chain.WaitForNextBlock(); err != nil {
			t.Fatal(err)
		}
	}
	// Every transfer is committed with code 0, at the height the chain says.
	heights := map[string]int64{}
	for _, h := range hashes {
		raw, _ := hex.DecodeString(h)
		res, err := val.RPCClient.Tx(context.Background(), raw, false)
		if err != nil || res.TxResult.Code != 0 {
			t.Fatalf("tx %s: %v, code %v", h, err, res)
		}
		heights[h] = res.Height
	}

	q := url.QueryEscape(fmt.Sprintf("tm.event='Tx' AND transfer.recipient='%s'", to))
	got := readStream(t, streamAddr, "/api/v1/streams/tx_results?from_height=1&query="+q, len(hashes))
	for i, m := range got {
		if m["hash"] != hashes[i] || int64(m["height"].(float64)) != heights[hashes[i]] || m["code"].(float64) != 0 {
			t.Errorf("tx_results message %d: %v; want hash %s at height %d", i, m, hashes[i], heights[hashes[i]])
		}
		events, _ := json.Marshal(m["events"])
		if !strings.Contains(string(events), to.String()) {
			t.Errorf("message %d: events %s do not name the recipient", i, events)
		}
	}
	// valid_transactions names each by its CometBFT tx hash (lower-case);
	// the genesis transaction (the validator's gentx) is not a block's.
	seen := map[string]bool{}
	for _, m := range readStream(t, streamAddr, "/api/v1/streams/valid_transactions?from_height=1", len(hashes)) {
		seen[strings.ToUpper(m["transaction_id"].(string))] = true
	}
	for _, h := range hashes {
		if !seen[h] {
			t.Errorf("valid_transactions from height 1 lacks %s (got %v)", h, seen)
		}
	}
}

// chainChild marks the process that runs the chain.
const chainChild = "COSMOS_CHAIN_TEST_CHILD"

// runChainChild runs the test named in a child process, again
// (up to three times) when a port was taken: the SDK's network picks its
// ports by listening on :0 and closing, so another process on the machine
// may bind one first, and after a failed start it keeps its process-wide
// lock, so only a new process can try again.
func runChainChild(t *testing.T, name string) {
	for attempt := 1; ; attempt++ {
		cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), chainChild+"=1")
		out, err := cmd.CombinedOutput()
		if err == nil {
			return
		}
		if attempt < 3 && strings.Contains(string(out), "address already in use") {
			t.Logf("attempt %d: a port was taken; again with other ports", attempt)
			continue
		}
		t.Fatalf("the chain test failed (attempt %d): %v\n%s", attempt, err, out)
	}
}
