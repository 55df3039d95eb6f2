package events

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/cometstream/cometstream/proto/eventspb"
)

// The block times a record can hold: int64 nanoseconds since the Unix epoch.
var (
	minRecordTime = time.Unix(0, math.MinInt64)
	maxRecordTime = time.Unix(0, math.MaxInt64)
)

// recordVersionResults is the record version from which a record holds
// the block's tx results; earlier records have none (version 0 on the wire).
const recordVersionResults = 2

// MarshalBlock encodes b as the stored record (the eventspb.Block message).
// It refuses what UnmarshalBlock would refuse, so that nothing written is
// unreadable. A zero Time, and the Unix epoch itself, are stored as 0, which
// decodes as the zero Time.
func MarshalBlock(b *Block) ([]byte, error) {
	pb, err := toProto(b)
	if err != nil {
		return nil, err
	}
	return pb.Marshal()
}

// UnmarshalBlock decodes a record made by MarshalBlock. It checks what every
// stored block satisfies: a height of at least 1, and transactions that have
// an id and an asset id, in strictly increasing Index order. The time comes
// back in UTC; empty byte and string lists come back nil.
func UnmarshalBlock(data []byte) (*Block, error) {
	var pb eventspb.Block
	if err := pb.Unmarshal(data); err != nil {
		return nil, fmt.Errorf("decode block record: %w", err)
	}
	b := &Block{Height: pb.Height}
	if len(pb.Hash) > 0 {
		b.Hash = pb.Hash
	}
	if pb.TimeUnixNano != 0 {
		b.Time = time.Unix(0, pb.TimeUnixNano).UTC()
	}
	if len(pb.Txs) > 0 {
		b.Txs = make([]Tx, len(pb.Txs))
		for i, t := range pb.Txs {
			b.Txs[i] = Tx{
				Index:        t.Index,
				ID:           t.Id,
				AssetIDs:     t.AssetIds,
				Operation:    t.Operation,
				PublicKeys:   t.PublicKeys,
				OwnersBefore: t.OwnersBefore,
			}
		}
	}
	if pb.RecordVersion >= recordVersionResults {
		b.HasResults = true
		b.Results = resultsFromProto(pb.Results)
	}
	if err := checkBlock(b); err != nil {
		return nil, fmt.Errorf("decode block record: %w", err)
	}
	return b, nil
}

func toProto(b *Block) (*eventspb.Block, error) {
	if b == nil {
		return nil, errors.New("encode block record: nil block")
	}
	if err := checkBlock(b); err != nil {
		return nil, fmt.Errorf("encode block record: %w", err)
	}
	pb := &eventspb.Block{Height: b.Height, Hash: b.Hash}
	if !b.Time.IsZero() {
		if b.Time.Before(minRecordTime) || b.Time.After(maxRecordTime) {
			return nil, fmt.Errorf("encode block record: height %d: time %v out of the range of int64 nanoseconds", b.Height, b.Time)
		}
		pb.TimeUnixNano = b.Time.UnixNano()
	}
	if len(b.Txs) > 0 {
		pb.Txs = make([]eventspb.Tx, len(b.Txs))
		for i, t := range b.Txs {
			pb.Txs[i] = eventspb.Tx{
				Index:        t.Index,
				Id:           t.ID,
				AssetIds:     t.AssetIDs,
				Operation:    t.Operation,
				PublicKeys:   t.PublicKeys,
				OwnersBefore: t.OwnersBefore,
			}
		}
	}
	if b.HasResults {
		pb.RecordVersion = recordVersionResults
		pb.Results = resultsToProto(b.Results)
	}
	return pb, nil
}

// checkBlock holds the rules shared by encoding and decoding.
func checkBlock(b *Block) error {
	if b.Height < 1 {
		return fmt.Errorf("height %d: must be at least 1", b.Height)
	}
	for i, t := range b.Txs {
		switch {
		case t.ID == "":
			return fmt.Errorf("height %d: tx %d has no id", b.Height, i)
		case len(t.AssetIDs) == 0:
			return fmt.Errorf("height %d: tx %d has no asset id", b.Height, i)
		case i > 0 && t.Index <= b.Txs[i-1].Index:
			return fmt.Errorf("height %d: tx %d has index %d, not above the previous %d", b.Height, i, t.Index, b.Txs[i-1].Index)
		}
	}
	if !b.HasResults && len(b.Results) > 0 {
		return fmt.Errorf("height %d: %d results in a block said to lack them", b.Height, len(b.Results))
	}
	for i, r := range b.Results {
		if i > 0 && r.Index <= b.Results[i-1].Index {
			return fmt.Errorf("height %d: result %d has index %d, not above the previous %d", b.Height, i, r.Index, b.Results[i-1].Index)
		}
	}
	return nil
}
