package ledger

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/cometstream/cometstream/ledger/cc"
)

// The schemas are Planetmint's transaction_v3.0 and BigchainDB's
// transaction_v2.0 with their CREATE and TRANSFER refinements. Where those
// leave room that no driver uses and the ledger could not honour, the
// ledger is stricter, and says so in the message: owners_before and
// public_keys are non-empty lists of valid keys, an output's public_keys
// are its condition's keys, a transaction has at least one output, and a
// TRANSFER names exactly one asset.

// topFields are the fields each version requires; no others are allowed.
var topFields = map[string][]string{
	"2.0": {"asset", "id", "inputs", "metadata", "operation", "outputs", "version"},
	"3.0": {"assets", "id", "inputs", "metadata", "operation", "outputs", "version"},
}

func checkFields(obj map[string]any, version string) error {
	if version == "3.0" {
		if _, ok := obj["script"]; ok {
			return reject(CodeUnsupportedOperation, "script (Zenroom) is not supported by this ledger")
		}
	}
	if _, ok := obj["id"]; !ok {
		// A missing id is CodeBadID, reported by checkID after the schema.
		obj = maps.Clone(obj)
		obj["id"] = nil
	}
	return exactFields(obj, "transaction", topFields[version]...)
}

// exactFields checks that obj has every one of fields and nothing else.
// Missing fields are reported before unknown ones, each set in sorted
// order so that every node gives the same message.
func exactFields(obj map[string]any, what string, fields ...string) error {
	for _, f := range fields {
		if _, ok := obj[f]; !ok {
			return reject(CodeBadSchema, fmt.Sprintf("%s has no %q field (required)", what, f))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		if !slices.Contains(fields, k) {
			return reject(CodeBadSchema, fmt.Sprintf("%s has an unknown field %q (allowed: %s)", what, k, strings.Join(fields, ", ")))
		}
	}
	return nil
}

// parseAsset checks asset (2.0) or assets (3.0) and returns the asset id
// a TRANSFER names ("" for a CREATE, whose asset id is its own id).
func parseAsset(obj map[string]any, version, op string) (string, error) {
	field, v := "asset", obj["asset"]
	if version == "3.0" {
		field, v = "assets", obj["assets"]
		list, ok := v.([]any)
		switch {
		case v == nil && op == "CREATE":
			return "", nil
		case !ok || len(list) != 1:
			return "", reject(CodeBadSchema, fmt.Sprintf("assets must be a list of exactly one asset in a %s", op))
		}
		field, v = "assets[0]", list[0]
	}
	asset, ok := v.(map[string]any)
	if !ok {
		return "", reject(CodeBadSchema, field+" must be an object")
	}
	if op == "CREATE" {
		if err := exactFields(asset, field, "data"); err != nil {
			return "", err
		}
		switch asset["data"].(type) {
		case nil:
		case map[string]any:
			if version == "3.0" {
				return "", reject(CodeBadSchema, field+".data must be a string (a CID) or null in version 3.0")
			}
		case string:
			if version == "2.0" {
				return "", reject(CodeBadSchema, field+".data must be an object or null in version 2.0")
			}
		default:
			return "", reject(CodeBadSchema, field+".data has the wrong type")
		}
		return "", nil
	}
	if err := exactFields(asset, field, "id"); err != nil {
		return "", err
	}
	id, ok := asset["id"].(string)
	if !ok || !isHexID(id) {
		return "", reject(CodeBadSchema, field+".id must be 64 lower-case hex digits")
	}
	return id, nil
}

func checkMetadata(v any, version string) error {
	switch m := v.(type) {
	case nil:
		return nil
	case map[string]any:
		if version == "2.0" && len(m) > 0 {
			return nil
		}
	case string:
		if version == "3.0" {
			return nil
		}
	}
	if version == "2.0" {
		return reject(CodeBadSchema, "metadata must be null or an object with at least one key in version 2.0")
	}
	return reject(CodeBadSchema, "metadata must be a string (a CID) or null in version 3.0")
}

func parseInputs(v any, op string) ([]Input, error) {
	list, ok := v.([]any)
	switch {
	case !ok:
		return nil, reject(CodeBadSchema, "inputs must be a list")
	case op == "CREATE" && len(list) != 1:
		return nil, reject(CodeBadSchema, fmt.Sprintf("a CREATE has exactly one input, not %d", len(list)))
	case len(list) == 0:
		return nil, reject(CodeBadSchema, "a TRANSFER needs at least one input")
	}
	inputs := make([]Input, len(list))
	for i, e := range list {
		field := "inputs[" + strconv.Itoa(i) + "]"
		obj, ok := e.(map[string]any)
		if !ok {
			return nil, reject(CodeBadSchema, field+" must be an object")
		}
		if err := exactFields(obj, field, "fulfillment", "fulfills", "owners_before"); err != nil {
			return nil, err
		}
		in := &inputs[i]
		var err error
		if in.OwnersBefore, err = publicKeys(obj["owners_before"], field+".owners_before"); err != nil {
			return nil, err
		}
		if in.Fulfills, err = parseOutputRef(field+".fulfills", obj["fulfills"]); err != nil {
			return nil, err
		}
		switch {
		case op == "CREATE" && in.Fulfills != nil:
			return nil, reject(CodeBadSchema, field+".fulfills must be null in a CREATE")
		case op == "TRANSFER" && in.Fulfills == nil:
			return nil, reject(CodeBadSchema, field+".fulfills must name the output a TRANSFER spends")
		}
		f, ok := obj["fulfillment"].(string)
		if !ok {
			return nil, rejectAs(CodeBadFulfillment, exceptionSchema, field+".fulfillment must be a fulfillment string: the input is not signed", "")
		}
		in.Fulfillment = f
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
	if err := exactFields(obj, field, "output_index", "transaction_id"); err != nil {
		return nil, err
	}
	txID, ok := obj["transaction_id"].(string)
	if !ok || !isHexID(txID) {
		return nil, reject(CodeBadSchema, field+".transaction_id must be 64 lower-case hex digits")
	}
	index, ok := nonNegativeInt(obj["output_index"])
	if !ok {
		return nil, reject(CodeBadSchema, field+".output_index must be a non-negative integer")
	}
	return &OutputRef{TransactionID: txID, OutputIndex: index}, nil
}

// nonNegativeInt accepts a JSON integer literal (not 1.0 or 1e0, which
// the schema's draft-04 "integer" refuses) that fits an int64.
func nonNegativeInt(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	return i, err == nil && i >= 0
}

func parseOutputs(v any) ([]Output, error) {
	list, ok := v.([]any)
	switch {
	case !ok:
		return nil, reject(CodeBadSchema, "outputs must be a list")
	case len(list) == 0:
		return nil, reject(CodeBadSchema, "outputs must not be empty")
	}
	outputs := make([]Output, len(list))
	for i, e := range list {
		field := "outputs[" + strconv.Itoa(i) + "]"
		obj, ok := e.(map[string]any)
		if !ok {
			return nil, reject(CodeBadSchema, field+" must be an object")
		}
		if err := exactFields(obj, field, "amount", "condition", "public_keys"); err != nil {
			return nil, err
		}
		out := &outputs[i]
		var err error
		if out.PublicKeys, err = publicKeys(obj["public_keys"], field+".public_keys"); err != nil {
			return nil, err
		}
		if out.Amount, out.Value, err = parseAmount(obj["amount"], field+".amount"); err != nil {
			return nil, err
		}
		if out.ConditionURI, err = parseCondition(obj["condition"], field+".condition", out.PublicKeys); err != nil {
			return nil, err
		}
	}
	return outputs, nil
}

// parseCondition checks {"details": ..., "uri": ...} and that the uri and
// the output's public keys are the ones the details describe.
func parseCondition(v any, field string, keys []string) (string, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return "", reject(CodeBadSchema, field+" must be an object")
	}
	if err := exactFields(obj, field, "details", "uri"); err != nil {
		return "", err
	}
	uri, ok := obj["uri"].(string)
	if !ok {
		return "", reject(CodeBadSchema, field+".uri must be a string")
	}
	details, err := parseDetails(obj["details"], field+".details", 0)
	if err != nil {
		return "", err
	}
	c, err := details.Condition()
	if err != nil {
		return "", reject(CodeBadCondition, field+".details: "+err.Error())
	}
	if want := c.URI(); uri != want {
		return "", reject(CodeBadCondition, fmt.Sprintf("%s.uri %s is not the condition its details describe (%s)", field, uri, want))
	}
	want := details.PublicKeys()
	if !sameSet(keys, want) {
		return "", reject(CodeBadCondition, fmt.Sprintf("%s: public_keys %v must list the condition's keys %v, each once", strings.TrimSuffix(field, ".condition"), keys, want))
	}
	return uri, nil
}

func parseDetails(v any, field string, depth int) (cc.Details, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return cc.Details{}, reject(CodeBadSchema, field+" must be an object")
	}
	if depth >= cc.MaxDepth {
		return cc.Details{}, reject(CodeBadCondition, fmt.Sprintf("%s: thresholds nested deeper than %d", field, cc.MaxDepth))
	}
	typ, _ := obj["type"].(string)
	switch typ {
	case cc.TypeEd25519.Name():
		if err := exactFields(obj, field, "public_key", "type"); err != nil {
			return cc.Details{}, err
		}
		pub, ok := obj["public_key"].(string)
		if !ok {
			return cc.Details{}, reject(CodeBadSchema, field+".public_key must be a string")
		}
		return cc.Details{Type: typ, PublicKey: pub}, nil
	case cc.TypeThreshold.Name():
		if err := exactFields(obj, field, "subconditions", "threshold", "type"); err != nil {
			return cc.Details{}, err
		}
		m, ok := nonNegativeInt(obj["threshold"])
		if !ok || m < 1 || m > cc.MaxThreshold {
			return cc.Details{}, reject(CodeBadSchema, fmt.Sprintf("%s.threshold must be an integer in 1..%d", field, cc.MaxThreshold))
		}
		list, ok := obj["subconditions"].([]any)
		if !ok {
			return cc.Details{}, reject(CodeBadSchema, field+".subconditions must be a list")
		}
		if len(list) > cc.MaxSubconditions {
			return cc.Details{}, reject(CodeBadCondition, fmt.Sprintf("%s has %d subconditions, more than %d", field, len(list), cc.MaxSubconditions))
		}
		d := cc.Details{Type: typ, Threshold: int(m), Subconditions: make([]cc.Details, len(list))}
		for i, s := range list {
			sub, err := parseDetails(s, fmt.Sprintf("%s.subconditions[%d]", field, i), depth+1)
			if err != nil {
				return cc.Details{}, err
			}
			d.Subconditions[i] = sub
		}
		return d, nil
	case "zenroom-sha-256":
		return cc.Details{}, reject(CodeUnsupportedOperation, field+": zenroom-sha-256 conditions are not supported by this ledger")
	default:
		return cc.Details{}, reject(CodeBadSchema, field+".type must be \"ed25519-sha-256\" or \"threshold-sha-256\"")
	}
}

// publicKeys reads a non-empty list of base58 ed25519 public keys.
func publicKeys(v any, field string) ([]string, error) {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return nil, reject(CodeBadSchema, field+" must be a non-empty list of public keys")
	}
	out := make([]string, len(list))
	for i, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, reject(CodeBadSchema, fmt.Sprintf("%s[%d] must be a string", field, i))
		}
		if _, err := cc.DecodePublicKey(s); err != nil {
			return nil, reject(CodeBadSchema, fmt.Sprintf("%s[%d]: %v", field, i, err))
		}
		out[i] = s
	}
	return out, nil
}

// sameSet reports whether a and b hold the same strings, each once.
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	sa, sb := slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b))
	return slices.Equal(sa, sb) && len(slices.Compact(sa)) == len(a)
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
