// Command kvstream runs CometBFT's kvstore example application on a
// CometBFT node with the event stream embedded: what an app's own binary
// looks like once it embeds cometstream (see package kvstore for the three
// calls). It reads the CometBFT home's config/config.toml, as CometBFT's
// own commands do, and creates a single-validator home when there is none.
//
//	kvstream --home DIR [--stream.laddr 127.0.0.1:9985] [--stream.advertised_url ws://HOST:PORT]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/hashicorp/go-hclog"
	"github.com/spf13/viper"

	"github.com/cometstream/cometstream"
	"github.com/cometstream/cometstream/examples/kvstore"
)

func main() {
	fs := flag.NewFlagSet("kvstream", flag.ContinueOnError)
	home := fs.String("home", "", "CometBFT home directory (required)")
	laddr := fs.String("stream.laddr", "", "the stream's listen address (default "+cometstream.DefaultConfig().ListenAddr+")")
	advertised := fs.String("stream.advertised_url", "", "the stream's public ws:// or wss:// URL (default derived from the listen address)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		os.Exit(2)
	}
	if *home == "" {
		fmt.Fprintln(os.Stderr, "kvstream: --home is required")
		os.Exit(2)
	}
	logger := hclog.New(&hclog.LoggerOptions{Name: "kvstream", Level: hclog.Info, Output: os.Stderr})
	if err := run(*home, cometstream.Config{ListenAddr: *laddr, AdvertisedURL: *advertised, Logger: logger}); err != nil {
		fmt.Fprintln(os.Stderr, "kvstream:", err)
		os.Exit(1)
	}
}

// run starts the node and stops it on SIGINT or SIGTERM.
func run(home string, stream cometstream.Config) error {
	cfg, err := loadConfig(home)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	n, err := kvstore.Start(cfg, stream)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "kvstream: node running, stream on %s\n", n.Stream.Addr())
	<-ctx.Done()
	stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return n.Stop(stopCtx)
}

// loadConfig is CometBFT's configuration for home: its config.toml over
// the defaults when the file exists, the defaults otherwise.
func loadConfig(home string) (*cmtcfg.Config, error) {
	cfg := cmtcfg.DefaultConfig()
	path := filepath.Join(home, "config", "config.toml")
	if _, err := os.Stat(path); err == nil {
		v := viper.New()
		v.SetConfigFile(path)
		if err := v.ReadInConfig(); err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		if err := v.Unmarshal(cfg); err != nil {
			return nil, fmt.Errorf("decode %s: %w", path, err)
		}
	}
	cfg.SetRoot(home)
	if err := cfg.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}
