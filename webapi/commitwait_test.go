package webapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/cometstream/cometstream/ledger"
	"github.com/cometstream/cometstream/ledger/txbuild"
	"github.com/cometstream/cometstream/webapi"
)

// fakeFeed is a chain the test commits blocks on by hand.
type fakeFeed struct {
	mu     sync.Mutex
	height int64
	next   chan struct{}
	blocks map[int64][]webapi.CommittedTx
}

func newFakeFeed() *fakeFeed {
	return &fakeFeed{next: make(chan struct{}), blocks: map[int64][]webapi.CommittedTx{}}
}

func (f *fakeFeed) Committed() (int64, <-chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.height, f.next
}

func (f *fakeFeed) Block(h int64) ([]webapi.CommittedTx, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if h > f.height {
		return nil, errors.New("not committed")
	}
	return f.blocks[h], nil
}

// commit appends a block of txs whose codes are codes (all 0 when nil).
func (f *fakeFeed) commit(txs [][]byte, codes ...uint32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.height++
	blk := make([]webapi.CommittedTx, len(txs))
	for i, tx := range txs {
		blk[i].Hash = sha256.Sum256(tx)
		if i < len(codes) {
			blk[i].Result = abcitypes.ExecTxResult{Code: codes[i], Log: "refused in its block"}
		}
	}
	f.blocks[f.height] = blk
	close(f.next)
	f.next = make(chan struct{})
}

// fakeMempool is the waiter's Submit: CheckTx answers code, and each
// submitted transaction is sent on submitted, so that the test commits
// its block only once it was submitted.
type fakeMempool struct {
	code      uint32
	submitted chan []byte
}

func (m *fakeMempool) submit(_ context.Context, tx cmttypes.Tx) (*coretypes.ResultBroadcastTx, error) {
	m.submitted <- tx
	return &coretypes.ResultBroadcastTx{Code: m.code, Log: "checked", Hash: tx.Hash()}, nil
}

func newWaiter(t *testing.T, feed webapi.CommitFeed, m *fakeMempool, max int) *webapi.CommitWaiter {
	t.Helper()
	w, err := webapi.NewCommitWaiter(webapi.CommitWaiterConfig{Feed: feed, Submit: m.submit, MaxWaiters: max})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// waitFor polls cond; the deadline only bounds a broken test.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestCommitWaiterAnswersFromTheFeed(t *testing.T) {
	tx := []byte("the transaction")
	tests := []struct {
		name      string
		checkCode uint32
		blocks    func(f *fakeFeed) // committed after the submission
		want      coretypes.ResultBroadcastTxCommit
	}{
		{"valid in its block", 0, func(f *fakeFeed) { f.commit([][]byte{[]byte("other"), tx}) },
			coretypes.ResultBroadcastTxCommit{Height: 1}},
		{"in the second block", 0, func(f *fakeFeed) {
			f.commit([][]byte{[]byte("other")})
			f.commit([][]byte{tx})
		}, coretypes.ResultBroadcastTxCommit{Height: 2}},
		{"refused in its block", 0, func(f *fakeFeed) { f.commit([][]byte{tx}, ledger.CodeDoubleSpend) },
			coretypes.ResultBroadcastTxCommit{Height: 1, TxResult: abcitypes.ExecTxResult{Code: ledger.CodeDoubleSpend, Log: "refused in its block"}}},
		{"refused by CheckTx", ledger.CodeBadSignature, func(*fakeFeed) {},
			coretypes.ResultBroadcastTxCommit{CheckTx: abcitypes.ResponseCheckTx{Code: ledger.CodeBadSignature, Log: "checked"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			feed := newFakeFeed()
			m := &fakeMempool{code: tt.checkCode, submitted: make(chan []byte, 1)}
			w := newWaiter(t, feed, m, 0)
			type answer struct {
				res *coretypes.ResultBroadcastTxCommit
				err error
			}
			done := make(chan answer, 1)
			go func() {
				res, err := w.BroadcastTxCommit(context.Background(), tx)
				done <- answer{res, err}
			}()
			<-m.submitted
			tt.blocks(feed)
			a := <-done
			if a.err != nil {
				t.Fatal(a.err)
			}
			if tt.want.CheckTx.Log == "" {
				tt.want.CheckTx.Log = "checked"
			}
			tt.want.Hash = cmttypes.Tx(tx).Hash()
			if diff := cmp.Diff(&tt.want, a.res); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			<-w.Idle()
			if n := w.Waiting(); n != 0 {
				t.Errorf("%d waiters left", n)
			}
		})
	}
}

// TestCommitWaiterSameTxTwice: two posts of the same bytes both wait (the
// mempool refuses the second in a real node) and a block answers both.
func TestCommitWaiterSameTxTwice(t *testing.T) {
	feed := newFakeFeed()
	m := &fakeMempool{submitted: make(chan []byte, 2)}
	w := newWaiter(t, feed, m, 0)
	heights := make(chan int64, 2)
	for range 2 {
		go func() {
			res, err := w.BroadcastTxCommit(context.Background(), []byte("tx"))
			if err != nil {
				t.Error(err)
			}
			heights <- res.Height
		}()
	}
	<-m.submitted
	<-m.submitted
	feed.commit([][]byte{[]byte("tx")})
	if a, b := <-heights, <-heights; a != 1 || b != 1 {
		t.Errorf("heights %d and %d, want 1 and 1", a, b)
	}
}

// TestCommitWaiterCap: past MaxWaiters a commit post gets 503 JSON with
// Retry-After and is not submitted; the waiting ones are still answered.
func TestCommitWaiterCap(t *testing.T) {
	feed := newFakeFeed()
	m := &fakeMempool{submitted: make(chan []byte, 3)}
	w := newWaiter(t, feed, m, 2)
	e := newEnv(t, webapi.APIConfig{})
	e.b.commit = w.BroadcastTxCommit
	carol := txbuild.NewKeyPair()
	txs := make([][]byte, 3)
	for i := range txs {
		txs[i] = txbuild.Create("2.0", carol, map[string]any{"n": i}, nil, txbuild.To("1", carol)).MustSign().Raw
	}
	statuses := make(chan int, 2)
	for _, tx := range txs[:2] {
		go func() {
			req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/transactions?mode=commit", bytes.NewReader(tx))
			resp, err := e.srv.Client().Do(req)
			if err != nil {
				t.Error(err)
				statuses <- 0
				return
			}
			_ = resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	waitFor(t, "two waiters", func() bool { return w.Waiting() == 2 })
	r := e.do(t, http.MethodPost, "/api/v1/transactions?mode=commit", txs[2])
	checkError(t, r, http.StatusServiceUnavailable, "too many transactions are waiting for their block")
	if got := r.header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After %q, want 1", got)
	}
	<-m.submitted
	<-m.submitted
	select {
	case tx := <-m.submitted:
		t.Errorf("the refused post was submitted: %s", tx)
	default:
	}
	feed.commit(txs[:2])
	for range 2 {
		if s := <-statuses; s != http.StatusAccepted {
			t.Errorf("waiting post answered %d, want 202", s)
		}
	}
}

// TestCommitWaiterClientLeaves: a client that hangs up while its post
// waits is removed from the waiters, and the follower goroutine ends with
// the last one.
func TestCommitWaiterClientLeaves(t *testing.T) {
	feed := newFakeFeed()
	m := &fakeMempool{submitted: make(chan []byte, 1)}
	w := newWaiter(t, feed, m, 0)
	e := newEnv(t, webapi.APIConfig{})
	e.b.commit = w.BroadcastTxCommit
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	carol := txbuild.NewKeyPair()
	tx := txbuild.Create("2.0", carol, nil, nil, txbuild.To("1", carol)).MustSign().Raw

	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.srv.URL+"/api/v1/transactions?mode=commit", bytes.NewReader(tx))
		resp, err := hc.Do(req)
		if err == nil {
			_ = resp.Body.Close()
		}
		errs <- err
	}()
	<-m.submitted
	waitFor(t, "the waiter", func() bool { return w.Waiting() == 1 })
	cancel()
	if err := <-errs; !errors.Is(err, context.Canceled) {
		t.Errorf("client error %v, want context.Canceled", err)
	}
	waitFor(t, "the waiter to leave", func() bool { return w.Waiting() == 0 })
	<-w.Idle()
	// A block with the transaction finds nobody to answer.
	feed.commit([][]byte{tx})
	hc.CloseIdleConnections()
}

func TestNewCommitWaiterConfig(t *testing.T) {
	feed := newFakeFeed()
	submit := (&fakeMempool{}).submit
	tests := []struct {
		name string
		cfg  webapi.CommitWaiterConfig
		ok   bool
	}{
		{"defaults", webapi.CommitWaiterConfig{Feed: feed, Submit: submit}, true},
		{"no feed", webapi.CommitWaiterConfig{Submit: submit}, false},
		{"no submit", webapi.CommitWaiterConfig{Feed: feed}, false},
		{"negative cap", webapi.CommitWaiterConfig{Feed: feed, Submit: submit, MaxWaiters: -1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := webapi.NewCommitWaiter(tt.cfg); (err == nil) != tt.ok {
				t.Errorf("NewCommitWaiter: %v, want ok=%v", err, tt.ok)
			}
		})
	}
}
