package events_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/proto/eventspb"
)

func TestRecordRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   *events.Block
		want *events.Block // nil: same as in
	}{
		{name: "every field", in: richBlock(1)},
		{name: "no tx", in: richBlock(3)},
		{name: "height only", in: &events.Block{Height: 1}},
		{name: "large height", in: &events.Block{Height: 1<<62 + 5, Hash: []byte{0}}},
		{
			name: "time in another zone comes back in UTC",
			in:   &events.Block{Height: 2, Time: time.Date(2025, 1, 2, 3, 4, 5, 6, time.FixedZone("X", 3600))},
			want: &events.Block{Height: 2, Time: time.Date(2025, 1, 2, 2, 4, 5, 6, time.UTC)},
		},
		{
			name: "time before 1970",
			in:   &events.Block{Height: 2, Time: time.Date(1960, 1, 2, 3, 4, 5, 6, time.UTC)},
		},
		{
			name: "the epoch is stored as no time",
			in:   &events.Block{Height: 2, Time: time.Unix(0, 0)},
			want: &events.Block{Height: 2},
		},
		{
			name: "empty lists come back nil",
			in: &events.Block{Height: 4, Hash: []byte{}, Txs: []events.Tx{{
				ID: "a", AssetIDs: []string{"b"}, PublicKeys: []string{}, OwnersBefore: []string{},
			}}},
			want: &events.Block{Height: 4, Txs: []events.Tx{{ID: "a", AssetIDs: []string{"b"}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := events.MarshalBlock(tt.in)
			if err != nil {
				t.Fatalf("MarshalBlock: %v", err)
			}
			got, err := events.UnmarshalBlock(data)
			if err != nil {
				t.Fatalf("UnmarshalBlock: %v", err)
			}
			want := tt.want
			if want == nil {
				want = tt.in
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
			if got.Time.Location() != time.UTC {
				t.Errorf("time location = %v, want UTC", got.Time.Location())
			}
		})
	}
}

// The record is the eventspb.Block message: other readers of the files can
// use the generated type.
func TestRecordIsTheProtoMessage(t *testing.T) {
	b := richBlock(2)
	data, err := events.MarshalBlock(b)
	if err != nil {
		t.Fatal(err)
	}
	var pb eventspb.Block
	if err := pb.Unmarshal(data); err != nil {
		t.Fatal(err)
	}
	want := &eventspb.Block{Height: b.Height, Hash: b.Hash, TimeUnixNano: b.Time.UnixNano()}
	for _, tx := range b.Txs {
		want.Txs = append(want.Txs, eventspb.Tx{
			Index: tx.Index, Id: tx.ID, AssetIds: tx.AssetIDs, Operation: tx.Operation,
			PublicKeys: tx.PublicKeys, OwnersBefore: tx.OwnersBefore,
		})
	}
	if diff := cmp.Diff(want, &pb, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("proto message (-want +got):\n%s", diff)
	}
}

// Both directions refuse the same blocks, so nothing written is unreadable.
func TestRecordRefusesInvalidBlocks(t *testing.T) {
	tx := func(index uint32, id string, assets ...string) eventspb.Tx {
		return eventspb.Tx{Index: index, Id: id, AssetIds: assets}
	}
	tests := []struct {
		name string
		pb   eventspb.Block
		want string
	}{
		{"height 0", eventspb.Block{}, "height 0"},
		{"negative height", eventspb.Block{Height: -3}, "height -3"},
		{"tx without id", eventspb.Block{Height: 1, Txs: []eventspb.Tx{tx(0, "", "a")}}, "no id"},
		{"tx without asset", eventspb.Block{Height: 1, Txs: []eventspb.Tx{tx(0, "a")}}, "no asset id"},
		{"same index twice", eventspb.Block{Height: 1, Txs: []eventspb.Tx{tx(1, "a", "a"), tx(1, "b", "b")}}, "index 1"},
		{"decreasing index", eventspb.Block{Height: 1, Txs: []eventspb.Tx{tx(4, "a", "a"), tx(2, "b", "b")}}, "index 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := tt.pb.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			_, err = events.UnmarshalBlock(data)
			wantErrContains(t, err, "decode block record", tt.want)

			b := &events.Block{Height: tt.pb.Height}
			for _, p := range tt.pb.Txs {
				b.Txs = append(b.Txs, events.Tx{Index: p.Index, ID: p.Id, AssetIDs: p.AssetIds})
			}
			_, err = events.MarshalBlock(b)
			wantErrContains(t, err, "encode block record", tt.want)
		})
	}
}

func TestRecordRefusesGarbageAndUnrepresentableTimes(t *testing.T) {
	if _, err := events.UnmarshalBlock([]byte{0xff, 0xff, 0xff}); err == nil {
		t.Error("UnmarshalBlock(garbage): error = nil")
	}
	if _, err := events.MarshalBlock(nil); err == nil {
		t.Error("MarshalBlock(nil): error = nil")
	}
	for _, tm := range []time.Time{
		time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		_, err := events.MarshalBlock(&events.Block{Height: 1, Time: tm})
		wantErrContains(t, err, "out of the range")
	}
}
