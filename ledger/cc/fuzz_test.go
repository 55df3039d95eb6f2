package cc_test

import (
	"bytes"
	"encoding/base64"
	"testing"

	"github.com/cometstream/cometstream/ledger/cc"
)

// FuzzDecode feeds arbitrary bytes to the fulfillment decoder: no panic,
// and whatever decodes has a condition and re-encodes to bytes that decode
// to the same condition (the encoding is a fixed point after one round).
func FuzzDecode(f *testing.F) {
	for _, v := range loadVectors(f).Vectors {
		b, _ := base64.RawURLEncoding.DecodeString(v.FulfillmentURI)
		f.Add(b)
	}
	f.Add([]byte{0xA2, 0x04, 0xA0, 0x00, 0xA1, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		ful, err := cc.Decode(data)
		if err != nil {
			return
		}
		c1, err := ful.Condition()
		if err != nil {
			return // e.g. a threshold above its subconditions' count
		}
		_ = ful.Validate([]byte("message"))
		again, err := cc.Decode(ful.Binary())
		if err != nil {
			t.Fatalf("re-encoding of a decoded fulfillment does not decode: %v", err)
		}
		c2, err := again.Condition()
		if err != nil || c2.URI() != c1.URI() {
			t.Fatalf("condition changed on re-encoding: %s vs %s (%v)", c1.URI(), c2.URI(), err)
		}
		if !bytes.Equal(again.Binary(), ful.Binary()) {
			t.Fatal("encoding is not a fixed point")
		}
	})
}
