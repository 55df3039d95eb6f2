package ledger_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cometstream/cometstream/ledger"
	"github.com/cometstream/cometstream/ledger/txbuild"
)

// chain drives an App block by block with transactions built in the test.
type chain struct {
	t      *testing.T
	app    *ledger.App
	height int64
}

func newChain(t *testing.T) *chain {
	return &chain{t: t, app: openApp(t, t.TempDir())}
}

// block finalizes and commits one block and returns its result codes.
func (c *chain) block(txs ...*txbuild.Signed) []uint32 {
	c.t.Helper()
	raws := make([][]byte, len(txs))
	for i, tx := range txs {
		raws[i] = tx.Raw
	}
	c.height++
	resp := finalize(c.t, c.app, c.height, raws...)
	commit(c.t, c.app)
	return codes(resp)
}

// accept commits txs, each in its own block, and fails unless every one
// passes CheckTx and FinalizeBlock.
func (c *chain) accept(txs ...*txbuild.Signed) {
	c.t.Helper()
	for _, tx := range txs {
		if r := checkTx(c.t, c.app, tx.Raw); r.Code != ledger.CodeOK {
			c.t.Fatalf("CheckTx(%s) = %d %q, want OK", tx.ID[:8], r.Code, r.Log)
		}
		if got := c.block(tx); got[0] != ledger.CodeOK {
			c.t.Fatalf("FinalizeBlock(%s) = %d, want OK", tx.ID[:8], got[0])
		}
	}
}

// refuse checks that CheckTx and FinalizeBlock both refuse tx with code
// and a log containing log, and that the block stores nothing of it.
func (c *chain) refuse(tx *txbuild.Signed, code uint32, log string) {
	c.t.Helper()
	_, before, _ := c.app.Transaction(tx.ID)
	// log is looked for in the message and the detail: the ABCI Log is
	// the message alone (Planetmint's wording where it has one).
	var rej *ledger.RejectError
	if err := c.app.Validate(tx.Raw); !errors.As(err, &rej) || rej.Code != code || !strings.Contains(rej.Msg+" "+rej.Detail, log) {
		c.t.Errorf("Validate = %v (%+v), want code %d mentioning %q", err, rej, code, log)
		return
	}
	if r := checkTx(c.t, c.app, tx.Raw); r.Code != code || r.Log != rej.Msg {
		c.t.Errorf("CheckTx = %d %q, want %d %q", r.Code, r.Log, code, rej.Msg)
	}
	c.height++
	resp := finalize(c.t, c.app, c.height, tx.Raw)
	if r := resp.TxResults[0]; r.Code != code || r.Log != rej.Msg {
		c.t.Errorf("FinalizeBlock = %d %q, want %d %q", r.Code, r.Log, code, rej.Msg)
	}
	commit(c.t, c.app)
	if ids, _, _ := c.app.BlockTxIDs(c.height); len(ids) != 0 {
		c.t.Errorf("block of a refused transaction lists %v", ids)
	}
	if _, found, _ := c.app.Transaction(tx.ID); found != before {
		c.t.Errorf("refused transaction %s was stored", tx.ID)
	}
}

func (c *chain) outputs(owner txbuild.KeyPair, spent *bool) []ledger.OutputRef {
	c.t.Helper()
	refs, err := c.app.Outputs(owner.PublicKey(), spent)
	if err != nil {
		c.t.Fatalf("Outputs: %v", err)
	}
	return refs
}

var (
	yes = func() *bool { b := true; return &b }()
	no  = func() *bool { b := false; return &b }()
)

func TestBuiltTransactionsAccepted(t *testing.T) {
	for _, version := range []string{"2.0", "3.0"} {
		t.Run(version, func(t *testing.T) {
			alice, bob, carol, dave := txbuild.NewKeyPair(), txbuild.NewKeyPair(), txbuild.NewKeyPair(), txbuild.NewKeyPair()
			data, meta := any(map[string]any{"name": "Grüße ✓ 日本", "n": 3}), any(map[string]any{"note": "créé € 🚀"})
			if version == "3.0" {
				data, meta = "QmQP5C3PmhH9oB84n7YqSY4WVqmYatdoo1BdwhH4zmcwqM", "QmZs4UHLHCUGLQr6rzbtJTjT8Sf5pw6FNuaRZ5pzguk5FV"
			}
			c := newChain(t)
			create := txbuild.Create(version, alice, data, meta,
				txbuild.To("10", alice), txbuild.To("5", alice)).MustSign()
			// Several recipients, one of them a 2-of-3 threshold.
			split := txbuild.Transfer(version, create.ID, meta, []txbuild.Input{create.Spend(0, alice), create.Spend(1, alice)},
				txbuild.To("6", bob), txbuild.To("4", carol), txbuild.ToAll("5", 2, bob, carol, dave)).MustSign()
			// Spends the threshold output with two of its three keys, and
			// merges it with carol's output.
			merge := txbuild.Transfer(version, create.ID, nil, []txbuild.Input{split.Spend(2, dave, bob), split.Spend(1, carol)},
				txbuild.To("9", alice)).MustSign()
			c.accept(create, split, merge)

			if diff := cmp.Diff([]ledger.OutputRef{{TransactionID: split.ID, OutputIndex: 0}, {TransactionID: split.ID, OutputIndex: 2}}, c.outputs(bob, nil)); diff != "" {
				t.Errorf("bob's outputs (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]ledger.OutputRef{{TransactionID: split.ID, OutputIndex: 0}}, c.outputs(bob, no)); diff != "" {
				t.Errorf("bob's unspent outputs (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]ledger.OutputRef{{TransactionID: split.ID, OutputIndex: 2}}, c.outputs(dave, yes)); diff != "" {
				t.Errorf("dave's spent outputs (-want +got):\n%s", diff)
			}
			wantAlice := []ledger.OutputRef{{TransactionID: create.ID, OutputIndex: 0}, {TransactionID: create.ID, OutputIndex: 1}, {TransactionID: merge.ID, OutputIndex: 0}}
			if diff := cmp.Diff(wantAlice, c.outputs(alice, nil)); diff != "" {
				t.Errorf("alice's outputs (-want +got):\n%s", diff)
			}
			if got := c.outputs(txbuild.NewKeyPair(), nil); got == nil || len(got) != 0 {
				t.Errorf("outputs of a stranger = %#v, want an empty list", got)
			}
			raw, _, _ := c.app.Transaction(create.ID)
			if string(raw) != string(create.Raw) {
				t.Errorf("stored CREATE differs from the submitted bytes")
			}
			tx, err := ledger.ParseTransaction(merge.Raw)
			if err != nil || tx.AssetIDs[0] != create.ID {
				t.Errorf("merge asset ids = %v, %v; want [%s]", tx.AssetIDs, err, create.ID)
			}
		})
	}
}

func TestCreateWithoutAsset(t *testing.T) {
	alice := txbuild.NewKeyPair()
	c := newChain(t)
	tx := txbuild.Create("3.0", alice, nil, nil, txbuild.To("1", alice))
	tx.Asset = nil // assets: null is allowed in a version 3.0 CREATE
	signed := tx.MustSign()
	c.accept(signed)
	parsed, err := ledger.ParseTransaction(signed.Raw)
	if err != nil || parsed.AssetIDs[0] != signed.ID {
		t.Errorf("asset ids = %v, %v; want the tx's own id", parsed.AssetIDs, err)
	}
	v2 := txbuild.Create("2.0", alice, nil, nil, txbuild.To("1", alice)).MustSign()
	c.accept(v2) // asset {"data": null}
}

// TestStatefulRejections covers every rule that needs the ledger's state.
// Each case builds on a chain where alice created 10 of an asset and gave
// 4 to bob, keeping 6.
func TestStatefulRejections(t *testing.T) {
	alice, bob, carol := txbuild.NewKeyPair(), txbuild.NewKeyPair(), txbuild.NewKeyPair()
	type fixture struct{ create, give, other *txbuild.Signed }
	tests := []struct {
		name string
		tx   func(f fixture) *txbuild.Signed
		code uint32
		log  string
	}{
		{"replay of a committed CREATE", func(f fixture) *txbuild.Signed { return f.create }, ledger.CodeDuplicate, "transaction `"},
		{"replay of a committed TRANSFER", func(f fixture) *txbuild.Signed { return f.give }, ledger.CodeDuplicate, "input `"},
		{"spent output spent again", func(f fixture) *txbuild.Signed {
			return txbuild.Transfer("2.0", f.create.ID, map[string]any{"again": true}, []txbuild.Input{f.create.Spend(0, alice)}, txbuild.To("10", carol)).MustSign()
		}, ledger.CodeDoubleSpend, "already spent by transaction"},
		{"one output spent by two inputs", func(f fixture) *txbuild.Signed {
			return txbuild.Transfer("2.0", f.create.ID, nil, []txbuild.Input{f.give.Spend(0, bob), f.give.Spend(0, bob)}, txbuild.To("8", carol)).MustSign()
		}, ledger.CodeDoubleSpend, "as inputs[0] already does"},
		{"unknown transaction", func(f fixture) *txbuild.Signed {
			missing := *f.give
			missing.ID = strings.Repeat("ab", 32)
			return txbuild.Transfer("2.0", f.create.ID, nil, []txbuild.Input{missing.Spend(0, bob)}, txbuild.To("4", carol)).MustSign()
		}, ledger.CodeInputNotFound, "which does not exist"},
		{"unknown output index", func(f fixture) *txbuild.Signed {
			in := f.give.Spend(0, bob)
			in.Fulfills.OutputIndex = 7
			return txbuild.Transfer("2.0", f.create.ID, nil, []txbuild.Input{in}, txbuild.To("4", carol)).MustSign()
		}, ledger.CodeInputNotFound, "which has no such output"},
		{"wrong asset id", func(f fixture) *txbuild.Signed {
			return txbuild.Transfer("2.0", f.other.ID, nil, []txbuild.Input{f.give.Spend(0, bob)}, txbuild.To("4", carol)).MustSign()
		}, ledger.CodeAssetMismatch, "but the transaction transfers asset"},
		{"inputs of two assets", func(f fixture) *txbuild.Signed {
			return txbuild.Transfer("2.0", f.create.ID, nil, []txbuild.Input{f.give.Spend(0, bob), f.other.Spend(0, bob)}, txbuild.To("5", carol)).MustSign()
		}, ledger.CodeAssetMismatch, "inputs[1] spends output 0"},
		{"outputs less than inputs", func(f fixture) *txbuild.Signed {
			return txbuild.Transfer("2.0", f.create.ID, nil, []txbuild.Input{f.give.Spend(0, bob)}, txbuild.To("3", carol)).MustSign()
		}, ledger.CodeAmountMismatch, "the outputs add up to 3 but the inputs spend 4"},
		{"outputs more than inputs", func(f fixture) *txbuild.Signed {
			return txbuild.Transfer("2.0", f.create.ID, nil, []txbuild.Input{f.give.Spend(0, bob)}, txbuild.To("4", carol), txbuild.To("1", bob)).MustSign()
		}, ledger.CodeAmountMismatch, "add up to 5 but the inputs spend 4"},
		{"signed by a key that does not own the output", func(f fixture) *txbuild.Signed {
			in := f.give.Spend(0, carol)
			in.Condition = txbuild.To("4", carol).Condition
			return txbuild.Transfer("2.0", f.create.ID, nil, []txbuild.Input{in}, txbuild.To("4", carol)).MustSign()
		}, ledger.CodeConditionMismatch, "but the spent output's condition is"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newChain(t)
			create := txbuild.Create("2.0", alice, map[string]any{"kind": "main"}, nil, txbuild.To("10", alice)).MustSign()
			give := txbuild.Transfer("2.0", create.ID, nil, []txbuild.Input{create.Spend(0, alice)}, txbuild.To("4", bob), txbuild.To("6", alice)).MustSign()
			other := txbuild.Create("2.0", bob, map[string]any{"kind": "other"}, nil, txbuild.To("1", bob)).MustSign()
			c.accept(create, give, other)
			c.refuse(tt.tx(fixture{create, give, other}), tt.code, tt.log)
		})
	}
}

func TestThresholdRules(t *testing.T) {
	alice, bob, carol, dave := txbuild.NewKeyPair(), txbuild.NewKeyPair(), txbuild.NewKeyPair(), txbuild.NewKeyPair()
	c := newChain(t)
	create := txbuild.Create("3.0", alice, nil, nil, txbuild.ToAll("3", 2, bob, carol, dave)).MustSign()
	c.accept(create)

	// One signature where two are needed: the fulfillment meets a 1-of-3
	// condition, not the output's 2-of-3.
	one := create.Spend(0, bob)
	one.Condition = txbuild.ToAll("3", 1, bob, carol, dave).Condition
	c.refuse(txbuild.Transfer("3.0", create.ID, nil, []txbuild.Input{one}, txbuild.To("3", alice)).MustSign(),
		ledger.CodeConditionMismatch, "fpt=threshold-sha-256")

	// A key outside the group cannot stand in for a member.
	outsider := create.Spend(0, bob, alice)
	outsider.Condition = txbuild.ToAll("3", 2, bob, alice, dave).Condition
	c.refuse(txbuild.Transfer("3.0", create.ID, nil, []txbuild.Input{outsider}, txbuild.To("3", alice)).MustSign(),
		ledger.CodeConditionMismatch, "but the spent output's condition is")

	c.accept(txbuild.Transfer("3.0", create.ID, nil, []txbuild.Input{create.Spend(0, carol, dave)}, txbuild.To("3", alice)).MustSign())
}

// TestConflictsInOneBlock: of two transactions of one block that conflict,
// the first wins and the second gets a non-zero code.
func TestConflictsInOneBlock(t *testing.T) {
	alice, bob, carol := txbuild.NewKeyPair(), txbuild.NewKeyPair(), txbuild.NewKeyPair()
	c := newChain(t)
	create := txbuild.Create("2.0", alice, map[string]any{"x": 1}, nil, txbuild.To("2", alice)).MustSign()
	toBob := txbuild.Transfer("2.0", create.ID, nil, []txbuild.Input{create.Spend(0, alice)}, txbuild.To("2", bob)).MustSign()
	toCarol := txbuild.Transfer("2.0", create.ID, nil, []txbuild.Input{create.Spend(0, alice)}, txbuild.To("2", carol)).MustSign()
	onward := txbuild.Transfer("2.0", create.ID, nil, []txbuild.Input{toBob.Spend(0, bob)}, txbuild.To("2", carol)).MustSign()

	// Both pass CheckTx: they conflict only with each other.
	c.accept(create)
	for _, tx := range []*txbuild.Signed{toBob, toCarol} {
		if r := checkTx(t, c.app, tx.Raw); r.Code != ledger.CodeOK {
			t.Fatalf("CheckTx = %d %q", r.Code, r.Log)
		}
	}
	c.height++
	resp := finalize(t, c.app, c.height, toBob.Raw, toCarol.Raw, toBob.Raw, onward.Raw)
	// toBob's second copy keeps CodeDuplicate, with Planetmint's message
	// (it spends what the first spent).
	want := []uint32{ledger.CodeOK, ledger.CodeDoubleSpend, ledger.CodeDuplicate, ledger.CodeOK}
	if diff := cmp.Diff(want, codes(resp)); diff != "" {
		t.Fatalf("codes (-want +got):\n%s", diff)
	}
	// Planetmint's messages, word for word.
	if log, want := resp.TxResults[1].Log, "input `"+create.ID+"` was already spent"; log != want {
		t.Errorf("double spend log = %q, want %q", log, want)
	}
	// Info says which transaction won.
	if info := resp.TxResults[1].Info; !strings.Contains(info, "already spent by transaction "+toBob.ID+" (earlier in this block)") {
		t.Errorf("double spend info = %q", info)
	}
	if info := resp.TxResults[2].Info; info != "transaction "+toBob.ID+" already appears earlier in this block" {
		t.Errorf("second copy's info = %q", info)
	}
	if log, want := resp.TxResults[2].Log, "input `"+create.ID+"` was already spent"; log != want {
		t.Errorf("second copy's log = %q, want %q", log, want)
	}
	commit(t, c.app)
	ids, _, _ := c.app.BlockTxIDs(c.height)
	if diff := cmp.Diff([]string{toBob.ID, onward.ID}, ids); diff != "" {
		t.Errorf("block ids (-want +got):\n%s", diff)
	}
	if r := checkTx(t, c.app, toCarol.Raw); r.Code != ledger.CodeDoubleSpend {
		t.Errorf("CheckTx of the loser after commit = %d %q, want CodeDoubleSpend", r.Code, r.Log)
	}
}
