// Package cc implements the two crypto-condition types that Planetmint and
// BigchainDB transactions use (draft-thomas-crypto-conditions-04, as the
// JavaScript library crypto-conditions 2.2.1 and the Python
// cryptoconditions package implement it):
//
//   - ed25519-sha-256 (type 4): one ed25519 signature;
//   - threshold-sha-256 (type 2): m of n subconditions, used for outputs
//     with several owners.
//
// A Condition is what an output locks its amount with; its URI
// ("ni:///sha-256;...") is what a transaction carries. A Fulfillment is
// what an input carries (base64url of its DER encoding) to unlock it: it
// must validate against the signed message and its derived condition must
// equal the spent output's condition.
//
// Decoding is strict DER with a size and depth limit, since fulfillments
// come from the network. Other condition types (preimage, prefix, RSA) are
// refused: an output's condition details cannot express them, so they can
// never unlock anything on this ledger.
package cc
