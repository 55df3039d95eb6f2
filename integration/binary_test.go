package integration_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/cometstream/cometstream/streamsvc"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

// TestMain removes the binary built for the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// buildBinary builds cmd/cometstream once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "cometstream-bin-"); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "cometstream")
		out, err := exec.Command("go", "build", "-modfile=../lines/cometbft-v0.40.mod", "-o", binPath, "../cmd/cometstream").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

type proc struct {
	cmd  *exec.Cmd
	logs *lockedBuffer
}

// startProc runs the binary with args, its output captured for failures.
func startProc(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	return startProcEnv(t, bin, nil, args...)
}

// startProcEnv is startProc with extra environment entries.
func startProcEnv(t *testing.T, bin string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin, args...), logs: &lockedBuffer{}}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			_ = p.cmd.Wait()
		}
		if t.Failed() {
			t.Logf("node output:\n%s", p.logs.tail(60))
		}
	})
	return p
}

// stop sends sig and waits for the process to exit.
func (p *proc) stop(t *testing.T, sig os.Signal) error {
	t.Helper()
	_ = p.cmd.Process.Signal(sig)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(60 * time.Second):
		t.Fatal("node did not stop within 60s of the signal")
		return nil
	}
}

func getJSON(url string, v any) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v)
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestBinaryLifecycle drives the real binary: init writes a [stream]
// section, start serves the API root and the stream, SIGTERM closes
// subscribers with 1001 and exits 0, and a restart continues the chain.
func TestBinaryLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	home := t.TempDir()
	web, stream, rpc, p2p := freePort(t), freePort(t), freePort(t), freePort(t)
	flags := []string{"--home", home, "--webapi.laddr", "127.0.0.1:" + web,
		"--stream.laddr", "127.0.0.1:" + stream, "--stream.advertised_url", "ws://127.0.0.1:" + stream,
		"--rpc.laddr", "tcp://127.0.0.1:" + rpc, "--p2p.laddr", "tcp://127.0.0.1:" + p2p}

	out, err := exec.Command(bin, append([]string{"init"}, flags...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	conf, err := os.ReadFile(filepath.Join(home, "config", "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"[stream]", "enable = false", `laddr = "127.0.0.1:` + stream + `"`, "[webapi]"} {
		if !strings.Contains(string(conf), want) {
			t.Errorf("config.toml lacks %q", want)
		}
	}

	// The stream is off in the file; the flag turns it on.
	node := startProc(t, bin, append([]string{"start", "--stream.enable"}, flags...)...)
	root := "http://127.0.0.1:" + web + "/api/v1/"
	var doc map[string]any
	waitFor(t, "the Web API", 30*time.Second, func() bool { return getJSON(root, &doc) == nil })
	if got, want := doc["streams"], "ws://127.0.0.1:"+stream+streamsvc.PathTransactions; got != want {
		t.Errorf("streams = %v, want %s", got, want)
	}
	c := dialRetry(t, "ws://127.0.0.1:"+stream+streamsvc.PathBlocks)
	var first blockMsg
	if err := readJSON(c, &first, 30*time.Second); err != nil {
		t.Fatalf("valid_blocks: %v", err)
	}

	if err := node.stop(t, syscall.SIGTERM); err != nil {
		t.Fatalf("node exit after SIGTERM: %v", err)
	}
	if code, reason := closeCode(c); code != websocket.CloseGoingAway {
		t.Errorf("close code %d (%q), want 1001", code, reason)
	}

	// Restart without the flag: the stream stays off, the chain goes on.
	node = startProc(t, bin, append([]string{"start"}, flags...)...)
	status := "http://127.0.0.1:" + rpc + "/status"
	waitFor(t, "a block after the restart", 30*time.Second, func() bool {
		var st struct {
			Result struct {
				SyncInfo struct {
					Height string `json:"latest_block_height"`
				} `json:"sync_info"`
			} `json:"result"`
		}
		if getJSON(status, &st) != nil {
			return false
		}
		var h int64
		fmt.Sscan(st.Result.SyncInfo.Height, &h)
		return h > first.Height
	})
	doc = nil
	if err := getJSON(root, &doc); err != nil {
		t.Fatal(err)
	}
	if _, ok := doc["streams"]; ok {
		t.Errorf("streams advertised with the stream disabled: %v", doc)
	}
	if err := node.stop(t, os.Interrupt); err != nil {
		t.Fatalf("node exit after SIGINT: %v", err)
	}
}

// TestBinaryRefusesWildcardAdvertisedHost checks the classic
// misconfiguration is refused at start with a message naming it.
func TestBinaryRefusesWildcardAdvertisedHost(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	home := t.TempDir()
	if out, err := exec.Command(bin, "init", "--home", home).CombinedOutput(); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "start", "--home", home, "--stream.enable",
		"--stream.advertised_url", "ws://0.0.0.0:9985").CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("start with 0.0.0.0: err %v, want exit 1\n%s", err, out)
	}
	if !strings.Contains(string(out), "0.0.0.0 is a bind address") {
		t.Errorf("error does not explain the problem:\n%s", out)
	}
}

func dialRetry(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	var c *websocket.Conn
	waitFor(t, "the stream", 30*time.Second, func() bool {
		var err error
		c, _, err = websocket.DefaultDialer.Dial(url, nil)
		return err == nil
	})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// closeCode reads until the server's close frame.
func closeCode(c *websocket.Conn) (int, string) {
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return ce.Code, ce.Text
			}
			return -1, err.Error()
		}
	}
}

// lockedBuffer collects a process's output for failure reports.
type lockedBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *lockedBuffer) tail(lines int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	all := strings.Split(strings.TrimRight(string(b.buf), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}
