package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/cometstream/cometstream/node"
)

const testnetUsage = `usage: cometstream testnet --validators N [--full-nodes M] --output DIR [flags]

Generates the homes of a local network on one host: DIR/node0, DIR/node1, ...
(validators first), one genesis, every node a persistent peer of every other,
its own ports from --base-port (10 per node: P2P, RPC, stream, Web API,
Prometheus), the stream and the Web API on, and fast block timeouts. Start
each node with 'cometstream start --home DIR/nodeI', or all of them with
scripts/testnet.sh up DIR.

flags:
`

// startHint begins the last line of the testnet command's output.
const startHint = "start them with: scripts/testnet.sh up "

func runTestnet(args []string, stdout, stderr io.Writer) error {
	var cfg node.TestnetConfig
	fs := flag.NewFlagSet("testnet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), testnetUsage)
		fs.PrintDefaults()
	}
	fs.IntVar(&cfg.Validators, "validators", 0, "number of validators (required)")
	fs.IntVar(&cfg.FullNodes, "full-nodes", 0, "number of full nodes, without voting power")
	fs.StringVar(&cfg.OutputDir, "output", "", "directory that receives the node homes (required)")
	fs.IntVar(&cfg.BasePort, "base-port", node.DefaultTestnetBasePort, "node0's P2P port; node i's ports start at base-port + 10*i")
	fs.StringVar(&cfg.Hostname, "hostname", "127.0.0.1", "address every node binds to and advertises")
	fs.StringVar(&cfg.ChainID, "chain-id", "", "chain ID (default: cometstream-testnet-<random>)")
	fs.DurationVar(&cfg.TimeoutCommit, "timeout-commit", 200*time.Millisecond, "pause after each block")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("testnet: unexpected argument %q", fs.Arg(0))
	}
	if cfg.Validators < 1 || cfg.OutputDir == "" {
		fs.Usage()
		return errors.New("testnet: --validators (at least 1) and --output are required")
	}
	nodes, err := node.Testnet(cfg)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tROLE\tRPC\tSTREAM\tWEB API\tHOME")
	for _, n := range nodes {
		role := "full"
		if n.Validator {
			role = "validator"
		}
		fmt.Fprintf(tw, "%s\t%s\thttp://%s\t%s\t%s\t%s\n", n.Name, role, n.RPCAddr, n.StreamURL, n.WebAPIURL, n.Home)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d node homes in %s\n", len(nodes), cfg.OutputDir)
	// On a line of its own, which scripts/testnet.sh up leaves out: it is
	// starting them.
	fmt.Fprintf(stdout, "%s%s\n", startHint, cfg.OutputDir)
	return nil
}
