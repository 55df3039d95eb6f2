// Package loadclients is one load-client process of the benchmark: K
// connections from one source address to a stream (cometstream's over
// WebSocket or Server-Sent Events, or CometBFT's /websocket), each read by
// its own goroutine, which notes for every message its height and the time
// it was received. The driver starts several such processes and reads
// their reports (bench.Report) over stdout; see bench/protocol.go.
package loadclients

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"github.com/cometstream/cometstream/bench"
)

// Config configures a client process.
type Config struct {
	// URL is the stream's ws:// URL (http:// in sse mode). Required.
	URL string
	// Conns is how many connections to open. Defaults to 1.
	Conns int
	// Source is the local IP address the connections are made from (e.g.
	// 127.0.0.2). Defaults to the system's choice.
	Source string
	// Mode is bench.ModeStream, bench.ModeSSE or bench.ModeCometBFT.
	// Defaults to stream.
	Mode string
	// DialConcurrency caps the handshakes in flight. Defaults to 32.
	DialConcurrency int
	// HandshakeTimeout bounds each connection's set-up, the CometBFT
	// subscription's answer included. Defaults to 20s.
	HandshakeTimeout time.Duration
	// ReadBuffer is each connection's read buffer size. Defaults to 16 KiB.
	ReadBuffer int
	// Query is what a cometbft connection subscribes to. Defaults to
	// tm.event='Tx'. (A stream connection's query is in its URL.)
	Query string
}

// ParseFlags reads a Config from command-line arguments.
func ParseFlags(args []string) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("loadclients", flag.ContinueOnError)
	fs.StringVar(&c.URL, "url", "", "stream URL (ws://host:port/path; http:// in sse mode)")
	fs.IntVar(&c.Conns, "n", 1, "connections to open")
	fs.StringVar(&c.Source, "src", "", "local IP address to connect from (e.g. 127.0.0.2)")
	fs.StringVar(&c.Mode, "mode", bench.ModeStream, "stream (cometstream), sse (cometstream's Server-Sent Events) or cometbft (RPC /websocket, tm.event='Tx')")
	fs.IntVar(&c.DialConcurrency, "dial-concurrency", 32, "handshakes in flight")
	fs.DurationVar(&c.HandshakeTimeout, "handshake-timeout", 20*time.Second, "time allowed to connect and subscribe")
	fs.IntVar(&c.ReadBuffer, "read-buffer", 16<<10, "read buffer per connection, bytes")
	fs.StringVar(&c.Query, "query", "", "CometBFT query a cometbft connection subscribes to (default tm.event='Tx')")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	return c, c.validate()
}

func (c *Config) validate() error {
	if c.URL == "" {
		return errors.New("loadclients: -url is required")
	}
	if c.Conns <= 0 {
		c.Conns = 1
	}
	if c.Mode == "" {
		c.Mode = bench.ModeStream
	}
	if c.Mode != bench.ModeStream && c.Mode != bench.ModeSSE && c.Mode != bench.ModeCometBFT {
		return fmt.Errorf("loadclients: unknown mode %q", c.Mode)
	}
	if c.DialConcurrency <= 0 {
		c.DialConcurrency = 32
	}
	if c.HandshakeTimeout <= 0 {
		c.HandshakeTimeout = 20 * time.Second
	}
	if c.ReadBuffer <= 0 {
		c.ReadBuffer = 16 << 10
	}
	if c.Query == "" {
		c.Query = "tm.event='Tx'"
	}
	if c.Source != "" && net.ParseIP(c.Source) == nil {
		return fmt.Errorf("loadclients: -src %q is not an IP address", c.Source)
	}
	return nil
}

// Run opens the connections, writes a bench.Ready line to out, then
// answers the commands read from in until CmdQuit, the end of in, or the
// end of ctx; it closes every connection and waits for every goroutine it
// started before it returns.
func Run(ctx context.Context, cfg Config, in io.Reader, out io.Writer) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	enc := json.NewEncoder(out)
	conns, ready := dialAll(ctx, cfg)
	var readers sync.WaitGroup
	for _, c := range conns {
		readers.Add(1)
		go func() {
			defer readers.Done()
			c.readLoop(cfg)
		}()
	}
	defer func() {
		for _, c := range conns {
			c.close()
		}
		readers.Wait()
	}()
	if err := enc.Encode(ready); err != nil {
		return fmt.Errorf("write ready: %w", err)
	}

	cmds := make(chan string)
	go func() {
		defer close(cmds)
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			select {
			case cmds <- strings.TrimSpace(sc.Text()):
			case <-ctx.Done():
				return
			}
		}
	}()
	for {
		var cmd string
		var ok bool
		select {
		case cmd, ok = <-cmds:
		case <-ctx.Done():
			return nil
		}
		if !ok {
			return nil // stdin closed: the driver is gone or done
		}
		var reply any
		switch cmd {
		case bench.CmdStatus:
			reply = status(conns)
		case bench.CmdReport:
			reply = report(conns)
		case bench.CmdQuit:
			for _, c := range conns {
				c.close()
			}
			readers.Wait()
			return enc.Encode(status(conns))
		default:
			return fmt.Errorf("unknown command %q", cmd)
		}
		if err := enc.Encode(reply); err != nil {
			return fmt.Errorf("write reply: %w", err)
		}
	}
}

// dialAll opens cfg.Conns connections, at most DialConcurrency at a time,
// and returns those that are subscribed.
func dialAll(ctx context.Context, cfg Config) ([]*conn, bench.Ready) {
	nd := &net.Dialer{Timeout: cfg.HandshakeTimeout}
	if cfg.Source != "" {
		nd.LocalAddr = &net.TCPAddr{IP: net.ParseIP(cfg.Source)}
	}
	d := &websocket.Dialer{
		NetDialContext:   nd.DialContext,
		HandshakeTimeout: cfg.HandshakeTimeout,
		ReadBufferSize:   cfg.ReadBuffer,
		WriteBufferPool:  &sync.Pool{}, // clients write only a close frame (and pongs)
	}
	open := func() (*conn, error) { return dial(ctx, d, cfg) }
	if cfg.Mode == bench.ModeSSE {
		hc := sseClient(nd, cfg)
		defer hc.CloseIdleConnections()
		open = func() (*conn, error) { return dialSSE(ctx, hc, cfg) }
	}
	ready := bench.Ready{Conns: cfg.Conns, Errors: map[string]int{}}
	var mu sync.Mutex
	conns := make([]*conn, 0, cfg.Conns)
	sem := make(chan struct{}, cfg.DialConcurrency)
	var wg sync.WaitGroup
	for range cfg.Conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := open()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				ready.Errors[errorKind(err)]++
				return
			}
			conns = append(conns, c)
		}()
	}
	wg.Wait()
	ready.Connected = len(conns)
	if len(ready.Errors) == 0 {
		ready.Errors = nil
	}
	return conns, ready
}

// subscribeRequest is the JSON-RPC request subscribing to query's events.
func subscribeRequest(query string) []byte {
	req, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": "subscribe", "id": 1,
		"params": map[string]string{"query": query}}) // strings only: cannot fail
	return req
}

func dial(ctx context.Context, d *websocket.Dialer, cfg Config) (*conn, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.HandshakeTimeout)
	defer cancel()
	ws, resp, err := d.DialContext(ctx, cfg.URL, nil)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("handshake: HTTP %d", resp.StatusCode)
		}
		return nil, err
	}
	if cfg.Mode == bench.ModeCometBFT {
		// Subscribe and wait for the answer, so that Ready means
		// subscribed, and a refusal (max_subscription_clients) is counted.
		deadline, _ := ctx.Deadline()
		_ = ws.SetWriteDeadline(deadline)
		_ = ws.SetReadDeadline(deadline)
		if err := ws.WriteMessage(websocket.TextMessage, subscribeRequest(cfg.Query)); err != nil {
			_ = ws.Close()
			return nil, fmt.Errorf("subscribe: %w", err)
		}
		_, msg, err := ws.ReadMessage()
		if err != nil {
			_ = ws.Close()
			return nil, fmt.Errorf("subscribe answer: %w", err)
		}
		if bytes.Contains(msg, []byte(`"error"`)) {
			_ = ws.Close()
			return nil, fmt.Errorf("subscribe refused: %s", rpcErrorText(msg))
		}
		_ = ws.SetReadDeadline(time.Time{})
		_ = ws.SetWriteDeadline(time.Time{})
	}
	return &conn{ws: ws}, nil
}

// errorKind names an error without what varies from one connection to the
// next (ports), so that the counts group.
func errorKind(err error) string {
	var op *net.OpError
	if errors.As(err, &op) {
		return op.Op + ": " + op.Err.Error()
	}
	return err.Error()
}

// conn is one subscription. Its reader goroutine records, under mu, each
// height's message count and last receipt time.
type conn struct {
	ws        *websocket.Conn
	sse       io.ReadCloser      // the event stream (sse mode; ws is nil)
	cancel    context.CancelFunc // ends the event stream's request
	closeOnce sync.Once

	mu      sync.Mutex
	heights []heightStat // since the last report, in arrival order
	msgs    int64        // since the last report
	ended   string       // why the subscription ended; "" while open
}

type heightStat struct {
	h    int64
	n    int32
	last int64
}

func (c *conn) close() {
	c.closeOnce.Do(func() {
		if c.sse != nil {
			c.end("closed by client") // before the read fails on it
			c.cancel()
			_ = c.sse.Close() // the read fails with this close's error, or the cancel's
			return
		}
		_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""),
			time.Now().Add(time.Second))
		_ = c.ws.Close()
	})
}

func (c *conn) readLoop(cfg Config) {
	if c.sse != nil {
		c.readSSE(cfg.ReadBuffer)
		return
	}
	mode := cfg.Mode
	var buf bytes.Buffer
	for {
		_, r, err := c.ws.NextReader()
		if err == nil {
			buf.Reset()
			_, err = buf.ReadFrom(r)
		}
		if err != nil {
			c.end(endReason(err))
			return
		}
		now := time.Now().UnixNano()
		msg := buf.Bytes()
		h, ok := height(mode, msg)
		if !ok {
			if mode == bench.ModeCometBFT && bytes.Contains(msg, []byte(`"error"`)) {
				// CometBFT cancelled the subscription ("out of capacity").
				c.end("rpc error: " + rpcErrorText(msg))
			}
			continue
		}
		c.record(h, now)
	}
}

func (c *conn) record(h, now int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs++
	// Messages come in height order: the height is nearly always the last
	// one seen.
	for i := len(c.heights) - 1; i >= 0 && i >= len(c.heights)-4; i-- {
		if s := &c.heights[i]; s.h == h {
			s.n++
			s.last = now
			return
		}
	}
	c.heights = append(c.heights, heightStat{h: h, n: 1, last: now})
}

func (c *conn) end(reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended == "" {
		c.ended = reason
	}
}

// endReason turns a read error into a reason that groups: a close frame's
// reason is cut at its first ";" (cometstream appends a resume height).
func endReason(err error) string {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		text, _, _ := strings.Cut(ce.Text, ";")
		return fmt.Sprintf("close %d %s", ce.Code, text)
	}
	if errors.Is(err, net.ErrClosed) {
		return "closed by client"
	}
	return errorKind(err)
}

// height finds a message's height: the last "height": number in a
// cometstream message (its last field), the first "height":"n" in a
// CometBFT Tx event (its TxResult's).
func height(mode string, msg []byte) (int64, bool) {
	var i int
	if mode == bench.ModeCometBFT {
		const key = `"height":"`
		i = bytes.Index(msg, []byte(key))
		if i < 0 {
			return 0, false
		}
		i += len(key)
	} else {
		const key = `"height":`
		i = bytes.LastIndex(msg, []byte(key))
		if i < 0 {
			return 0, false
		}
		i += len(key)
	}
	j := i
	for j < len(msg) && msg[j] >= '0' && msg[j] <= '9' {
		j++
	}
	h, err := strconv.ParseInt(string(msg[i:j]), 10, 64)
	return h, err == nil
}

// rpcErrorText returns a JSON-RPC error's data or message.
func rpcErrorText(msg []byte) string {
	var resp struct {
		Error struct {
			Message string `json:"message"`
			Data    string `json:"data"`
		} `json:"error"`
	}
	if json.Unmarshal(msg, &resp) != nil {
		return "unreadable error message"
	}
	if resp.Error.Data != "" {
		return resp.Error.Data
	}
	return resp.Error.Message
}

func status(conns []*conn) bench.Status {
	var s bench.Status
	for _, c := range conns {
		c.mu.Lock()
		s.Msgs += c.msgs
		if c.ended == "" {
			s.Open++
		} else {
			s.Ended++
		}
		c.mu.Unlock()
	}
	return s
}

func report(conns []*conn) bench.Report {
	r := bench.Report{Ends: map[string]int{}}
	byHeight := map[int64]*bench.HeightReport{}
	for i, c := range conns {
		c.mu.Lock()
		heights := c.heights
		c.heights = nil
		r.Msgs += c.msgs
		c.msgs = 0
		if c.ended == "" {
			r.Open++
		} else {
			r.Ended++
			r.Ends[c.ended]++
		}
		c.mu.Unlock()
		for _, s := range heights {
			hr := byHeight[s.h]
			if hr == nil {
				hr = &bench.HeightReport{Height: s.h, Counts: make([]int32, len(conns)), Last: make([]int64, len(conns))}
				byHeight[s.h] = hr
			}
			hr.Counts[i] += s.n
			hr.Last[i] = max(hr.Last[i], s.last)
		}
	}
	for _, hr := range byHeight {
		r.Heights = append(r.Heights, *hr)
	}
	if len(r.Ends) == 0 {
		r.Ends = nil
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		r.CPUNanos = ru.Utime.Nano() + ru.Stime.Nano()
	}
	return r
}
