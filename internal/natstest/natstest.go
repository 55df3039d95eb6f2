// Package natstest runs a NATS JetStream cluster of real nats-server
// instances inside a test's process, for the tests of the JetStream sink
// and of the node publishing to it.
package natstest

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/cometstream/cometstream/internal/testport"
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

// ports are natstest's own range; the integration tests' is another.
var ports = testport.NewRange(12000, 20000)

func freePorts(t testing.TB, n int) []int {
	t.Helper()
	out := make([]int, n)
	for i := range out {
		out[i] = ports.Free(t)
	}
	return out
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
