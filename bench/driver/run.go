// Package driver is the benchmark's load driver: it runs the Go benchmarks,
// starts real cometstream nodes in its own process, client processes (its
// own executable in the load-client role) and the raw-socket floor, runs
// the trials, and writes docs/benchmarks.md, its plots and the raw results.
package driver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// runner is one run's state.
type runner struct {
	cfg     Config
	res     *Results
	work    string
	nodeLog *os.File
	runID   string
}

// Run runs what cfg asks for and writes the report. The results so far are
// written even when a part fails.
func Run(ctx context.Context, cfg Config) (*Results, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	r := &runner{cfg: cfg, res: &Results{Command: cfg.Command, Started: time.Now().UTC()}}
	r.res.Smoke = cfg.Subscribers[len(cfg.Subscribers)-1] < 100
	id := make([]byte, 4)
	_, _ = rand.Read(id)
	r.runID = hex.EncodeToString(id)
	r.res.Machine = describeMachine(cfg.Repo)

	work := cfg.WorkDir
	if work == "" {
		dir, err := os.MkdirTemp("", "cometstream-bench-")
		if err != nil {
			return nil, err
		}
		defer func() { _ = os.RemoveAll(dir) }() // a temporary directory left behind harms no result
		work = dir
	}
	r.work = work
	if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(work, "nodes.log"))
	if err != nil {
		return nil, err
	}
	defer func() { _ = logFile.Close() }() // the nodes' log is for a reader of a failed run; no result depends on it
	r.nodeLog = logFile

	start := time.Now()
	var errs []error
	if cfg.GoBench {
		r.logf("go benchmarks")
		if err := r.goBench(ctx); err != nil {
			errs = append(errs, fmt.Errorf("go benchmarks: %w", err))
		}
	}
	if ctx.Err() == nil && !cfg.NoFanOut {
		r.logf("fan-out with synthetic blocks")
		if err := r.fanOut(ctx); err != nil {
			errs = append(errs, fmt.Errorf("fan-out: %w", err))
		}
	}
	if ctx.Err() == nil && cfg.RealTxs > 0 {
		r.logf("real transactions through consensus")
		if err := r.realTxs(ctx); err != nil {
			errs = append(errs, fmt.Errorf("real transactions: %w", err))
		}
	}
	if ctx.Err() == nil && cfg.CPUTxs > 0 {
		r.logf("CPU per committed transaction, node processes")
		if err := r.cpuPerTx(ctx); err != nil {
			errs = append(errs, fmt.Errorf("cpu per tx: %w", err))
		}
	}
	if ctx.Err() == nil && cfg.CommitPosts > 0 {
		r.logf("commit flood through the Web API")
		if err := r.commitFlood(ctx); err != nil {
			errs = append(errs, fmt.Errorf("commit flood: %w", err))
		}
	}
	r.res.Duration = time.Since(start).Round(time.Second)
	r.res.Machine.LoadAfter = loadAverage()
	if err := errors.Join(errs...); err != nil {
		r.note("the run failed: %v", err)
	}
	if err := r.write(); err != nil {
		errs = append(errs, err)
	}
	return r.res, errors.Join(errs...)
}

// write writes the results, the report and the plots where cfg says.
func (r *runner) write() error {
	if r.cfg.Results != "" {
		data, err := json.MarshalIndent(r.res, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(r.cfg.Results, append(data, '\n'), 0o644); err != nil {
			return err
		}
	}
	return Render(r.res, r.cfg)
}

// Render writes the report and plots of res where cfg says.
func Render(res *Results, cfg Config) error {
	findings := ""
	if cfg.Findings != "" {
		if data, err := os.ReadFile(cfg.Findings); err == nil {
			findings = string(data)
		}
	}
	files := []struct {
		path string
		data func() (string, error)
	}{
		{cfg.SVGThroughput, func() (string, error) { return throughputPlot(res), nil }},
		{cfg.SVGLatency, func() (string, error) { return latencyPlot(res), nil }},
		{cfg.Doc, func() (string, error) { return report(res, cfg, findings) }},
	}
	for _, f := range files {
		if f.path == "" {
			continue
		}
		data, err := f.data()
		if err != nil {
			return fmt.Errorf("write %s: %w", f.path, err)
		}
		if err := os.WriteFile(f.path, []byte(data), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func (r *runner) logf(format string, args ...any) { r.cfg.Log(format, args...) }

// note records something the report must say, and logs it.
func (r *runner) note(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	r.res.Notes = append(r.res.Notes, s)
	r.logf("note: %s", s)
}
