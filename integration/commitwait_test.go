package integration_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cometstream/cometstream/ledger"
	"github.com/cometstream/cometstream/ledger/txbuild"
)

// TestCommitPostsAnswerFromTheFeed posts with mode=commit on a real node,
// with the stream on (waiters follow the event log) and off (they follow
// the ledger's commits): the answer comes once the block is committed, at
// the height CometBFT reports, and a transaction refused in its block
// gets that block's code.
func TestCommitPostsAnswerFromTheFeed(t *testing.T) {
	if testing.Short() {
		t.Skip("starts nodes")
	}
	for _, stream := range []bool{true, false} {
		t.Run(fmt.Sprintf("stream=%v", stream), func(t *testing.T) {
			cfg := testConfig(t, t.TempDir())
			cfg.Stream.Enable = stream
			// Blocks only with transactions, and 3 s between them, so
			// that the two conflicting posts below share one.
			cfg.Comet.Consensus.CreateEmptyBlocks = false
			cfg.Comet.Consensus.TimeoutCommit = 3 * time.Second
			n := startNode(t, cfg)
			api := n.webAPI()

			alice, bob, carol := txbuild.NewKeyPair(), txbuild.NewKeyPair(), txbuild.NewKeyPair()
			create := txbuild.Create("3.0", alice, "QmWait", nil, txbuild.To("1", alice)).MustSign()
			api.post(t, "commit", create.Raw)
			// Read right after the answer: the block is committed.
			if got, want := api.height(t, create.ID), n.txHeight(t, create.Raw); got != want {
				t.Errorf("the Web API holds the CREATE at %d, CometBFT at %d", got, want)
			}

			toBob := txbuild.Transfer("3.0", create.ID, nil, []txbuild.Input{create.Spend(0, alice)}, txbuild.To("1", bob)).MustSign()
			toCarol := txbuild.Transfer("3.0", create.ID, nil, []txbuild.Input{create.Spend(0, alice)}, txbuild.To("1", carol)).MustSign()
			type answer struct {
				status int
				body   []byte
			}
			answers := make([]answer, 2)
			var wg sync.WaitGroup
			for i, tx := range [][]byte{toBob.Raw, toCarol.Raw} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					answers[i].status, answers[i].body = api.do(t, http.MethodPost, "/transactions?mode=commit", tx)
				}()
			}
			wg.Wait()
			won, lost := 0, 1
			if answers[0].status != http.StatusAccepted {
				won, lost = 1, 0
			}
			if answers[won].status != http.StatusAccepted {
				t.Fatalf("neither TRANSFER was accepted: %d %s, %d %s", answers[0].status, answers[0].body, answers[1].status, answers[1].body)
			}
			var e struct {
				Message string `json:"message"`
				Status  int    `json:"status"`
			}
			_ = json.Unmarshal(answers[lost].body, &e)
			// The exception name of the block's code, then the block's
			// reason.
			want := "Invalid transaction (" + ledger.CodeName(ledger.CodeDoubleSpend)
			_, reason, _ := strings.Cut(e.Message, "): ")
			if answers[lost].status != http.StatusBadRequest || e.Status != 400 || !strings.HasPrefix(e.Message, want) || reason == "" {
				t.Errorf("the losing TRANSFER got %d %s, want 400 with %q and the block's message", answers[lost].status, answers[lost].body, want)
			}
			winner := []*txbuild.Signed{toBob, toCarol}[won]
			if got, want := api.height(t, winner.ID), n.txHeight(t, winner.Raw); got != want {
				t.Errorf("the Web API holds the TRANSFER at %d, CometBFT at %d", got, want)
			}
		})
	}
}
