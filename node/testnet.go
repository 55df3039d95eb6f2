package node

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	cmtrand "github.com/cometbft/cometbft/libs/rand"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/types"
	cmttime "github.com/cometbft/cometbft/types/time"
)

// Port offsets within a testnet node's block of PortStride ports.
const (
	PortStride     = 10
	offsetP2P      = 0
	offsetRPC      = 1
	offsetStream   = 2
	offsetWebAPI   = 3
	offsetMetrics  = 4 // Prometheus, off unless turned on in config.toml
	testnetMaxPort = 65535
)

// DefaultTestnetBasePort is node0's first port: below Linux's ephemeral
// range (32768-60999), and laid out so that no testnet node takes 26656 or
// 26657, the ports of a single node started with 'make run'.
const DefaultTestnetBasePort = 26600

// TestnetConfig describes a local network of node processes on one host.
type TestnetConfig struct {
	// Validators is the number of validators, each with equal voting
	// power. Required, at least 1.
	Validators int
	// FullNodes is the number of nodes without voting power. Defaults to 0.
	FullNodes int
	// OutputDir receives the homes node0, node1, ... (validators first)
	// and testnet.tsv. Required; existing homes in it are refused.
	OutputDir string
	// BasePort is node0's P2P port; node i uses the PortStride ports from
	// BasePort + i*PortStride (P2P, RPC, stream, Web API, Prometheus).
	// Defaults to DefaultTestnetBasePort.
	BasePort int
	// Hostname is what every node binds to and advertises. It must name
	// this host; a bind-all address such as 0.0.0.0 is refused because
	// clients cannot dial it. Defaults to 127.0.0.1.
	Hostname string
	// ChainID defaults to "cometstream-testnet-" and six random characters.
	ChainID string
	// TimeoutCommit is the pause after each block. Defaults to 200ms,
	// which with the other timeouts gives blocks about every 0.3-0.5 s.
	TimeoutCommit time.Duration
}

// TestnetNode is one generated node home and its endpoints.
type TestnetNode struct {
	Name      string // node0, node1, ...
	Home      string
	Validator bool
	ID        string // P2P node ID
	P2PAddr   string // host:port
	RPCAddr   string // host:port of CometBFT's RPC (http)
	StreamURL string // base URL of the WebSocket stream (ws://host:port)
	WebAPIURL string // Web API root (http://host:port/api/v1/)
}

func (c *TestnetConfig) setDefaults() error {
	if c.Validators < 1 {
		return fmt.Errorf("testnet: at least one validator is needed, got %d", c.Validators)
	}
	if c.FullNodes < 0 {
		return fmt.Errorf("testnet: negative number of full nodes %d", c.FullNodes)
	}
	if c.OutputDir == "" {
		return errors.New("testnet: output directory is required")
	}
	dir, err := filepath.Abs(c.OutputDir)
	if err != nil {
		return fmt.Errorf("testnet: output directory: %w", err)
	}
	c.OutputDir = dir
	if c.BasePort == 0 {
		c.BasePort = DefaultTestnetBasePort
	}
	last := c.BasePort + (c.Validators+c.FullNodes)*PortStride - 1
	if c.BasePort < 1024 || last > testnetMaxPort {
		return fmt.Errorf("testnet: ports %d-%d are outside 1024-%d", c.BasePort, last, testnetMaxPort)
	}
	if c.Hostname == "" {
		c.Hostname = "127.0.0.1"
	}
	if c.ChainID == "" {
		c.ChainID = "cometstream-testnet-" + cmtrand.Str(6)
	}
	if c.TimeoutCommit < 0 {
		return fmt.Errorf("testnet: negative timeout_commit %v", c.TimeoutCommit)
	}
	if c.TimeoutCommit == 0 {
		c.TimeoutCommit = 200 * time.Millisecond
	}
	return nil
}

// TestnetNodes returns the nodes cfg describes, without node IDs, and
// writes nothing: the layout of ports and homes.
func TestnetNodes(cfg TestnetConfig) ([]TestnetNode, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	nodes := make([]TestnetNode, cfg.Validators+cfg.FullNodes)
	for i := range nodes {
		base := cfg.BasePort + i*PortStride
		addr := func(offset int) string { return net.JoinHostPort(cfg.Hostname, strconv.Itoa(base+offset)) }
		nodes[i] = TestnetNode{
			Name:      fmt.Sprintf("node%d", i),
			Home:      filepath.Join(cfg.OutputDir, fmt.Sprintf("node%d", i)),
			Validator: i < cfg.Validators,
			P2PAddr:   addr(offsetP2P),
			RPCAddr:   addr(offsetRPC),
			StreamURL: "ws://" + addr(offsetStream),
			WebAPIURL: "http://" + addr(offsetWebAPI) + "/api/v1/",
		}
	}
	return nodes, nil
}

// Testnet generates the homes of a local network: one genesis naming the
// validators, node keys, and a config.toml per node with its own ports,
// every other node as a persistent peer, the stream and Web API on, and
// fast block timeouts. Full nodes get a validator key too (the node needs
// one) but no voting power. It also writes OutputDir/testnet.tsv, one line
// per node, for scripts.
func Testnet(cfg TestnetConfig) ([]TestnetNode, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	nodes, err := TestnetNodes(cfg)
	if err != nil {
		return nil, err
	}
	// Refuse what cannot work before writing anything.
	for i, n := range nodes {
		if _, err := os.Stat(n.Home); err == nil {
			return nil, fmt.Errorf("testnet: %s exists; remove it or choose another output directory", n.Home)
		}
		if err := testnetNodeConfig(cfg, nodes, i).Validate(); err != nil {
			return nil, fmt.Errorf("testnet: %s: %w", n.Name, err)
		}
	}

	// First the keys, whose IDs and public keys the genesis and every
	// node's peer list need.
	gen := types.GenesisDoc{
		ChainID:         cfg.ChainID,
		GenesisTime:     cmttime.Now(),
		ConsensusParams: types.DefaultConsensusParams(),
	}
	for i := range nodes {
		n := &nodes[i]
		c := DefaultConfig(n.Home).Comet
		for _, dir := range []string{filepath.Dir(c.PrivValidatorKeyFile()), filepath.Dir(c.PrivValidatorStateFile())} {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("testnet: %w", err)
			}
		}
		pv := privval.GenFilePV(c.PrivValidatorKeyFile(), c.PrivValidatorStateFile())
		pv.Save()
		key, err := p2p.LoadOrGenNodeKey(c.NodeKeyFile())
		if err != nil {
			return nil, fmt.Errorf("testnet: %s node key: %w", n.Name, err)
		}
		n.ID = string(key.ID())
		if n.Validator {
			pub, err := pv.GetPubKey()
			if err != nil {
				return nil, fmt.Errorf("testnet: %s validator key: %w", n.Name, err)
			}
			gen.Validators = append(gen.Validators, types.GenesisValidator{
				Address: pub.Address(), PubKey: pub, Power: 10, Name: n.Name,
			})
		}
	}
	if err := gen.ValidateAndComplete(); err != nil {
		return nil, fmt.Errorf("testnet: genesis: %w", err)
	}

	for i, n := range nodes {
		c := testnetNodeConfig(cfg, nodes, i)
		if err := gen.SaveAs(c.Comet.GenesisFile()); err != nil {
			return nil, fmt.Errorf("testnet: %s genesis: %w", n.Name, err)
		}
		// Init keeps the keys and genesis written above and writes
		// config.toml with the [stream] and [webapi] sections.
		if err := Init(c); err != nil {
			return nil, fmt.Errorf("testnet: %s: %w", n.Name, err)
		}
	}
	if err := writeTestnetTable(cfg.OutputDir, nodes); err != nil {
		return nil, err
	}
	return nodes, nil
}

// testnetNodeConfig is node i's configuration.
func testnetNodeConfig(tc TestnetConfig, nodes []TestnetNode, i int) Config {
	n := nodes[i]
	c := DefaultConfig(n.Home)
	cc := c.Comet
	cc.Moniker = n.Name
	cc.P2P.ListenAddress = "tcp://" + n.P2PAddr
	cc.RPC.ListenAddress = "tcp://" + n.RPCAddr
	cc.RPC.GRPCListenAddress = ""
	cc.RPC.PprofListenAddress = ""
	cc.Instrumentation.Prometheus = false
	cc.Instrumentation.PrometheusListenAddr = net.JoinHostPort(tc.Hostname,
		strconv.Itoa(tc.BasePort+i*PortStride+offsetMetrics))

	// Every node dials every other at a fixed address; all share one IP.
	var peers []string
	for j, p := range nodes {
		if j != i {
			peers = append(peers, p.ID+"@"+p.P2PAddr)
		}
	}
	cc.P2P.PersistentPeers = strings.Join(peers, ",")
	cc.P2P.AllowDuplicateIP = true
	cc.P2P.AddrBookStrict = false
	// The mesh is complete: peer exchange would only gossip the same
	// addresses.
	cc.P2P.PexReactor = false

	cc.Consensus.TimeoutPropose = 500 * time.Millisecond
	cc.Consensus.TimeoutPrevote = 100 * time.Millisecond
	cc.Consensus.TimeoutPrecommit = 100 * time.Millisecond
	cc.Consensus.TimeoutCommit = tc.TimeoutCommit
	cc.Consensus.PeerGossipSleepDuration = 10 * time.Millisecond

	streamAddr := strings.TrimPrefix(n.StreamURL, "ws://")
	c.Stream.Enable = true
	c.Stream.ListenAddr = streamAddr
	c.Stream.AdvertisedURL = n.StreamURL
	// On one host every client comes from the same address.
	c.Stream.MaxConnsPerIP = c.Stream.MaxConnections
	c.WebAPI.ListenAddr = strings.TrimSuffix(strings.TrimPrefix(n.WebAPIURL, "http://"), "/api/v1/")
	return c
}

// TestnetTable is the name of the node table Testnet writes.
const TestnetTable = "testnet.tsv"

// writeTestnetTable writes one tab-separated line per node: name, role,
// home, P2P address, RPC address, stream URL, Web API URL.
func writeTestnetTable(dir string, nodes []TestnetNode) error {
	var b strings.Builder
	b.WriteString("# name\trole\thome\tp2p\trpc\tstream\twebapi\n")
	for _, n := range nodes {
		role := "full"
		if n.Validator {
			role = "validator"
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", n.Name, role, n.Home, n.P2PAddr, n.RPCAddr, n.StreamURL, n.WebAPIURL)
	}
	path := filepath.Join(dir, TestnetTable)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("testnet: %w", err)
	}
	return nil
}
