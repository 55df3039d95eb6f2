package streamsvc

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/cometstream/cometstream/events"
)

// Query parameters of the streams.
const (
	ParamFromHeight = "from_height"
	ParamAssetID    = "asset_id"
	ParamPublicKey  = "public_key"
	ParamOperation  = "operation"
)

// maxFilterValues caps each comma-separated filter list.
const maxFilterValues = 1024

// Query is a subscription's parsed parameters.
type Query struct {
	// FromHeight is the first block to deliver; 0 means the live edge.
	FromHeight int64
	// Each filter is a set (nil: no filter). A transaction matches when,
	// for every filter given, one of its values is in the set.
	AssetIDs   map[string]struct{}
	PublicKeys map[string]struct{}
	Operations map[string]struct{}
}

// Filtered reports whether any filter is set.
func (q *Query) Filtered() bool {
	return q.AssetIDs != nil || q.PublicKeys != nil || q.Operations != nil
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

// ParseQuery reads a stream request's query string. Filters apply to
// valid_transactions only. Unknown or repeated parameters are errors, so
// that a typo is not silently an unfiltered stream.
func ParseQuery(path, rawQuery string) (Query, error) {
	var q Query
	values, err := url.ParseQuery(rawQuery)
	if err != nil {
		return q, fmt.Errorf("malformed query string: %v", err)
	}
	names := make([]string, 0, len(values))
	for name := range values {
		names = append(names, name)
	}
	sort.Strings(names) // the first error reported does not depend on map order
	for _, name := range names {
		vs := values[name]
		if len(vs) != 1 {
			return q, fmt.Errorf("parameter %s given %d times; give it once (lists are comma-separated)", name, len(vs))
		}
		v := vs[0]
		switch name {
		case ParamFromHeight:
			h, err := strconv.ParseInt(v, 10, 64)
			if err != nil || h < 1 {
				return q, fmt.Errorf("%s must be a block height (an integer >= 1), got %q", name, v)
			}
			q.FromHeight = h
		case ParamAssetID, ParamPublicKey, ParamOperation:
			if path != PathTransactions {
				return q, fmt.Errorf("filter %s applies to %s only", name, PathTransactions)
			}
			set, err := parseList(name, v)
			if err != nil {
				return q, err
			}
			switch name {
			case ParamAssetID:
				q.AssetIDs = set
			case ParamPublicKey:
				q.PublicKeys = set
			default:
				q.Operations = set
			}
		default:
			return q, fmt.Errorf("unknown parameter %q; known: %s, %s, %s, %s", name,
				ParamFromHeight, ParamAssetID, ParamPublicKey, ParamOperation)
		}
	}
	return q, nil
}

func parseList(name, v string) (map[string]struct{}, error) {
	items := strings.Split(v, ",")
	if len(items) > maxFilterValues {
		return nil, fmt.Errorf("%s lists %d values; at most %d", name, len(items), maxFilterValues)
	}
	set := make(map[string]struct{}, len(items))
	for _, item := range items {
		if err := validValue(name, item); err != nil {
			return nil, err
		}
		set[item] = struct{}{}
	}
	return set, nil
}

// validValue checks the form of one filter value, so a malformed value is a
// 400 rather than a filter that silently matches nothing.
func validValue(name, v string) error {
	switch name {
	case ParamAssetID:
		if len(v) != 64 || strings.Trim(v, "0123456789abcdef") != "" {
			return fmt.Errorf("%s %q is not a transaction id (64 lower-case hex digits)", name, v)
		}
	case ParamPublicKey:
		const base58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
		if len(v) < 32 || len(v) > 44 || strings.Trim(v, base58) != "" {
			return fmt.Errorf("%s %q is not a base58 ed25519 public key", name, v)
		}
	case ParamOperation:
		if v == "" || len(v) > 64 || strings.Trim(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != "" {
			return fmt.Errorf("%s %q is not an operation name (upper-case letters and _, e.g. CREATE)", name, v)
		}
	}
	return nil
}
