package ledger_test

import (
	"testing"

	"github.com/cometstream/cometstream/ledger/txbuild"
)

// TestCommittedAnnouncesEachCommit: the Web API's commit waiter follows
// Committed when the stream is off; a Commit must close the channel taken
// before it and report its height, and a reopened ledger resumes at it.
func TestCommittedAnnouncesEachCommit(t *testing.T) {
	dir := t.TempDir()
	app := openApp(t, dir)
	h, next := app.Committed()
	if h != 0 {
		t.Fatalf("height %d before any Commit, want 0", h)
	}
	alice := txbuild.KeyPairFromSeed([32]byte{9})
	finalize(t, app, 1, txbuild.Create("2.0", alice, nil, nil, txbuild.To("1", alice)).MustSign().Raw)
	select {
	case <-next:
		t.Fatal("announced before Commit")
	default:
	}
	commit(t, app)
	select {
	case <-next:
	default:
		t.Fatal("Commit did not close the channel taken before it")
	}
	h, next2 := app.Committed()
	if h != 1 || next2 == next {
		t.Errorf("after Commit: height %d (want 1), new channel %v", h, next2 != next)
	}
	if err := app.Close(); err != nil {
		t.Fatal(err)
	}
	if h, _ := openApp(t, dir).Committed(); h != 1 {
		t.Errorf("reopened at height %d, want 1", h)
	}
}
