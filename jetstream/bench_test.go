package jetstream_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/internal/natstest"
	cometjs "github.com/cometstream/cometstream/jetstream"
)

// BenchmarkSinkPublish times the Sink behind the log: each iteration
// appends one block of 100 or 1,000 transactions (with their results:
// 201 or 2,001 messages) and waits until the JetStream stream holds it
// whole, on one nats-server in the process (file storage, replicas 1).
// lag-ms is the time from the append (the hand-off after Commit) to the
// last acknowledgement; msgs/s the messages published per second.
func BenchmarkSinkPublish(b *testing.B) {
	for _, txs := range []int{100, 1000} {
		b.Run(fmt.Sprintf("txs=%d", txs), func(b *testing.B) {
			c := natstest.Start(b, 1)
			store, err := events.NewMemStore(4096)
			if err != nil {
				b.Fatal(err)
			}
			log, err := events.NewLog(store, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer log.Close()
			s, err := cometjs.New(cometjs.Config{Log: log, ChainID: "bench", Conn: cometjs.Conn{Servers: c.URLs()}})
			if err != nil {
				b.Fatal(err)
			}
			if err := s.Start(); err != nil {
				b.Fatal(err)
			}
			defer s.Close(context.Background())
			var lags []time.Duration
			h := int64(0)
			for b.Loop() {
				h++
				blk := benchBlock(h, txs)
				start := time.Now()
				if _, err := log.Append(blk); err != nil {
					b.Fatal(err)
				}
				for s.Stats().Height < h {
					time.Sleep(50 * time.Microsecond)
				}
				lags = append(lags, time.Since(start))
			}
			var sum time.Duration
			for _, d := range lags {
				sum += d
			}
			slices.Sort(lags)
			b.ReportMetric(sum.Seconds()*1000/float64(len(lags)), "lag-ms")
			b.ReportMetric(float64(lags[len(lags)*99/100].Microseconds())/1000, "p99-lag-ms")
			b.ReportMetric(float64(len(lags)*(2*txs+1))/sum.Seconds(), "msgs/s")
		})
	}
}

func benchBlock(h int64, txs int) *events.Block {
	sum := sha256.Sum256([]byte(strconv.FormatInt(h, 10)))
	b := &events.Block{Height: h, Hash: sum[:], Time: time.Unix(1700000000+h, 0).UTC(), HasResults: true}
	for i := range txs {
		id := fmt.Sprintf("%032x%032x", h, i)
		b.Txs = append(b.Txs, events.Tx{Index: uint32(i), ID: id, AssetIDs: []string{id}, Operation: "CREATE"})
		b.Results = append(b.Results, events.TxResult{Index: uint32(i), Hash: sum[:]})
	}
	return b
}
