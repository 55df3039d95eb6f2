package streamsvc

import (
	"fmt"
	"testing"
	"time"

	"github.com/cometstream/cometstream/events"
)

// BenchmarkEncode is the once-per-block cost of making a block's frames:
// valid_transactions (one message per tx), valid_blocks (one message), and
// valid_transactions compressed (permessage-deflate). It is paid once per
// block and stream, whatever the number of subscribers.
func BenchmarkEncode(b *testing.B) {
	encoders := []struct {
		name  string
		enc   func(*events.Block, frameFunc) frames
		frame frameFunc
	}{
		{"valid_transactions", encodeTxs, appendTextFrame},
		{"valid_blocks", encodeBlock, appendTextFrame},
		{"valid_transactions_deflate", encodeTxs, appendDeflatedFrame},
	}
	for _, e := range encoders {
		for _, txs := range []int{1, 100, 1000} {
			b.Run(fmt.Sprintf("stream=%s/txs=%d", e.name, txs), func(b *testing.B) {
				blk := encodeBenchBlock(txs)
				var n int
				b.ReportAllocs()
				for b.Loop() {
					n = len(e.enc(blk, e.frame).data)
				}
				b.SetBytes(int64(n))
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(txs), "ns/tx")
			})
		}
	}
}

func encodeBenchBlock(n int) *events.Block {
	b := &events.Block{Height: 123456, Hash: make([]byte, 32), Time: time.Unix(1700000000, 0)}
	for i := range n {
		id := fmt.Sprintf("%064x", i+1)
		b.Txs = append(b.Txs, events.Tx{Index: uint32(i), ID: id, AssetIDs: []string{id}, Operation: "CREATE"})
	}
	return b
}
