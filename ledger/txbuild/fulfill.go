package txbuild

import (
	"errors"
	"fmt"

	"github.com/cometstream/cometstream/ledger/cc"
)

// fulfill builds a fulfillment of d signed by signers over msg.
func fulfill(d cc.Details, signers []KeyPair, msg []byte) (cc.Fulfillment, error) {
	keys := map[string]KeyPair{}
	for _, k := range signers {
		keys[k.PublicKey()] = k
	}
	f, err := fulfillNode(d, keys, msg)
	if err != nil {
		return nil, err
	}
	if f == nil {
		return nil, errors.New("the signers cannot meet the condition")
	}
	return f, nil
}

// fulfillNode returns nil, nil when the keys cannot meet d.
func fulfillNode(d cc.Details, keys map[string]KeyPair, msg []byte) (cc.Fulfillment, error) {
	switch d.Type {
	case cc.TypeEd25519.Name():
		k, ok := keys[d.PublicKey]
		if !ok {
			return nil, nil
		}
		return &cc.Ed25519Sha256{PublicKey: k.publicKeyBytes(), Signature: k.sign(msg)}, nil
	case cc.TypeThreshold.Name():
		t := &cc.ThresholdSha256{}
		for i, sub := range d.Subconditions {
			var f cc.Fulfillment
			if len(t.Subfulfillments) < d.Threshold {
				var err error
				if f, err = fulfillNode(sub, keys, msg); err != nil {
					return nil, err
				}
			}
			if f != nil {
				t.Subfulfillments = append(t.Subfulfillments, f)
				continue
			}
			c, err := sub.Condition()
			if err != nil {
				return nil, fmt.Errorf("subconditions[%d]: %w", i, err)
			}
			t.Subconditions = append(t.Subconditions, c)
		}
		if len(t.Subfulfillments) < d.Threshold {
			return nil, nil
		}
		return t, nil
	default:
		return nil, fmt.Errorf("cannot fulfill condition type %q", d.Type)
	}
}
