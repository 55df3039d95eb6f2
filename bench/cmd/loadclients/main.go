// Command loadclients opens K WebSocket connections (or, with -mode sse,
// Server-Sent Events streams) to a stream from one source address and
// reports, on stdout, what each received and when (see bench/protocol.go).
// The benchmark driver runs it for you; by hand:
//
//	loadclients -url ws://127.0.0.1:9985/api/v1/streams/valid_transactions -n 100 -src 127.0.0.2
//	loadclients -mode sse -url http://127.0.0.1:9985/api/v1/streams/valid_transactions -n 100
//
// then type "report" (or "status", "quit") on stdin.
package main

import (
	"os"

	"github.com/cometstream/cometstream/bench/loadclients"
)

func main() { os.Exit(loadclients.Main(os.Args[1:])) }
