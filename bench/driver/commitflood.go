package driver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/cometstream/cometstream/events"
)

// Modes of the commit-flood trials.
const (
	FloodAsync  = "async"
	FloodCommit = "commit"
)

// FloodTrial is one flood of concurrent Web API posts: CommitPosts fresh
// transactions posted at once with one mode, and how the chain's blocks
// came meanwhile.
type FloodTrial struct {
	Mode  string `json:"mode"`
	Rep   int    `json:"rep"`
	Posts int    `json:"posts"`
	// Answers counts the posts' HTTP statuses ("202", "503", ...) and
	// client errors ("error: ...").
	Answers map[string]int `json:"answers"`
	// Committed is how many of the flood's transactions the chain
	// committed, in Blocks blocks between FromHeight (the newest when the
	// flood started) and ToHeight (the block of the last one).
	Committed  int   `json:"committed"`
	Blocks     int   `json:"blocks"`
	FromHeight int64 `json:"from_height"`
	ToHeight   int64 `json:"to_height"`
	// MaxGap and MedianGap, ms: the gaps between consecutive block times
	// (the headers' BFT time) from FromHeight to trailingBlocks past
	// ToHeight; MaxCommitGap the longest between the node's Commits of
	// those blocks (the log's hand-off stamps).
	MaxGap       float64 `json:"max_gap_ms"`
	MedianGap    float64 `json:"median_gap_ms"`
	MaxCommitGap float64 `json:"max_commit_gap_ms"`
	// Seconds is from the first post to the last answer.
	Seconds float64 `json:"seconds"`
	Load    string  `json:"load,omitempty"`
	// Command, Commit and Started say how the trial was run, since the
	// flood may be measured alone and its trials merged into a full
	// run's results (see the report's section on it).
	Command string    `json:"command"`
	Commit  string    `json:"commit"`
	Started time.Time `json:"started"`
}

// commitFlood floods a fresh node (stream on, so that waiters follow the
// event log) with CommitPosts concurrent posts, first with mode=async (the
// control: nothing waits), then with mode=commit, and records the longest
// gap between blocks in each. The flood of the issue that motivated it
// gave a 10.5 s gap with mode=commit against 2.0 s with mode=async, when
// each waiter was a query on CometBFT's event bus.
func (r *runner) commitFlood(ctx context.Context) error {
	n, err := startNode(ctx, r.work, nodeOptions{name: "commit-flood", stream: true, fast: r.cfg.FastBlocks}, r.nodeLog)
	if err != nil {
		return err
	}
	src := newTxSource(r.runID + "-flood")
	// Alternated, so that a change of the machine's load weighs on both.
trials:
	for rep := 1; rep <= r.cfg.CommitFloodRepeats; rep++ {
		for _, mode := range []string{FloodAsync, FloodCommit} {
			if err = r.floodTrial(ctx, n, src, mode, rep); err != nil {
				break trials
			}
		}
	}
	if e := n.stop(); e != nil {
		err = errors.Join(err, fmt.Errorf("stop node commit-flood: %w", e))
	}
	return err
}

// trailingBlocks are the blocks after the flood's last one whose gaps
// count too: a stall caused by the flood may come after its block.
const trailingBlocks = 2

func (r *runner) floodTrial(ctx context.Context, n *benchNode, src *txSource, mode string, rep int) error {
	k := r.cfg.CommitPosts
	txs, err := src.next(k)
	if err != nil {
		return err
	}
	log := n.Log()
	_, from := log.Bounds()
	watch := watchBlocks(log, from)
	defer watch.stop()

	tr := &http.Transport{MaxIdleConnsPerHost: k, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 2 * time.Minute}
	url := "http://" + n.WebAddr() + "/api/v1/transactions?mode=" + mode
	t := FloodTrial{Mode: mode, Rep: rep, Posts: k, Answers: map[string]int{}, FromHeight: from,
		Command: r.res.Command, Commit: r.res.Machine.Commit, Started: time.Now().UTC()}
	t.Load = loadAverage()
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, tx := range txs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			answer := post(ctx, hc, url, tx)
			mu.Lock()
			t.Answers[answer]++
			mu.Unlock()
		}()
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	t.Seconds = time.Since(t0).Seconds()

	// async answers before the blocks: wait until the accepted ones are
	// in the log, or until none has come for StallTimeout.
	accepted := t.Answers["202"]
	last, seen := time.Now(), 0
	for {
		got := watch.txs()
		if got >= accepted {
			break
		}
		if got > seen {
			last, seen = time.Now(), got
		}
		if time.Since(last) > r.cfg.StallTimeout {
			r.note("commit flood, mode=%s: %d of %d accepted transactions committed, then none for %s", mode, got, accepted, r.cfg.StallTimeout)
			break
		}
		if err := sleepUntil(ctx, time.Now().Add(20*time.Millisecond)); err != nil {
			return err
		}
	}
	// And the trailing blocks.
	if err := waitFor(ctx, r.cfg.StallTimeout, func() bool { return watch.after(watch.lastTxHeight()) >= trailingBlocks }); err != nil {
		r.note("commit flood, mode=%s: fewer than %d blocks after the flood's last within %s", mode, trailingBlocks, r.cfg.StallTimeout)
	}
	blocks := watch.stop()
	t.analyze(blocks)
	r.res.CommitFlood = append(r.res.CommitFlood, t)
	r.logf("commit flood %d, mode=%-6s %d posts answered in %.1fs %v; %d committed in %d blocks; longest block gap %.0f ms (median %.0f ms, commits %.0f ms)",
		rep, mode, k, t.Seconds, t.Answers, t.Committed, t.Blocks, t.MaxGap, t.MedianGap, t.MaxCommitGap)
	return nil
}

// post makes one post and names its outcome: the status, or the error.
func post(ctx context.Context, hc *http.Client, url string, tx []byte) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(tx))
	if err != nil {
		return "error: " + err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return "error: " + err.Error()
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	return strconv.Itoa(resp.StatusCode)
}

// analyze fills the block figures from the blocks read after FromHeight.
func (t *FloodTrial) analyze(blocks []*events.Block) {
	if len(blocks) == 0 {
		return
	}
	end := 0 // the block of the flood's last transaction
	for i, b := range blocks {
		if b.Height == t.FromHeight {
			continue
		}
		if len(b.Txs) > 0 {
			t.Committed += len(b.Txs)
			t.Blocks++
			end = i
		}
	}
	t.ToHeight = blocks[end].Height
	end = min(end+trailingBlocks, len(blocks)-1)
	var gaps []float64
	for i := 1; i <= end; i++ {
		gaps = append(gaps, float64(blocks[i].Time.Sub(blocks[i-1].Time))/1e6)
		if a, b := blocks[i-1].Appended, blocks[i].Appended; !a.IsZero() && !b.IsZero() {
			t.MaxCommitGap = max(t.MaxCommitGap, float64(b.Sub(a))/1e6)
		}
	}
	if len(gaps) > 0 {
		t.MaxGap = slices.Max(gaps)
		slices.Sort(gaps)
		t.MedianGap = gaps[len(gaps)/2]
	}
}

// blockWatch reads the log from a height on, keeping every block.
type blockWatch struct {
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	blocks []*events.Block
	n      int // transactions after the first block
}

func watchBlocks(log *events.Log, from int64) *blockWatch {
	ctx, cancel := context.WithCancel(context.Background())
	w := &blockWatch{cancel: cancel, done: make(chan struct{})}
	rd := log.NewReader(from)
	go func() {
		defer close(w.done)
		for {
			b, err := rd.Next(ctx)
			if err != nil {
				return
			}
			w.mu.Lock()
			if len(w.blocks) > 0 {
				w.n += len(b.Txs)
			}
			w.blocks = append(w.blocks, b)
			w.mu.Unlock()
		}
	}()
	return w
}

// lastTxHeight returns the height of the newest block with transactions
// after the first block, 0 when none.
func (w *blockWatch) lastTxHeight() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := len(w.blocks) - 1; i > 0; i-- {
		if len(w.blocks[i].Txs) > 0 {
			return w.blocks[i].Height
		}
	}
	return 0
}

// after returns how many blocks were read past height h.
func (w *blockWatch) after(h int64) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.blocks) == 0 || h == 0 {
		return 0
	}
	return int(w.blocks[len(w.blocks)-1].Height - h)
}

// newest returns the height of the newest block read, 0 for none.
func (w *blockWatch) newest() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.blocks) == 0 {
		return 0
	}
	return w.blocks[len(w.blocks)-1].Height
}

// txs returns how many transactions the blocks after the first hold.
func (w *blockWatch) txs() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

// stop ends the reader and returns the blocks; it may be called again.
func (w *blockWatch) stop() []*events.Block {
	w.cancel()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.blocks
}
