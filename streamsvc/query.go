package streamsvc

import (
	"github.com/cometbft/cometbft/libs/pubsub/query"

	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/wire"
)

// Query parameters of the streams, re-exported from package wire, which
// defines the protocol's vocabulary.
const (
	ParamFromHeight = wire.ParamFromHeight
	ParamAssetID    = wire.ParamAssetID
	ParamPublicKey  = wire.ParamPublicKey
	ParamOperation  = wire.ParamOperation
	ParamQuery      = wire.ParamQuery
)

// Query is a subscription's parsed parameters.
type Query struct {
	// FromHeight is the first block to deliver; 0 means the live edge.
	FromHeight int64
	// Each filter is a set (nil: no filter). A transaction matches when,
	// for every filter given, one of its values is in the set.
	AssetIDs   map[string]struct{}
	PublicKeys map[string]struct{}
	Operations map[string]struct{}
	// Events is tx_results' filter, compiled by CometBFT's query package;
	// nil: no filter.
	Events *query.Query
}

// Filtered reports whether any filter is set.
func (q *Query) Filtered() bool {
	return q.AssetIDs != nil || q.PublicKeys != nil || q.Operations != nil || q.Events != nil
}

// matchFrame reports whether the i-th message of b's frames f passes the
// filters: on tx_results the event query against the message's events,
// on valid_transactions Match of the i-th transaction.
func (q *Query) matchFrame(b *events.Block, f *frames, i int) bool {
	if f.events != nil {
		ok, _ := q.Events.Matches(f.events[i]) // never fails (CometBFT's doc); a nil query matches all
		return ok
	}
	return q.Match(&b.Txs[i])
}

// Match reports whether tx passes every filter. Its cost depends on the
// transaction's values, not on how many values a filter lists.
func (q *Query) Match(tx *events.Tx) bool {
	if q.Operations != nil {
		if _, ok := q.Operations[tx.Operation]; !ok {
			return false
		}
	}
	if q.AssetIDs != nil && !anyIn(q.AssetIDs, tx.AssetIDs) {
		return false
	}
	if q.PublicKeys != nil && !anyIn(q.PublicKeys, tx.PublicKeys) && !anyIn(q.PublicKeys, tx.OwnersBefore) {
		return false
	}
	return true
}

func anyIn(set map[string]struct{}, values []string) bool {
	for _, v := range values {
		if _, ok := set[v]; ok {
			return true
		}
	}
	return false
}

// ParseQuery reads a stream request's query string with wire.ParseQuery
// and turns the filters into sets for Match. Filters apply to
// valid_transactions only. Unknown or repeated parameters are errors, so
// that a typo is not silently an unfiltered stream.
func ParseQuery(path, rawQuery string) (Query, error) {
	wq, err := wire.ParseQuery(path, rawQuery)
	if err != nil {
		return Query{}, err
	}
	q := Query{
		FromHeight: wq.FromHeight,
		AssetIDs:   toSet(wq.AssetIDs),
		PublicKeys: toSet(wq.PublicKeys),
		Operations: toSet(wq.Operations),
	}
	if wq.Events != "" {
		if q.Events, err = wire.ParseEventQuery(wq.Events); err != nil {
			return Query{}, err
		}
	}
	return q, nil
}

func toSet(list []string) map[string]struct{} {
	if list == nil {
		return nil
	}
	set := make(map[string]struct{}, len(list))
	for _, v := range list {
		set[v] = struct{}{}
	}
	return set
}
