package txbuild

import (
	"github.com/cometstream/cometstream/ledger/cc"
)

// Output is a transaction output: an amount locked by a condition.
type Output struct {
	Amount string
	// Condition says who can spend the output.
	Condition cc.Details
	// PublicKeys defaults to the condition's keys (Details.PublicKeys);
	// set it only to build an output the ledger must refuse.
	PublicKeys []string
}

// To is an output to a single owner (ed25519-sha-256).
func To(amount string, owner KeyPair) Output {
	return Output{Amount: amount, Condition: ed25519Details(owner.PublicKey())}
}

// ToAll is an output any threshold of owners can spend together
// (threshold-sha-256 over ed25519-sha-256), as the drivers build it for
// several owners.
func ToAll(amount string, threshold int, owners ...KeyPair) Output {
	subs := make([]cc.Details, len(owners))
	for i, o := range owners {
		subs[i] = ed25519Details(o.PublicKey())
	}
	return Output{Amount: amount, Condition: cc.Details{Type: cc.TypeThreshold.Name(), Threshold: threshold, Subconditions: subs}}
}

func ed25519Details(pub string) cc.Details {
	return cc.Details{Type: cc.TypeEd25519.Name(), PublicKey: pub}
}

func (o Output) publicKeys() []string {
	if o.PublicKeys != nil {
		return o.PublicKeys
	}
	return o.Condition.PublicKeys()
}

// json is the output as a transaction holds it. The URI is left empty
// when the condition cannot be computed, so the ledger says why.
func (o Output) json() map[string]any {
	uri := ""
	if c, err := o.Condition.Condition(); err == nil {
		uri = c.URI()
	}
	return map[string]any{
		"amount":      o.Amount,
		"condition":   map[string]any{"details": detailsJSON(o.Condition), "uri": uri},
		"public_keys": anyStrings(o.publicKeys()),
	}
}

func detailsJSON(d cc.Details) map[string]any {
	if d.Type != cc.TypeThreshold.Name() {
		return map[string]any{"type": d.Type, "public_key": d.PublicKey}
	}
	subs := make([]any, len(d.Subconditions))
	for i, s := range d.Subconditions {
		subs[i] = detailsJSON(s)
	}
	return map[string]any{"type": d.Type, "threshold": d.Threshold, "subconditions": subs}
}

func anyStrings(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
