package bench

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/wire"
)

// syntheticKey is a real base58 ed25519 public key, so that events carry
// what a decoded Planetmint CREATE carries.
const syntheticKey = "3KrJ8gSSy7y1rsMU7tXJCh9uCSDNjSYxgxcGb2vGgxmb"

// SyntheticBlock returns block h with n CREATE transactions, each with the
// fields events.Planetmint decodes from a real one (64-digit ids, one asset,
// a public key, an owner), so the stream's messages have their real size
// (about 220 bytes each on valid_transactions). run makes ids differ across
// runs.
func SyntheticBlock(run string, h int64, n int) *events.Block {
	b := &events.Block{Height: h, Hash: digest(run, h, -1), Time: time.Now().UTC(), Txs: make([]events.Tx, n)}
	for i := range b.Txs {
		id := hex.EncodeToString(digest(run, h, i))
		b.Txs[i] = events.Tx{Index: uint32(i), ID: id, AssetIDs: []string{id}, Operation: "CREATE",
			PublicKeys: []string{syntheticKey}, OwnersBefore: []string{syntheticKey}}
	}
	return b
}

func digest(run string, h int64, i int) []byte {
	var buf []byte
	buf = append(buf, run...)
	buf = binary.BigEndian.AppendUint64(buf, uint64(h))
	buf = binary.BigEndian.AppendUint64(buf, uint64(i))
	sum := sha256.Sum256(buf)
	return sum[:]
}

// TxFrames returns b's valid_transactions messages as a subscriber without
// compression receives them, so that the floor sends the same bytes: per
// transaction, wire.TxMessage as json.Marshal writes it (the form the
// server keeps) in one unmasked text frame (RFC 6455 5.2), back to back.
// TestTxFramesAreWhatTheServerSends holds them equal to a real server's.
// The floor encodes before its timed publish, so json.Marshal's cost is
// not the floor's.
func TxFrames(b *events.Block) []byte {
	var out []byte
	for i := range b.Txs {
		tx := &b.Txs[i]
		assets := tx.AssetIDs
		if len(assets) == 0 {
			assets = []string{tx.ID} // the server's fallback
		}
		body, err := json.Marshal(wire.TxMessage{TransactionID: tx.ID, AssetID: assets[0], AssetIDs: assets, Height: b.Height})
		if err != nil {
			panic(err) // strings and an int64 always marshal
		}
		out = appendTextFrame(out, body)
	}
	return out
}

// appendTextFrame appends a final, unmasked text frame with the payload
// length in its shortest form.
func appendTextFrame(dst, payload []byte) []byte {
	switch n := len(payload); {
	case n < 126:
		dst = append(dst, 0x81, byte(n))
	case n <= 0xFFFF:
		dst = append(dst, 0x81, 126)
		dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	default:
		dst = append(dst, 0x81, 127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	return append(dst, payload...)
}
