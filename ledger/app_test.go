package ledger_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/go-hclog"
	"github.com/syndtr/goleveldb/leveldb"

	"github.com/cometstream/cometstream/internal/fixtures"
	"github.com/cometstream/cometstream/ledger"
)

func TestNewConfig(t *testing.T) {
	if _, err := ledger.New(ledger.Config{}); err == nil || !strings.Contains(err.Error(), "Dir") {
		t.Errorf("New without Dir: err = %v, want one naming Dir", err)
	}
	app, err := ledger.New(ledger.Config{Dir: t.TempDir(), Logger: hclog.NewNullLogger()})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := app.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := app.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestFixturesAccepted submits every fixture in chain order, one block
// each, as a client would: each passes CheckTx against the state the
// blocks before left, and is stored with its block.
func TestFixturesAccepted(t *testing.T) {
	app := openApp(t, t.TempDir())
	txs := chainTxs(t)
	var hashes [][]byte
	for i, tx := range txs {
		if resp := checkTx(t, app, tx.raw); resp.Code != ledger.CodeOK {
			t.Fatalf("CheckTx(%s) = %d %q, want OK", tx.name, resp.Code, resp.Log)
		}
		resp := finalize(t, app, int64(i+1), tx.raw)
		if diff := cmp.Diff([]uint32{0}, codes(resp)); diff != "" {
			t.Fatalf("FinalizeBlock(%s) codes (-want +got):\n%s\nlog: %s", tx.name, diff, resp.TxResults[0].Log)
		}
		commit(t, app)
		hashes = append(hashes, resp.AppHash)
	}
	for i, tx := range txs {
		got, found, err := app.Transaction(tx.id)
		if err != nil || !found || !bytes.Equal(got, tx.raw) {
			t.Errorf("Transaction(%s) = found %v, err %v, same bytes %v", tx.name, found, err, bytes.Equal(got, tx.raw))
		}
		ids, found, err := app.BlockTxIDs(int64(i + 1))
		if err != nil || !found {
			t.Fatalf("BlockTxIDs(%d): found %v, err %v", i+1, found, err)
		}
		if diff := cmp.Diff([]string{tx.id}, ids); diff != "" {
			t.Errorf("BlockTxIDs(%d) (-want +got):\n%s", i+1, diff)
		}
		if h, found, err := app.TxHeight(tx.id); h != int64(i+1) || !found || err != nil {
			t.Errorf("TxHeight(%s) = %d, %v, %v; want %d", tx.name, h, found, err, i+1)
		}
	}
	last := int64(len(txs))
	if got := info(t, app); got.LastBlockHeight != last || !bytes.Equal(got.LastBlockAppHash, hashes[last-1]) {
		t.Errorf("Info = height %d hash %x, want %d %x", got.LastBlockHeight, got.LastBlockAppHash, last, hashes[last-1])
	}
}

// TestFixturesInOneBlock puts both chains in one block: a TRANSFER may
// spend an output made earlier in the same block.
func TestFixturesInOneBlock(t *testing.T) {
	app := openApp(t, t.TempDir())
	var raws [][]byte
	var ids []string
	for _, tx := range chainTxs(t) {
		raws = append(raws, tx.raw)
		ids = append(ids, tx.id)
	}
	resp := finalize(t, app, 1, raws...)
	if diff := cmp.Diff(make([]uint32, len(raws)), codes(resp)); diff != "" {
		t.Fatalf("codes (-want +got):\n%s", diff)
	}
	commit(t, app)
	got, _, err := app.BlockTxIDs(1)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ids, got); diff != "" {
		t.Errorf("BlockTxIDs(1) (-want +got):\n%s", diff)
	}
}

func TestRejectedEverywhere(t *testing.T) {
	cases := rejectionCases(t)
	app := openApp(t, t.TempDir())
	// The Log is the refusal's message (TestParseTransactionRejects
	// checks what it and the detail say).
	var block [][]byte
	msgs := make([]string, len(cases))
	for i, tc := range cases {
		_, err := ledger.ParseTransaction(tc.raw)
		var rej *ledger.RejectError
		if !errors.As(err, &rej) {
			t.Fatalf("ParseTransaction(%s) = %v, want a refusal", tc.name, err)
		}
		msgs[i] = rej.Msg
		resp := checkTx(t, app, tc.raw)
		if resp.Code != tc.code || resp.Log != msgs[i] {
			t.Errorf("CheckTx(%s) = %d %q, want %d %q", tc.name, resp.Code, resp.Log, tc.code, msgs[i])
		}
		block = append(block, tc.raw)
	}
	resp := finalize(t, app, 1, block...)
	for i, tc := range cases {
		if r := resp.TxResults[i]; r.Code != tc.code || r.Log != msgs[i] {
			t.Errorf("FinalizeBlock(%s) = %d %q, want %d %q", tc.name, r.Code, r.Log, tc.code, msgs[i])
		}
	}
	commit(t, app)
	if ids, _, _ := app.BlockTxIDs(1); len(ids) != 0 {
		t.Errorf("block of rejected txs stored ids %v", ids)
	}
}

func TestDuplicateInBlock(t *testing.T) {
	tx := fixtures.Read("planetmint-v3.0-create.json")
	app := openApp(t, t.TempDir())
	resp := finalize(t, app, 1, tx, tx)
	if diff := cmp.Diff([]uint32{ledger.CodeOK, ledger.CodeDuplicate}, codes(resp)); diff != "" {
		t.Errorf("codes (-want +got):\n%s", diff)
	}
	if log, want := resp.TxResults[1].Log, "transaction `0fdeb547670bbea980389df53cf5a91e60159339084c6b0b5cc0b5494a679530` already exists"; log != want {
		t.Errorf("Log = %q, want Planetmint's %q", log, want)
	}
	// The duplicate must not count towards the app hash.
	single := finalize(t, openApp(t, t.TempDir()), 1, tx)
	if !bytes.Equal(resp.AppHash, single.AppHash) {
		t.Errorf("app hash with duplicate %x != app hash without %x", resp.AppHash, single.AppHash)
	}
}

func TestCommittedIDResubmitted(t *testing.T) {
	tx := fixtures.Read("bigchaindb-v2.0-create.json")
	app := openApp(t, t.TempDir())
	finalize(t, app, 1, tx)
	commit(t, app)
	if resp := checkTx(t, app, tx); resp.Code != ledger.CodeDuplicate || !strings.Contains(resp.Log, "already exists") {
		t.Errorf("CheckTx = %d %q, want CodeDuplicate", resp.Code, resp.Log)
	}
	// Re-encoded with other white space: same id, still a duplicate.
	if resp := checkTx(t, app, edit(t, tx, func(map[string]any) {})); resp.Code != ledger.CodeDuplicate {
		t.Errorf("CheckTx(re-encoded) = %d %q, want CodeDuplicate", resp.Code, resp.Log)
	}
	if got := codes(finalize(t, app, 2, tx)); got[0] != ledger.CodeDuplicate {
		t.Errorf("FinalizeBlock code = %d, want CodeDuplicate", got[0])
	}
}

func TestRestartResumes(t *testing.T) {
	dir := t.TempDir()
	txs := chainTxs(t)
	app, err := ledger.New(ledger.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	finalize(t, app, 1, txs[0].raw)
	commit(t, app)
	finalize(t, app, 2, txs[1].raw, txs[2].raw)
	commit(t, app)
	before := info(t, app)
	if err := app.Close(); err != nil {
		t.Fatal(err)
	}

	app = openApp(t, dir)
	after := info(t, app)
	if after.LastBlockHeight != 2 || !bytes.Equal(after.LastBlockAppHash, before.LastBlockAppHash) {
		t.Fatalf("after restart Info = %d %x, want %d %x", after.LastBlockHeight, after.LastBlockAppHash, before.LastBlockHeight, before.LastBlockAppHash)
	}
	if resp := checkTx(t, app, txs[0].raw); resp.Code != ledger.CodeDuplicate {
		t.Errorf("CheckTx of a committed CREATE after restart = %d, want CodeDuplicate", resp.Code)
	}
	if resp := checkTx(t, app, txs[1].raw); resp.Code != ledger.CodeDuplicate {
		t.Errorf("CheckTx of a committed TRANSFER after restart = %d, want CodeDuplicate", resp.Code)
	}
	finalize(t, app, 3, txs[3].raw)
	commit(t, app)
	if got := info(t, app).LastBlockHeight; got != 3 {
		t.Errorf("height after one more block = %d, want 3", got)
	}
}

func TestCrashBeforeCommit(t *testing.T) {
	dir := t.TempDir()
	txs := chainTxs(t)
	app, err := ledger.New(ledger.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	finalize(t, app, 1, txs[0].raw)
	commit(t, app)
	committed := info(t, app)
	staged := finalize(t, app, 2, txs[1].raw)
	if err := app.Close(); err != nil { // the "crash": no Commit
		t.Fatal(err)
	}

	app = openApp(t, dir)
	got := info(t, app)
	if got.LastBlockHeight != 1 || !bytes.Equal(got.LastBlockAppHash, committed.LastBlockAppHash) {
		t.Fatalf("after crash Info = %d %x, want 1 %x", got.LastBlockHeight, got.LastBlockAppHash, committed.LastBlockAppHash)
	}
	if _, found, _ := app.Transaction(txs[1].id); found {
		t.Error("uncommitted transaction survived the crash")
	}
	if _, found, _ := app.BlockTxIDs(2); found {
		t.Error("uncommitted block survived the crash")
	}
	spent := true
	if refs, err := app.Outputs(keyA, &spent); err != nil || len(refs) != 0 {
		t.Errorf("spent outputs of %s after the crash = %v, %v; want none", keyA, refs, err)
	}
	// CometBFT replays the block: same result, then Commit.
	replayed := finalize(t, app, 2, txs[1].raw)
	if !bytes.Equal(replayed.AppHash, staged.AppHash) {
		t.Errorf("replayed app hash %x, want %x", replayed.AppHash, staged.AppHash)
	}
	commit(t, app)
	if _, found, _ := app.Transaction(txs[1].id); !found {
		t.Error("replayed transaction not committed")
	}
	want := []ledger.OutputRef{{TransactionID: txs[0].id, OutputIndex: 0}}
	if refs, err := app.Outputs(keyA, &spent); err != nil || !cmp.Equal(refs, want) {
		t.Errorf("spent outputs of %s after the replay = %v, %v; want %v", keyA, refs, err, want)
	}
}

func TestAppHashDeterministic(t *testing.T) {
	txs := chainTxs(t)
	blocks := [][][]byte{
		{txs[0].raw, txs[3].raw},
		{},
		{txs[1].raw, []byte("junk"), txs[1].raw, txs[0].raw},
		{txs[2].raw, txs[4].raw, txs[5].raw},
	}
	a := openApp(t, t.TempDir())
	b := openApp(t, t.TempDir())
	prev := []byte{}
	for i, blk := range blocks {
		h := int64(i + 1)
		ra, rb := finalize(t, a, h, blk...), finalize(t, b, h, blk...)
		if !bytes.Equal(ra.AppHash, rb.AppHash) {
			t.Fatalf("height %d: app hashes differ: %x vs %x", h, ra.AppHash, rb.AppHash)
		}
		if bytes.Equal(ra.AppHash, prev) {
			t.Errorf("height %d: app hash did not change", h)
		}
		prev = ra.AppHash
		commit(t, a)
		commit(t, b)
	}
}

// TestAppHashRule pins the documented formula, which other
// implementations of the ledger must reproduce.
func TestAppHashRule(t *testing.T) {
	txs := chainTxs(t)
	app := openApp(t, t.TempDir())
	r1 := finalize(t, app, 1)
	commit(t, app)
	r2 := finalize(t, app, 2, txs[0].raw, []byte("junk"), txs[3].raw)
	commit(t, app)

	want := func(prev []byte, height uint64, ids ...string) []byte {
		h := sha256.New()
		h.Write(prev)
		h.Write(binary.BigEndian.AppendUint64(nil, height))
		for _, id := range ids {
			b, _ := hex.DecodeString(id)
			h.Write(b)
		}
		return h.Sum(nil)
	}
	want1 := want(nil, 1)
	want2 := want(want1, 2, txs[0].id, txs[3].id)
	if !bytes.Equal(r1.AppHash, want1) || !bytes.Equal(r2.AppHash, want2) {
		t.Errorf("app hashes %x, %x; want %x, %x", r1.AppHash, r2.AppHash, want1, want2)
	}
}

func TestFinalizeBlockHeights(t *testing.T) {
	app := openApp(t, t.TempDir())
	// A chain with initial_height 5 starts there.
	finalize(t, app, 5)
	commit(t, app)
	if _, err := app.FinalizeBlock(context.Background(), &abcitypes.RequestFinalizeBlock{Height: 7}); err == nil {
		t.Error("FinalizeBlock skipping height 6 succeeded, want an error")
	}
	if _, err := app.FinalizeBlock(context.Background(), &abcitypes.RequestFinalizeBlock{Height: 5}); err == nil {
		t.Error("FinalizeBlock of a committed height succeeded, want an error")
	}
	finalize(t, app, 6)
	commit(t, app)
	if got := info(t, app).LastBlockHeight; got != 6 {
		t.Errorf("height = %d, want 6", got)
	}
}

func TestCommitWithoutFinalize(t *testing.T) {
	app := openApp(t, t.TempDir())
	commit(t, app)
	if got := info(t, app); got.LastBlockHeight != 0 || len(got.LastBlockAppHash) != 0 {
		t.Errorf("Info = %d %x, want an empty ledger", got.LastBlockHeight, got.LastBlockAppHash)
	}
}

func TestBlockTxIDs(t *testing.T) {
	app := openApp(t, t.TempDir())
	finalize(t, app, 1)
	commit(t, app)
	ids, found, err := app.BlockTxIDs(1)
	if err != nil || !found || ids == nil || len(ids) != 0 {
		t.Errorf("BlockTxIDs(empty block) = %v, %v, %v; want [], true, nil", ids, found, err)
	}
	for _, h := range []int64{-1, 0, 2} {
		if _, found, err := app.BlockTxIDs(h); found || err != nil {
			t.Errorf("BlockTxIDs(%d) = found %v, err %v; want not found", h, found, err)
		}
	}
}

func TestQuery(t *testing.T) {
	tx := chainTxs(t)[0]
	app := openApp(t, t.TempDir())
	finalize(t, app, 1, tx.raw)
	commit(t, app)
	tests := []struct {
		path  string
		code  uint32
		value []byte
	}{
		{"/tx/" + tx.id, ledger.CodeOK, tx.raw},
		{"/tx/" + strings.Repeat("0", 64), ledger.CodeNotFound, nil},
		{"/tx/not-an-id", ledger.CodeNotFound, nil},
		{"/blocks/1", ledger.CodeBadQuery, nil},
		{"", ledger.CodeBadQuery, nil},
	}
	for _, tt := range tests {
		resp, err := app.Query(context.Background(), &abcitypes.RequestQuery{Path: tt.path})
		if err != nil {
			t.Fatalf("Query(%q): %v", tt.path, err)
		}
		if resp.Code != tt.code || !bytes.Equal(resp.Value, tt.value) || resp.Height != 1 {
			t.Errorf("Query(%q) = code %d height %d value %.20q (log %q), want code %d height 1", tt.path, resp.Code, resp.Height, resp.Value, resp.Log, tt.code)
		}
		if tt.code != ledger.CodeOK && resp.Log == "" {
			t.Errorf("Query(%q) failed without a Log", tt.path)
		}
	}
}

// TestOldStoreRefused: a store of ledger 0.1 has no outputs, so spends
// against it would be refused wrongly; New says how to rebuild it.
func TestOldStoreRefused(t *testing.T) {
	dir := t.TempDir()
	db, err := leveldb.OpenFile(filepath.Join(dir, "ledger.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Put([]byte("state"), append([]byte{1}, make([]byte, 8)...), nil); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.New(ledger.Config{Dir: dir}); err == nil || !strings.Contains(err.Error(), "CometBFT replays the chain") {
		t.Errorf("New on a 0.1 store: err = %v, want one explaining how to rebuild", err)
	}
}
