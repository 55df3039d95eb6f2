package main

import (
	"bytes"
	"context"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.uber.org/goleak"

	"github.com/cometstream/cometstream/client"
	"github.com/cometstream/cometstream/client/clienttest"
)

func TestParseTail(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tokenFile := file("token", "# stream token\n\n  s3cret-token-0123456789  \nsecond-line-ignored\n")
	emptyTokenFile := file("empty", "# nothing\n\n")
	notPEM := file("ca.pem", "not a certificate")
	base := client.Config{URLs: []string{defaultStreamURL}, ReadTimeout: time.Minute, MaxBackoff: 10 * time.Second}
	with := func(f func(*client.Config)) client.Config {
		c := base
		f(&c)
		return c
	}
	tests := []struct {
		name    string
		args    []string
		want    client.Config
		wantErr string
	}{
		{"defaults", nil, base, ""},
		{"URL", []string{"ws://10.0.0.1:9985"}, with(func(c *client.Config) { c.URLs = []string{"ws://10.0.0.1:9985"} }), ""},
		{"URL after flags", []string{"--blocks", "wss://a.example"},
			with(func(c *client.Config) { c.URLs, c.Blocks = []string{"wss://a.example"}, true }), ""},
		{"URL between flags", []string{"--from-height", "5", "ws://a:1", "--operation", "CREATE"},
			with(func(c *client.Config) {
				c.URLs, c.FromHeight, c.Operations = []string{"ws://a:1"}, 5, []string{"CREATE"}
			}), ""},
		{"tx_results with a query", []string{"--tx-results", "--query", "transfer.recipient='r1'"},
			with(func(c *client.Config) { c.TxResults, c.Query = true, "transfer.recipient='r1'" }), ""},
		{"several URLs", []string{"ws://a:1,ws://b:2", "ws://c:3"},
			with(func(c *client.Config) { c.URLs = []string{"ws://a:1", "ws://b:2", "ws://c:3"} }), ""},
		{"filters", []string{"--asset-id", "a1,a2", "--public-key", "k1", "--public-key", "k2", "--operation", "CREATE,TRANSFER"},
			with(func(c *client.Config) {
				c.AssetIDs, c.PublicKeys, c.Operations = []string{"a1", "a2"}, []string{"k1", "k2"}, []string{"CREATE", "TRANSFER"}
			}), ""},
		{"timeouts", []string{"--read-timeout", "5s", "--max-backoff", "1m"},
			with(func(c *client.Config) { c.ReadTimeout, c.MaxBackoff = 5*time.Second, time.Minute }), ""},
		{"token file", []string{"--token-file", tokenFile},
			with(func(c *client.Config) { c.Header = http.Header{"Authorization": {"Bearer s3cret-token-0123456789"}} }), ""},
		{"token file without a token", []string{"--token-file", emptyTokenFile}, client.Config{}, "holds no token"},
		{"missing token file", []string{"--token-file", filepath.Join(dir, "nope")}, client.Config{}, "--token-file"},
		{"CA file not PEM", []string{"--ca-file", notPEM}, client.Config{}, "holds no PEM certificate"},
		{"empty filter value", []string{"--asset-id", "a,,b"}, client.Config{}, "empty value"},
		{"bad height", []string{"--from-height", "ten"}, client.Config{}, "invalid value"},
		{"negative height", []string{"--from-height", "-1"}, client.Config{}, "heights start at 1"},
		{"unknown flag", []string{"--follow"}, client.Config{}, "flag provided but not defined"},
		{"bad log level", []string{"--log-level", "loud"}, client.Config{}, "unknown --log-level"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			o, err := parseTail(tt.args, &stderr)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseTail = %v, want an error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseTail: %v", err)
			}
			if diff := cmp.Diff(tt.want, o.cfg, cmpopts.EquateEmpty(), cmpopts.IgnoreFields(client.Config{}, "Logger", "Dialer")); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

// lineWriter collects stdout and cancels the command after n lines.
type lineWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	n      int
	cancel context.CancelFunc
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Count(w.buf.String(), "\n") >= w.n {
		w.cancel()
	}
	return len(p), nil
}

func TestTailOutput(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	chain := clienttest.Blocks(1, 2, 0, 1)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"transactions", []string{"--from-height", "1"}, []string{
			`{"transaction_id":"tx-1.0","asset_id":"asset-1","asset_ids":["asset-1"],"height":1}`,
			`{"transaction_id":"tx-1.1","asset_id":"asset-2","asset_ids":["asset-2"],"height":1}`,
			`{"transaction_id":"tx-3.0","asset_id":"asset-0","asset_ids":["asset-0"],"height":3}`,
		}},
		{"filtered", []string{"--from-height", "1", "--operation", "TRANSFER"}, []string{
			`{"transaction_id":"tx-1.1","asset_id":"asset-2","asset_ids":["asset-2"],"height":1}`,
		}},
		{"blocks", []string{"--blocks", "--from-height", "2"}, []string{
			`{"height":2,"hash":"0000000000000000000000000000000000000000000000000000000000000002","transaction_ids":[]}`,
			`{"height":3,"hash":"0000000000000000000000000000000000000000000000000000000000000003","transaction_ids":["tx-3.0"]}`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := clienttest.NewServer(clienttest.Options{Blocks: chain})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			stdout := &lineWriter{n: len(tt.want), cancel: cancel}
			var stderr bytes.Buffer
			args := append([]string{"tail", srv.URL()}, tt.args...)
			if err := run(ctx, args, stdout, &stderr); err != nil {
				t.Fatalf("run: %v\nstderr:\n%s", err, stderr.String())
			}
			if ctx.Err() == context.DeadlineExceeded {
				t.Fatalf("timed out; stdout:\n%s\nstderr:\n%s", stdout.buf.String(), stderr.String())
			}
			got := strings.Split(strings.TrimSuffix(stdout.buf.String(), "\n"), "\n")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTailTLS follows a wss:// node that requires a token, trusting its
// certificate through --ca-file.
func TestTailTLS(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	const token = "tail-test-token-0123456789"
	node, err := clienttest.NewServer(clienttest.Options{Blocks: clienttest.Blocks(1, 1), Token: token})
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewTLSServer(node) // the same node, behind TLS
	defer front.Close()
	defer node.Close() // first: ends the subscribers the TLS front serves
	dir := t.TempDir()
	caFile, tokenFile := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "token")
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: front.Certificate().Raw})
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	stdout := &lineWriter{n: 1, cancel: cancel}
	var stderr bytes.Buffer
	url := "wss://" + strings.TrimPrefix(front.URL, "https://")
	err = run(ctx, []string{"tail", url, "--from-height", "1", "--ca-file", caFile, "--token-file", tokenFile}, stdout, &stderr)
	if err != nil || ctx.Err() == context.DeadlineExceeded {
		t.Fatalf("run = %v (ctx %v)\nstderr:\n%s", err, ctx.Err(), stderr.String())
	}
	want := `{"transaction_id":"tx-1.0","asset_id":"asset-1","asset_ids":["asset-1"],"height":1}` + "\n"
	if got := stdout.buf.String(); got != want {
		t.Errorf("stdout %q, want %q", got, want)
	}

	// Without the CA the certificate is refused: a dial failure, retried
	// until the command is stopped.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	stderr.Reset()
	if err := run(ctx2, []string{"tail", url, "--token-file", tokenFile}, io.Discard, &stderr); err != nil {
		t.Fatalf("run = %v", err)
	}
	if !strings.Contains(stderr.String(), "certificate") {
		t.Errorf("stderr does not mention the certificate:\n%s", stderr.String())
	}
}

func TestTailErrors(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv, err := clienttest.NewServer(clienttest.Options{Blocks: clienttest.Blocks(120, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"pruned", []string{"--from-height", "5"},
			"height 5 is no longer kept by the node (oldest is 120); ask for --from-height 120 or later"},
		{"refused", []string{"--operation", "mint"}, `the node refused the subscription: ` + srv.URL()},
		{"blocks with filters", []string{"--blocks", "--asset-id", "a"}, "valid_blocks, which has no filters"},
		{"http URL", []string{"http://127.0.0.1:9985"}, "scheme must be ws or wss"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			var stdout, stderr bytes.Buffer
			args := append([]string{"tail", srv.URL()}, tt.args...)
			err := run(ctx, args, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("run = %v, want an error with %q\nstderr:\n%s", err, tt.wantErr, stderr.String())
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout %q, want nothing", stdout.String())
			}
		})
	}
}

func TestTailHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"tail", "-h"}, &stdout, &stderr); err != nil {
		t.Fatalf("run tail -h = %v, want nil", err)
	}
	if !strings.Contains(stderr.String(), "usage: cometstream tail") || !strings.Contains(stderr.String(), "-from-height") {
		t.Errorf("usage missing from stderr:\n%s", stderr.String())
	}
}

// TestTailInterrupted: a signal (the cancelled ctx) ends tail with success.
func TestTailInterrupted(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv, err := clienttest.NewServer(clienttest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	var stdout, stderr bytes.Buffer
	go func() { errc <- run(ctx, []string{"tail", srv.URL(), "--log-level", "debug"}, &stdout, &stderr) }()
	wctx, wcancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer wcancel()
	if err := srv.WaitFor(wctx, func(r []clienttest.Request, _ []int) bool { return len(r) > 0 }); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("run = %v, want nil after a signal", err)
		}
	case <-wctx.Done():
		t.Fatal("tail did not stop")
	}
}

func TestProgressReport(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := &progress{target: 5000, start: start}
	var lines []string
	step := func(d time.Duration, heights ...int64) {
		for _, h := range heights {
			p.observe(h)
		}
		if line, ok := p.report(start.Add(d)); ok {
			lines = append(lines, line)
		}
	}
	step(2*time.Second, 10, 11, 12, 13) // 4 events in 2s
	step(4 * time.Second)               // nothing new: quiet
	step(6*time.Second, 4000, 4001)     // 2 events in 4s
	step(8*time.Second, 5000)           // target reached
	step(10*time.Second, 5001)          // done: quiet from now on
	want := []string{
		"replaying: height 13 of 5000, 4 events, 2 events/s",
		"replaying: height 4001 of 5000, 6 events, 0 events/s",
		"caught up: height 5000 reached after 7 events in 8s",
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("progress lines (-want +got):\n%s", diff)
	}
}

// watchedBuffer is a buffer written by one goroutine and watched by another.
type watchedBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func (b *watchedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	close(b.changed)
	b.changed = make(chan struct{})
	return len(p), nil
}

// waitFor waits until the buffer holds s.
func (b *watchedBuffer) waitFor(ctx context.Context, s string) bool {
	for {
		b.mu.Lock()
		ok, ch := strings.Contains(b.buf.String(), s), b.changed
		b.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		}
	}
}

func (b *watchedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestTailProgress: a replay from far below the node's height reports its
// progress on stderr. Output pauses at the 10th line until the report has
// appeared, so the report's content is known.
func TestTailProgress(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv, err := clienttest.NewServer(clienttest.Options{Blocks: clienttest.Blocks(1, make([]int, 200)...)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	stderr := &watchedBuffer{changed: make(chan struct{})}
	lines := 0
	stdout := writerFunc(func(p []byte) (int, error) {
		lines++
		if lines == 10 && !stderr.waitFor(ctx, "replaying: height 9 of 200, 9 events") {
			t.Errorf("no progress line; stderr:\n%s", stderr.String())
		}
		if lines == 200 {
			cancel()
		}
		return len(p), nil
	})
	err = tail(ctx, []string{srv.URL(), "--blocks", "--from-height", "1", "--log-level", "warn"}, stdout, stderr, time.Millisecond)
	if err != nil || lines != 200 {
		t.Fatalf("tail = %v after %d lines, want nil after 200", err, lines)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
