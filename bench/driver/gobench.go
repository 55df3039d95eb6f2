package driver

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os/exec"
	"strconv"
	"strings"
)

// goBenchmark is one go test -bench invocation of the run.
type goBenchmark struct {
	pkg, pattern string
	// iterations for an "Nx" benchtime, or seconds when zero.
	iterations int
	seconds    float64
}

// goBenchmarks are the Go benchmarks the run executes, with iteration
// counts that keep the whole under about four minutes on 2 cores.
var goBenchmarks = []goBenchmark{
	// Enough Commits that p99 is not the slowest one (the 5th slowest of
	// 400).
	{pkg: "./abci", pattern: "^BenchmarkCommitHandoff$", iterations: 400},
	{pkg: "./abci", pattern: "^BenchmarkBlockEvent$", seconds: 0.2},
	{pkg: "./streamsvc", pattern: "^BenchmarkCommitHandoffWebSocket$", iterations: 30},
	{pkg: "./streamsvc", pattern: "^BenchmarkFanOut$", iterations: 10},
	{pkg: "./streamsvc", pattern: "^BenchmarkSubscriberMemory$", iterations: 1},
	{pkg: "./streamsvc", pattern: "^BenchmarkEncode$", seconds: 0.3},
	// The live page in headless Chromium (make deps installs it).
	{pkg: "./integration", pattern: "^BenchmarkExplorerBurst$", iterations: 3},
	{pkg: "./streamsvc", pattern: "^BenchmarkSSEFanOut$", iterations: 30},
	// The JetStream sink behind the log, one nats-server in the process.
	{pkg: "./jetstream", pattern: "^BenchmarkSinkPublish$", iterations: 30},
}

func (r *runner) goBench(ctx context.Context) error {
	for _, gb := range goBenchmarks {
		benchtime := fmt.Sprintf("%gs", gb.seconds*r.cfg.GoBenchScale)
		if gb.iterations > 0 {
			benchtime = fmt.Sprintf("%dx", max(1, int(math.Round(float64(gb.iterations)*r.cfg.GoBenchScale))))
		}
		args := []string{"test", "-modfile=lines/cometbft-v0.40.mod", "-run", "^$", "-bench", gb.pattern, "-benchtime", benchtime, "-count", "1", gb.pkg}
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = r.cfg.Repo
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		run := GoBenchRun{Command: "go " + strings.Join(quoteArgs(args), " "), Raw: out.String(), Results: parseGoBench(out.String())}
		if err != nil {
			run.Err = err.Error()
			r.note("%s failed: %v", run.Command, err)
		}
		r.res.GoBench = append(r.res.GoBench, run)
		r.logf("%s: %d results", run.Command, len(run.Results))
	}
	return nil
}

func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, "^$*") {
			a = "'" + a + "'"
		}
		out[i] = a
	}
	return out
}

// parseGoBench reads the result lines of go test -bench output:
// "BenchmarkName/sub-2  N  v unit  v unit ...".
func parseGoBench(out string) []GoBenchLine {
	var lines []GoBenchLine
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		name := f[0]
		if i := strings.LastIndex(name, "-"); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i] // the GOMAXPROCS suffix
			}
		}
		l := GoBenchLine{Name: name, N: n, Metrics: map[string]float64{}}
		for i := 2; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				l.Metrics[f[i+1]] = v
			}
		}
		lines = append(lines, l)
	}
	return lines
}
