// Package webapi runs the node's Web API HTTP server (port 9984 by default):
// the API root documents that advertise the event streams, and the
// Planetmint HTTP API routes of API (api.go):
//
//	POST /api/v1/transactions?mode=async|sync|commit
//	GET  /api/v1/transactions/{id}
//	GET  /api/v1/transactions?asset_ids=...&operation=...&last_tx=...
//	GET  /api/v1/outputs?public_key=...&spent=true|false
//	GET  /api/v1/blocks/{height}, /api/v1/blocks/latest
//	GET  /api/v1/blocks?transaction_id=...
//	GET  /api/v1/assets/{cid}?limit=..., /api/v1/metadata/{cid}?limit=...
//
// docs/compatibility.md compares each with Planetmint 2.x and BigchainDB
// 2.x; a refused transaction gets Planetmint's message (refusal.go).
//
// API reads and validates through a Ledger and submits through a
// Broadcaster (CometBFT's in-process RPC client in a node), both small
// interfaces so that the handlers are tested without a chain. Reads see
// committed state, which the ledger writes before the stream sends the
// block's events: a client that saw a transaction on the stream can read
// it here. Every response, errors included, is JSON.
package webapi
