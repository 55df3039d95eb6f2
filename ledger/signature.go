package ledger

import (
	"crypto/sha3"
	"errors"
	"fmt"
	"hash"
	"maps"
	"strconv"

	"github.com/cometstream/cometstream/ledger/canonical"
	"github.com/cometstream/cometstream/ledger/cc"
)

// verifyFulfillments decodes every input's fulfillment, checks its
// signatures against the input's signed message and records the
// condition it meets. In a CREATE that condition must be the one its
// owners_before describe (one key: ed25519; several: all of them), as
// Planetmint's drivers build it; a TRANSFER's is checked against the
// spent output later, with state.
func verifyFulfillments(obj map[string]any, tx *Transaction) error {
	unsigned, err := unsignedJSON(obj)
	if err != nil {
		return err
	}
	// The signed messages share the whole transaction as a prefix: hash
	// it once and clone the state per input, so that a transaction with
	// many inputs costs one pass over its bytes, not one per input.
	prefix := sha3.New256()
	prefix.Write(unsigned)
	for i := range tx.Inputs {
		in := &tx.Inputs[i]
		field := "inputs[" + strconv.Itoa(i) + "].fulfillment"
		f, err := cc.ParseURI(in.Fulfillment)
		if err != nil {
			return reject(CodeBadFulfillment, field+": "+err.Error())
		}
		msg, err := signedMessage(prefix, in.Fulfills)
		if err != nil {
			return err
		}
		if err := f.Validate(msg); err != nil {
			if errors.Is(err, cc.ErrSignature) {
				return reject(CodeBadSignature, fmt.Sprintf("%s: %v (the transaction was changed after signing, or signed by another key)", field, err))
			}
			return reject(CodeBadFulfillment, field+": "+err.Error())
		}
		c, err := f.Condition()
		if err != nil {
			return reject(CodeBadFulfillment, field+": "+err.Error())
		}
		in.ConditionURI = c.URI()
		if tx.Operation == "CREATE" {
			if err := checkIssuers(in, field); err != nil {
				return err
			}
		}
	}
	return nil
}

// unsignedJSON is the canonical JSON every input signs: the transaction
// with id null and every input's fulfillment null.
func unsignedJSON(obj map[string]any) ([]byte, error) {
	u := maps.Clone(obj)
	u["id"] = nil
	inputs := obj["inputs"].([]any) // checked by parseInputs
	cleared := make([]any, len(inputs))
	for i, e := range inputs {
		in := maps.Clone(e.(map[string]any))
		in["fulfillment"] = nil
		cleared[i] = in
	}
	u["inputs"] = cleared
	b, err := canonical.Marshal(u)
	if err != nil {
		return nil, reject(CodeBadJSON, "transaction cannot be serialised: "+err.Error())
	}
	return b, nil
}

// signedMessage finishes the SHA3-256 of an input's message: the shared
// prefix followed, for an input that spends, by the spent transaction's
// id and the output index in decimal.
func signedMessage(prefix *sha3.SHA3, spent *OutputRef) ([]byte, error) {
	if spent == nil {
		return prefix.Sum(nil), nil
	}
	c, err := prefix.Clone()
	if err != nil {
		return nil, fmt.Errorf("clone hash: %w", err)
	}
	h := c.(hash.Hash)
	h.Write([]byte(spent.TransactionID + strconv.FormatInt(spent.OutputIndex, 10)))
	return h.Sum(nil), nil
}

// checkIssuers compares a CREATE input's condition with the one its
// owners_before stand for.
func checkIssuers(in *Input, field string) error {
	d := cc.Details{Type: cc.TypeEd25519.Name(), PublicKey: in.OwnersBefore[0]}
	if len(in.OwnersBefore) > 1 {
		d = cc.Details{Type: cc.TypeThreshold.Name(), Threshold: len(in.OwnersBefore)}
		for _, k := range in.OwnersBefore {
			d.Subconditions = append(d.Subconditions, cc.Details{Type: cc.TypeEd25519.Name(), PublicKey: k})
		}
	}
	c, err := d.Condition()
	if err != nil {
		return reject(CodeBadSchema, field+": owners_before: "+err.Error())
	}
	if want := c.URI(); in.ConditionURI != want {
		return reject(CodeConditionMismatch, fmt.Sprintf("%s is not signed by the issuers in owners_before: it meets %s, owners_before stands for %s", field, in.ConditionURI, want))
	}
	return nil
}
