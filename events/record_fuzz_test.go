package events_test

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cometstream/cometstream/events"
)

// FuzzUnmarshalBlock feeds the record decoder arbitrary payloads: it never
// panics, and what it accepts encodes back to a record that decodes to the
// same block.
func FuzzUnmarshalBlock(f *testing.F) {
	for _, h := range []int64{1, 2, 3} {
		data, err := events.MarshalBlock(richBlock(h))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte{})
	f.Add([]byte{0x08, 0x00})
	f.Add([]byte{0x08, 0x01, 0x22, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := events.UnmarshalBlock(data)
		if err != nil {
			return
		}
		enc, err := events.MarshalBlock(b)
		if err != nil {
			t.Fatalf("an accepted block does not encode: %v\n%#v", err, b)
		}
		again, err := events.UnmarshalBlock(enc)
		if err != nil {
			t.Fatalf("a re-encoded block does not decode: %v", err)
		}
		if diff := cmp.Diff(b, again); diff != "" {
			t.Fatalf("re-encoded block differs (-first +second):\n%s", diff)
		}
		if enc2, err := events.MarshalBlock(again); err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not stable: %v", err)
		}
	})
}
