package canonical

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"unicode/utf8"
)

// Unmarshal decodes one JSON value with numbers kept as json.Number, the
// form Marshal expects.
//
// It is stricter than encoding/json where the reference servers cannot
// hash the input, so that any value it returns can be marshalled: invalid
// UTF-8 (encoding/json would silently replace it with U+FFFD), unpaired
// UTF-16 surrogate escapes (likewise), numbers beyond the float64 range and
// anything after the value other than white space are errors.
func Unmarshal(b []byte) (any, error) {
	if !utf8.Valid(b) {
		return nil, errors.New("canonical: input is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("canonical: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("canonical: data after the JSON value")
	}
	if err := checkSurrogates(b); err != nil {
		return nil, err
	}
	if err := checkNumbers(v); err != nil {
		return nil, err
	}
	return v, nil
}

// checkSurrogates rejects \uD800-\uDFFF escapes that do not form a
// high-low pair. b must already be valid JSON, so backslashes occur only
// inside strings and every escape is complete.
func checkSurrogates(b []byte) error {
	inString := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !inString {
			inString = c == '"'
			continue
		}
		switch c {
		case '"':
			inString = false
		case '\\':
			i++
			if b[i] != 'u' {
				continue
			}
			r := hex4(b[i+1 : i+5])
			i += 4
			if r < 0xD800 || r > 0xDFFF {
				continue
			}
			if r <= 0xDBFF && i+6 < len(b) && b[i+1] == '\\' && b[i+2] == 'u' {
				if lo := hex4(b[i+3 : i+7]); lo >= 0xDC00 && lo <= 0xDFFF {
					i += 6
					continue
				}
			}
			return fmt.Errorf("canonical: unpaired surrogate escape \\u%04X", r)
		}
	}
	return nil
}

func hex4(b []byte) rune {
	var r rune
	for _, c := range b {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		}
	}
	return r
}

func checkNumbers(v any) error {
	switch x := v.(type) {
	case json.Number:
		_, err := formatNumber(string(x))
		return err
	case []any:
		for _, e := range x {
			if err := checkNumbers(e); err != nil {
				return err
			}
		}
	case map[string]any:
		// Sorted so that the error reported for a bad input is the same
		// on every node.
		for _, k := range slices.Sorted(maps.Keys(x)) {
			if err := checkNumbers(x[k]); err != nil {
				return err
			}
		}
	}
	return nil
}
