package cc_test

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/cometstream/cometstream/ledger/cc"
)

type jsDetails struct {
	Type          string      `json:"type"`
	PublicKey     string      `json:"public_key"`
	Threshold     int         `json:"threshold"`
	Subconditions []jsDetails `json:"subconditions"`
}

func (d jsDetails) toDetails() cc.Details {
	out := cc.Details{Type: d.Type, PublicKey: d.PublicKey, Threshold: d.Threshold}
	for _, s := range d.Subconditions {
		out.Subconditions = append(out.Subconditions, s.toDetails())
	}
	return out
}

type vectorFile struct {
	MessageHex string   `json:"message_hex"`
	PublicKeys []string `json:"public_keys"`
	Vectors    []struct {
		Name            string    `json:"name"`
		Details         jsDetails `json:"details"`
		ConditionURI    string    `json:"condition_uri"`
		ConditionBinary string    `json:"condition_binary"`
		FulfillmentURI  string    `json:"fulfillment_uri"`
	} `json:"vectors"`
}

func loadVectors(t testing.TB) vectorFile {
	t.Helper()
	b, err := os.ReadFile("testdata/js_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectorFile
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestJSVectors checks conditions, URIs and fulfillments against what
// crypto-conditions 2.2.1 produced (testdata/js_vectors.json, made by
// integration/js/cc_vectors.js).
func TestJSVectors(t *testing.T) {
	vf := loadVectors(t)
	msg, _ := hex.DecodeString(vf.MessageHex)
	for _, v := range vf.Vectors {
		t.Run(v.Name, func(t *testing.T) {
			d := v.Details.toDetails()
			c, err := d.Condition()
			if err != nil {
				t.Fatalf("Details.Condition: %v", err)
			}
			if got := c.URI(); got != v.ConditionURI {
				t.Errorf("URI from details = %s\nwant %s", got, v.ConditionURI)
			}
			if got := hex.EncodeToString(c.Binary()); got != v.ConditionBinary {
				t.Errorf("Binary = %s, want %s", got, v.ConditionBinary)
			}
			f, err := cc.ParseURI(v.FulfillmentURI)
			if err != nil {
				t.Fatalf("ParseURI: %v", err)
			}
			if err := f.Validate(msg); err != nil {
				t.Errorf("Validate: %v", err)
			}
			fc, err := f.Condition()
			if err != nil {
				t.Fatalf("fulfillment Condition: %v", err)
			}
			if fc.URI() != v.ConditionURI {
				t.Errorf("fulfillment's condition = %s, want %s", fc.URI(), v.ConditionURI)
			}
			if got := cc.URI(f); got != v.FulfillmentURI {
				t.Errorf("re-encoded fulfillment differs:\n got %s\nwant %s", got, v.FulfillmentURI)
			}
			if err := f.Validate(append([]byte("x"), msg...)); !errors.Is(err, cc.ErrSignature) {
				t.Errorf("Validate(other message) = %v, want ErrSignature", err)
			}
		})
	}
}

func TestPublicKeys(t *testing.T) {
	vf := loadVectors(t)
	for _, v := range vf.Vectors {
		d := v.Details.toDetails()
		for _, k := range d.PublicKeys() {
			if !strings.Contains(strings.Join(vf.PublicKeys, " "), k) {
				t.Errorf("%s: PublicKeys gave unknown key %s", v.Name, k)
			}
		}
	}
	d := cc.Details{Type: "threshold-sha-256", Threshold: 1, Subconditions: []cc.Details{
		{Type: "ed25519-sha-256", PublicKey: "b"}, {Type: "ed25519-sha-256", PublicKey: "a"}, {Type: "ed25519-sha-256", PublicKey: "b"},
	}}
	if got := strings.Join(d.PublicKeys(), ","); got != "b,a" {
		t.Errorf("PublicKeys = %s, want b,a (first seen order, once each)", got)
	}
}

func TestDetailsErrors(t *testing.T) {
	key := loadVectors(t).PublicKeys[0]
	ed := cc.Details{Type: "ed25519-sha-256", PublicKey: key}
	nest := func(depth int) cc.Details {
		d := ed
		for range depth {
			d = cc.Details{Type: "threshold-sha-256", Threshold: 1, Subconditions: []cc.Details{d}}
		}
		return d
	}
	tests := []struct {
		name string
		d    cc.Details
		want string
	}{
		{"unknown type", cc.Details{Type: "preimage-sha-256"}, "unsupported condition type"},
		{"zenroom", cc.Details{Type: "zenroom-sha-256", PublicKey: key}, "unsupported condition type"},
		{"bad key", cc.Details{Type: "ed25519-sha-256", PublicKey: "0OIl"}, "invalid character"},
		{"short key", cc.Details{Type: "ed25519-sha-256", PublicKey: "2g"}, "want 32"},
		{"threshold 0", cc.Details{Type: "threshold-sha-256", Subconditions: []cc.Details{ed}}, "out of range"},
		{"threshold above n", cc.Details{Type: "threshold-sha-256", Threshold: 2, Subconditions: []cc.Details{ed}}, "at least as many"},
		{"threshold 101", cc.Details{Type: "threshold-sha-256", Threshold: 101, Subconditions: []cc.Details{ed}}, "out of range"},
		{"too deep", nest(cc.MaxDepth + 1), "nested deeper"},
	}
	for _, tt := range tests {
		if _, err := tt.d.Condition(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want one mentioning %q", tt.name, err, tt.want)
		}
	}
	deep := nest(cc.MaxDepth)
	if _, err := deep.Condition(); err != nil {
		t.Errorf("nesting of exactly MaxDepth: %v", err)
	}
}

func TestDecodeErrors(t *testing.T) {
	vf := loadVectors(t)
	ed, _ := base64.RawURLEncoding.DecodeString(vf.Vectors[0].FulfillmentURI)
	thr, _ := base64.RawURLEncoding.DecodeString(vf.Vectors[3].FulfillmentURI) // 2-of-3, has a subcondition
	mod := func(b []byte, i int, v byte) []byte {
		c := append([]byte{}, b...)
		c[i] = v
		return c
	}
	tests := []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "truncated"},
		{"truncated", ed[:50], "truncated"},
		{"trailing byte", append(append([]byte{}, ed...), 0), "after the fulfillment"},
		{"preimage", []byte{0xA0, 0x02, 0x80, 0x00}, "unsupported fulfillment type preimage-sha-256"},
		{"not a choice", []byte{0x30, 0x00}, "not a fulfillment"},
		{"short key", mod(ed, 3, 0x1F), "ed25519"},
		{"long form for a short length", append([]byte{0xA4, 0x81, 0x64}, ed[2:]...), "shortest form"},
		{"indefinite length", []byte{0xA4, 0x80, 0, 0}, "length form"},
		{"threshold without subfulfillments", []byte{0xA2, 0x04, 0xA0, 0x00, 0xA1, 0x00}, "without subfulfillments"},
		{"threshold missing subconditions", []byte{0xA2, 0x02, 0xA0, 0x00}, "subconditions"},
		{"subcondition of unsupported type", subconditionTag(thr, 0xA0), "unsupported condition type"},
	}
	for _, tt := range tests {
		if _, err := cc.Decode(tt.b); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Decode err = %v, want one mentioning %q", tt.name, err, tt.want)
		}
	}
	for _, s := range []string{"pGSAI=", "pGSA+", strings.Repeat("A", 100000)} {
		if _, err := cc.ParseURI(s); err == nil {
			t.Errorf("ParseURI(%.10q) succeeded", s)
		}
	}
}

// subconditionTag rewrites the tag of the first unfulfilled subcondition
// (an ed25519 condition, A4 27) of a threshold fulfillment.
func subconditionTag(thr []byte, tag byte) []byte {
	c := append([]byte{}, thr...)
	for i := len(c) - 41; i >= 0; i-- {
		if c[i] == 0xA4 && c[i+1] == 0x27 {
			c[i] = tag
			return c
		}
	}
	panic("no subcondition")
}
