package streamsvc_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/cometstream/cometstream/abci"
	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/streamsvc"
)

// These benchmarks run the real server on loopback sockets with clients in
// the same process. The clients are minimal (a socket and a frame counter,
// or a bare file descriptor Go does not know about), so that what the
// benchmark measures is the server's share. The 10,000-subscriber cases need
// 20,000 descriptors with the clients in the process, more than the limit
// here: the load driver (bench/cmd/benchrun) runs them with clients in
// other processes.

// BenchmarkCommitHandoffWebSocket times the middleware's Commit with a real
// events.Log (MemStore) followed by a streamsvc.Server with 0 or 1,000
// WebSocket subscribers on valid_transactions, each parked on the log. Only
// Commit is timed (the middleware's goroutine writing the block and the
// subscribers receiving it are not).
func BenchmarkCommitHandoffWebSocket(b *testing.B) {
	for _, txs := range []int{1, 100, 1000} {
		for _, subs := range []int{0, 1000} {
			b.Run(fmt.Sprintf("txs=%d/subs=%d", txs, subs), func(b *testing.B) {
				benchCommitWebSocket(b, txs, subs)
			})
		}
	}
}

func benchCommitWebSocket(b *testing.B, txs, subs int) {
	env := startBenchServer(b, streamsvc.Config{})
	app, err := abci.New(abci.Config{App: benchApp{}, Sink: env.log, Decoder: benchDecoder{}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = app.Close(context.Background()) })
	var got sync.WaitGroup
	env.connect(b, streamsvc.PathTransactions, subs, txs, &got)

	ctx := context.Background()
	req := benchFinalizeRequest(txs)
	commit := &abcitypes.RequestCommit{}
	h := int64(0)
	var took time.Duration
	for b.Loop() {
		h++
		req.Height = h
		if _, err := app.FinalizeBlock(ctx, req); err != nil {
			b.Fatal(err)
		}
		got.Add(subs)
		start := time.Now()
		if _, err := app.Commit(ctx, commit); err != nil {
			b.Fatal(err)
		}
		took += time.Since(start)
		if err := app.Sync(ctx); err != nil {
			b.Fatal(err)
		}
		got.Wait()
		// The clients have the block; let each subscriber's writer get back
		// to waiting on the log, which nothing outside the server can
		// observe, so that the next Commit finds them parked as a real
		// node's blocks, a fraction of a second apart, do.
		time.Sleep(time.Millisecond)
	}
	// Each Commit by the clock (b's timer stopped and started reads memory
	// statistics, a stop of the world while the server's goroutines run).
	b.ReportMetric(float64(took.Nanoseconds())/float64(h), "ns/op")
	b.ReportMetric(float64(took.Nanoseconds())/float64(h)/float64(txs), "ns/tx")
}

// BenchmarkFanOut times a block from Append on the log to the last
// subscriber holding all of its messages, for 1, 100 and 1,000 subscribers
// on valid_transactions and blocks of 1, 100 and 1,000 transactions. The
// clients share the CPU with the server (2 cores here), so this is a lower
// bound on what the server alone does; allocs/op are the server's (the
// clients do not allocate per read).
func BenchmarkFanOut(b *testing.B) {
	for _, txs := range []int{1, 100, 1000} {
		for _, subs := range []int{1, 100, 1000} {
			b.Run(fmt.Sprintf("txs=%d/subs=%d", txs, subs), func(b *testing.B) {
				fanOut(b, txs, subs, (*benchEnv).connect)
			})
		}
	}
}

// fanOut appends blocks of txs transactions to a server with subs
// subscribers that connect opens, timing each block from Append to the
// last subscriber holding all of its messages.
func fanOut(b *testing.B, txs, subs int, connect func(*benchEnv, *testing.B, string, int, int, *sync.WaitGroup)) {
	env := startBenchServer(b, streamsvc.Config{})
	var got sync.WaitGroup
	connect(env, b, streamsvc.PathTransactions, subs, txs, &got)
	h := int64(0)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		h++
		blk := benchBlock(h, txs)
		got.Add(subs)
		b.StartTimer()
		if _, err := env.log.Append(blk); err != nil {
			b.Fatal(err)
		}
		got.Wait()
	}
	events := float64(h) * float64(subs*txs)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/events, "ns/event")
	b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
}

func waitGoroutines(b *testing.B, want int) {
	b.Helper()
	deadline := time.Now().Add(waitTimeout)
	for runtime.NumGoroutine() < want {
		if time.Now().After(deadline) {
			b.Fatalf("%d goroutines, want at least %d", runtime.NumGoroutine(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// benchEnv is a server started on a loopback port, its log, and the
// minimal clients a benchmark connected.
type benchEnv struct {
	srv     *streamsvc.Server
	log     *events.Log
	addr    string
	clients sync.WaitGroup
	conns   []net.Conn
}

func startBenchServer(b *testing.B, cfg streamsvc.Config) *benchEnv {
	b.Helper()
	cfg.Log = newLog(b, 1024)
	cfg.Addr = "127.0.0.1:0"
	// Every client comes from 127.0.0.1.
	cfg.MaxConnections = 5000
	cfg.MaxConnectionsPerIP = 5000
	srv, err := streamsvc.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		b.Fatal(err)
	}
	env := &benchEnv{srv: srv, log: cfg.Log, addr: srv.Addr().String()}
	b.Cleanup(func() { env.close(b) })
	return env
}

// close closes the clients, then the server; it may be called twice.
func (e *benchEnv) close(b *testing.B) {
	for _, c := range e.conns {
		_ = c.Close()
	}
	e.conns = nil
	e.clients.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := e.srv.Close(ctx); err != nil {
		b.Errorf("Server.Close: %v", err)
	}
}

// connect opens n minimal clients on path. Each calls got.Done each time it
// has received perBlock more text frames (one block's messages).
func (e *benchEnv) connect(b *testing.B, path string, n, perBlock int, got *sync.WaitGroup) {
	b.Helper()
	for range n {
		conn, r, err := upgrade(e.addr, path)
		if err != nil {
			b.Fatal(err)
		}
		e.conns = append(e.conns, conn)
		e.clients.Add(1)
		go func() {
			defer e.clients.Done()
			countFrames(r, perBlock, got)
		}()
	}
	// Clients are live once the server has answered the handshake, which it
	// does after placing the subscriber's reader on the log.
}

// upgrade dials addr and performs the WebSocket handshake for path.
func upgrade(addr, path string) (net.Conn, *bufio.Reader, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	if _, err := io.WriteString(conn, handshakeRequest(addr, path)); err != nil {
		_ = conn.Close()
		return nil, nil, err
	}
	r := bufio.NewReaderSize(conn, 64<<10)
	status, err := r.ReadString('\n')
	if err != nil || !strings.Contains(status, " 101 ") {
		_ = conn.Close()
		return nil, nil, fmt.Errorf("handshake: %q, %v", status, err)
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			_ = conn.Close()
			return nil, nil, fmt.Errorf("handshake headers: %w", err)
		}
		if line == "\r\n" {
			return conn, r, nil
		}
	}
}

func handshakeRequest(addr, path string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
}

// countFrames reads server frames (never masked) until the connection
// ends, calling got.Done after every perBlock text frames. It allocates
// nothing per read.
func countFrames(r io.Reader, perBlock int, got *sync.WaitGroup) {
	buf := make([]byte, 64<<10)
	var fc frameCounter
	for {
		n, err := r.Read(buf)
		fc.feed(buf[:n])
		for fc.texts >= int64(perBlock) {
			fc.texts -= int64(perBlock)
			got.Done()
		}
		if err != nil {
			return
		}
	}
}

// frameCounter counts complete text frames in a byte stream of unmasked
// WebSocket frames.
type frameCounter struct {
	hdr    [10]byte
	hdrLen int   // header bytes held
	left   int64 // payload bytes of the current frame still to come
	text   bool  // the current frame is a text frame
	texts  int64
}

func (c *frameCounter) feed(p []byte) {
	for len(p) > 0 {
		if c.left > 0 {
			k := min(int64(len(p)), c.left)
			p = p[k:]
			c.left -= k
			if c.left == 0 && c.text {
				c.texts++
			}
			continue
		}
		c.hdr[c.hdrLen] = p[0]
		c.hdrLen++
		p = p[1:]
		need := 2
		if c.hdrLen >= 2 {
			switch c.hdr[1] & 0x7f {
			case 126:
				need = 4
			case 127:
				need = 10
			}
		}
		if c.hdrLen < need {
			continue
		}
		var n int64
		switch need {
		case 2:
			n = int64(c.hdr[1] & 0x7f)
		case 4:
			n = int64(c.hdr[2])<<8 | int64(c.hdr[3])
		default:
			for _, x := range c.hdr[2:10] {
				n = n<<8 | int64(x)
			}
		}
		c.text = c.hdr[0]&0x0f == 0x1
		c.hdrLen = 0
		c.left = n
		if n == 0 && c.text {
			c.texts++
		}
	}
}

// benchBlock is block h with n CREATE-like transactions whose messages
// have the size of real ones (64-digit ids).
func benchBlock(h int64, n int) *events.Block {
	return makeBlock(h, n)
}

// benchApp accepts every transaction and commits at no cost, so that the
// timed Commit is the middleware's hand-off alone.
type benchApp struct{ abcitypes.BaseApplication }

func (benchApp) FinalizeBlock(_ context.Context, req *abcitypes.RequestFinalizeBlock) (*abcitypes.ResponseFinalizeBlock, error) {
	res := make([]*abcitypes.ExecTxResult, len(req.Txs))
	for i := range res {
		res[i] = &abcitypes.ExecTxResult{}
	}
	return &abcitypes.ResponseFinalizeBlock{TxResults: res}, nil
}

// benchDecoder names each transaction by its bytes, which
// benchFinalizeRequest makes 64 hex digits: decoding is FinalizeBlock's
// work, outside the timed Commit.
type benchDecoder struct{}

func (benchDecoder) Decode(tx []byte) (events.Decoded, error) {
	id := string(tx)
	return events.Decoded{ID: id, AssetIDs: []string{id}, Operation: "CREATE"}, nil
}

func benchFinalizeRequest(n int) *abcitypes.RequestFinalizeBlock {
	txs := make([][]byte, n)
	for i := range txs {
		txs[i] = []byte(txID(0, i))
	}
	return &abcitypes.RequestFinalizeBlock{Hash: blockHash(0), Time: time.Unix(1700000000, 0).UTC(), Txs: txs}
}
