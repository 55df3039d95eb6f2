// Package base58 encodes and decodes the Bitcoin base58 alphabet, in which
// Planetmint and BigchainDB write ed25519 public keys (owners_before,
// public_keys, condition details) and the JavaScript driver writes private
// keys.
//
// Decode is strict: every character must be in the alphabet, and the
// ledger additionally re-encodes a decoded key to reject spellings that
// are not canonical, so one key has exactly one text form.
package base58
