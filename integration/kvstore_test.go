package integration_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/cometbft/cometbft/types"
	cmttime "github.com/cometbft/cometbft/types/time"

	"github.com/cometstream/cometstream/internal/fault"
)

// The embedder's view: CometBFT's kvstore example app with the stream
// embedded through the root package (examples/kvstore/cmd/kvstream), as
// real processes on homes written here with CometBFT's own packages.
// Nothing of node/ is built or used.

var (
	kvOnce sync.Once
	kvBin  string
	kvErr  error
)

// buildKVStream builds the kvstream binary once per test run, next to the
// node's binary (TestMain removes the directory).
func buildKVStream(t *testing.T) string {
	t.Helper()
	kvOnce.Do(func() {
		dir := filepath.Dir(buildBinary(t))
		kvBin = filepath.Join(dir, "kvstream")
		out, err := exec.Command("go", "build", "-modfile=../lines/cometbft-v0.40.mod", "-o", kvBin, "../examples/kvstore/cmd/kvstream").CombinedOutput()
		if err != nil {
			kvErr = fmt.Errorf("go build kvstream: %v\n%s", err, out)
		}
	})
	if kvErr != nil {
		t.Fatal(kvErr)
	}
	return kvBin
}

// kvNode is one kvstream process of a network.
type kvNode struct {
	bin, home string
	stream    string // listen address
	rpcAddr   string
	streamURL string
	rpc       *rpchttp.HTTP
	proc      *proc
	exited    chan struct{} // closed when proc's process has been reaped
	exitErr   error
}

// newKVNet writes the homes of a network of validators (one genesis,
// every node a persistent peer of the others, sub-second blocks). No node
// is started.
func newKVNet(t *testing.T, validators int) []*kvNode {
	t.Helper()
	bin, dir := buildKVStream(t), t.TempDir()
	var (
		nodes []*kvNode
		cfgs  []*cmtcfg.Config
		vals  []types.GenesisValidator
		peers []string
	)
	for i := range validators {
		cfg := cmtcfg.DefaultConfig()
		cfg.SetRoot(filepath.Join(dir, fmt.Sprintf("node%d", i)))
		cmtcfg.EnsureRoot(cfg.RootDir)
		pv := privval.LoadOrGenFilePV(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile())
		key, err := p2p.LoadOrGenNodeKey(cfg.NodeKeyFile())
		if err != nil {
			t.Fatal(err)
		}
		pub, err := pv.GetPubKey()
		if err != nil {
			t.Fatal(err)
		}
		vals = append(vals, types.GenesisValidator{Address: pub.Address(), PubKey: pub, Power: 10, Name: fmt.Sprintf("node%d", i)})
		p2pAddr, rpcAddr, stream := "127.0.0.1:"+freePort(t), "127.0.0.1:"+freePort(t), "127.0.0.1:"+freePort(t)
		peers = append(peers, string(key.ID())+"@"+p2pAddr)
		cfg.P2P.ListenAddress, cfg.RPC.ListenAddress = "tcp://"+p2pAddr, "tcp://"+rpcAddr
		cfg.P2P.AllowDuplicateIP, cfg.P2P.AddrBookStrict, cfg.P2P.PexReactor = true, false, false
		cfg.Consensus.TimeoutPropose, cfg.Consensus.TimeoutCommit = 300*time.Millisecond, 100*time.Millisecond
		cfg.Instrumentation.Prometheus = false
		rpc, err := rpchttp.NewWithTimeout("http://"+rpcAddr, "/websocket", 5)
		if err != nil {
			t.Fatal(err)
		}
		cfgs = append(cfgs, cfg)
		nodes = append(nodes, &kvNode{bin: bin, home: cfg.RootDir, stream: stream, rpcAddr: rpcAddr, streamURL: "ws://" + stream, rpc: rpc})
	}
	gen := types.GenesisDoc{ChainID: "kvstream-test", GenesisTime: cmttime.Now(),
		ConsensusParams: types.DefaultConsensusParams(), Validators: vals}
	for i, cfg := range cfgs {
		if err := gen.SaveAs(cfg.GenesisFile()); err != nil {
			t.Fatal(err)
		}
		var others []string
		for j, p := range peers {
			if j != i {
				others = append(others, p)
			}
		}
		cfg.P2P.PersistentPeers = strings.Join(others, ",")
		cmtcfg.WriteConfigFile(filepath.Join(cfg.RootDir, "config", "config.toml"), cfg)
	}
	return nodes
}

// start runs the node with extra environment entries (a fault plan).
func (n *kvNode) start(t *testing.T, env ...string) {
	t.Helper()
	var clean []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, fault.Env+"=") {
			clean = append(clean, kv)
		}
	}
	n.proc = &proc{cmd: exec.Command(n.bin, "--home", n.home, "--stream.laddr", n.stream, "--stream.advertised_url", n.streamURL), logs: &lockedBuffer{}}
	n.proc.cmd.Env = append(clean, env...)
	n.proc.cmd.Stdout, n.proc.cmd.Stderr = n.proc.logs, n.proc.logs
	if err := n.proc.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p, exited := n.proc, make(chan struct{})
	n.exited = exited
	go func() {
		n.exitErr = p.cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(n.home), p.logs.tail(40))
		}
	})
}

// waitExit waits for the process to end by itself.
func (n *kvNode) waitExit(t *testing.T, timeout time.Duration) error {
	t.Helper()
	select {
	case <-n.exited:
		return n.exitErr
	case <-time.After(timeout):
		t.Fatalf("%s still running after %v", n.home, timeout)
		return nil
	}
}

// stop ends the process with sig and waits for it.
func (n *kvNode) stop(t *testing.T, sig os.Signal) {
	t.Helper()
	_ = n.proc.cmd.Process.Signal(sig)
	n.waitExit(t, 60*time.Second)
}

func (n *kvNode) height() int64 {
	st, err := n.rpc.Status(context.Background())
	if err != nil {
		return 0
	}
	return st.SyncInfo.LatestBlockHeight
}

// kvIDs names a kvstore transaction as the stream does: by CometBFT's tx
// hash, in lower-case hex, which is also its asset.
func kvIDs(raw []byte) (id, asset string, err error) {
	sum := sha256.Sum256(raw)
	id = hex.EncodeToString(sum[:])
	return id, id, nil
}

// kvLoad submits key=value transactions through CometBFT's RPC until
// halted; errors from a node that is down are expected and ignored.
type kvLoad struct {
	stop chan struct{}
	wg   sync.WaitGroup
}

func startKVLoad(nodes ...*kvNode) *kvLoad {
	l := &kvLoad{stop: make(chan struct{})}
	for w, n := range nodes {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				case <-time.After(10 * time.Millisecond):
				}
				tx := fmt.Sprintf("load%d-%d=%d", w, i, time.Now().UnixNano())
				if _, err := n.rpc.BroadcastTxSync(context.Background(), []byte(tx)); err != nil {
					i-- // node down: the same key again later
				}
			}
		}()
	}
	return l
}

func (l *kvLoad) halt() {
	close(l.stop)
	l.wg.Wait()
}

// checkKVNode compares both streams of n, read from height 1, with the
// chain up to upTo, and looks every streamed id up with CometBFT's /tx of
// n or, failing that, of one of peers: CometBFT indexes a block after its
// commit, asynchronously, and does not index it again on a restart, so a
// kill -9 can leave a committed block out of the killed node's /tx index.
func checkKVNode(t *testing.T, n *kvNode, upTo int64, peers ...*kvNode) {
	t.Helper()
	checkStreamsWith(t, n.streamURL, n.rpc, upTo, kvIDs)
	_, txs := chainFromRPCWith(t, n.rpc, upTo, kvIDs)
	if len(txs) == 0 {
		t.Fatalf("no transactions committed up to height %d", upTo)
	}
	// A block whose commit the process did not outlive by long (a crash
	// test's) may be missing from every index whole: that is CometBFT's
	// doing, not the stream's. Any other miss, a block indexed in part or
	// a transaction found at another height, is a failure.
	found, missing := map[int64]int{}, map[int64]int{}
	for _, tx := range txs {
		hash, _ := hex.DecodeString(tx.TransactionID)
		var (
			res *coretypes.ResultTx
			err error
		)
		for _, m := range append([]*kvNode{n}, peers...) {
			if res, err = m.rpc.Tx(context.Background(), hash, false); err == nil {
				break
			}
		}
		switch {
		case err == nil && res.Height == tx.Height:
			found[tx.Height]++
		case err != nil && strings.Contains(err.Error(), "not found"):
			missing[tx.Height]++
		default:
			t.Fatalf("/tx?hash=0x%s: %v (height %v, streamed at %d)", tx.TransactionID, err, res, tx.Height)
		}
	}
	for h := range missing {
		if found[h] > 0 || len(missing) > 1 || len(found) == 0 {
			t.Fatalf("CometBFT's /tx misses %v transactions by height (finds %v): more than one block left unindexed", missing, found)
		}
	}
}

// TestKVStoreCrashAtEachFaultPoint kills the embedding app at each point
// of one height's commit path (armed by the environment, in library code),
// restarts it, and checks that both streams from height 1 carry exactly
// the chain: the assembly's own reconciliation recovers it, with no code
// of node/.
func TestKVStoreCrashAtEachFaultPoint(t *testing.T) {
	if testing.Short() {
		t.Skip("runs app processes")
	}
	const faultHeight = 6
	for _, point := range fault.Points {
		t.Run(point, func(t *testing.T) {
			n := newKVNet(t, 1)[0]
			n.start(t, fault.Env+"="+point+"@"+strconv.Itoa(faultHeight))
			ld := startKVLoad(n)
			err := n.waitExit(t, 90*time.Second)
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != fault.ExitCode {
				ld.halt()
				t.Fatalf("exit: %v, want status %d\n%s", err, fault.ExitCode, n.proc.logs.tail(20))
			}
			if !strings.Contains(n.proc.logs.tail(5), "fault injection: exiting at "+point) {
				t.Errorf("exit not at the fault point:\n%s", n.proc.logs.tail(5))
			}

			n.start(t)
			waitFor(t, "blocks after the restart", 90*time.Second, func() bool { return n.height() >= faultHeight+4 })
			upTo := n.height()
			// valid_transactions ends at the first event past upTo.
			waitFor(t, "a block past the checked range", 60*time.Second, func() bool { return n.height() > upTo+2 })
			checkKVNode(t, n, upTo)
			ld.halt()
			n.stop(t, os.Interrupt)
		})
	}
}
