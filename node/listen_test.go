package node_test

import (
	"net"
	"strings"
	"testing"

	"github.com/cometstream/cometstream/node"
)

// TestInitBindsEveryPortToLoopback: a home made by init listens on
// 127.0.0.1 only, P2P included, as the README says.
func TestInitBindsEveryPortToLoopback(t *testing.T) {
	home := t.TempDir()
	if err := node.Init(node.DefaultConfig(home)); err != nil {
		t.Fatal(err)
	}
	cfg, err := node.LoadConfig(home)
	if err != nil {
		t.Fatal(err)
	}
	for name, addr := range map[string]string{
		"[p2p] laddr":    cfg.Comet.P2P.ListenAddress,
		"[rpc] laddr":    cfg.Comet.RPC.ListenAddress,
		"[stream] laddr": cfg.Stream.ListenAddr,
		"[webapi] laddr": cfg.WebAPI.ListenAddr,
	} {
		_, hostPort, ok := strings.Cut(addr, "://")
		if !ok {
			hostPort = addr
		}
		host, _, err := net.SplitHostPort(hostPort)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			t.Errorf("%s = %q, want a loopback address", name, addr)
		}
	}
}
