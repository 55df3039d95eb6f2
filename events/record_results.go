package events

import "github.com/cometstream/cometstream/proto/eventspb"

// The conversions of tx results between Block and the stored record. Empty
// lists come back nil, like the rest of a decoded block.

func resultsToProto(rs []TxResult) []eventspb.TxResult {
	if len(rs) == 0 {
		return nil
	}
	out := make([]eventspb.TxResult, len(rs))
	for i, r := range rs {
		out[i] = eventspb.TxResult{Index: r.Index, Hash: r.Hash, Code: r.Code, Codespace: r.Codespace,
			GasWanted: r.GasWanted, GasUsed: r.GasUsed}
		if len(r.Events) > 0 {
			out[i].Events = make([]eventspb.Event, len(r.Events))
			for j, e := range r.Events {
				pe := eventspb.Event{Type: e.Type}
				if len(e.Attributes) > 0 {
					pe.Attributes = make([]eventspb.Attribute, len(e.Attributes))
					for k, a := range e.Attributes {
						pe.Attributes[k] = eventspb.Attribute{Key: a.Key, Value: a.Value, Index: a.Index}
					}
				}
				out[i].Events[j] = pe
			}
		}
	}
	return out
}

func resultsFromProto(rs []eventspb.TxResult) []TxResult {
	if len(rs) == 0 {
		return nil
	}
	out := make([]TxResult, len(rs))
	for i, r := range rs {
		out[i] = TxResult{Index: r.Index, Code: r.Code, Codespace: r.Codespace, GasWanted: r.GasWanted, GasUsed: r.GasUsed}
		if len(r.Hash) > 0 {
			out[i].Hash = r.Hash
		}
		if len(r.Events) > 0 {
			out[i].Events = make([]ABCIEvent, len(r.Events))
			for j, e := range r.Events {
				ev := ABCIEvent{Type: e.Type}
				if len(e.Attributes) > 0 {
					ev.Attributes = make([]ABCIAttribute, len(e.Attributes))
					for k, a := range e.Attributes {
						ev.Attributes[k] = ABCIAttribute{Key: a.Key, Value: a.Value, Index: a.Index}
					}
				}
				out[i].Events[j] = ev
			}
		}
	}
	return out
}
