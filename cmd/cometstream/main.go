// Command cometstream runs a CometBFT node whose ledger application streams
// its committed transactions over WebSocket (the Planetmint Event Stream
// API). See the README for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, restore the default handling so that a
		// second one ends the process at once.
		<-ctx.Done()
		stop()
	}()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "cometstream:", err)
		os.Exit(1)
	}
}

const usage = `usage: cometstream <command> [flags]

commands:
  init     create a single-validator node home (--home DIR)
  start    run the node (--home DIR); the stream is on with [stream] enable = true or --stream.enable
  testnet  generate the homes of a local network (--validators N [--full-nodes M] --output DIR)
  tail     print a node's stream as JSON lines ([URL] --from-height N --blocks, filters)
  version  print the versions of cometstream and CometBFT, and the commit built

Run 'cometstream <command> -h' for a command's flags.
`

// run runs one command. A command's -h prints its flags and is no error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	err := runCommand(ctx, args, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

func runCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command given")
	}
	switch args[0] {
	case "init":
		return runInit(args[1:], stdout, stderr)
	case "start":
		return runStart(ctx, args[1:], stderr)
	case "testnet":
		return runTestnet(args[1:], stdout, stderr)
	case "tail":
		return runTail(ctx, args[1:], stdout, stderr)
	case "version":
		fmt.Fprint(stdout, version())
		return nil
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
}
