package node_test

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/types"
	"github.com/google/go-cmp/cmp"

	"github.com/cometstream/cometstream/node"
)

func TestTestnetHomesLoadAndAgree(t *testing.T) {
	dir := t.TempDir()
	nodes, err := node.Testnet(node.TestnetConfig{Validators: 4, FullNodes: 1, OutputDir: dir, BasePort: 30100})
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 5 {
		t.Fatalf("%d nodes, want 5", len(nodes))
	}

	var genesis []byte
	ports := map[string]string{} // port -> what uses it
	claim := func(addr, what string) {
		t.Helper()
		addr = strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(addr, "tcp://"), "ws://"), "http://")
		host, port, err := net.SplitHostPort(strings.TrimSuffix(addr, "/api/v1/"))
		if err != nil {
			t.Fatalf("%s address %q: %v", what, addr, err)
		}
		if host != "127.0.0.1" {
			t.Errorf("%s binds %s, want 127.0.0.1", what, host)
		}
		if other, ok := ports[port]; ok {
			t.Errorf("port %s used by %s and %s", port, other, what)
		}
		ports[port] = what
	}
	ids := map[string]string{} // name -> node ID from its key file
	var validatorKeys []string

	for i, n := range nodes {
		if want := filepath.Join(dir, n.Name); n.Home != want || n.Name != fmt.Sprintf("node%d", i) {
			t.Errorf("node %d: name %s home %s", i, n.Name, n.Home)
		}
		if n.Validator != (i < 4) {
			t.Errorf("%s validator = %v", n.Name, n.Validator)
		}
		cfg, err := node.LoadConfig(n.Home)
		if err != nil {
			t.Fatalf("%s: %v", n.Name, err)
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("%s: %v", n.Name, err)
		}
		c := cfg.Comet
		claim(c.P2P.ListenAddress, n.Name+" p2p")
		claim(c.RPC.ListenAddress, n.Name+" rpc")
		claim(cfg.Stream.ListenAddr, n.Name+" stream")
		claim(cfg.WebAPI.ListenAddr, n.Name+" web api")
		claim(c.Instrumentation.PrometheusListenAddr, n.Name+" prometheus")
		if c.RPC.GRPCListenAddress != "" || c.RPC.PprofListenAddress != "" || c.Instrumentation.Prometheus {
			t.Errorf("%s: gRPC %q, pprof %q, prometheus %v: want all off", n.Name,
				c.RPC.GRPCListenAddress, c.RPC.PprofListenAddress, c.Instrumentation.Prometheus)
		}
		if "tcp://"+n.P2PAddr != c.P2P.ListenAddress || "tcp://"+n.RPCAddr != c.RPC.ListenAddress {
			t.Errorf("%s: reported p2p %s rpc %s, config has %s %s", n.Name, n.P2PAddr, n.RPCAddr, c.P2P.ListenAddress, c.RPC.ListenAddress)
		}
		if !cfg.Stream.Enable || cfg.Stream.AdvertisedURL != "ws://"+cfg.Stream.ListenAddr || n.StreamURL != cfg.Stream.AdvertisedURL {
			t.Errorf("%s: stream enable %v laddr %s advertised %s, reported %s", n.Name,
				cfg.Stream.Enable, cfg.Stream.ListenAddr, cfg.Stream.AdvertisedURL, n.StreamURL)
		}
		if n.WebAPIURL != "http://"+cfg.WebAPI.ListenAddr+"/api/v1/" {
			t.Errorf("%s: web api %s, config %s", n.Name, n.WebAPIURL, cfg.WebAPI.ListenAddr)
		}
		if cfg.Stream.MaxConnsPerIP < cfg.Stream.MaxConnections {
			t.Errorf("%s: max_connections_per_ip %d below max_connections %d: local clients all share one address",
				n.Name, cfg.Stream.MaxConnsPerIP, cfg.Stream.MaxConnections)
		}
		if !c.P2P.AllowDuplicateIP || c.P2P.AddrBookStrict {
			t.Errorf("%s: allow_duplicate_ip %v addr_book_strict %v", n.Name, c.P2P.AllowDuplicateIP, c.P2P.AddrBookStrict)
		}
		cons := c.Consensus
		if cons.TimeoutPropose > 500*time.Millisecond || cons.TimeoutPrevote > 100*time.Millisecond ||
			cons.TimeoutPrecommit > 100*time.Millisecond || cons.TimeoutCommit != 200*time.Millisecond ||
			cons.PeerGossipSleepDuration != 10*time.Millisecond {
			t.Errorf("%s: slow timeouts %+v", n.Name, cons)
		}
		if c.Moniker != n.Name {
			t.Errorf("%s: moniker %q", n.Name, c.Moniker)
		}

		key, err := p2p.LoadNodeKey(c.NodeKeyFile())
		if err != nil {
			t.Fatal(err)
		}
		ids[n.Name] = string(key.ID())
		if n.ID != ids[n.Name] {
			t.Errorf("%s: reported ID %s, key file %s", n.Name, n.ID, key.ID())
		}
		pv := privval.LoadFilePV(c.PrivValidatorKeyFile(), c.PrivValidatorStateFile())
		if n.Validator {
			validatorKeys = append(validatorKeys, pv.Key.PubKey.Address().String())
		}

		g, err := os.ReadFile(c.GenesisFile())
		if err != nil {
			t.Fatal(err)
		}
		if genesis == nil {
			genesis = g
		} else if string(g) != string(genesis) {
			t.Errorf("%s has another genesis", n.Name)
		}
	}

	// Full mesh: each node names every other, at its P2P address and ID.
	for _, n := range nodes {
		cfg, _ := node.LoadConfig(n.Home)
		var want []string
		for _, p := range nodes {
			if p.Name != n.Name {
				want = append(want, ids[p.Name]+"@"+p.P2PAddr)
			}
		}
		got := strings.Split(cfg.Comet.P2P.PersistentPeers, ",")
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s persistent_peers (-want +got):\n%s", n.Name, diff)
		}
	}

	// One genesis with exactly the validators, equal power.
	gen, err := types.GenesisDocFromJSON(genesis)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range gen.Validators {
		got = append(got, v.Address.String())
		if v.Power != 10 {
			t.Errorf("validator %s power %d", v.Name, v.Power)
		}
	}
	slices.Sort(got)
	slices.Sort(validatorKeys)
	if diff := cmp.Diff(validatorKeys, got); diff != "" {
		t.Errorf("genesis validators (-validator keys +genesis):\n%s", diff)
	}
	if !strings.HasPrefix(gen.ChainID, "cometstream-testnet-") {
		t.Errorf("chain id %q", gen.ChainID)
	}

	table, err := os.ReadFile(filepath.Join(dir, node.TestnetTable))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(string(table)), "\n"); len(lines) != 6 ||
		lines[5] != strings.Join([]string{"node4", "full", nodes[4].Home, nodes[4].P2PAddr, nodes[4].RPCAddr, nodes[4].StreamURL, nodes[4].WebAPIURL}, "\t") {
		t.Errorf("%s:\n%s", node.TestnetTable, table)
	}
}

func TestTestnetRefusals(t *testing.T) {
	existing := t.TempDir()
	if _, err := node.Testnet(node.TestnetConfig{Validators: 1, OutputDir: existing, BasePort: 30200}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		cfg     node.TestnetConfig
		wantErr string
	}{
		{"no validator", node.TestnetConfig{OutputDir: t.TempDir()}, "at least one validator"},
		{"negative full nodes", node.TestnetConfig{Validators: 1, FullNodes: -1, OutputDir: t.TempDir()}, "negative number"},
		{"no output", node.TestnetConfig{Validators: 1}, "output directory is required"},
		{"ports past 65535", node.TestnetConfig{Validators: 2, OutputDir: t.TempDir(), BasePort: 65530}, "outside"},
		{"privileged ports", node.TestnetConfig{Validators: 2, OutputDir: t.TempDir(), BasePort: 80}, "outside"},
		{"bind-all hostname", node.TestnetConfig{Validators: 1, OutputDir: t.TempDir(), Hostname: "0.0.0.0"}, "bind address"},
		{"existing home", node.TestnetConfig{Validators: 1, OutputDir: existing, BasePort: 30300}, "exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := node.Testnet(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
			if tt.cfg.OutputDir != "" && tt.cfg.OutputDir != existing {
				if entries, _ := os.ReadDir(tt.cfg.OutputDir); len(entries) != 0 {
					t.Errorf("a refused testnet left files: %v", entries)
				}
			}
		})
	}
}

func TestTestnetNodesLayout(t *testing.T) {
	nodes, err := node.TestnetNodes(node.TestnetConfig{Validators: 2, FullNodes: 1, OutputDir: "/tn", Hostname: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range nodes {
		got = append(got, strings.Join([]string{n.Name, n.P2PAddr, n.RPCAddr, n.StreamURL, n.WebAPIURL}, " "))
	}
	want := []string{
		"node0 localhost:26600 localhost:26601 ws://localhost:26602 http://localhost:26603/api/v1/",
		"node1 localhost:26610 localhost:26611 ws://localhost:26612 http://localhost:26613/api/v1/",
		"node2 localhost:26620 localhost:26621 ws://localhost:26622 http://localhost:26623/api/v1/",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("layout (-want +got):\n%s", diff)
	}
}
