package ledger_test

import (
	"testing"

	"github.com/cometstream/cometstream/ledger"
	"github.com/cometstream/cometstream/ledger/cc"
	"github.com/cometstream/cometstream/ledger/txbuild"
)

// TestCreateInputs: a CREATE's input is valid when its fulfillment's
// signatures verify against the message, as in Planetmint, whatever
// condition it meets: threshold fulfillments with the individual keys in
// owners_before are accepted; a bad or missing signature is not.
func TestCreateInputs(t *testing.T) {
	alice, bob, carol := txbuild.NewKeyPair(), txbuild.NewKeyPair(), txbuild.NewKeyPair()
	ed := func(k txbuild.KeyPair) cc.Details {
		return cc.Details{Type: cc.TypeEd25519.Name(), PublicKey: k.PublicKey()}
	}
	threshold := func(m int, subs ...cc.Details) cc.Details {
		return cc.Details{Type: cc.TypeThreshold.Name(), Threshold: m, Subconditions: subs}
	}
	keys := func(ks ...txbuild.KeyPair) []string {
		out := make([]string, len(ks))
		for i, k := range ks {
			out[i] = k.PublicKey()
		}
		return out
	}
	tests := []struct {
		name    string
		version string
		cond    cc.Details
		owners  []string
		signers []txbuild.KeyPair
		edit    func(tx map[string]any) // after signing, id recomputed
		code    uint32
		log     string
	}{
		{name: "2-of-3 signed by two", version: "3.0", cond: threshold(2, ed(alice), ed(bob), ed(carol)),
			owners: keys(alice, bob, carol), signers: []txbuild.KeyPair{alice, carol}},
		{name: "2-of-3, version 2.0", version: "2.0", cond: threshold(2, ed(alice), ed(bob), ed(carol)),
			owners: keys(alice, bob, carol), signers: []txbuild.KeyPair{bob, carol}},
		{name: "weighted: 1 of [alice, 2-of-2] signed by the pair", version: "3.0",
			cond:   threshold(1, ed(alice), threshold(2, ed(bob), ed(carol))),
			owners: keys(alice, bob, carol), signers: []txbuild.KeyPair{bob, carol}},
		{name: "weighted: 1 of [alice, 2-of-2] signed by alice", version: "3.0",
			cond:   threshold(1, ed(alice), threshold(2, ed(bob), ed(carol))),
			owners: keys(alice, bob, carol), signers: []txbuild.KeyPair{alice}},
		{name: "one key other than owners_before", version: "2.0", cond: ed(bob),
			owners: keys(alice), signers: []txbuild.KeyPair{bob}},
		{name: "2-of-3 with a changed signature", version: "3.0", cond: threshold(2, ed(alice), ed(bob), ed(carol)),
			owners: keys(alice, bob, carol), signers: []txbuild.KeyPair{alice, bob},
			edit: func(tx map[string]any) {
				tx["metadata"] = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
			},
			code: ledger.CodeBadSignature, log: "Transaction signature is invalid."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tx := txbuild.Create(tt.version, alice, nil, nil, txbuild.To("1", alice))
			tx.Inputs[0].Condition, tx.Inputs[0].OwnersBefore, tx.Inputs[0].Signers = tt.cond, tt.owners, tt.signers
			signed := tx.MustSign()
			c := newChain(t)
			if tt.edit == nil {
				c.accept(signed)
				return
			}
			raw := mint(t, signed.Raw, tt.edit)
			id, err := ledger.TxID(raw)
			if err != nil {
				t.Fatal(err)
			}
			c.refuse(&txbuild.Signed{ID: id, Raw: raw}, tt.code, tt.log)
		})
	}
}
