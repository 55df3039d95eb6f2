package events_test

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/proto/eventspb"
)

// resultsBlock is richBlock with the results of its transactions: the
// valid ones (code 0) and a rejected one at index 1, with ABCI events.
func resultsBlock(h int64) *events.Block {
	b := richBlock(h)
	b.HasResults = true
	for i := uint32(0); i < 6; i++ {
		sum := sha256.Sum256(fmt.Appendf(nil, "%d/%d", h, i))
		r := events.TxResult{Index: i, Hash: sum[:], GasWanted: 100, GasUsed: int64(50 + i)}
		if i == 1 {
			r.Code, r.Codespace = 7, "bank"
		} else {
			r.Events = []events.ABCIEvent{
				{Type: "transfer", Attributes: []events.ABCIAttribute{
					{Key: "recipient", Value: fmt.Sprintf("cosmos1r%d", i), Index: true},
					{Key: "amount", Value: "10stake"},
				}},
				{Type: "message"},
			}
		}
		b.Results = append(b.Results, r)
	}
	return b
}

func TestRecordRoundTripWithResults(t *testing.T) {
	for _, in := range []*events.Block{
		resultsBlock(1),
		{Height: 2, HasResults: true}, // a block of no txs still says it has its (zero) results
		{Height: 3, HasResults: true, Results: []events.TxResult{{Index: 0, Code: 1}}},
	} {
		data, err := events.MarshalBlock(in)
		if err != nil {
			t.Fatalf("height %d: MarshalBlock: %v", in.Height, err)
		}
		got, err := events.UnmarshalBlock(data)
		if err != nil {
			t.Fatalf("height %d: UnmarshalBlock: %v", in.Height, err)
		}
		if diff := cmp.Diff(in, got); diff != "" {
			t.Errorf("height %d: round trip (-want +got):\n%s", in.Height, diff)
		}
	}
}

func TestRecordResultsRules(t *testing.T) {
	// Results in a record without the version are not trusted: the block
	// reads as lacking them, as a version 1 record does.
	pb := eventspb.Block{Height: 1, Results: []eventspb.TxResult{{Index: 0}}}
	data, err := pb.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	b, err := events.UnmarshalBlock(data)
	if err != nil || b.HasResults || b.Results != nil {
		t.Errorf("results without a record version: %+v, %v; want a block lacking results", b, err)
	}

	_, err = events.MarshalBlock(&events.Block{Height: 1, Results: []events.TxResult{{Index: 0}}})
	wantErrContains(t, err, "encode block record", "said to lack them")

	bad := eventspb.Block{Height: 1, RecordVersion: 2, Results: []eventspb.TxResult{{Index: 3}, {Index: 3}}}
	data, err = bad.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	_, err = events.UnmarshalBlock(data)
	wantErrContains(t, err, "decode block record", "result 1 has index 3")
	_, err = events.MarshalBlock(&events.Block{Height: 1, HasResults: true, Results: []events.TxResult{{Index: 3}, {Index: 3}}})
	wantErrContains(t, err, "encode block record", "result 1 has index 3")
}

// testdata/eventlog-v1 was written by the store before records held tx
// results (richBlock 1 to 5): it opens, its blocks read as they were and
// as lacking results, and blocks with results append after them.
func TestVersion1LogReadsAsLackingResults(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join("testdata", "eventlog-v1", "00000000000000000001.seg")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, filepath.Base(src)), data, 0o640); err != nil {
		t.Fatal(err)
	}
	s := openStore(t, events.SegmentConfig{Dir: dir})
	checkBounds(t, s, 1, 5)
	appendBlocks(t, s, resultsBlock, 6, 7)
	closeStore(t, s)

	s = openStore(t, events.SegmentConfig{Dir: dir})
	defer closeStore(t, s)
	for h := int64(1); h <= 7; h++ {
		want := richBlock(h)
		if h > 5 {
			want = resultsBlock(h)
		}
		got, err := s.Get(h)
		if err != nil {
			t.Fatalf("Get(%d): %v", h, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("height %d (-want +got):\n%s", h, diff)
		}
	}
}
