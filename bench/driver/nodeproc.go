package driver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/cometstream/cometstream/bench/loadclients"
	"github.com/cometstream/cometstream/node"
)

// roleNode, as loadclients.RoleEnv's value, makes this program a node
// process: the CPU-per-transaction trials measure a node alone in its
// process, as `cometstream start` runs it.
const roleNode = "node"

// MaybeRun runs the role the environment asks for (a load-client process
// or a node process) and exits; otherwise it returns. The driver's program
// and its tests call it first.
func MaybeRun() {
	loadclients.MaybeRun()
	if os.Getenv(loadclients.RoleEnv) == roleNode {
		if err := nodeMain(os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, "node process:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
}

// nodeMain runs the node of the home args[0] until SIGTERM or SIGINT, as
// `cometstream start --home` does.
func nodeMain(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: node HOME")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	cfg, err := node.LoadConfig(args[0])
	if err != nil {
		return err
	}
	n, err := node.New(cfg, hclog.New(&hclog.LoggerOptions{Name: "node", Level: hclog.Warn, Output: os.Stderr}))
	if err != nil {
		return err
	}
	if err := n.Start(); err != nil {
		_ = n.Stop(context.Background())
		return err
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return n.Stop(sctx)
}

// nodeProc is a node running in a process of its own.
type nodeProc struct {
	cmd  *exec.Cmd
	cfg  node.Config
	rpc  *rpcClient
	exit chan error
}

// startNodeProc initialises a fresh home under dir, starts a node process
// on it and waits for its first block.
func startNodeProc(ctx context.Context, dir string, o nodeOptions, logOut *os.File) (*nodeProc, error) {
	cfg, err := initHome(dir, o)
	if err != nil {
		return nil, err
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own executable: %w", err)
	}
	cmd := exec.Command(exe, cfg.Home)
	cmd.Env = append(os.Environ(), loadclients.RoleEnv+"="+roleNode)
	cmd.Stdout, cmd.Stderr = logOut, logOut
	// A node outliving the driver (killed) would hold its ports.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start node process %s: %w", o.name, err)
	}
	p := &nodeProc{cmd: cmd, cfg: cfg, rpc: newRPCClient(strings.TrimPrefix(cfg.Comet.RPC.ListenAddress, "tcp://")), exit: make(chan error, 1)}
	go func() { p.exit <- cmd.Wait() }()
	if err := p.rpc.waitHeight(ctx, 1, time.Minute); err != nil {
		_ = p.stop()
		return nil, fmt.Errorf("node process %s: %w", o.name, err)
	}
	return p, nil
}

func (p *nodeProc) streamURL(path string) string { return p.cfg.Stream.AdvertisedURL + path }

// stop ends the process with SIGTERM (SIGKILL after a minute) and reaps it.
func (p *nodeProc) stop() error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exit:
		return err
	case <-time.After(time.Minute):
		_ = p.cmd.Process.Kill()
		return errors.Join(errors.New("node process: no exit within a minute of SIGTERM; killed"), <-p.exit)
	}
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's times (getconf
// CLK_TCK): 100 on Linux.
const clockTicks = 100

// cpu is the process's user plus system CPU time, all threads, from
// /proc/<pid>/stat (utime and stime, fields 14 and 15), to the tick.
func (p *nodeProc) cpu() (time.Duration, error) { return procCPU(p.cmd.Process.Pid) }

func procCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// pid (comm) state ppid ...: comm may hold spaces, so count after ")".
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields after the command", pid, len(f))
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}
