package txbuild

import (
	"crypto/sha3"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/cometstream/cometstream/ledger/canonical"
	"github.com/cometstream/cometstream/ledger/cc"
)

// Ref names an output: the transaction that made it and its index.
type Ref struct {
	TransactionID string
	OutputIndex   int
}

// Input spends an output (or, in a CREATE, none).
type Input struct {
	// Fulfills is nil in a CREATE.
	Fulfills *Ref
	// OwnersBefore are the keys the spent output names (the issuer in a
	// CREATE).
	OwnersBefore []string
	// Condition is the spent output's condition (in a CREATE, the
	// issuer's key); the fulfillment is built to meet it.
	Condition cc.Details
	// Signers sign the input. For a threshold condition, the first
	// threshold of them that the condition names are used.
	Signers []KeyPair
}

// Tx is a transaction to be signed.
type Tx struct {
	Version   string // "2.0" or "3.0"
	Operation string // "CREATE" or "TRANSFER"
	// Asset is the asset object for version 2.0 ({"data": ...} or
	// {"id": ...}) or the assets list for version 3.0.
	Asset    any
	Metadata any
	Inputs   []Input
	Outputs  []Output
}

// Signed is a signed transaction.
type Signed struct {
	ID string
	// Raw is the canonical JSON, the bytes to submit.
	Raw []byte
	// AssetID is the asset the transaction's outputs hold.
	AssetID string
	Outputs []Output
}

// Create is a CREATE by issuer of the asset data (an object or nil for
// version 2.0, a CID string or nil for 3.0).
func Create(version string, issuer KeyPair, data, metadata any, outputs ...Output) *Tx {
	asset := any(map[string]any{"data": data})
	if version == "3.0" {
		asset = []any{asset}
	}
	return &Tx{
		Version: version, Operation: "CREATE", Asset: asset, Metadata: metadata, Outputs: outputs,
		Inputs: []Input{{
			OwnersBefore: []string{issuer.PublicKey()},
			Condition:    ed25519Details(issuer.PublicKey()),
			Signers:      []KeyPair{issuer},
		}},
	}
}

// Transfer moves the outputs spends name to outputs.
func Transfer(version, assetID string, metadata any, spends []Input, outputs ...Output) *Tx {
	asset := any(map[string]any{"id": assetID})
	if version == "3.0" {
		asset = []any{asset}
	}
	return &Tx{Version: version, Operation: "TRANSFER", Asset: asset, Metadata: metadata, Inputs: spends, Outputs: outputs}
}

// Spend returns the input that spends output i of s, signed by signers.
func (s *Signed) Spend(i int, signers ...KeyPair) Input {
	o := s.Outputs[i]
	return Input{
		Fulfills:     &Ref{TransactionID: s.ID, OutputIndex: i},
		OwnersBefore: o.publicKeys(),
		Condition:    o.Condition,
		Signers:      signers,
	}
}

// Object returns the transaction as a JSON object with the given
// fulfillments (nil for null) and id.
func (t *Tx) Object(fulfillments []any, id any) map[string]any {
	inputs := make([]any, len(t.Inputs))
	for i, in := range t.Inputs {
		var fulfills any
		if in.Fulfills != nil {
			fulfills = map[string]any{"transaction_id": in.Fulfills.TransactionID, "output_index": in.Fulfills.OutputIndex}
		}
		var f any
		if fulfillments != nil {
			f = fulfillments[i]
		}
		inputs[i] = map[string]any{"owners_before": anyStrings(in.OwnersBefore), "fulfills": fulfills, "fulfillment": f}
	}
	outputs := make([]any, len(t.Outputs))
	for i, o := range t.Outputs {
		outputs[i] = o.json()
	}
	obj := map[string]any{
		"id": id, "version": t.Version, "operation": t.Operation, "metadata": t.Metadata,
		"inputs": inputs, "outputs": outputs,
	}
	if t.Version == "3.0" {
		obj["assets"] = t.Asset
	} else {
		obj["asset"] = t.Asset
	}
	return obj
}

// Sign signs every input and computes the id.
func (t *Tx) Sign() (*Signed, error) {
	unsigned, err := canonical.Marshal(t.Object(nil, nil))
	if err != nil {
		return nil, fmt.Errorf("txbuild: encode: %w", err)
	}
	fulfillments := make([]any, len(t.Inputs))
	for i, in := range t.Inputs {
		msg := SignedMessage(unsigned, in.Fulfills)
		f, err := fulfill(in.Condition, in.Signers, msg[:])
		if err != nil {
			return nil, fmt.Errorf("txbuild: input %d: %w", i, err)
		}
		fulfillments[i] = cc.URI(f)
	}
	body, err := canonical.Marshal(t.Object(fulfillments, nil))
	if err != nil {
		return nil, fmt.Errorf("txbuild: encode: %w", err)
	}
	sum := sha3.Sum256(body)
	id := hex.EncodeToString(sum[:])
	raw, err := canonical.Marshal(t.Object(fulfillments, id))
	if err != nil {
		return nil, fmt.Errorf("txbuild: encode: %w", err)
	}
	s := &Signed{ID: id, Raw: raw, AssetID: id, Outputs: t.Outputs}
	if t.Operation != "CREATE" {
		s.AssetID = assetID(t.Asset)
	}
	return s, nil
}

// MustSign is Sign for tests, where a failure is a bug in the test.
func (t *Tx) MustSign() *Signed {
	s, err := t.Sign()
	if err != nil {
		panic(err)
	}
	return s
}

// SignedMessage is what input signatures sign: SHA3-256 of the canonical
// JSON of the transaction with id and every fulfillment null, followed,
// for an input that spends, by the spent transaction's id and the
// output's index in decimal.
func SignedMessage(unsigned []byte, spent *Ref) [32]byte {
	h := sha3.New256()
	h.Write(unsigned)
	if spent != nil {
		h.Write([]byte(spent.TransactionID + strconv.Itoa(spent.OutputIndex)))
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

func assetID(asset any) string {
	if l, ok := asset.([]any); ok && len(l) > 0 {
		asset = l[0]
	}
	if m, ok := asset.(map[string]any); ok {
		if id, ok := m["id"].(string); ok {
			return id
		}
	}
	return ""
}
