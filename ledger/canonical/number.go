package canonical

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// formatNumber rewrites a JSON number the way the reference servers do
// after json.loads turned it into a Python int or float.
func formatNumber(s string) (string, error) {
	if !isJSONNumber(s) {
		return "", fmt.Errorf("canonical: malformed number %q", s)
	}
	if !strings.ContainsAny(s, ".eE") {
		// A Python int prints as it was written, except that -0 is 0
		// (JSON forbids the other leading zeros).
		if s == "-0" {
			return "0", nil
		}
		return s, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && (math.IsInf(f, 0) || math.IsNaN(f)) {
		return "", fmt.Errorf("canonical: number %s does not fit a float64", s)
	}
	return formatFloat(f)
}

// formatFloat prints f as Python's repr does: the shortest digits that
// round-trip, positional notation for exponents in [-4, 16), otherwise
// scientific notation with a signed, at least two-digit exponent, and
// always a fraction or an exponent so the value stays a float.
func formatFloat(f float64) (string, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", fmt.Errorf("canonical: non-finite number %v", f)
	}
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0", nil
		}
		return "0.0", nil
	}
	sci := strconv.FormatFloat(f, 'e', -1, 64) // e.g. -1.2345e+17, 5e-324
	mant, expText, _ := strings.Cut(sci, "e")
	exp, err := strconv.Atoi(expText)
	if err != nil {
		return "", fmt.Errorf("canonical: format %v: %w", f, err)
	}
	if exp < -4 || exp >= 16 {
		// Go's shortest 'e' format already matches repr here.
		return sci, nil
	}
	sign := ""
	if mant[0] == '-' {
		sign, mant = "-", mant[1:]
	}
	digits := strings.Replace(mant, ".", "", 1)
	var b strings.Builder
	b.WriteString(sign)
	if exp < 0 {
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -exp-1))
		b.WriteString(digits)
		return b.String(), nil
	}
	if len(digits) <= exp+1 {
		b.WriteString(digits)
		b.WriteString(strings.Repeat("0", exp+1-len(digits)))
		b.WriteString(".0")
		return b.String(), nil
	}
	b.WriteString(digits[:exp+1])
	b.WriteByte('.')
	b.WriteString(digits[exp+1:])
	return b.String(), nil
}

// isJSONNumber reports whether s matches the JSON number grammar
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? , which a json.Number
// built by hand need not.
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		i = skipDigits(s, i)
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		j := skipDigits(s, i+1)
		if j == i+1 {
			return false
		}
		i = j
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := skipDigits(s, i)
		if j == i {
			return false
		}
		i = j
	}
	return i == len(s)
}

func skipDigits(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}
