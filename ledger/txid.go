package ledger

import (
	"crypto/sha3"
	"encoding/hex"
	"fmt"
	"maps"

	"github.com/cometstream/cometstream/ledger/canonical"
)

// TxID computes the id a transaction must carry: the lower-case hex
// SHA3-256 of its canonical JSON with "id" set to null. The id it carries
// is ignored, so TxID also works on unsigned or tampered copies.
func TxID(raw []byte) (string, error) {
	obj, err := decodeObject(raw)
	if err != nil {
		return "", err
	}
	return computeID(obj)
}

// WithID returns the canonical JSON of the transaction with its correct id
// filled in, and that id. It is how tests and tools mint a valid
// transaction after editing one; it does not sign anything.
func WithID(raw []byte) (signed []byte, id string, err error) {
	obj, err := decodeObject(raw)
	if err != nil {
		return nil, "", err
	}
	id, err = computeID(obj)
	if err != nil {
		return nil, "", err
	}
	obj["id"] = id
	signed, err = canonical.Marshal(obj)
	if err != nil {
		return nil, "", fmt.Errorf("encode transaction: %w", err)
	}
	return signed, id, nil
}

// decodeObject parses raw as one JSON object in which no object names a
// key twice; errors are *RejectError with CodeBadJSON or CodeDuplicateKey.
func decodeObject(raw []byte) (map[string]any, error) {
	v, err := canonical.Unmarshal(raw)
	if err != nil {
		return nil, reject(CodeBadJSON, "transaction is not valid JSON: "+err.Error())
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, reject(CodeBadJSON, "transaction is not a JSON object")
	}
	if err := checkDuplicateKeys(raw); err != nil {
		return nil, err
	}
	return obj, nil
}

// computeID hashes obj with "id" set to null, leaving obj untouched.
func computeID(obj map[string]any) (string, error) {
	unsigned := maps.Clone(obj)
	unsigned["id"] = nil
	b, err := canonical.Marshal(unsigned)
	if err != nil {
		// canonical.Unmarshal output always marshals; this guards values
		// built by hand.
		return "", reject(CodeBadJSON, "transaction cannot be serialised: "+err.Error())
	}
	sum := sha3.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// checkID returns the transaction's id once it is well formed and matches
// the hash of the transaction.
func checkID(obj map[string]any) (string, error) {
	v := obj["id"]
	if v == nil {
		return "", rejectAs(CodeBadID, exceptionInvalidHash, msgInvalidHash(v), "id is missing")
	}
	id, ok := v.(string)
	if !ok || !isHexID(id) {
		return "", rejectAs(CodeBadID, exceptionInvalidHash, msgInvalidHash(v), "id must be 64 lower-case hex digits")
	}
	want, err := computeID(obj)
	if err != nil {
		return "", err
	}
	if id != want {
		return "", rejectAs(CodeBadID, exceptionInvalidHash, msgInvalidHash(v), fmt.Sprintf("id %s does not match the transaction's hash %s", id, want))
	}
	return id, nil
}
