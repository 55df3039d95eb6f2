package integration_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/cometstream/cometstream/client"
	"github.com/cometstream/cometstream/ledger/txbuild"
)

// The live page (package explorer) in a real browser: Debian's headless
// Chromium, driven over the DevTools protocol, against a node process.
// What the page lists is read from its DOM and compared with what
// CometBFT's RPC says the chain holds.

// browser starts a headless Chromium with its own profile; the page's
// console errors and uncaught exceptions fail the test.
func browser(t testing.TB, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	needDep(t, "Debian's chromium", err)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1400, 1000))
	opts = append(opts, extra...)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// Starts the browser, and the watch of the page's console.
	exceptions := chromedp.Events(ctx, runtime.ExceptionThrown)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			t.Errorf("page exception: %v", (&chromedp.ExceptionError{ExceptionDetails: ev.ExceptionDetails}).Error())
		}
	}()
	return ctx
}

// pageRow is one row of the page's transaction table.
type pageRow struct {
	ID        string `json:"id"`
	Height    int64  `json:"height"`
	Operation string `json:"op"`
}

// pageView is what the page shows and counts.
type pageView struct {
	Rows       []pageRow `json:"rows"` // oldest first
	TxState    string    `json:"tx_state"`
	BlockState string    `json:"block_state"`
	CloseInfo  string    `json:"close_info"`
	Dups       int       `json:"dups"`
	Gaps       int       `json:"gaps"`
	TxFeed     struct {
		Opens   int   `json:"opens"`
		Sources int   `json:"sources"`
		First   int64 `json:"first"`
	} `json:"tx_feed"`
	BlockFirst int64 `json:"block_first"`
}

const viewJS = `(() => {
  const rows = [...document.querySelectorAll('#txs tbody tr')].reverse().map((tr) => ({
    id: tr.dataset.id, height: +tr.dataset.height, op: tr.querySelector('.op').textContent }));
  const s = window.cometstream || { feeds: {} };
  const f = s.feeds || {};
  const tx = f.valid_transactions || {}, b = f.valid_blocks || {};
  return { rows, tx_state: document.getElementById('tx-state').textContent,
    block_state: document.getElementById('block-state').textContent,
    close_info: document.getElementById('close-info').textContent,
    dups: +document.getElementById('dup-count').textContent, gaps: +document.getElementById('gap-count').textContent,
    tx_feed: { opens: tx.opens || 0, sources: tx.sources || 0, first: tx.first || 0 }, block_first: b.first || 0 };
})()`

func view(t testing.TB, ctx context.Context) pageView {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[pageView](viewJS))
	if err != nil {
		t.Fatalf("read the page: %v", err)
	}
	return v
}

// waitPage polls the page until cond holds (a minute: the chain, not a
// timer, decides when it does).
func waitPage(t testing.TB, ctx context.Context, what string, cond func(pageView) bool) pageView {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		v := view(t, ctx)
		if cond(v) {
			return v
		}
		if time.Now().After(deadline) {
			b, _ := json.Marshal(v)
			t.Fatalf("timed out waiting for %s; the page: %s", what, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func rowIDs(rows []pageRow) []string {
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return ids
}

// chainTxIDs is what the chain committed from height from up to upTo, as
// the stream names it, keeping those keep accepts.
func chainTxIDs(t *testing.T, n *binaryNode, from, upTo int64, keep func(client.TxEvent) bool) []string {
	t.Helper()
	_, txs := chainFromRPC(t, n.rpc, upTo)
	var ids []string
	for _, tx := range txs {
		if tx.Height >= from && (keep == nil || keep(tx)) {
			ids = append(ids, tx.TransactionID)
		}
	}
	return ids
}

// submit sends count signed CREATEs of owner and waits until CometBFT has
// committed them; it returns their ids and the last height.
func submit(t *testing.T, n *binaryNode, owner txbuild.KeyPair, tag string, count int) ([]string, int64) {
	t.Helper()
	var ids []string
	var top int64
	for i := range count {
		tx := txbuild.Create("3.0", owner, fmt.Sprintf("QmBrowser%s%d", tag, i), nil, txbuild.To("1", owner)).MustSign()
		res, err := n.rpc.BroadcastTxSync(context.Background(), tx.Raw)
		if err != nil || res.Code != 0 {
			t.Fatalf("broadcast: %v %+v", err, res)
		}
		ids = append(ids, tx.ID)
		var h int64
		waitFor(t, "the transaction committed", 60*time.Second, func() bool {
			r, err := n.rpc.Tx(context.Background(), res.Hash, false)
			if err == nil {
				h = r.Height
			}
			return err == nil
		})
		top = max(top, h)
	}
	return ids, top
}

func navigate(t testing.TB, ctx context.Context, url string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
}

// screenshot saves the page: to docs/explorer.png when UPDATE_SCREENSHOT
// is set (make screenshot), else to the test's directory; either way it
// must be a real image of the page.
func screenshot(t *testing.T, ctx context.Context) {
	t.Helper()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(buf))
	if err != nil || img.Bounds().Dx() < 800 {
		t.Fatalf("screenshot is no page image: %v", err)
	}
	path := filepath.Join(t.TempDir(), "explorer.png")
	if os.Getenv("UPDATE_SCREENSHOT") != "" {
		path = filepath.Join("..", "docs", "explorer.png")
	}
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// TestExplorerLivePage opens the node's live page over WebSocket: it
// lists the transactions submitted during the test, with their operation,
// exactly as the chain holds them; a node restart leaves no gap and no
// duplicate; a public_key filter from height 1 lists exactly that key's
// transactions.
func TestExplorerLivePage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a node process and a browser")
	}
	ctx := browser(t)
	n := newBinaryNode(t)
	n.startWithEnv(t)
	waitFor(t, "the first block", 60*time.Second, func() bool { return n.height() > 0 })

	// A browser opening the Web API's root is sent to the page.
	navigate(t, ctx, "http://"+n.webAddr+"/")
	waitPage(t, ctx, "both feeds open", func(v pageView) bool { return v.TxState == "open" && v.BlockState == "open" })
	alice, bob := txbuild.NewKeyPair(), txbuild.NewKeyPair()
	aliceIDs, _ := submit(t, n, alice, "a", 4)
	bobIDs, _ := submit(t, n, bob, "b", 4)

	sameAsChain := func(what string, want int) pageView {
		t.Helper()
		v := waitPage(t, ctx, what, func(v pageView) bool {
			if len(v.Rows) < want {
				return false
			}
			for _, r := range v.Rows {
				if r.Operation != "CREATE" { // looked up on the Web API
					return false
				}
			}
			return true
		})
		// The page's first block bounds what it must list: everything the
		// chain committed from there up to its newest row, in order, once
		// (and the rows are at least the transactions submitted).
		chain := chainTxIDs(t, n, v.BlockFirst, v.Rows[len(v.Rows)-1].Height, nil)
		if got := rowIDs(v.Rows); !slices.Equal(got, chain) {
			t.Fatalf("%s: the page lists\n%v\nthe chain from height %d holds\n%v", what, got, v.BlockFirst, chain)
		}
		if v.Dups != 0 || v.Gaps != 0 {
			t.Fatalf("%s: the page counted %d duplicates and %d gaps", what, v.Dups, v.Gaps)
		}
		return v
	}
	sameAsChain("the submitted transactions on the page", len(aliceIDs)+len(bobIDs))

	// A row's raw message on demand.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#txs tbody tr"))); err != nil {
		t.Fatal(err)
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('raw').textContent`))
	if err != nil || !strings.Contains(raw, `"transaction_id": "`+bobIDs[len(bobIDs)-1]+`"`) {
		t.Fatalf("raw message of the newest row: %q, %v", raw, err)
	}
	screenshot(t, ctx)

	// Pause closes the streams; what is committed meanwhile comes on
	// resume, from the page's position.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("raw-close")), chromedp.Click(chromedp.ID("pause"))); err != nil {
		t.Fatal(err)
	}
	waitPage(t, ctx, "paused", func(v pageView) bool { return v.TxState == "paused" && v.BlockState == "paused" })
	more, _ := submit(t, n, bob, "p", 2)
	bobIDs = append(bobIDs, more...)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("pause"))); err != nil {
		t.Fatal(err)
	}
	sameAsChain("the transactions of the pause", len(aliceIDs)+len(bobIDs))

	// A node restart: the page sees the stream close, reconnects with
	// from_height once the node is back, and goes on without a gap.
	if err := n.proc.stop(t, syscall.SIGTERM); err != nil {
		t.Fatalf("node exit: %v", err)
	}
	v := waitPage(t, ctx, "the page noticing the restart", func(v pageView) bool { return v.TxState == "reconnecting" })
	if !strings.Contains(v.CloseInfo, "1001") {
		t.Errorf("close shown as %q, want the 1001 close of a shutdown", v.CloseInfo)
	}
	n.startWithEnv(t)
	waitPage(t, ctx, "the feeds back", func(v pageView) bool { return v.TxState == "open" && v.BlockState == "open" })
	more, _ = submit(t, n, alice, "c", 4)
	aliceIDs = append(aliceIDs, more...)
	sameAsChain("the transactions after the restart", len(aliceIDs)+len(bobIDs))

	// A filter, replayed from height 1.
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("public_key"), alice.PublicKey()),
		chromedp.SetValue(chromedp.ID("from_height"), "1"),
		chromedp.Click(chromedp.ID("apply"))); err != nil {
		t.Fatal(err)
	}
	v = waitPage(t, ctx, "alice's transactions", func(v pageView) bool { return len(v.Rows) >= len(aliceIDs) })
	if got := rowIDs(v.Rows); !slices.Equal(got, aliceIDs) {
		t.Fatalf("public_key filter: the page lists\n%v\nwant alice's\n%v", got, aliceIDs)
	}
}

// TestExplorerEventSourceResumes runs the page over Server-Sent Events on
// a node that requires a token: without it the page shows the refusal;
// with it the page's EventSource receives, is cut off (a proxy holds the
// stream down while the chain commits more), and resumes by itself with
// Last-Event-ID, nothing lost or repeated. The URL asked for the live
// edge, so only Last-Event-ID can bring the transactions of the outage.
func TestExplorerEventSourceResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a node process and a browser")
	}
	ctx := browser(t)
	n := newBinaryNode(t)
	const token = "browser-token-0123456789"
	tokens := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(tokens, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	setConfig(t, n.home, map[string]string{"tokens_file": fmt.Sprintf("%q", tokens)})
	proxy := newCutProxy(t, strings.TrimPrefix(n.streamURL, "ws://"))
	i := slices.Index(n.flags, "--stream.advertised_url")
	n.flags[i+1] = "ws://" + proxy.addr()
	n.startWithEnv(t)
	waitFor(t, "the first block", 60*time.Second, func() bool { return n.height() > 0 })

	navigate(t, ctx, "http://"+n.webAddr+"/explorer/?transport=sse")
	v := waitPage(t, ctx, "the refusal shown", func(v pageView) bool { return v.TxState == "refused" })
	if !strings.Contains(v.CloseInfo, "HTTP 401") || !strings.Contains(v.CloseInfo, "bearer token") {
		t.Errorf("refusal shown as %q", v.CloseInfo)
	}
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("token"), token), chromedp.Click(chromedp.ID("apply"))); err != nil {
		t.Fatal(err)
	}
	waitPage(t, ctx, "both event streams open", func(v pageView) bool { return v.TxState == "open" && v.BlockState == "open" })
	key := txbuild.NewKeyPair()
	ids, _ := submit(t, n, key, "a", 3)
	waitPage(t, ctx, "the first transactions", func(v pageView) bool { return len(v.Rows) >= len(ids) })

	proxy.hold()
	waitPage(t, ctx, "the page noticing the cut", func(v pageView) bool { return v.TxState == "reconnecting" })
	more, top := submit(t, n, key, "b", 3) // committed while the page is cut off
	ids = append(ids, more...)
	proxy.release()

	v = waitPage(t, ctx, "the transactions of the outage", func(v pageView) bool { return len(v.Rows) >= len(ids) })
	if got := rowIDs(v.Rows); !slices.Equal(got, ids) {
		t.Fatalf("the page lists\n%v\nwant\n%v", got, ids)
	}
	if chain := chainTxIDs(t, n, v.BlockFirst, top, nil); !slices.Equal(rowIDs(v.Rows), chain) {
		t.Fatalf("the page lists %v, the chain from %d holds %v", rowIDs(v.Rows), v.BlockFirst, chain)
	}
	if v.Dups != 0 || v.Gaps != 0 || v.TxFeed.Sources != 1 || v.TxFeed.Opens < 2 {
		t.Fatalf("dups %d gaps %d, EventSources %d opened %d times: want 0, 0 and one EventSource reopened by itself",
			v.Dups, v.Gaps, v.TxFeed.Sources, v.TxFeed.Opens)
	}
	b, _ := json.Marshal(v.TxFeed)
	t.Logf("transaction feed: %s", b)
}
