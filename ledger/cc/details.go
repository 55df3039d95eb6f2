package cc

import (
	"fmt"

	"github.com/cometstream/cometstream/ledger/base58"
)

// Details is an output condition's "details" object as the drivers write
// it: {"type": "ed25519-sha-256", "public_key": <base58>} or
// {"type": "threshold-sha-256", "threshold": m, "subconditions": [...]}.
type Details struct {
	Type          string
	PublicKey     string    // ed25519-sha-256 only
	Threshold     int       // threshold-sha-256 only
	Subconditions []Details // threshold-sha-256 only
}

// Condition computes the condition the details describe, whose URI the
// output must carry.
func (d *Details) Condition() (Condition, error) { return d.condition(0) }

func (d *Details) condition(depth int) (Condition, error) {
	switch d.Type {
	case TypeEd25519.Name():
		pub, err := DecodePublicKey(d.PublicKey)
		if err != nil {
			return Condition{}, err
		}
		return Ed25519Condition(pub), nil
	case TypeThreshold.Name():
		if depth >= MaxDepth {
			return Condition{}, fmt.Errorf("thresholds nested deeper than %d", MaxDepth)
		}
		subs := make([]Condition, len(d.Subconditions))
		for i := range d.Subconditions {
			c, err := d.Subconditions[i].condition(depth + 1)
			if err != nil {
				return Condition{}, fmt.Errorf("subconditions[%d]: %w", i, err)
			}
			subs[i] = c
		}
		return ThresholdCondition(d.Threshold, subs)
	default:
		return Condition{}, fmt.Errorf("unsupported condition type %q", d.Type)
	}
}

// PublicKeys lists the ed25519 keys in the details, depth first, each
// once: the owners an output's public_keys must name.
func (d *Details) PublicKeys() []string {
	var out []string
	seen := map[string]bool{}
	var walk func(*Details)
	walk = func(d *Details) {
		if d.Type == TypeEd25519.Name() && !seen[d.PublicKey] {
			seen[d.PublicKey] = true
			out = append(out, d.PublicKey)
		}
		for i := range d.Subconditions {
			walk(&d.Subconditions[i])
		}
	}
	walk(d)
	return out
}

// DecodePublicKey decodes a base58 ed25519 public key, accepting only its
// canonical spelling.
func DecodePublicKey(s string) ([32]byte, error) {
	var pub [32]byte
	b, err := base58.Decode(s)
	if err != nil {
		return pub, fmt.Errorf("public key %q: %w", s, err)
	}
	if len(b) != len(pub) {
		return pub, fmt.Errorf("public key %q decodes to %d bytes, want 32", s, len(b))
	}
	if base58.Encode(b) != s {
		return pub, fmt.Errorf("public key %q is not in canonical base58", s)
	}
	copy(pub[:], b)
	return pub, nil
}
