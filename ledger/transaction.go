package ledger

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// Transaction holds the fields of a transaction that the ledger, the
// stream and the Web API use. ParseTransaction fills it only for a
// transaction that passed this milestone's checks.
type Transaction struct {
	ID        string
	Version   string // "2.0" or "3.0"
	Operation string // e.g. CREATE, TRANSFER; unknown operations are kept, not refused
	// AssetIDs follows the stream's asset-id rule: for "2.0" one entry,
	// asset.id if the asset has one, else ID; for "3.0" one entry per
	// element of assets, its id or else ID (ID alone when assets is empty).
	AssetIDs []string
	Inputs   []Input
	Outputs  []Output
	// Raw is the transaction exactly as submitted.
	Raw []byte
}

// Input is one entry of a transaction's inputs.
type Input struct {
	OwnersBefore []string
	Fulfillment  string     // empty when null (an unsigned input)
	Fulfills     *OutputRef // nil for an input that spends nothing (CREATE)
}

// OutputRef points at the output an input spends.
type OutputRef struct {
	TransactionID string
	OutputIndex   int64
}

// Output is one entry of a transaction's outputs.
type Output struct {
	Amount     string
	PublicKeys []string
}

// ParseTransaction decodes raw and checks it: one JSON object, version
// "2.0" (with an asset object or null) or "3.0" (with an assets list), a
// non-empty operation, inputs and outputs lists of the documented shape,
// and an id that is 64 lower-case hex digits equal to TxID(raw). Errors are
// *RejectError.
func ParseTransaction(raw []byte) (*Transaction, error) {
	obj, err := decodeObject(raw)
	if err != nil {
		return nil, err
	}
	tx := &Transaction{Raw: raw}
	version, ok := obj["version"].(string)
	switch {
	case !ok:
		return nil, reject(CodeBadVersion, "version must be the string \"2.0\" or \"3.0\"")
	case version != "2.0" && version != "3.0":
		return nil, reject(CodeBadVersion, fmt.Sprintf("unknown version %q: want \"2.0\" or \"3.0\"", version))
	}
	tx.Version = version
	if tx.Operation, ok = obj["operation"].(string); !ok || tx.Operation == "" {
		return nil, reject(CodeBadSchema, "operation must be a non-empty string")
	}
	// Asset ids are resolved after the id is known; the shape is checked
	// now so that schema errors win over id errors.
	assetIDs, err := assetIDs(obj)
	if err != nil {
		return nil, err
	}
	if tx.Inputs, err = parseInputs(obj["inputs"]); err != nil {
		return nil, err
	}
	if tx.Outputs, err = parseOutputs(obj["outputs"]); err != nil {
		return nil, err
	}
	if tx.ID, err = checkID(obj); err != nil {
		return nil, err
	}
	tx.AssetIDs = make([]string, len(assetIDs))
	for i, id := range assetIDs {
		if id == "" {
			id = tx.ID
		}
		tx.AssetIDs[i] = id
	}
	return tx, nil
}

// assetIDs returns one entry per asset, "" standing for the transaction's
// own id.
func assetIDs(obj map[string]any) ([]string, error) {
	if obj["version"] == "2.0" {
		asset, present := obj["asset"]
		if !present {
			return nil, reject(CodeBadSchema, "version 2.0 transaction has no asset (want an object or null)")
		}
		id, err := assetID("asset", asset)
		if err != nil {
			return nil, err
		}
		return []string{id}, nil
	}
	assets, ok := obj["assets"].([]any)
	if !ok {
		return nil, reject(CodeBadSchema, "version 3.0 transaction needs an assets list")
	}
	if len(assets) == 0 {
		return []string{""}, nil
	}
	ids := make([]string, len(assets))
	for i, a := range assets {
		id, err := assetID(fmt.Sprintf("assets[%d]", i), a)
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	return ids, nil
}

func assetID(field string, asset any) (string, error) {
	switch a := asset.(type) {
	case nil:
		return "", nil
	case map[string]any:
		id, present := a["id"]
		if !present || id == nil {
			return "", nil
		}
		s, ok := id.(string)
		if !ok || s == "" {
			return "", reject(CodeBadSchema, field+".id must be a non-empty string")
		}
		return s, nil
	default:
		return "", reject(CodeBadSchema, field+" must be an object or null")
	}
}

func parseInputs(v any) ([]Input, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, reject(CodeBadSchema, "inputs must be a list")
	}
	inputs := make([]Input, len(list))
	for i, e := range list {
		field := "inputs[" + strconv.Itoa(i) + "]"
		obj, ok := e.(map[string]any)
		if !ok {
			return nil, reject(CodeBadSchema, field+" must be an object")
		}
		in := &inputs[i]
		if in.OwnersBefore, ok = stringList(obj["owners_before"]); !ok {
			return nil, reject(CodeBadSchema, field+".owners_before must be a list of strings")
		}
		switch f := obj["fulfillment"].(type) {
		case nil:
		case string:
			in.Fulfillment = f
		default:
			return nil, reject(CodeBadSchema, field+".fulfillment must be a string or null")
		}
		ref, err := parseOutputRef(field+".fulfills", obj["fulfills"])
		if err != nil {
			return nil, err
		}
		in.Fulfills = ref
	}
	return inputs, nil
}

func parseOutputRef(field string, v any) (*OutputRef, error) {
	if v == nil {
		return nil, nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, reject(CodeBadSchema, field+" must be an object or null")
	}
	txID, ok := obj["transaction_id"].(string)
	if !ok || !isHexID(txID) {
		return nil, reject(CodeBadSchema, field+".transaction_id must be 64 lower-case hex digits")
	}
	n, ok := obj["output_index"].(json.Number)
	index, err := strconv.ParseInt(string(n), 10, 64)
	if !ok || err != nil || index < 0 {
		return nil, reject(CodeBadSchema, field+".output_index must be a non-negative integer")
	}
	return &OutputRef{TransactionID: txID, OutputIndex: index}, nil
}

func parseOutputs(v any) ([]Output, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, reject(CodeBadSchema, "outputs must be a list")
	}
	outputs := make([]Output, len(list))
	for i, e := range list {
		field := "outputs[" + strconv.Itoa(i) + "]"
		obj, ok := e.(map[string]any)
		if !ok {
			return nil, reject(CodeBadSchema, field+" must be an object")
		}
		out := &outputs[i]
		if out.PublicKeys, ok = stringList(obj["public_keys"]); !ok {
			return nil, reject(CodeBadSchema, field+".public_keys must be a list of strings")
		}
		if out.Amount, ok = obj["amount"].(string); !ok {
			return nil, reject(CodeBadSchema, field+".amount must be a string")
		}
	}
	return outputs, nil
}

// checkID returns the transaction's id once it is well formed and matches
// the hash of the transaction.
func checkID(obj map[string]any) (string, error) {
	v, present := obj["id"]
	if !present || v == nil {
		return "", reject(CodeBadID, "id is missing")
	}
	id, ok := v.(string)
	if !ok || !isHexID(id) {
		return "", reject(CodeBadID, "id must be 64 lower-case hex digits")
	}
	want, err := computeID(obj)
	if err != nil {
		return "", err
	}
	if id != want {
		return "", reject(CodeBadID, fmt.Sprintf("id %s does not match the transaction's hash %s", id, want))
	}
	return id, nil
}

func isHexID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func stringList(v any) ([]string, bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, len(list))
	for i, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, false
		}
		out[i] = s
	}
	return out, true
}
