package base58

import (
	"errors"
	"fmt"
)

const alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// decodeMap maps a byte to its digit value, or 0xFF when it is not in the
// alphabet.
var decodeMap = func() [256]byte {
	var m [256]byte
	for i := range m {
		m[i] = 0xFF
	}
	for i := 0; i < len(alphabet); i++ {
		m[alphabet[i]] = byte(i)
	}
	return m
}()

// ErrEmpty is returned by Decode for the empty string, which encodes no
// key.
var ErrEmpty = errors.New("base58: empty string")

// Encode returns the base58 text of b. Each leading zero byte becomes a
// leading '1', as in Bitcoin.
func Encode(b []byte) string {
	zeros := 0
	for zeros < len(b) && b[zeros] == 0 {
		zeros++
	}
	// log(256)/log(58) < 1.37: enough digits for the rest.
	digits := make([]byte, 0, (len(b)-zeros)*137/100+1)
	for _, c := range b[zeros:] {
		carry := int(c)
		for i := range digits {
			carry += int(digits[i]) << 8
			digits[i] = byte(carry % 58)
			carry /= 58
		}
		for carry > 0 {
			digits = append(digits, byte(carry%58))
			carry /= 58
		}
	}
	out := make([]byte, zeros+len(digits))
	for i := 0; i < zeros; i++ {
		out[i] = '1'
	}
	for i, d := range digits {
		out[len(out)-1-i] = alphabet[d]
	}
	return string(out)
}

// Decode returns the bytes that s encodes. Inputs longer than 1 KiB are
// refused: nothing the ledger decodes is that long, and the algorithm is
// quadratic.
func Decode(s string) ([]byte, error) {
	if s == "" {
		return nil, ErrEmpty
	}
	if len(s) > 1024 {
		return nil, fmt.Errorf("base58: input of %d characters is too long", len(s))
	}
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	// log(58)/log(256) < 0.74.
	bytes := make([]byte, 0, (len(s)-zeros)*74/100+1)
	for i := zeros; i < len(s); i++ {
		d := decodeMap[s[i]]
		if d == 0xFF {
			return nil, fmt.Errorf("base58: invalid character %q at offset %d", s[i], i)
		}
		carry := int(d)
		for j := range bytes {
			carry += int(bytes[j]) * 58
			bytes[j] = byte(carry)
			carry >>= 8
		}
		for carry > 0 {
			bytes = append(bytes, byte(carry))
			carry >>= 8
		}
	}
	out := make([]byte, zeros+len(bytes))
	for i, b := range bytes {
		out[len(out)-1-i] = b
	}
	return out, nil
}
