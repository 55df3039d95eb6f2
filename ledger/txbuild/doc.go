// Package txbuild builds and signs Planetmint (version "3.0") and
// BigchainDB (version "2.0") CREATE and TRANSFER transactions in Go, the
// way the Python and JavaScript drivers do: ed25519 and threshold outputs,
// per-input signatures over the canonical JSON with every fulfillment
// null, and the id over the signed transaction.
//
// It exists for tests and tools: the ledger's tests use it to make fresh
// valid transactions and then break exactly one rule. It does not
// validate what it is given, so it can also sign transactions the ledger
// must refuse (a wrong asset id, amounts that do not add up).
package txbuild
