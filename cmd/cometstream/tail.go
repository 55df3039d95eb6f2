package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hashicorp/go-hclog"

	"github.com/cometstream/cometstream/client"
	"github.com/cometstream/cometstream/jetstream"
)

const (
	defaultStreamURL = "ws://127.0.0.1:9985"
	// progressEvery is how often tail reports progress while replaying.
	progressEvery = 2 * time.Second
)

const tailUsage = `usage: cometstream tail [URL[,URL...]] [flags]

Prints the events of a node's stream as JSON lines, one per valid transaction
(or per block with --blocks, or per transaction with its result and events with
--tx-results), exactly once each, reconnecting as needed. URL is
the stream's base URL (default ` + defaultStreamURL + `); with several, tail fails
over from one to the next. Without --from-height it starts at the live edge.
Filters are comma-separated lists: a transaction is printed when it matches one
value of each list given.

With --nats, tail reads the same events from a NATS JetStream stream a node's
[stream.jetstream] sink publishes (--nats-stream names it) instead of from a
node: exactly once, in order, from --from-height or from now on. Filters are
the node's and do not apply there.

flags:
`

// tailOptions is the parsed command line.
type tailOptions struct {
	cfg      client.Config
	nats     *jetstream.ReaderConfig // set with --nats
	logLevel hclog.Level
}

// listFlag is a comma-separated list flag; given again, it adds to the list.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s == "" {
			return errors.New("empty value in list")
		}
		*l = append(*l, s)
	}
	return nil
}

// parseTail reads tail's arguments. URLs may come before, between or after
// the flags.
func parseTail(args []string, stderr io.Writer) (tailOptions, error) {
	var (
		o                       tailOptions
		assets, keys, ops       listFlag
		urls                    listFlag
		logLevel, tokenFile     string
		caFile                  string
		fromHeight              int64
		blocks, txResults       bool
		query                   string
		readTimeout, maxBackoff time.Duration
		natsURLs                listFlag
		natsStream, natsCreds   string
		natsTokenFile           string
	)
	fs := flag.NewFlagSet("tail", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), tailUsage)
		fs.PrintDefaults()
	}
	fs.Int64Var(&fromHeight, "from-height", 0, "replay from this block height, then follow live (0: start live)")
	fs.Var(&assets, "asset-id", "only transactions concerning one of these asset ids")
	fs.Var(&keys, "public-key", "only transactions with one of these public keys among their outputs or owners_before")
	fs.Var(&ops, "operation", "only transactions with one of these operations (CREATE, TRANSFER, ...)")
	fs.BoolVar(&blocks, "blocks", false, "print valid_blocks (one line per block) instead of transactions")
	fs.BoolVar(&txResults, "tx-results", false, "print tx_results (every transaction with its result and ABCI events) instead")
	fs.StringVar(&query, "query", "", "with --tx-results: only results matching this CometBFT query, e.g. \"transfer.recipient='cosmos1...'\"")
	fs.DurationVar(&readTimeout, "read-timeout", 60*time.Second, "reconnect when nothing, not even a ping, arrives within this")
	fs.DurationVar(&maxBackoff, "max-backoff", 10*time.Second, "longest wait between reconnection attempts")
	fs.StringVar(&logLevel, "log-level", "info", "log level on stderr (trace, debug, info, warn, error)")
	fs.StringVar(&tokenFile, "token-file", "", "file whose first line (not blank, not #) is the bearer token a node with [stream] tokens_file requires")
	fs.StringVar(&caFile, "ca-file", "", "PEM certificates to trust for wss:// (or tls:// NATS servers) besides the system's")
	fs.Var(&natsURLs, "nats", "read from these NATS servers' JetStream (nats://host:4222,...) instead of a node")
	fs.StringVar(&natsStream, "nats-stream", "", "with --nats: the JetStream stream ([stream.jetstream] stream; default COMETSTREAM_<CHAIN_ID>)")
	fs.StringVar(&natsCreds, "nats-creds", "", "with --nats: a NATS .creds file")
	fs.StringVar(&natsTokenFile, "nats-token-file", "", "with --nats: file whose first line is the NATS token")
	for {
		if err := fs.Parse(args); err != nil {
			return o, err
		}
		if fs.NArg() == 0 {
			break
		}
		if err := urls.Set(fs.Arg(0)); err != nil {
			return o, fmt.Errorf("URL %q: %w", fs.Arg(0), err)
		}
		args = fs.Args()[1:]
	}
	if len(urls) == 0 {
		urls = listFlag{defaultStreamURL}
	}
	o.logLevel = hclog.LevelFromString(logLevel)
	if o.logLevel == hclog.NoLevel {
		return o, fmt.Errorf("unknown --log-level %q", logLevel)
	}
	if fromHeight < 0 {
		return o, fmt.Errorf("--from-height %d: heights start at 1", fromHeight)
	}
	if len(natsURLs) > 0 {
		return parseNATS(o, natsURLs, natsStream, natsCreds, natsTokenFile, caFile, fromHeight, blocks, txResults,
			len(assets)+len(keys)+len(ops) > 0 || query != "")
	}
	header, err := tokenHeader(tokenFile)
	if err != nil {
		return o, err
	}
	dialer, err := tlsDialer(caFile)
	if err != nil {
		return o, err
	}
	o.cfg = client.Config{
		URLs:        urls,
		Blocks:      blocks,
		TxResults:   txResults,
		Query:       query,
		FromHeight:  fromHeight,
		AssetIDs:    assets,
		PublicKeys:  keys,
		Operations:  ops,
		ReadTimeout: readTimeout,
		MaxBackoff:  maxBackoff,
		Header:      header,
		Dialer:      dialer,
	}
	return o, nil
}

// tokenHeader reads a bearer token from path ("" for none). The token is
// read from a file so that it shows neither in the process list nor in the
// shell's history.
func tokenHeader(path string) (http.Header, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--token-file: %w", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			return http.Header{"Authorization": {"Bearer " + line}}, nil
		}
	}
	return nil, fmt.Errorf("--token-file %s holds no token", path)
}

// tlsDialer returns a dialer that also trusts the certificates in path, or
// nil (the client's default dialer) for "".
func tlsDialer(path string) (*websocket.Dialer, error) {
	if path == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--ca-file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--ca-file %s holds no PEM certificate", path)
	}
	return &websocket.Dialer{
		Proxy:            http.ProxyFromEnvironment,
		HandshakeTimeout: 10 * time.Second,
		TLSClientConfig:  &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	}, nil
}

func runTail(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return tail(ctx, args, stdout, stderr, progressEvery)
}

// tail is runTail with the progress interval as a parameter, for tests.
func tail(ctx context.Context, args []string, stdout, stderr io.Writer, every time.Duration) error {
	stderr = &syncWriter{w: stderr} // the logger and the progress report share it
	o, err := parseTail(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the usage is printed: asking for it is no error
	}
	if err != nil {
		return err
	}
	o.cfg.Logger = hclog.New(&hclog.LoggerOptions{Name: "tail", Level: o.logLevel, Output: stderr})
	if o.nats != nil {
		o.nats.Logger = o.cfg.Logger
		return tailError(ctx, jetstream.Read(ctx, *o.nats, func(e client.Event) error { return printEvent(stdout, e) }))
	}
	c, err := client.New(o.cfg)
	if err != nil {
		return err
	}

	var prog *progress
	if o.cfg.FromHeight > 0 {
		// The live edge when tail starts is the target of the replay.
		next, err := c.NextHeight(ctx)
		if err != nil && ctx.Err() == nil {
			o.cfg.Logger.Warn("cannot learn the node's height; no progress report", "error", err)
		}
		if next-1 > o.cfg.FromHeight {
			prog = &progress{target: next - 1, start: time.Now()}
		}
	}
	stopProgress := prog.run(stderr, every)
	err = c.Run(ctx, func(e client.Event) error {
		if err := printEvent(stdout, e); err != nil {
			return err
		}
		prog.observe(e.Height())
		return nil
	})
	stopProgress()
	return tailError(ctx, err)
}

// printEvent writes e's message as one JSON line.
func printEvent(w io.Writer, e client.Event) error {
	var v any = e.Tx
	switch {
	case e.Block != nil:
		v = e.Block
	case e.Result != nil:
		v = e.Result
	}
	line, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err := w.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("write event: %w", err)
	}
	return nil
}

// parseNATS makes the JetStream reader's configuration of tail's flags.
func parseNATS(o tailOptions, urls listFlag, stream, creds, tokenFile, caFile string, from int64, blocks, txResults, filtered bool) (tailOptions, error) {
	switch {
	case stream == "":
		return o, errors.New("--nats needs --nats-stream: the JetStream stream the node publishes")
	case filtered:
		return o, errors.New("--asset-id, --public-key, --operation and --query are the node's filters: not with --nats")
	case blocks && txResults:
		return o, errors.New("--blocks and --tx-results: one stream at a time")
	}
	rc := &jetstream.ReaderConfig{Conn: jetstream.Conn{Servers: urls, CredsFile: creds}, Stream: stream, FromHeight: from, Events: "valid_transactions"}
	if blocks {
		rc.Events = "valid_blocks"
	}
	if txResults {
		rc.Events = "tx_results"
	}
	if tokenFile != "" {
		h, err := tokenHeader(tokenFile)
		if err != nil {
			return o, fmt.Errorf("--nats-token-file: %w", err)
		}
		rc.Token = strings.TrimPrefix(h.Get("Authorization"), "Bearer ")
	}
	if caFile != "" {
		d, err := tlsDialer(caFile)
		if err != nil {
			return o, err
		}
		rc.TLS = d.TLSClientConfig
	}
	o.nats = rc
	return o, nil
}

// tailError turns Run's end into the command's: nil for a signal, a
// message saying what to do for the rest.
func tailError(ctx context.Context, err error) error {
	var pruned *client.PrunedError
	var refused *client.StatusError
	switch {
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return nil
	case errors.As(err, &pruned):
		return fmt.Errorf("%w; ask for --from-height %d or later", err, pruned.Oldest)
	case errors.As(err, &refused):
		return fmt.Errorf("the node refused the subscription: %w", err)
	}
	return err
}

// progress reports a replay's advance towards target, the node's last
// committed height when tail started. It is driven by the heights of the
// events printed: a filtered stream with no events past target stays
// quiet rather than claiming to have caught up.
type progress struct {
	target int64
	start  time.Time

	height atomic.Int64
	events atomic.Int64

	lastEvents int64
	lastTime   time.Time
	done       bool
}

func (p *progress) observe(h int64) {
	if p == nil {
		return
	}
	p.height.Store(h)
	p.events.Add(1)
}

// report returns the line to print at now, if any: one per interval while
// events arrive below target, then one when target is reached.
func (p *progress) report(now time.Time) (string, bool) {
	if p.done {
		return "", false
	}
	h, n := p.height.Load(), p.events.Load()
	if p.lastTime.IsZero() {
		p.lastTime = p.start
	}
	if h >= p.target {
		p.done = true
		return fmt.Sprintf("caught up: height %d reached after %d events in %s", h, n, now.Sub(p.start).Round(time.Second)), true
	}
	if n == p.lastEvents {
		return "", false
	}
	rate := float64(n-p.lastEvents) / now.Sub(p.lastTime).Seconds()
	p.lastEvents, p.lastTime = n, now
	return fmt.Sprintf("replaying: height %d of %d, %d events, %.0f events/s", h, p.target, n, rate), true
}

// run prints report lines to w every interval until the returned stop is
// called; stop waits for the goroutine to end.
func (p *progress) run(w io.Writer, every time.Duration) (stop func()) {
	if p == nil {
		return func() {}
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case now := <-t.C:
				if line, ok := p.report(now); ok {
					fmt.Fprintln(w, line)
				}
			}
		}
	}()
	return func() { close(quit); wg.Wait() }
}

// syncWriter serialises writes from several goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
