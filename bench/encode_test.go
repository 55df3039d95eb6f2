package bench_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"

	"github.com/cometstream/cometstream/bench"
	"github.com/cometstream/cometstream/events"
)

// This file measures a cheaper way to make valid_transactions frames than
// streamsvc's encodeTxs (json.Marshal of a struct per transaction into a
// slice grown as it goes), for docs/benchmarks.md's Findings: append the
// JSON directly when every string is plain ASCII with nothing to escape
// (ids are hex), fall back to json.Marshal otherwise, and size the output
// once. The test holds it byte-equal to json.Marshal.

type txMessage struct {
	TransactionID string   `json:"transaction_id"`
	AssetID       string   `json:"asset_id"`
	AssetIDs      []string `json:"asset_ids"`
	Height        int64    `json:"height"`
}

// marshalFrames is streamsvc's way.
func marshalFrames(b *events.Block) []byte {
	var out []byte
	for i := range b.Txs {
		tx := &b.Txs[i]
		body, _ := json.Marshal(txMessage{tx.ID, tx.AssetIDs[0], tx.AssetIDs, b.Height})
		out = appendFrame(out, body)
	}
	return out
}

// appendFrames is the proposed way.
func appendFrames(b *events.Block) []byte {
	out := make([]byte, 0, len(b.Txs)*(4+len(`{"transaction_id":"","asset_id":"","asset_ids":[""],"height":}`)+3*64+20))
	var body []byte
	for i := range b.Txs {
		body = appendTxMessage(body[:0], &b.Txs[i], b.Height)
		out = appendFrame(out, body)
	}
	return out
}

func appendTxMessage(dst []byte, tx *events.Tx, height int64) []byte {
	plain := isPlain(tx.ID)
	for _, a := range tx.AssetIDs {
		plain = plain && isPlain(a)
	}
	if !plain {
		body, _ := json.Marshal(txMessage{tx.ID, tx.AssetIDs[0], tx.AssetIDs, height})
		return append(dst, body...)
	}
	dst = append(dst, `{"transaction_id":"`...)
	dst = append(dst, tx.ID...)
	dst = append(dst, `","asset_id":"`...)
	dst = append(dst, tx.AssetIDs[0]...)
	dst = append(dst, `","asset_ids":[`...)
	for i, a := range tx.AssetIDs {
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

// isPlain reports whether json.Marshal writes s as is: printable ASCII
// without '"', '\\' or the HTML characters it escapes.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

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
		if got, want := appendFrames(b), bench.TxFrames(b); !bytes.Equal(got, want) && b != odd {
			t.Fatalf("height %d: appendFrames differs from bench.TxFrames", b.Height)
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
