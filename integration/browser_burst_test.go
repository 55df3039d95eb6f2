package integration_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/streamsvc"
)

// burstPage serves the live page and a stream server over an in-memory
// log, so that a test can append blocks faster than a chain commits them.
type burstPage struct {
	log  *events.Log
	page string // the page's URL
}

func newBurstPage(t testing.TB) *burstPage { return newBurstPageTLS(t, false) }

// newBurstPageTLS is newBurstPage over https:// and wss:// when tls is
// set (httptest's own certificate, which the browser is told to accept).
func newBurstPageTLS(t testing.TB, tls bool) *burstPage {
	t.Helper()
	store, err := events.NewMemStore(4096)
	if err != nil {
		t.Fatal(err)
	}
	log, err := events.NewLog(store, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := streamsvc.New(streamsvc.Config{Log: log})
	if err != nil {
		t.Fatal(err)
	}
	serve := httptest.NewServer
	if tls {
		serve = httptest.NewTLSServer
	}
	stream := serve(srv)
	root, err := streamsvc.NewRootHandler(streamsvc.RootConfig{AdvertisedURL: "ws" + strings.TrimPrefix(stream.URL, "http")})
	if err != nil {
		t.Fatal(err)
	}
	web := serve(root)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = srv.Close(ctx)
		stream.Close()
		web.Close()
	})
	return &burstPage{log: log, page: web.URL + "/explorer/"}
}

// appendBlocks appends blocks from..from+n-1 of ntx transactions each.
func (p *burstPage) appendBlocks(t testing.TB, from int64, n, ntx int) {
	t.Helper()
	for h := from; h < from+int64(n); h++ {
		sum := sha256.Sum256([]byte(fmt.Sprint(h)))
		b := &events.Block{Height: h, Hash: sum[:], Time: time.Now()}
		for i := range ntx {
			id := fmt.Sprintf("%032x%032x", h, i)
			b.Txs = append(b.Txs, events.Tx{Index: uint32(i), ID: id, AssetIDs: []string{id}, Operation: "CREATE"})
		}
		if _, err := p.log.Append(b); err != nil {
			t.Fatal(err)
		}
	}
}

// burstStats is what the page counted, and the longest gap between two
// animation frames while it drew (a frame watch the test installs).
type burstStats struct {
	Txs      int     `json:"txs"`
	Dups     int     `json:"dups"`
	Rows     int     `json:"rows"`
	Newest   string  `json:"newest"`
	MaxFrame float64 `json:"max_frame_ms"`
	Frames   int     `json:"frames"`
}

const frameWatchJS = `(() => {
  window.frameWatch = { max: 0, frames: 0, last: performance.now() };
  const tick = (now) => { const w = window.frameWatch; w.max = Math.max(w.max, now - w.last); w.last = now; w.frames++; requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  return true;
})()`

const burstJS = `(() => ({ txs: window.cometstream.txs, dups: window.cometstream.dups,
  rows: document.querySelectorAll('#txs tbody tr').length,
  newest: (document.querySelector('#txs tbody tr') || { dataset: {} }).dataset.id || '',
  max_frame_ms: window.frameWatch.max, frames: window.frameWatch.frames }))()`

// burst appends blocks of perBlock transactions to the open page and
// waits until it has counted them all; it returns what the page counted
// and how long that took from the first append.
func burst(t testing.TB, ctx context.Context, p *burstPage, from int64, blocks, perBlock int) (burstStats, time.Duration) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](frameWatchJS)); err != nil {
		t.Fatal(err)
	}
	before, err := chromedp.Run(ctx, chromedp.Evaluate[burstStats](burstJS))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	p.appendBlocks(t, from, blocks, perBlock)
	newest := fmt.Sprintf("%032x%032x", from+int64(blocks)-1, perBlock-1)
	var s burstStats
	deadline := time.Now().Add(90 * time.Second)
	for {
		if s, err = chromedp.Run(ctx, chromedp.Evaluate[burstStats](burstJS)); err != nil {
			t.Fatal(err)
		}
		if s.Txs-before.Txs >= blocks*perBlock && s.Newest == newest {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page counted %d of %d transactions in 90s", s.Txs-before.Txs, blocks*perBlock)
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Txs -= before.Txs
	return s, time.Since(start)
}

func openBurstPage(t testing.TB, transport string) (context.Context, *burstPage) {
	t.Helper()
	ctx := browser(t)
	p := newBurstPage(t)
	p.appendBlocks(t, 1, 1, 0)
	navigate(t, ctx, p.page+"?transport="+transport)
	waitPage(t, ctx, "both feeds open", func(v pageView) bool { return v.TxState == "open" && v.BlockState == "open" })
	return ctx, p
}

// TestExplorerBurst: 20,000 transactions arriving at once are all
// counted, none twice, and the tables keep their bounded rows, newest
// first. (How fast, and how long the page's frames get meanwhile, is
// BenchmarkExplorerBurst's to say; this test asserts what the page drew.)
func TestExplorerBurst(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a browser")
	}
	ctx, p := openBurstPage(t, "ws")
	const blocks, perBlock = 20, 1000
	s, _ := burst(t, ctx, p, 2, blocks, perBlock)
	if s.Txs != blocks*perBlock || s.Dups != 0 || s.Rows != 100 {
		t.Fatalf("page counted %d transactions (%d twice) in %d rows; want %d, none twice, 100 rows", s.Txs, s.Dups, s.Rows, blocks*perBlock)
	}
}

// TestExplorerOverTLS: served over https, the page reads the streams
// over wss:// (the advertised URL), by WebSocket and by event stream, and
// shows what the log holds.
func TestExplorerOverTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a browser")
	}
	ctx := browser(t, chromedp.Flag("ignore-certificate-errors", true))
	p := newBurstPageTLS(t, true)
	if !strings.HasPrefix(p.page, "https://") {
		t.Fatalf("page at %s", p.page)
	}
	p.appendBlocks(t, 1, 1, 0)
	for _, transport := range []string{"ws", "sse"} {
		navigate(t, ctx, p.page+"?transport="+transport)
		waitPage(t, ctx, transport+" feeds open", func(v pageView) bool { return v.TxState == "open" && v.BlockState == "open" })
		_, newest := p.log.Bounds()
		s, _ := burst(t, ctx, p, newest+1, 2, 3)
		if s.Txs != 6 || s.Dups != 0 {
			t.Fatalf("%s over TLS: %d transactions (%d twice), want 6", transport, s.Txs, s.Dups)
		}
	}
}

// BenchmarkExplorerBurst measures the live page in headless Chromium over
// WebSocket and over Server-Sent Events: each iteration, 20 blocks of 1,000 transactions appended at
// once to the stream's log; the page's transactions counted per second
// from the first append, and the longest gap between two animation frames
// meanwhile (how long the page stops responding at worst).
func BenchmarkExplorerBurst(b *testing.B) {
	for _, transport := range []string{"ws", "sse"} {
		b.Run("transport="+transport, func(b *testing.B) {
			ctx, p := openBurstPage(b, transport)
			const blocks, perBlock = 20, 1000
			from := int64(2)
			var elapsed time.Duration
			var worst float64
			for b.Loop() {
				s, d := burst(b, ctx, p, from, blocks, perBlock)
				from += blocks
				elapsed += d
				worst = max(worst, s.MaxFrame)
			}
			b.ReportMetric(float64(b.N*blocks*perBlock)/elapsed.Seconds(), "page_tx/s")
			b.ReportMetric(worst, "max_frame_ms")
		})
	}
}
