package wire

import "fmt"

// Error is the JSON body of every refused HTTP request:
// {"message": ..., "status": ...}, the shape Planetmint's Web API uses. A
// 410 for a from_height no longer kept adds oldest_height.
type Error struct {
	Message      string `json:"message"`
	Status       int    `json:"status"`
	OldestHeight int64  `json:"oldest_height,omitempty"`
}

// Gone is the 410 body for a subscription asking for from, below oldest,
// the oldest height the node keeps.
func Gone(from, oldest int64) Error {
	return Error{
		Message:      fmt.Sprintf("height %d is no longer kept; the oldest kept is %d", from, oldest),
		Status:       410,
		OldestHeight: oldest,
	}
}

// NoStream is the message of the 404 for a path that is not a stream. Every
// 404 message of the node starts "Not found", as Planetmint's does.
func NoStream(path string) string {
	return fmt.Sprintf("Not found: no stream at %s; streams are %s and %s", path, PathTransactions, PathBlocks)
}
