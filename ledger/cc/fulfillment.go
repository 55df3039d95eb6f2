package cc

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
)

// MaxFulfillmentSize bounds the DER encoding of a fulfillment. A 100-of-100
// threshold of ed25519 fulfillments is about 10 KiB.
const MaxFulfillmentSize = 64 << 10

// MaxDepth bounds the nesting of thresholds within thresholds.
const MaxDepth = 8

// Fulfillment unlocks a condition: Validate checks it against a message,
// Condition derives the condition it meets.
type Fulfillment interface {
	// Condition returns the condition this fulfillment meets.
	Condition() (Condition, error)
	// Validate checks every signature in the fulfillment against msg.
	Validate(msg []byte) error
	// Binary returns the DER encoding.
	Binary() []byte
}

// ErrSignature is returned (wrapped) by Validate when a signature does
// not verify.
var ErrSignature = errors.New("signature does not verify")

// Ed25519Sha256 is an ed25519-sha-256 fulfillment: a public key and its
// signature of the message.
type Ed25519Sha256 struct {
	PublicKey [32]byte
	Signature [64]byte
}

// Condition implements Fulfillment.
func (f *Ed25519Sha256) Condition() (Condition, error) { return Ed25519Condition(f.PublicKey), nil }

// Validate implements Fulfillment.
func (f *Ed25519Sha256) Validate(msg []byte) error {
	if !ed25519.Verify(f.PublicKey[:], msg, f.Signature[:]) {
		return ErrSignature
	}
	return nil
}

// Binary implements Fulfillment: A4 64 80 20 <public key> 81 40 <signature>.
func (f *Ed25519Sha256) Binary() []byte {
	content := appendTLV(nil, tagField0, f.PublicKey[:])
	content = appendTLV(content, tagField1, f.Signature[:])
	return appendTLV(nil, tagSet0|byte(TypeEd25519), content)
}

// ThresholdSha256 is a threshold-sha-256 fulfillment. As in the
// crypto-conditions encoding, the threshold is the number of
// subfulfillments; Subconditions are the unfulfilled rest of the n.
type ThresholdSha256 struct {
	Subfulfillments []Fulfillment
	Subconditions   []Condition
}

// Condition implements Fulfillment.
func (f *ThresholdSha256) Condition() (Condition, error) {
	subs := make([]Condition, 0, len(f.Subfulfillments)+len(f.Subconditions))
	for _, sf := range f.Subfulfillments {
		c, err := sf.Condition()
		if err != nil {
			return Condition{}, err
		}
		subs = append(subs, c)
	}
	subs = append(subs, f.Subconditions...)
	return ThresholdCondition(len(f.Subfulfillments), subs)
}

// Validate implements Fulfillment: every subfulfillment must validate.
func (f *ThresholdSha256) Validate(msg []byte) error {
	if len(f.Subfulfillments) == 0 {
		return errors.New("threshold fulfillment without subfulfillments")
	}
	for i, sf := range f.Subfulfillments {
		if err := sf.Validate(msg); err != nil {
			return fmt.Errorf("subfulfillment %d: %w", i, err)
		}
	}
	return nil
}

// Binary implements Fulfillment. Subfulfillments and subconditions are
// each sorted by their encoding, as crypto-conditions 2.2.1 writes them.
func (f *ThresholdSha256) Binary() []byte {
	fs := make([][]byte, len(f.Subfulfillments))
	for i, sf := range f.Subfulfillments {
		fs[i] = sf.Binary()
	}
	cs := make([][]byte, len(f.Subconditions))
	for i, c := range f.Subconditions {
		cs[i] = c.Binary()
	}
	slices.SortFunc(fs, bytes.Compare)
	slices.SortFunc(cs, bytes.Compare)
	content := appendTLV(nil, tagSet0, bytes.Join(fs, nil))
	content = appendTLV(content, tagSet1, bytes.Join(cs, nil))
	return appendTLV(nil, tagSet0|byte(TypeThreshold), content)
}

// URI returns the text form of f that inputs carry: base64url without
// padding of its DER encoding.
func URI(f Fulfillment) string { return base64.RawURLEncoding.EncodeToString(f.Binary()) }

// ParseURI decodes an input's fulfillment string.
func ParseURI(s string) (Fulfillment, error) {
	if len(s) > base64.RawURLEncoding.EncodedLen(MaxFulfillmentSize) {
		return nil, fmt.Errorf("fulfillment longer than %d bytes", MaxFulfillmentSize)
	}
	// Strict: non-zero padding bits would give a second spelling of the
	// same fulfillment, and so a second id for the same transaction.
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("fulfillment is not base64url without padding: %w", err)
	}
	return Decode(b)
}

// Decode reads a DER fulfillment; all of b must be one fulfillment.
func Decode(b []byte) (Fulfillment, error) {
	if len(b) > MaxFulfillmentSize {
		return nil, fmt.Errorf("fulfillment longer than %d bytes", MaxFulfillmentSize)
	}
	f, rest, err := decodeFulfillment(b, 0)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, errors.New("unexpected data after the fulfillment")
	}
	return f, nil
}

func decodeFulfillment(b []byte, depth int) (Fulfillment, []byte, error) {
	tag, content, rest, err := readTLV(b)
	if err != nil {
		return nil, nil, fmt.Errorf("fulfillment: %w", err)
	}
	switch tag {
	case tagSet0 | byte(TypeEd25519):
		f, err := decodeEd25519(content)
		return f, rest, err
	case tagSet0 | byte(TypeThreshold):
		if depth >= MaxDepth {
			return nil, nil, fmt.Errorf("thresholds nested deeper than %d", MaxDepth)
		}
		f, err := decodeThreshold(content, depth)
		return f, rest, err
	}
	if tag&0xE0 == tagSet0 && tag&0x1F <= byte(TypeRSA) {
		return nil, nil, fmt.Errorf("unsupported fulfillment type %s", Type(tag&0x1F).Name())
	}
	return nil, nil, fmt.Errorf("not a fulfillment (tag 0x%02X)", tag)
}

func decodeEd25519(content []byte) (*Ed25519Sha256, error) {
	pub, content, err := readField(content, tagField0, "ed25519 public key")
	if err != nil {
		return nil, err
	}
	sig, content, err := readField(content, tagField1, "ed25519 signature")
	if err != nil {
		return nil, err
	}
	if len(pub) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize || len(content) != 0 {
		return nil, fmt.Errorf("ed25519 fulfillment: public key of %d bytes and signature of %d, want 32 and 64 and nothing after", len(pub), len(sig))
	}
	f := new(Ed25519Sha256)
	copy(f.PublicKey[:], pub)
	copy(f.Signature[:], sig)
	return f, nil
}

func decodeThreshold(content []byte, depth int) (*ThresholdSha256, error) {
	fs, content, err := readField(content, tagSet0, "threshold subfulfillments")
	if err != nil {
		return nil, err
	}
	cs, content, err := readField(content, tagSet1, "threshold subconditions")
	if err != nil {
		return nil, err
	}
	if len(content) != 0 {
		return nil, errors.New("threshold fulfillment: unexpected data after its fields")
	}
	f := new(ThresholdSha256)
	for len(fs) > 0 {
		var sf Fulfillment
		if sf, fs, err = decodeFulfillment(fs, depth+1); err != nil {
			return nil, err
		}
		f.Subfulfillments = append(f.Subfulfillments, sf)
		if len(f.Subfulfillments) > MaxThreshold {
			return nil, fmt.Errorf("threshold fulfillment with more than %d subfulfillments", MaxThreshold)
		}
	}
	for len(cs) > 0 {
		var c Condition
		if c, cs, err = decodeCondition(cs); err != nil {
			return nil, err
		}
		f.Subconditions = append(f.Subconditions, c)
		if len(f.Subconditions) > MaxSubconditions {
			return nil, fmt.Errorf("threshold fulfillment with more than %d subconditions", MaxSubconditions)
		}
	}
	if len(f.Subfulfillments) == 0 {
		return nil, errors.New("threshold fulfillment without subfulfillments (threshold 0)")
	}
	return f, nil
}
