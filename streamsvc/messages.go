package streamsvc

import (
	"fmt"

	"github.com/cometstream/cometstream/events"
)

// Messages returns block b's messages on the stream at path (one of the
// stream paths), exactly as a WebSocket subscriber receives them, for a
// publisher of the log elsewhere (package jetstream): the i-th message is
// the one whose event-stream id is "<height>:<i>".
func Messages(path string, b *events.Block) ([][]byte, error) {
	var encode func(*events.Block, frameFunc) frames
	switch path {
	case PathTransactions:
		encode = encodeTxs
	case PathBlocks:
		encode = encodeBlock
	case PathTxResults:
		encode = encodeTxResults
	default:
		return nil, fmt.Errorf("stream messages: %q is no stream path", path)
	}
	f := encode(b, appendPayload)
	out := make([][]byte, len(f.ends))
	for i := range f.ends {
		out[i] = f.frame(i)
	}
	return out, nil
}

// appendPayload is a frameFunc without the frame: the message alone.
func appendPayload(dst, payload []byte) []byte { return append(dst, payload...) }
