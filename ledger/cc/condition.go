package cc

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"
)

// Type is a crypto-condition type id.
type Type uint8

// The registered condition types. Only Ed25519 and Threshold can be
// fulfilled on this ledger; the others are named so that URIs and errors
// read right.
const (
	TypePreimage  Type = 0
	TypePrefix    Type = 1
	TypeThreshold Type = 2
	TypeRSA       Type = 3
	TypeEd25519   Type = 4
)

var typeNames = [...]string{"preimage-sha-256", "prefix-sha-256", "threshold-sha-256", "rsa-sha-256", "ed25519-sha-256"}

// Name is the type's name as URIs and condition details write it.
func (t Type) Name() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "type-" + strconv.Itoa(int(t))
}

// compound types carry the set of their subconditions' types.
func (t Type) compound() bool { return t == TypePrefix || t == TypeThreshold }

// Ed25519Cost is the fixed cost of an ed25519-sha-256 condition.
const Ed25519Cost = 131072

// MaxThreshold bounds m in an m-of-n threshold, as the transaction schema
// does (1..100).
const MaxThreshold = 100

// MaxSubconditions bounds n in an m-of-n threshold. The schema sets no
// limit; this one keeps a single fulfillment's work bounded.
const MaxSubconditions = 256

// Condition is a crypto-condition: a type, the SHA-256 fingerprint of the
// type's fingerprint contents, the maximum cost of a fulfillment and, for
// compound types, the set of types below it.
type Condition struct {
	Type        Type
	Fingerprint [32]byte
	Cost        uint64
	// Subtypes is a bit set indexed by Type: the types of every
	// condition below this one, this one's own type excluded. Zero for
	// simple types.
	Subtypes uint32
}

// Ed25519Condition is the condition an ed25519 public key locks an output
// with: its fingerprint is SHA-256 of DER SEQUENCE { [0] publicKey }.
func Ed25519Condition(pub [32]byte) Condition {
	contents := appendTLV(nil, 0x30, appendTLV(nil, tagField0, pub[:]))
	return Condition{Type: TypeEd25519, Fingerprint: sha256.Sum256(contents), Cost: Ed25519Cost}
}

// ThresholdCondition is the condition met by any threshold of subs. Its
// fingerprint hashes DER SEQUENCE { [0] threshold, [1] SET OF condition }
// with the subconditions sorted by their encoding; its cost is the sum of
// the threshold largest subcondition costs plus 1024 per subcondition.
func ThresholdCondition(threshold int, subs []Condition) (Condition, error) {
	switch {
	case threshold < 1 || threshold > MaxThreshold:
		return Condition{}, fmt.Errorf("threshold %d out of range 1..%d", threshold, MaxThreshold)
	case len(subs) > MaxSubconditions:
		return Condition{}, fmt.Errorf("%d subconditions, more than %d", len(subs), MaxSubconditions)
	case len(subs) < threshold:
		return Condition{}, fmt.Errorf("threshold %d needs at least as many subconditions, have %d", threshold, len(subs))
	}
	encoded := make([][]byte, len(subs))
	costs := make([]uint64, len(subs))
	var subtypes uint32
	for i, s := range subs {
		encoded[i] = s.Binary()
		costs[i] = s.Cost
		subtypes |= 1<<s.Type | s.Subtypes
	}
	slices.SortFunc(encoded, bytes.Compare)
	var set []byte
	for _, e := range encoded {
		set = append(set, e...)
	}
	contents := appendTLV(nil, tagField0, appendUint(nil, uint64(threshold)))
	contents = appendTLV(contents, tagSet1, set)
	contents = appendTLV(nil, 0x30, contents)

	slices.Sort(costs)
	cost := uint64(1024) * uint64(len(subs))
	for _, c := range costs[len(costs)-threshold:] {
		var carry uint64
		if cost, carry = bits.Add64(cost, c, 0); carry != 0 {
			return Condition{}, errors.New("threshold cost overflows")
		}
	}
	return Condition{
		Type:        TypeThreshold,
		Fingerprint: sha256.Sum256(contents),
		Cost:        cost,
		Subtypes:    subtypes &^ (1 << TypeThreshold),
	}, nil
}

// URI is the condition's text form, as outputs carry it:
//
//	ni:///sha-256;<base64url fingerprint>?fpt=<type>&cost=<cost>[&subtypes=<sorted types>]
func (c Condition) URI() string {
	var b strings.Builder
	b.WriteString("ni:///sha-256;")
	b.WriteString(base64.RawURLEncoding.EncodeToString(c.Fingerprint[:]))
	b.WriteString("?fpt=")
	b.WriteString(c.Type.Name())
	b.WriteString("&cost=")
	b.WriteString(strconv.FormatUint(c.Cost, 10))
	if c.Type.compound() {
		var names []string
		for t := Type(0); t < 32; t++ {
			if c.Subtypes&(1<<t) != 0 {
				names = append(names, t.Name())
			}
		}
		slices.Sort(names)
		b.WriteString("&subtypes=")
		b.WriteString(strings.Join(names, ","))
	}
	return b.String()
}

// Binary is the condition's DER encoding, the form threshold fingerprints
// and fulfillments hold.
func (c Condition) Binary() []byte {
	content := appendTLV(nil, tagField0, c.Fingerprint[:])
	content = appendTLV(content, tagField1, appendUint(nil, c.Cost))
	if c.Type.compound() {
		content = appendTLV(content, tagField2, subtypesBitString(c.Subtypes))
	}
	return appendTLV(nil, tagSet0|byte(c.Type), content)
}

// subtypesBitString encodes the set as a DER named-bit BIT STRING: bit i
// (counting from the most significant bit of the first byte) for type i,
// trailing zero bits dropped. An empty set is one zero byte with 7 unused
// bits, as crypto-conditions 2.2.1 writes it.
func subtypesBitString(set uint32) []byte {
	maxID := 0
	for t := 0; t < 32; t++ {
		if set&(1<<t) != 0 {
			maxID = t
		}
	}
	data := make([]byte, 1+maxID/8)
	for t := 0; t < 32; t++ {
		if set&(1<<t) != 0 {
			data[t/8] |= 1 << (7 - t%8)
		}
	}
	return append([]byte{byte(7 - maxID%8)}, data...)
}

// decodeCondition reads one DER condition (a threshold fulfillment's
// unfulfilled subcondition). Only the types this package can fulfill are
// accepted, and only in the encoding Binary produces.
func decodeCondition(b []byte) (Condition, []byte, error) {
	tag, content, rest, err := readTLV(b)
	if err != nil {
		return Condition{}, nil, fmt.Errorf("condition: %w", err)
	}
	c := Condition{Type: Type(tag &^ tagSet0)}
	if tag&0xE0 != tagSet0 || (c.Type != TypeEd25519 && c.Type != TypeThreshold) {
		return Condition{}, nil, fmt.Errorf("unsupported condition type (tag 0x%02X)", tag)
	}
	fp, content, err := readField(content, tagField0, "condition fingerprint")
	if err != nil {
		return Condition{}, nil, err
	}
	if len(fp) != 32 {
		return Condition{}, nil, fmt.Errorf("condition fingerprint of %d bytes, want 32", len(fp))
	}
	copy(c.Fingerprint[:], fp)
	costBytes, content, err := readField(content, tagField1, "condition cost")
	if err != nil {
		return Condition{}, nil, err
	}
	if c.Cost, err = parseUint(costBytes); err != nil {
		return Condition{}, nil, fmt.Errorf("condition cost: %w", err)
	}
	if c.Type.compound() {
		var bs []byte
		if bs, content, err = readField(content, tagField2, "condition subtypes"); err != nil {
			return Condition{}, nil, err
		}
		if c.Subtypes, err = parseSubtypes(bs); err != nil {
			return Condition{}, nil, err
		}
	}
	if len(content) != 0 {
		return Condition{}, nil, errors.New("condition: unexpected data after its fields")
	}
	return c, rest, nil
}

func parseSubtypes(bs []byte) (uint32, error) {
	if len(bs) < 2 || len(bs) > 5 || bs[0] > 7 {
		return 0, errors.New("condition subtypes: malformed BIT STRING")
	}
	var set uint32
	for i, c := range bs[1:] {
		for j := 0; j < 8; j++ {
			if c&(1<<(7-j)) != 0 {
				set |= 1 << (8*i + j)
			}
		}
	}
	// Only the canonical encoding is accepted, so that the fingerprint of
	// an enclosing threshold is the same whoever re-encodes it.
	if !bytes.Equal(subtypesBitString(set), bs) {
		return 0, errors.New("condition subtypes: BIT STRING not in its canonical form")
	}
	return set, nil
}
