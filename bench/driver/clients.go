package driver

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cometstream/cometstream/bench"
	"github.com/cometstream/cometstream/bench/loadclients"
)

// clientProc is one load-client process: this program run again with the
// load-client role (loadclients.MaybeRun).
type clientProc struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	dec    *json.Decoder
	stderr *tailBuffer
	ready  bench.Ready
}

// clientSet is the client processes of one trial series.
type clientSet struct {
	procs []*clientProc
	mode  string
}

// startClients starts enough processes for n connections to url (at most
// perProc each, one source address each; query is a cometbft mode's
// subscription, "" for tm.event='Tx') and waits until every process has
// set up its connections.
func startClients(ctx context.Context, url, mode, query string, n, perProc int, sources []string) (*clientSet, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own executable: %w", err)
	}
	nprocs := min(len(sources), (n+perProc-1)/perProc)
	if n >= 1000 {
		nprocs = len(sources) // spread the big runs over every address
	}
	cs := &clientSet{mode: mode}
	for i := range nprocs {
		k := n / nprocs
		if i < n%nprocs {
			k++
		}
		args := []string{"-url", url, "-n", strconv.Itoa(k), "-src", sources[i], "-mode", mode}
		if query != "" {
			args = append(args, "-query", query)
		}
		p, err := startProc(ctx, exe, args)
		if err != nil {
			cs.kill()
			return nil, err
		}
		cs.procs = append(cs.procs, p)
	}
	errs := make([]error, len(cs.procs))
	var wg sync.WaitGroup
	for i, p := range cs.procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = p.decode(&p.ready, 5*time.Minute)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		cs.kill()
		return nil, fmt.Errorf("client processes: %w", err)
	}
	return cs, nil
}

func startProc(ctx context.Context, exe string, args []string) (*clientProc, error) {
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = append(os.Environ(), loadclients.RoleEnv+"="+loadclients.RoleValue)
	// A client outliving the driver (killed) would hold its connections.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 10 * time.Second
	p := &clientProc{cmd: cmd, stderr: &tailBuffer{max: 4096}}
	cmd.Stderr = p.stderr
	var err error
	if p.in, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p.dec = json.NewDecoder(bufio.NewReaderSize(out, 1<<20))
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start client process: %w", err)
	}
	return p, nil
}

// decode reads the process's next line into v, or kills the process after
// timeout.
func (p *clientProc) decode(v any, timeout time.Duration) error {
	t := time.AfterFunc(timeout, func() { _ = p.cmd.Process.Kill() })
	defer t.Stop()
	if err := p.dec.Decode(v); err != nil {
		return fmt.Errorf("client process %d: %w (stderr: %s)", p.cmd.Process.Pid, err, p.stderr)
	}
	return nil
}

func (p *clientProc) send(cmd string) error {
	_, err := io.WriteString(p.in, cmd+"\n")
	return err
}

// ask sends cmd to every process and decodes each answer into out[i].
func ask[T any](cs *clientSet, cmd string) ([]T, error) {
	out := make([]T, len(cs.procs))
	for _, p := range cs.procs {
		if err := p.send(cmd); err != nil {
			return nil, fmt.Errorf("client process %d: %w", p.cmd.Process.Pid, err)
		}
	}
	for i, p := range cs.procs {
		if err := p.decode(&out[i], 2*time.Minute); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// connected is the number of subscribed connections over all processes.
func (cs *clientSet) connected() int {
	n := 0
	for _, p := range cs.procs {
		n += p.ready.Connected
	}
	return n
}

// readyErrors merges the processes' set-up errors.
func (cs *clientSet) readyErrors() map[string]int {
	out := map[string]int{}
	for _, p := range cs.procs {
		for k, v := range p.ready.Errors {
			out[k] += v
		}
	}
	return out
}

func (cs *clientSet) status() (bench.Status, error) {
	sts, err := ask[bench.Status](cs, bench.CmdStatus)
	var sum bench.Status
	for _, s := range sts {
		sum.Msgs += s.Msgs
		sum.Open += s.Open
		sum.Ended += s.Ended
	}
	return sum, err
}

func (cs *clientSet) report() ([]bench.Report, error) { return ask[bench.Report](cs, bench.CmdReport) }

// quit asks every process to close its connections and waits for it to
// exit.
func (cs *clientSet) quit() error {
	var errs []error
	if _, err := ask[bench.Status](cs, bench.CmdQuit); err != nil {
		errs = append(errs, err)
	}
	for _, p := range cs.procs {
		_ = p.in.Close()
		if err := p.cmd.Wait(); err != nil {
			errs = append(errs, fmt.Errorf("client process %d: %w (stderr: %s)", p.cmd.Process.Pid, err, p.stderr))
		}
	}
	cs.procs = nil
	return errors.Join(errs...)
}

// kill ends every process at once and reaps it.
func (cs *clientSet) kill() {
	for _, p := range cs.procs {
		_ = p.cmd.Process.Kill()
		_ = p.in.Close()
		_ = p.cmd.Wait()
	}
	cs.procs = nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.b))
}
