// Package canonical writes the canonical JSON that Planetmint and BigchainDB
// hash to derive transaction ids and signed messages.
//
// The reference servers decode a transaction with Python's json module and
// serialise it again with python-rapidjson (sort_keys=True,
// ensure_ascii=False). Any byte that differs from their output yields a
// different id, so this package reproduces that output exactly rather than
// relying on encoding/json, which escapes <, >, &, U+2028 and U+2029, writes
// lower-case \u escapes and formats numbers differently:
//
//   - object keys sorted by Unicode code point;
//   - no whitespace, separators "," and ":";
//   - UTF-8 written as is; only '"', '\' and control characters below
//     U+0020 escaped (\b \t \n \f \r, otherwise \u00XX with upper-case hex);
//   - integers written as Python prints an int, other numbers as Python
//     prints a float (repr), so "1.50" becomes 1.5 and "1E2" becomes 100.0.
//
// Unmarshal is the matching decoder: it rejects input that the reference
// servers cannot hash (invalid UTF-8, unpaired surrogate escapes, numbers
// beyond float64, trailing data), so every value it returns can be
// marshalled.
package canonical
