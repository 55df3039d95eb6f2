package base58_test

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/cometstream/cometstream/ledger/base58"
)

// Vectors from the Bitcoin Core test suite (base58_encode_decode.json).
var vectors = []struct{ hex, text string }{
	{"", ""},
	{"61", "2g"},
	{"626262", "a3gV"},
	{"636363", "aPEr"},
	{"73696d706c792061206c6f6e6720737472696e67", "2cFupjhnEsSn59qHXstmK2ffpLv2"},
	{"00eb15231dfceb60925886b67d065299925915aeb172c06647", "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L"},
	{"516b6fcd0f", "ABnLTmg"},
	{"bf4f89001e670274dd", "3SEo3LWLoPntC"},
	{"572e4794", "3EFU7m"},
	{"ecac89cad93923c02321", "EJDM8drfXA6uyA"},
	{"10c8511e", "Rt5zm"},
	{"00000000000000000000", "1111111111"},
}

func TestVectors(t *testing.T) {
	for _, v := range vectors {
		b, _ := hex.DecodeString(v.hex)
		if got := base58.Encode(b); got != v.text {
			t.Errorf("Encode(%s) = %q, want %q", v.hex, got, v.text)
		}
		if v.text == "" {
			continue
		}
		got, err := base58.Decode(v.text)
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("Decode(%q) = %x, %v; want %s", v.text, got, err, v.hex)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, s := range []string{"", "0", "O", "I", "l", "abc+", "ü", string(make([]byte, 2000))} {
		if b, err := base58.Decode(s); err == nil {
			t.Errorf("Decode(%q) = %x, want an error", s, b)
		}
	}
}

func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte{0, 0, 1, 2, 255})
	f.Add([]byte("4K9sWUMFwTgaDGPfdynrbxWqWS6sWmKbZoTjxLtVUibD"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := base58.Encode(b)
		if len(s) > 1024 {
			return
		}
		got, err := base58.Decode(s)
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("Decode(Encode(%x)) = %x, %v", b, got, err)
		}
		// Decoding arbitrary text must not panic.
		_, _ = base58.Decode(string(b))
	})
}
