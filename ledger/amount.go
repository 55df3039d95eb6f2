package ledger

import (
	"fmt"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
)

// parseAmount reads an output amount: a string of 1 to 20 decimal digits
// (the schema's pattern) whose value is in 1..MaxAmount. Leading zeros
// are allowed, as the reference servers read the value with int().
func parseAmount(v any, field string) (string, uint64, error) {
	s, ok := v.(string)
	if !ok {
		return "", 0, rejectAs(CodeBadAmount, exceptionSchema, field+" must be a string of decimal digits", "")
	}
	if len(s) == 0 || len(s) > 20 || strings.Trim(s, "0123456789") != "" {
		return "", 0, rejectAs(CodeBadAmount, exceptionSchema, fmt.Sprintf("%s %q must be 1 to 20 decimal digits", field, s), "")
	}
	digits := strings.TrimLeft(s, "0")
	n, err := strconv.ParseUint(digits, 10, 64)
	switch {
	case digits == "":
		return "", 0, rejectAs(CodeBadAmount, exceptionAmount, msgAmountNotPositive, fmt.Sprintf("%s %q must be at least 1", field, s))
	case err != nil || n > MaxAmount:
		return "", 0, rejectAs(CodeBadAmount, exceptionAmount, msgAmountOverMaximum, fmt.Sprintf("%s %q exceeds the maximum %d", field, s, uint64(MaxAmount)))
	}
	return s, n, nil
}

// sum128 adds amounts without overflow: a TRANSFER may have many inputs
// and outputs of up to MaxAmount each.
type sum128 struct{ hi, lo uint64 }

func (s *sum128) add(v uint64) {
	var carry uint64
	s.lo, carry = bits.Add64(s.lo, v, 0)
	s.hi += carry
}

func (s sum128) String() string {
	n := new(big.Int).SetUint64(s.hi)
	n.Lsh(n, 64)
	return n.Add(n, new(big.Int).SetUint64(s.lo)).String()
}
