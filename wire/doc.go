// Package wire is the one vocabulary of the event streams: the JSON
// messages (TxMessage, BlockMessage), the stream paths, the query
// parameters and their parser (ParseQuery, Query.Encode), the
// Cometstream-Next-Height header, the JSON error body of a refused
// request, and the "resume with from_height=H" close reason.
//
// The server (streamsvc), the Go client and its test node (clienttest) all
// use it, so that a fake cannot accept what the server refuses and a client
// cannot build a request the server would not parse. Field order of the
// messages is the order clients see.
package wire
