// Package natstest runs a NATS JetStream cluster of real nats-server
// instances inside a test's process, for the tests of the JetStream sink
// and of the node publishing to it.
package natstest

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Cluster is a JetStream cluster of real nats-server instances in the
// test's process, on loopback ports, each with its own store directory,
// so that a server (or all of them) can stop and start again as it was.
type Cluster struct {
	t       testing.TB
	name    string
	ports   []int // client ports
	routes  []int // cluster ports
	dirs    []string
	servers []*server.Server
}

// ports hands out listen ports below the kernel's ephemeral range
// (32768-60999 on Linux): a port found free with ":0" can be taken by an
// outgoing connection before the server binds it. Each process starts at
// an offset of its own and never hands a port out twice.
var ports struct {
	sync.Mutex
	next int
	used map[int]bool
}

func freePorts(t testing.TB, n int) []int {
	t.Helper()
	const low, high = 12000, 20000
	ports.Lock()
	defer ports.Unlock()
	if ports.used == nil {
		ports.used = map[int]bool{}
		ports.next = low + os.Getpid()%(high-low)
	}
	var out []int
	for range high - low {
		if len(out) == n {
			return out
		}
		p := ports.next
		if ports.next++; ports.next == high {
			ports.next = low
		}
		if ports.used[p] {
			continue
		}
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			continue
		}
		_ = ln.Close()
		ports.used[p] = true
		out = append(out, p)
	}
	t.Fatalf("no %d free ports in %d-%d", n, low, high-1)
	return nil
}

// Start starts n servers and waits until JetStream has a leader.
func Start(t testing.TB, n int) *Cluster {
	t.Helper()
	ports := freePorts(t, 2*n)
	c := &Cluster{t: t, name: "cs-test", ports: ports[:n], routes: ports[n:], servers: make([]*server.Server, n)}
	for i := range n {
		c.dirs = append(c.dirs, filepath.Join(t.TempDir(), fmt.Sprint("n", i)))
	}
	for i := range n {
		c.StartServer(i)
	}
	t.Cleanup(func() {
		for i := range c.servers {
			c.StopServer(i)
		}
	})
	c.WaitReady()
	return c
}

// StartServer starts server i again, with its ports and store.
func (c *Cluster) StartServer(i int) {
	c.t.Helper()
	var routes []string
	for _, p := range c.routes {
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", p))
	}
	opts := &server.Options{
		ServerName: fmt.Sprint("n", i),
		Host:       "127.0.0.1",
		Port:       c.ports[i],
		JetStream:  true,
		StoreDir:   c.dirs[i],
		Cluster:    server.ClusterOpts{Name: c.name, Host: "127.0.0.1", Port: c.routes[i]},
		Routes:     server.RoutesFromStr(strings.Join(routes, ",")),
		NoLog:      true,
		NoSigs:     true,
	}
	if len(c.ports) == 1 {
		// One server is no cluster: JetStream runs standalone.
		opts.Cluster, opts.Routes = server.ClusterOpts{}, nil
	}
	s, err := server.NewServer(opts)
	if err != nil {
		c.t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		c.t.Fatalf("nats server %d not ready", i)
	}
	c.servers[i] = s
}

// StopServer shuts server i down (a no-op when it is down).
func (c *Cluster) StopServer(i int) {
	if s := c.servers[i]; s != nil {
		s.Shutdown()
		s.WaitForShutdown()
		c.servers[i] = nil
	}
}

// URLs are the servers' client URLs.
func (c *Cluster) URLs() []string {
	var out []string
	for _, p := range c.ports {
		out = append(out, fmt.Sprintf("nats://127.0.0.1:%d", p))
	}
	return out
}

// WaitReady waits until a JetStream API call answers (a meta leader is
// elected).
func (c *Cluster) WaitReady() {
	c.t.Helper()
	nc, js := c.Connect()
	defer nc.Close()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := js.AccountInfo(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("JetStream not ready: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Connect connects a client that reconnects across outages.
func (c *Cluster) Connect() (*nats.Conn, jetstream.JetStream) {
	c.t.Helper()
	nc, err := nats.Connect(strings.Join(c.URLs(), ","), nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1),
		nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		c.t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		c.t.Fatal(err)
	}
	return nc, js
}

// Messages reads stream name whole, in order, with the stream's info (its
// configuration and cluster placement).
func (c *Cluster) Messages(name string) (*jetstream.StreamInfo, []*jetstream.RawStreamMsg) {
	c.t.Helper()
	nc, js := c.Connect()
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, name)
	if err != nil {
		c.t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		c.t.Fatal(err)
	}
	var out []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && seq > 0; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			c.t.Fatalf("stream %s message %d: %v", name, seq, err)
		}
		out = append(out, m)
	}
	return info, out
}
