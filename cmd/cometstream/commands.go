package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/cometstream/cometstream/node"
)

// stopTimeout bounds a clean shutdown; a second signal ends it sooner.
const stopTimeout = 30 * time.Second

func runInit(args []string, stdout, stderr io.Writer) error {
	var f nodeFlags
	fs := newFlagSet("init", stderr, &f)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if _, err := os.Stat(node.ConfigFile(f.home)); err == nil {
		fmt.Fprintf(stdout, "home %s already initialised; keys, genesis and config kept\n", f.home)
	}
	cfg := node.DefaultConfig(f.home)
	f.apply(fs, &cfg)
	if err := node.Init(cfg); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "initialised node home %s (config: %s)\n", f.home, node.ConfigFile(f.home))
	return nil
}

func runStart(ctx context.Context, args []string, stderr io.Writer) error {
	var f nodeFlags
	fs := newFlagSet("start", stderr, &f)
	if err := fs.Parse(args); err != nil {
		return err
	}
	level := hclog.LevelFromString(f.logLevel)
	if level == hclog.NoLevel {
		return fmt.Errorf("unknown --log-level %q", f.logLevel)
	}
	logger := hclog.New(&hclog.LoggerOptions{Name: "cometstream", Level: level, Output: stderr})

	cfg, err := node.LoadConfig(f.home)
	if err != nil {
		return err
	}
	f.apply(fs, &cfg)
	n, err := node.New(cfg, logger)
	if err != nil {
		return err
	}
	if err := n.Start(); err != nil {
		stopCtx, cancel := context.WithTimeout(context.Background(), stopTimeout)
		defer cancel()
		_ = n.Stop(stopCtx)
		return err
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for done := false; !done; {
		select {
		case <-hup:
			_ = n.Reload() // logged by the node
		case <-ctx.Done():
			done = true
		}
	}
	logger.Info("shutting down (a second signal forces exit)")
	stopCtx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	return n.Stop(stopCtx)
}
