package bench

// The driver talks to each load-client process over its stdin and stdout:
// the process writes a Ready line once its connections are set up, then
// answers each command line on stdin with one JSON line. Closing stdin has
// the effect of CmdQuit.
const (
	// CmdStatus asks for a Status.
	CmdStatus = "status"
	// CmdReport asks for a Report; the per-height data and message counts
	// start again from zero after it.
	CmdReport = "report"
	// CmdQuit closes every connection (close code 1000) and ends the
	// process after a last Status.
	CmdQuit = "quit"
)

// Client modes: what the connections subscribe to.
const (
	// ModeStream reads cometstream's valid_transactions (or valid_blocks)
	// messages; the height is the message's "height" field.
	ModeStream = "stream"
	// ModeSSE reads the same messages as Server-Sent Events: a GET with
	// Accept: text/event-stream on the stream's http:// URL; the height is
	// each data line's "height" field.
	ModeSSE = "sse"
	// ModeCometBFT subscribes to tm.event='Tx' on CometBFT's RPC
	// /websocket; the height is the event's TxResult height.
	ModeCometBFT = "cometbft"
)

// Ready is a client process's first line.
type Ready struct {
	Conns     int            `json:"conns"`     // connections asked for
	Connected int            `json:"connected"` // connected and subscribed
	Errors    map[string]int `json:"errors,omitempty"`
}

// Status counts what a client process received since its last Report.
type Status struct {
	Msgs  int64 `json:"msgs"`  // event messages
	Open  int   `json:"open"`  // subscriptions still open
	Ended int   `json:"ended"` // subscriptions the server ended (ever)
}

// Report is what a client process received since its last Report.
type Report struct {
	Status
	Heights []HeightReport `json:"heights"`
	// Ends counts why subscriptions ended: a close frame's code and
	// reason, a JSON-RPC error's message, or a read error.
	Ends map[string]int `json:"ends,omitempty"`
	// CPUNanos is the process's user plus system CPU time since it started.
	CPUNanos int64 `json:"cpu_ns"`
}

// HeightReport is one height's messages, per connection (index i is the
// process's i-th subscribed connection).
type HeightReport struct {
	Height int64   `json:"h"`
	Counts []int32 `json:"n"` // messages of this height
	Last   []int64 `json:"t"` // Unix ns of the receipt of its last one; 0 for none
}
