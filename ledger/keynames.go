package ledger

import (
	"bytes"
	"encoding/json"
	"strings"
)

// checkKeyNames applies BigchainDB 2.0's rule for version "2.0"
// transactions: no key in asset.data or metadata, at any depth, may start
// with "$" or contain "." or NUL (MongoDB, its store, cannot hold them).
// asset is checked before metadata, and within each the first offending
// key in document order is reported, as BigchainDB walks them. Planetmint
// keeps no such rule for "3.0", whose asset data and metadata are CIDs.
func checkKeyNames(raw []byte, version string) error {
	if version != "2.0" {
		return nil
	}
	var top struct {
		Asset struct {
			Data json.RawMessage `json:"data"`
		} `json:"asset"`
		Metadata json.RawMessage `json:"metadata"`
	}
	// ParseTransaction has checked the shape: asset is an object, data
	// and metadata objects or null.
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil
	}
	for _, part := range []struct {
		object string
		raw    json.RawMessage
	}{{"asset", top.Asset.Data}, {"metadata", top.Metadata}} {
		if key, bad := badKey(part.raw); bad {
			return reject(CodeBadKeyName, msgKeyName(key, part.object))
		}
	}
	return nil
}

// badKey returns the first object key in raw, in document order, that
// BigchainDB refuses.
func badKey(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 {
		return "", false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	// One entry per open container: 'k' an object whose next token is a
	// key (or its end), 'v' an object whose next token is a value, 'a' an
	// array.
	var stack []byte
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1] == 'v' {
			stack[n-1] = 'k'
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		n := len(stack)
		switch {
		case tok == json.Delim('}') || tok == json.Delim(']'):
			stack = stack[:n-1]
			valueDone()
		case n > 0 && stack[n-1] == 'k':
			key, _ := tok.(string)
			if strings.HasPrefix(key, "$") || strings.ContainsAny(key, ".\x00") {
				return key, true
			}
			stack[n-1] = 'v'
		case tok == json.Delim('{'):
			stack = append(stack, 'k')
		case tok == json.Delim('['):
			stack = append(stack, 'a')
		default:
			valueDone()
		}
	}
}
