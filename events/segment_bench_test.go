package events_test

import (
	"fmt"
	"testing"

	"github.com/cometstream/cometstream/events"
)

// benchBlock has n txs shaped like Planetmint ones.
func benchBlock(h int64, n int) *events.Block {
	b := richBlock(1)
	b.Height = h
	b.Txs = make([]events.Tx, n)
	for i := range b.Txs {
		id := events.RawID(fmt.Appendf(nil, "%d/%d", h, i))
		b.Txs[i] = events.Tx{Index: uint32(i), ID: id, AssetIDs: []string{id}, Operation: "TRANSFER",
			PublicKeys: []string{"3KrJ8gSSy7y1rsMU7tXJCh9uCSDNjSYxgxcGb2vGgxmb"}, OwnersBefore: []string{"9TkRZ7fZj9FGCHs1ZyUoWd1FRcKxfVbhm9gVvMGWkuSa"}}
	}
	return b
}

// BenchmarkSegmentAppend appends pre-built blocks with the default settings
// (no fsync per write; a roll every 64 MiB syncs the segment left).
func BenchmarkSegmentAppend(b *testing.B) {
	for _, txs := range []int{1, 100} {
		b.Run(fmt.Sprintf("txs=%d", txs), func(b *testing.B) {
			s := openStore(b, events.SegmentConfig{Dir: b.TempDir()})
			proto := benchBlock(1, txs)
			rec := len(frame(b, proto))
			blocks := make([]*events.Block, 4096)
			for i := range blocks {
				c := *proto
				blocks[i] = &c
			}
			b.SetBytes(int64(rec))
			b.ReportAllocs()
			h := int64(0)
			for b.Loop() {
				h++
				blk := blocks[h%int64(len(blocks))]
				blk.Height = h
				if err := s.Append(blk); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSegmentGetDisk reads blocks outside the cache: a read, a checksum
// and a decode each.
func BenchmarkSegmentGetDisk(b *testing.B) {
	for _, txs := range []int{1, 100} {
		b.Run(fmt.Sprintf("txs=%d", txs), func(b *testing.B) {
			const n = 2000
			s := openStore(b, events.SegmentConfig{Dir: b.TempDir(), CacheBlocks: 1, SegmentBytes: 1 << 20})
			for h := int64(1); h <= n; h++ {
				if err := s.Append(benchBlock(h, txs)); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(len(frame(b, benchBlock(1, txs)))))
			b.ReportAllocs()
			h := int64(0)
			for b.Loop() {
				h = h%(n-1) + 1
				if _, err := s.Get(h); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
