package bench_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/cometstream/cometstream/bench"
	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/streamsvc"
)

// This file measures streamsvc's valid_transactions encoder beside the one
// it replaced (json.Marshal of a struct per transaction into a slice grown
// as it goes), for docs/benchmarks.md. The test holds the two byte-equal.

type txMessage struct {
	TransactionID string   `json:"transaction_id"`
	AssetID       string   `json:"asset_id"`
	AssetIDs      []string `json:"asset_ids"`
	Height        int64    `json:"height"`
}

// marshalFrames is how streamsvc encoded before b6fb159.
func marshalFrames(b *events.Block) []byte {
	var out []byte
	for i := range b.Txs {
		tx := &b.Txs[i]
		body, _ := json.Marshal(txMessage{tx.ID, tx.AssetIDs[0], tx.AssetIDs, b.Height})
		out = appendFrame(out, body)
	}
	return out
}

// appendFrames is the way streamsvc has used since b6fb159: the JSON
// appended by hand into a slice sized once.
func appendFrames(b *events.Block) []byte { return streamsvc.TxFrames(b) }

func appendFrame(dst, payload []byte) []byte {
	n := len(payload)
	switch {
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

func TestAppendFramesMatchesMarshal(t *testing.T) {
	odd := bench.SyntheticBlock("odd", 7, 3)
	odd.Txs[1].AssetIDs = []string{"a<b>&\"c\\", "é\n"}
	odd.Txs[2].AssetIDs = []string{odd.Txs[2].ID, "second"}
	for _, b := range []*events.Block{bench.SyntheticBlock("t", 1, 1), bench.SyntheticBlock("t", 123456789, 100), odd} {
		if got, want := appendFrames(b), marshalFrames(b); !bytes.Equal(got, want) {
			t.Fatalf("height %d: appendFrames\n%q\nmarshalFrames\n%q", b.Height, got, want)
		}
	}
}

func BenchmarkTxFrames(b *testing.B) {
	for _, impl := range []struct {
		name string
		fn   func(*events.Block) []byte
	}{{"json-marshal", marshalFrames}, {"append", appendFrames}} {
		for _, txs := range []int{1, 100, 1000} {
			b.Run(fmt.Sprintf("impl=%s/txs=%d", impl.name, txs), func(b *testing.B) {
				blk := bench.SyntheticBlock("bench", 123456, txs)
				b.ReportAllocs()
				for b.Loop() {
					impl.fn(blk)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(txs), "ns/tx")
			})
		}
	}
}
