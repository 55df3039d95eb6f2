// Command benchrun is the benchmark driver `make bench` runs: the Go
// benchmarks, then a real node in this process with client processes (this
// same program in its load-client role) and the raw-socket floor, then
// docs/benchmarks.md, its plots and bench/results.json.
//
//	benchrun                 the full run (about 15 minutes on 2 cores)
//	benchrun -smoke          every part once, tiny (10 subscribers, 5 blocks)
//	benchrun -render         rewrite the report from bench/results.json
//	benchrun -gobench=false -fanout=false -real-txs -1 -commit-posts -1
//	                         the CPU per transaction alone (-cpu-txs N)
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cometstream/cometstream/bench/driver"
)

func main() {
	driver.MaybeRun()
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("benchrun", flag.ContinueOnError)
	repo := fs.String("repo", ".", "the module's root directory")
	out := fs.String("out", "docs/benchmarks.md", "report to write (relative to -repo)")
	svgT := fs.String("svg-throughput", "docs/benchmarks-throughput.svg", "throughput plot to write")
	svgL := fs.String("svg-latency", "docs/benchmarks-latency.svg", "latency plot to write")
	results := fs.String("results", "bench/results.json", "raw results to write (or read, with -render)")
	findings := fs.String("findings", "bench/findings.md", "Markdown copied into the report's Findings")
	smoke := fs.Bool("smoke", false, "run every part once with a tiny configuration")
	render := fs.Bool("render", false, "only write the report and plots again from -results")
	goBench := fs.Bool("gobench", true, "run the Go benchmarks first")
	subs := fs.String("subs", "", "fan-out subscriber counts, comma-separated (default 1,100,1000,10000)")
	txs := fs.String("txs", "", "fan-out transactions per block, comma-separated (default 1,100,1000)")
	realTxs := fs.Int("real-txs", 0, "transactions per real-consensus trial (default 2000; -1 skips)")
	realSubs := fs.String("real-subs", "", "subscriber counts compared with CometBFT (default 1,100,1000)")
	work := fs.String("work", "", "directory for the nodes' homes and log (default: a temp dir, removed)")
	noFloor := fs.Bool("no-floor", false, "skip the floor trials")
	fanOut := fs.Bool("fanout", true, "run the fan-out with synthetic blocks")
	cpuTxs := fs.Int("cpu-txs", 0, "transactions per CPU-per-transaction trial (default 6000; -1 skips)")
	commitPosts := fs.Int("commit-posts", 0, "concurrent Web API posts per commit-flood trial (default 2000; -1 skips)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of this process (the nodes run in it) to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(*repo, p)
	}
	cfg := driver.Config{}
	if *smoke {
		cfg = driver.Smoke()
	}
	cfg.Repo = *repo
	cfg.Doc, cfg.SVGThroughput, cfg.SVGLatency = abs(*out), abs(*svgT), abs(*svgL)
	cfg.Results, cfg.Findings, cfg.WorkDir = abs(*results), abs(*findings), *work
	cfg.GoBench = *goBench && !*smoke
	cfg.NoFloor = *noFloor
	cfg.NoFanOut = !*fanOut
	if *cpuTxs != 0 {
		cfg.CPUTxs = *cpuTxs
	}
	if *commitPosts != 0 {
		cfg.CommitPosts = *commitPosts
	}
	cfg.Command = strings.Join(append([]string{"bin/benchrun"}, args...), " ")
	cfg.Log = func(format string, a ...any) {
		fmt.Fprintf(os.Stderr, "%s %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, a...))
	}
	var err error
	if *subs != "" {
		if cfg.Subscribers, err = ints(*subs); err != nil {
			return err
		}
	}
	if *txs != "" {
		if cfg.TxsPerBlock, err = ints(*txs); err != nil {
			return err
		}
	}
	if *realSubs != "" {
		if cfg.RealSubscribers, err = ints(*realSubs); err != nil {
			return err
		}
	}
	if *realTxs != 0 {
		cfg.RealTxs = *realTxs
	}

	if *render {
		data, err := os.ReadFile(cfg.Results)
		if err != nil {
			return err
		}
		var res driver.Results
		if err := json.Unmarshal(data, &res); err != nil {
			return fmt.Errorf("%s: %w", cfg.Results, err)
		}
		return driver.Render(&res, cfg)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer func() {
			if err := f.Close(); err != nil {
				fmt.Fprintln(os.Stderr, "benchrun: cpu profile:", err)
			}
		}()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	_, err = driver.Run(ctx, cfg)
	return err
}

func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a list of positive integers", s)
		}
		out = append(out, n)
	}
	return out, nil
}
