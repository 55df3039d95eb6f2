package streamsvc

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"sync"

	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/wire"
)

// frames is a block's messages for one stream, each already framed as an
// unmasked WebSocket text frame and laid back to back, ready for the socket.
// ends[i] is where the frame of the block's i-th event ends, so a filtered
// subscriber can pick single frames out of data without copying.
type frames struct {
	data []byte
	ends []int
	// events[i] are the query events of the i-th message (tx_results only).
	events []map[string][]string
}

// frame returns the i-th event's frame.
func (f *frames) frame(i int) []byte {
	start := 0
	if i > 0 {
		start = f.ends[i-1]
	}
	return f.data[start:f.ends[i]]
}

// frameFunc appends one message's frame: plain or deflated.
type frameFunc func(dst, payload []byte) []byte

// encodeTxs frames one valid_transactions message per transaction. The
// JSON is appended by hand, in json.Marshal's exact form, since this runs
// for every transaction the stream carries (make bench: 1.4 us per
// transaction with json.Marshal, about 0.4 us this way).
func encodeTxs(b *events.Block, frame frameFunc) frames {
	// Messages are ~220 bytes with their frame header: size the output once.
	out := make([]byte, 0, len(b.Txs)*240)
	ends := make([]int, len(b.Txs))
	body := make([]byte, 0, 256)
	for i := range b.Txs {
		body = appendTxMessage(body[:0], &b.Txs[i], b.Height)
		out = frame(out, body)
		ends[i] = len(out)
	}
	return frames{data: out, ends: ends}
}

// appendTxMessage appends tx's valid_transactions message.
func appendTxMessage(dst []byte, tx *events.Tx, height int64) []byte {
	assets := tx.AssetIDs
	if len(assets) == 0 {
		// The asset id rule's fallback: a block built without NewTx
		// must not crash the node from a subscriber goroutine.
		assets = []string{tx.ID}
	}
	plain := isPlainJSON(tx.ID)
	for _, a := range assets {
		plain = plain && isPlainJSON(a)
	}
	if !plain { // ids of other applications may need escaping
		body, _ := json.Marshal(wire.TxMessage{TransactionID: tx.ID, AssetID: assets[0], AssetIDs: assets, Height: height})
		return append(dst, body...)
	}
	dst = append(dst, `{"transaction_id":"`...)
	dst = append(dst, tx.ID...)
	dst = append(dst, `","asset_id":"`...)
	dst = append(dst, assets[0]...)
	dst = append(dst, `","asset_ids":[`...)
	for i, a := range assets {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		dst = append(dst, a...)
		dst = append(dst, '"')
	}
	dst = append(dst, `],"height":`...)
	dst = strconv.AppendInt(dst, height, 10)
	return append(dst, '}')
}

// isPlainJSON reports whether json.Marshal writes s unchanged between its
// quotes: printable ASCII without '"', '\' or the HTML characters it
// escapes.
func isPlainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// encodeBlock frames the block's valid_blocks message.
func encodeBlock(b *events.Block, frame frameFunc) frames {
	ids := make([]string, len(b.Txs))
	for i := range b.Txs {
		ids[i] = b.Txs[i].ID
	}
	body, _ := json.Marshal(wire.BlockMessage{
		Height:         b.Height,
		Hash:           strings.ToUpper(hex.EncodeToString(b.Hash)),
		TransactionIDs: ids,
	})
	data := frame(nil, body)
	return frames{data: data, ends: []int{len(data)}}
}

// appendTextFrame appends a final, unmasked text frame (RFC 6455 5.2): the
// server never masks, so one framing serves every subscriber.
func appendTextFrame(dst, payload []byte) []byte {
	return append(appendHeader(dst, 0x81, len(payload)), payload...)
}

// appendHeader appends a frame header: first byte (FIN, RSV, opcode) and
// the payload length in its shortest form.
func appendHeader(dst []byte, first byte, n int) []byte {
	switch {
	case n < 126:
		return append(dst, first, byte(n))
	case n <= 0xFFFF:
		dst = append(dst, first, 126)
		return binary.BigEndian.AppendUint16(dst, uint16(n))
	default:
		dst = append(dst, first, 127)
		return binary.BigEndian.AppendUint64(dst, uint64(n))
	}
}

// frameCache encodes each block once per stream, whoever asks first, and
// hands the same bytes to every other subscriber. It is keyed by the block
// pointer, which the log shares among its readers; a reader far behind the
// cache's reach encodes for itself.
type frameCache struct {
	encode func(*events.Block) frames
	mu     sync.Mutex
	slots  []*cacheEntry
}

type cacheEntry struct {
	block *events.Block
	once  sync.Once
	f     frames
}

func newFrameCache(size int, encode func(*events.Block) frames) *frameCache {
	return &frameCache{encode: encode, slots: make([]*cacheEntry, size)}
}

func (c *frameCache) get(b *events.Block) frames {
	i := int(uint64(b.Height) % uint64(len(c.slots)))
	c.mu.Lock()
	e := c.slots[i]
	if e == nil || e.block != b {
		e = &cacheEntry{block: b}
		c.slots[i] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.f = c.encode(b) })
	return e.f
}
