package loadclients

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// RoleEnv, set to RoleValue in a process's environment, makes a program
// that calls MaybeRun (the driver, and its tests) act as a load-client
// process: the driver starts its clients by running its own executable.
const (
	RoleEnv   = "COMETSTREAM_BENCH_ROLE"
	RoleValue = "loadclients"
)

// MaybeRun runs Main and exits when the environment asks for the
// load-client role; otherwise it returns.
func MaybeRun() {
	if os.Getenv(RoleEnv) == RoleValue {
		os.Exit(Main(os.Args[1:]))
	}
}

// Main runs a client process on stdin and stdout with the command-line
// arguments args, until told to quit, stdin ends, or SIGINT/SIGTERM; it
// returns the exit code.
func Main(args []string) int {
	cfg, err := ParseFlags(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Run(ctx, cfg, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadclients:", err)
		return 1
	}
	return 0
}
