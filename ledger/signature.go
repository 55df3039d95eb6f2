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
// condition it meets. As in Planetmint, that is all a CREATE's input must
// do: it spends nothing, so any fulfillment whose signatures verify will
// do (one key, a 2-of-3 threshold, a weighted threshold), whatever its
// owners_before list. A TRANSFER's condition is checked against the spent
// output later, with state.
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
			return rejectAs(CodeBadFulfillment, exceptionInvalidSig, msgFulfillmentURI, field+": "+err.Error())
		}
		msg, err := signedMessage(prefix, in.Fulfills)
		if err != nil {
			return err
		}
		if err := f.Validate(msg); err != nil {
			// Planetmint's validate answers false for both, hence one
			// message; the code tells them apart.
			if errors.Is(err, cc.ErrSignature) {
				return rejectAs(CodeBadSignature, exceptionInvalidSig, msgSignatureInvalid, fmt.Sprintf("%s: %v (the transaction was changed after signing, or signed by another key)", field, err))
			}
			return rejectAs(CodeBadFulfillment, exceptionInvalidSig, msgSignatureInvalid, field+": "+err.Error())
		}
		c, err := f.Condition()
		if err != nil {
			return rejectAs(CodeBadFulfillment, exceptionInvalidSig, msgSignatureInvalid, field+": "+err.Error())
		}
		in.ConditionURI = c.URI()
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
