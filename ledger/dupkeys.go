package ledger

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// checkDuplicateKeys refuses raw when any object in it, at any depth,
// names a key twice (CodeDuplicateKey). raw must already be valid JSON.
//
// Why: encoding/json and Python's json module both keep the last of two
// equal keys, and the id and signatures are computed from that decoded
// value, so an unsigned {"metadata": ...} put in front of a signed
// transaction left its id and signatures valid while the stored bytes,
// served back by GET /transactions/<id>, showed the injected value first.
// Keys are compared after unescaping, as both decoders compare them:
// "a" and "\u0061" are the same key.
func checkDuplicateKeys(raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var stack []*container
	for {
		tok, err := dec.Token()
		if err != nil {
			// io.EOF at the end; raw was found valid before.
			return nil
		}
		var top *container
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch {
		case tok == json.Delim('}') || tok == json.Delim(']'):
			stack = stack[:len(stack)-1]
			if len(stack) > 0 {
				stack[len(stack)-1].valueDone()
			}
		case top != nil && top.wantKey:
			key, _ := tok.(string) // the decoder allows nothing else here
			if _, seen := top.keys[key]; seen {
				return reject(CodeDuplicateKey, fmt.Sprintf("duplicate key %q in the object at %s: a key may appear only once", key, jsonPath(stack)))
			}
			top.keys[key] = struct{}{}
			top.key, top.wantKey = key, false
		case tok == json.Delim('{'):
			stack = append(stack, &container{keys: map[string]struct{}{}, wantKey: true})
		case tok == json.Delim('['):
			stack = append(stack, &container{})
		case top != nil:
			top.valueDone()
		}
	}
}

// container is an object or array open during the walk.
type container struct {
	keys    map[string]struct{} // the object's keys so far; nil for an array
	wantKey bool                // the object's next token is a key
	key     string              // the object's current key
	index   int                 // the array's current index
}

func (c *container) valueDone() {
	if c.keys != nil {
		c.wantKey = true
	} else {
		c.index++
	}
}

// jsonPath names the innermost open container, JSON Pointer style
// ("/outputs/0/condition"; "/" for the transaction itself), so that a
// refusal says where the duplicate is.
func jsonPath(stack []*container) string {
	if len(stack) <= 1 {
		return "/"
	}
	var b strings.Builder
	for _, c := range stack[:len(stack)-1] {
		b.WriteByte('/')
		if c.keys != nil {
			b.WriteString(c.key)
		} else {
			b.WriteString(strconv.Itoa(c.index))
		}
	}
	return b.String()
}
