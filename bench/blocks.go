package bench

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"time"

	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/streamsvc"
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

// TxFrames returns b's valid_transactions messages as the stream server
// writes them (streamsvc.TxFrames), so the floor sends the same bytes.
func TxFrames(b *events.Block) []byte { return streamsvc.TxFrames(b) }
