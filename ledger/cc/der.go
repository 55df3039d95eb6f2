package cc

import (
	"errors"
	"fmt"
)

// DER tags used by crypto-conditions: context-specific, primitive for
// the fields ([0] 0x80, [1] 0x81, [2] 0x82), constructed for the choice
// alternatives and SET OF fields (0xA0 + n).
const (
	tagField0 = 0x80
	tagField1 = 0x81
	tagField2 = 0x82
	tagSet0   = 0xA0
	tagSet1   = 0xA1
)

var errTruncated = errors.New("truncated DER")

// appendTLV appends one DER element with a definite, minimal length.
func appendTLV(b []byte, tag byte, content []byte) []byte {
	b = append(b, tag)
	n := len(content)
	switch {
	case n < 0x80:
		b = append(b, byte(n))
	case n <= 0xFF:
		b = append(b, 0x81, byte(n))
	case n <= 0xFFFF:
		b = append(b, 0x82, byte(n>>8), byte(n))
	default:
		b = append(b, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, content...)
}

// appendUint appends the content of a DER INTEGER holding v: minimal
// big-endian two's complement, so a leading 0x00 when the top bit is set.
func appendUint(b []byte, v uint64) []byte {
	var buf [9]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte(v)
		v >>= 8
		if v == 0 {
			break
		}
	}
	if buf[i]&0x80 != 0 {
		i--
		buf[i] = 0
	}
	return append(b, buf[i:]...)
}

// readTLV splits the first DER element off b. It accepts only definite
// lengths in their shortest form, as DER requires.
func readTLV(b []byte) (tag byte, content, rest []byte, err error) {
	if len(b) < 2 {
		return 0, nil, nil, errTruncated
	}
	tag, l := b[0], int(b[1])
	b = b[2:]
	if l >= 0x80 {
		nb := l & 0x7F
		if nb == 0 || nb > 3 {
			return 0, nil, nil, fmt.Errorf("unsupported DER length form 0x%02X", l)
		}
		if len(b) < nb {
			return 0, nil, nil, errTruncated
		}
		l = 0
		for _, c := range b[:nb] {
			l = l<<8 | int(c)
		}
		if b[0] == 0 || l < 0x80 {
			return 0, nil, nil, errors.New("DER length not in its shortest form")
		}
		b = b[nb:]
	}
	if len(b) < l {
		return 0, nil, nil, errTruncated
	}
	return tag, b[:l], b[l:], nil
}

// readField reads one element that must carry tag.
func readField(b []byte, tag byte, what string) (content, rest []byte, err error) {
	t, content, rest, err := readTLV(b)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", what, err)
	}
	if t != tag {
		return nil, nil, fmt.Errorf("%s: tag 0x%02X, want 0x%02X", what, t, tag)
	}
	return content, rest, nil
}

// parseUint reads a non-negative DER INTEGER of at most 8 significant
// bytes, refusing non-minimal encodings.
func parseUint(c []byte) (uint64, error) {
	switch {
	case len(c) == 0:
		return 0, errors.New("empty INTEGER")
	case c[0]&0x80 != 0:
		return 0, errors.New("negative INTEGER")
	case len(c) > 1 && c[0] == 0 && c[1]&0x80 == 0:
		return 0, errors.New("INTEGER not in its shortest form")
	}
	if c[0] == 0 {
		c = c[1:]
	}
	if len(c) > 8 {
		return 0, errors.New("INTEGER too large")
	}
	var v uint64
	for _, x := range c {
		v = v<<8 | uint64(x)
	}
	return v, nil
}
