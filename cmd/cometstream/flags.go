package main

import (
	"flag"
	"io"
	"os"
	"path/filepath"

	"github.com/cometstream/cometstream/node"
)

// nodeFlags are the settings both init and start accept; a flag given on
// the command line overrides config.toml.
type nodeFlags struct {
	home          string
	streamEnable  bool
	streamLaddr   string
	advertisedURL string
	webLaddr      string
	rpcLaddr      string
	p2pLaddr      string
	logLevel      string
}

func defaultHome() string {
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".cometstream")
	}
	return ".cometstream"
}

func newFlagSet(name string, stderr io.Writer, f *nodeFlags) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	d := node.DefaultConfig("")
	fs.StringVar(&f.home, "home", defaultHome(), "node home directory")
	fs.BoolVar(&f.streamEnable, "stream.enable", false, "serve the WebSocket event stream (overrides [stream] enable)")
	fs.StringVar(&f.streamLaddr, "stream.laddr", d.Stream.ListenAddr, "stream listen address")
	fs.StringVar(&f.advertisedURL, "stream.advertised_url", d.Stream.AdvertisedURL, "stream URL advertised in the API root")
	fs.StringVar(&f.webLaddr, "webapi.laddr", d.WebAPI.ListenAddr, "Web API listen address")
	fs.StringVar(&f.rpcLaddr, "rpc.laddr", d.Comet.RPC.ListenAddress, "CometBFT RPC listen address")
	fs.StringVar(&f.p2pLaddr, "p2p.laddr", d.Comet.P2P.ListenAddress, "CometBFT P2P listen address")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level of cometstream (trace, debug, info, warn, error); CometBFT's follows its log_level")
	return fs
}

// apply copies the flags set on the command line onto cfg.
func (f *nodeFlags) apply(fs *flag.FlagSet, cfg *node.Config) {
	fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "stream.enable":
			cfg.Stream.Enable = f.streamEnable
		case "stream.laddr":
			cfg.Stream.ListenAddr = f.streamLaddr
		case "stream.advertised_url":
			cfg.Stream.AdvertisedURL = f.advertisedURL
		case "webapi.laddr":
			cfg.WebAPI.ListenAddr = f.webLaddr
		case "rpc.laddr":
			cfg.Comet.RPC.ListenAddress = f.rpcLaddr
		case "p2p.laddr":
			cfg.Comet.P2P.ListenAddress = f.p2pLaddr
		}
	})
}
