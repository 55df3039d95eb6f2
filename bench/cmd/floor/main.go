// Command floor serves the benchmark's raw-socket floor on its own: it
// accepts WebSocket connections on any path and, every -interval, writes a
// synthetic block of -txs valid_transactions frames (the bytes cometstream
// would send) to each, with nothing else in the way. The benchmark driver
// runs the same server in its process (bench/floor); this command is for
// trying it by hand with bench/cmd/loadclients:
//
//	floor -addr 127.0.0.1:9995 -txs 100 -interval 1s
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cometstream/cometstream/bench"
	"github.com/cometstream/cometstream/bench/floor"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:9995", "listen address")
	txs := fs.Int("txs", 100, "transactions per block")
	interval := fs.Duration("interval", time.Second, "time between blocks")
	blocks := fs.Int("blocks", 0, "blocks to publish, then exit (0: until interrupted)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := floor.Start(*addr, 0)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "floor: serving ws://%s/ (any path)\n", srv.Addr())
	tick := time.NewTicker(*interval)
	defer tick.Stop()
	for h := int64(1); (*blocks == 0 || h <= int64(*blocks)) && ctx.Err() == nil; h++ {
		select {
		case <-ctx.Done():
			continue
		case <-tick.C:
		}
		srv.Publish(bench.TxFrames(bench.SyntheticBlock("floor", h, *txs)))
		fmt.Fprintf(os.Stderr, "floor: block %d to %d subscribers\n", h, srv.Subscribers())
	}
	closeCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Close(closeCtx)
}
