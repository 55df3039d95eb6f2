package driver

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/cometstream/cometstream"
	"github.com/cometstream/cometstream/events"
)

// streamNode is the fan-out trials' stream: the library's assembly (the
// node's own log and server, built by cometstream.Open) over a chain of no
// blocks, so that the synthetic blocks are the only heights its log gets.
// A log no longer leaps over a gap (it waits for the missing heights), so
// the trials cannot share a log with a live chain.
type streamNode struct {
	s    *cometstream.Stream
	addr string
}

// noBlocks is the Blocks of a chain that has committed nothing.
type noBlocks struct{}

func (noBlocks) Range() (base, committed int64, err error) { return 1, 0, nil }
func (noBlocks) Block(h int64) (cometstream.Block, error) {
	return cometstream.Block{}, fmt.Errorf("height %d: the fan-out chain has no blocks", h)
}

func startStreamNode(dir, name string, writeTimeout time.Duration, logOut *os.File) (*streamNode, error) {
	ports, err := freePorts(1)
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + ports[0]
	s, err := cometstream.Open(cometstream.Config{
		DataDir:        filepath.Join(dir, name, "data"),
		ListenAddr:     addr,
		AdvertisedURL:  "ws://" + addr,
		MaxConnections: 20000,
		MaxConnsPerIP:  20000,
		WriteTimeout:   writeTimeout,
		Logger:         hclog.New(&hclog.LoggerOptions{Name: name, Level: hclog.Warn, Output: logOut}),
	})
	if err != nil {
		return nil, err
	}
	if err := s.Start(noBlocks{}); err != nil {
		_ = s.Close(context.Background())
		return nil, err
	}
	return &streamNode{s: s, addr: addr}, nil
}

func (n *streamNode) Log() *events.Log             { return n.s.Log() }
func (n *streamNode) streamURL(path string) string { return "ws://" + n.addr + path }
func (n *streamNode) sseURL(path string) string    { return "http://" + n.addr + path }
func (n *streamNode) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return n.s.Close(ctx)
}
