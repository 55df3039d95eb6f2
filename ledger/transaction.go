package ledger

import (
	"fmt"
)

// Transaction is a transaction that passed every check that does not
// depend on the ledger's state (see ParseTransaction).
type Transaction struct {
	ID        string
	Version   string // "2.0" or "3.0"
	Operation string // "CREATE" or "TRANSFER"
	// AssetIDs follows the stream's asset-id rule: one entry, the
	// transaction's own id for a CREATE, the asset id it names for a
	// TRANSFER.
	AssetIDs []string
	Inputs   []Input
	Outputs  []Output
	// AssetCID is a version 3.0 CREATE's assets[0].data and MetadataCID
	// a version 3.0 transaction's metadata, when they are strings (CIDs);
	// "" otherwise. GET /assets/<cid> and /metadata/<cid> look them up.
	AssetCID    string
	MetadataCID string
	// Raw is the transaction exactly as submitted.
	Raw []byte
}

// Input is one entry of a transaction's inputs.
type Input struct {
	OwnersBefore []string
	Fulfillment  string
	Fulfills     *OutputRef // nil in a CREATE
	// ConditionURI is the URI of the condition the fulfillment meets; a
	// TRANSFER input is valid only if it is the spent output's.
	ConditionURI string
}

// OutputRef points at an output: the transaction that made it and its
// index there.
type OutputRef struct {
	TransactionID string `json:"transaction_id"`
	OutputIndex   int64  `json:"output_index"`
}

// Output is one entry of a transaction's outputs.
type Output struct {
	Amount       string   // as written
	Value        uint64   // Amount's value, 1..MaxAmount
	PublicKeys   []string // the condition's keys
	ConditionURI string   // checked against the condition's details
}

// MaxAmount is the largest amount one output can hold, as in Planetmint
// and BigchainDB.
const MaxAmount = 9_000_000_000_000_000_000

// ParseTransaction decodes raw and applies every rule that needs no
// ledger state, in this order, so that a transaction broken in several
// ways reports the first:
//
//  1. one JSON object (CodeBadJSON) in which no object, at any depth,
//     names a key twice (CodeDuplicateKey), version "2.0" or "3.0"
//     (CodeBadVersion), operation CREATE or TRANSFER (other Planetmint
//     operations: CodeUnsupportedOperation);
//  2. the version's schema for the operation: required fields, no others,
//     value types and formats (CodeBadSchema), amounts (CodeBadAmount),
//     output conditions consistent with their details (CodeBadCondition);
//  3. the id is the hash of the transaction (CodeBadID);
//  4. in version 2.0, BigchainDB's key names in asset.data and metadata
//     (CodeBadKeyName);
//  5. each input's fulfillment decodes (CodeBadFulfillment) and its
//     signatures verify against the input's signed message
//     (CodeBadSignature). A CREATE's fulfillment may be any that does, as
//     in Planetmint: threshold ones included, whatever owners_before says.
//
// Errors are *RejectError. The rules that need state (inputs exist and
// are unspent, asset, amounts add up, duplicates) are the App's.
func ParseTransaction(raw []byte) (*Transaction, error) {
	obj, err := decodeObject(raw)
	if err != nil {
		return nil, err
	}
	tx := &Transaction{Raw: raw}
	if tx.Version, err = parseVersion(obj); err != nil {
		return nil, err
	}
	if tx.Operation, err = parseOperation(obj, tx.Version); err != nil {
		return nil, err
	}
	if err := checkFields(obj, tx.Version); err != nil {
		return nil, err
	}
	assetID, err := parseAsset(obj, tx.Version, tx.Operation)
	if err != nil {
		return nil, err
	}
	if err := checkMetadata(obj["metadata"], tx.Version); err != nil {
		return nil, err
	}
	tx.AssetCID, tx.MetadataCID = cids(obj, tx.Version, tx.Operation)
	if tx.Inputs, err = parseInputs(obj["inputs"], tx.Operation); err != nil {
		return nil, err
	}
	if tx.Outputs, err = parseOutputs(obj["outputs"]); err != nil {
		return nil, err
	}
	if tx.ID, err = checkID(obj); err != nil {
		return nil, err
	}
	if err := checkKeyNames(raw, tx.Version); err != nil {
		return nil, err
	}
	if assetID == "" {
		assetID = tx.ID
	}
	tx.AssetIDs = []string{assetID}
	if err := verifyFulfillments(obj, tx); err != nil {
		return nil, err
	}
	return tx, nil
}

func parseVersion(obj map[string]any) (string, error) {
	version, ok := obj["version"].(string)
	switch {
	case !ok:
		return "", reject(CodeBadVersion, "version must be the string \"2.0\" or \"3.0\"")
	case version != "2.0" && version != "3.0":
		return "", reject(CodeBadVersion, fmt.Sprintf("unknown version %q: want \"2.0\" or \"3.0\"", version))
	}
	return version, nil
}

// operations lists what each version's schema allows; only CREATE and
// TRANSFER are implemented.
var operations = map[string][]string{
	"2.0": {"CREATE", "TRANSFER", "VALIDATOR_ELECTION", "CHAIN_MIGRATION_ELECTION", "VOTE"},
	"3.0": {"CREATE", "TRANSFER", "VALIDATOR_ELECTION", "CHAIN_MIGRATION_ELECTION", "VOTE", "COMPOSE", "DECOMPOSE"},
}

func parseOperation(obj map[string]any, version string) (string, error) {
	op, ok := obj["operation"].(string)
	if !ok {
		return "", reject(CodeBadSchema, "operation must be a string such as \"CREATE\" or \"TRANSFER\"")
	}
	switch op {
	case "CREATE", "TRANSFER":
		return op, nil
	}
	for _, known := range operations[version] {
		if op == known {
			return "", reject(CodeUnsupportedOperation, fmt.Sprintf("operation %s is not supported by this ledger: only CREATE and TRANSFER are", op))
		}
	}
	return "", reject(CodeBadSchema, fmt.Sprintf("unknown operation %q for version %s", op, version))
}

// cids returns the CIDs a version 3.0 transaction names (see
// Transaction.AssetCID); the schema has been checked.
func cids(obj map[string]any, version, op string) (asset, metadata string) {
	if version != "3.0" {
		return "", ""
	}
	metadata, _ = obj["metadata"].(string)
	if list, ok := obj["assets"].([]any); ok && op == "CREATE" && len(list) == 1 {
		if a, ok := list[0].(map[string]any); ok {
			asset, _ = a["data"].(string)
		}
	}
	return asset, metadata
}
