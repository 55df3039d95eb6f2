package wire

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Stream paths, relative to a node's stream base URL; each is StreamPrefix
// and the stream's name.
const (
	StreamPrefix     = "/api/v1/streams/"
	PathTransactions = StreamPrefix + "valid_transactions"
	PathBlocks       = StreamPrefix + "valid_blocks"
)

// IsStreamPath reports whether path is one of the streams.
func IsStreamPath(path string) bool {
	return path == PathTransactions || path == PathBlocks || path == PathTxResults
}

// Query parameters of the streams.
const (
	ParamFromHeight = "from_height"
	ParamAssetID    = "asset_id"
	ParamPublicKey  = "public_key"
	ParamOperation  = "operation"
	// ParamAccessToken carries a bearer token where the client cannot send
	// an Authorization header (a browser's WebSocket and EventSource), as
	// RFC 6750 2.3's URI query parameter. ParseQuery accepts it and leaves
	// it out of Query: the server checks it before the query is parsed.
	ParamAccessToken = "access_token"
)

// knownParams are the stream parameters; maxParams is how many a query
// may have before it is parsed (each is given once, so more than these
// is an error anyway; the slack lets ParseQuery name the repeated or
// unknown one).
var knownParams = []string{ParamFromHeight, ParamAssetID, ParamPublicKey, ParamOperation, ParamQuery, ParamAccessToken}

const maxParams = 16

// HeaderNextHeight, on a successful upgrade, names the height of the first
// block the subscription delivers, so a client starting at the live edge
// knows where to resume after a disconnect.
const HeaderNextHeight = "Cometstream-Next-Height"

// MaxFilterValues caps each comma-separated filter list.
const MaxFilterValues = 1024

// Query is a subscription's parameters.
type Query struct {
	// FromHeight is the first block to deliver; 0 means the live edge.
	FromHeight int64
	// Filters of valid_transactions, in the order given, duplicates kept;
	// nil means no filter. A transaction matches when, for every filter
	// given, one of its values is in the list.
	AssetIDs   []string
	PublicKeys []string
	Operations []string
	// Events is tx_results' filter, a query in CometBFT's event query
	// language; "" means no filter.
	Events string
}

// Filtered reports whether any filter is set.
func (q Query) Filtered() bool {
	return len(q.AssetIDs) > 0 || len(q.PublicKeys) > 0 || len(q.Operations) > 0 || q.Events != ""
}

// Encode is the query string for q, without the "?": from_height, then
// asset_id, public_key and operation, each omitted when unset. Values are
// query-escaped one by one and joined with literal commas, the list
// separator ParseQuery splits on. ParseQuery of an Encode of a valid Query
// gives the same Query back.
func (q Query) Encode() string {
	var parts []string
	if q.FromHeight > 0 {
		parts = append(parts, ParamFromHeight+"="+strconv.FormatInt(q.FromHeight, 10))
	}
	for _, f := range q.filters() {
		if len(f.values) == 0 {
			continue
		}
		esc := make([]string, len(f.values))
		for i, v := range f.values {
			esc[i] = url.QueryEscape(v)
		}
		parts = append(parts, f.name+"="+strings.Join(esc, ","))
	}
	if q.Events != "" {
		parts = append(parts, ParamQuery+"="+url.QueryEscape(q.Events))
	}
	return strings.Join(parts, "&")
}

// URL is base (without a trailing slash) + path + "?" + Encode(), the "?"
// left out when nothing is set.
func (q Query) URL(base, path string) string {
	if enc := q.Encode(); enc != "" {
		return base + path + "?" + enc
	}
	return base + path
}

type filter struct {
	name   string
	values []string
}

func (q Query) filters() []filter {
	return []filter{{ParamAssetID, q.AssetIDs}, {ParamPublicKey, q.PublicKeys}, {ParamOperation, q.Operations}}
}

// ParseQuery reads the raw query string of a request for path (one of the
// stream paths). Filters apply to valid_transactions only. Unknown or
// repeated parameters, malformed heights and malformed filter values are
// errors, so that a typo is not silently an unfiltered stream or a filter
// that matches nothing. The error's text is the message of the 400 answer.
func ParseQuery(path, rawQuery string) (Query, error) {
	var q Query
	// Counted before parsing, since a stream's query may be long (a list
	// of 1,024 asset ids is 66 KiB): a query of a million '&' must not
	// become a million map entries first.
	if n := strings.Count(rawQuery, "&") + strings.Count(rawQuery, ";") + 1; n > maxParams {
		return Query{}, fmt.Errorf("query has %d parameters; streams take at most %d: %s", n, len(knownParams),
			strings.Join(knownParams, ", "))
	}
	values, err := url.ParseQuery(rawQuery)
	if err != nil {
		return Query{}, fmt.Errorf("malformed query string: %v", err)
	}
	names := make([]string, 0, len(values))
	for name := range values {
		names = append(names, name)
	}
	sort.Strings(names) // the first error reported does not depend on map order
	for _, name := range names {
		vs := values[name]
		if len(vs) != 1 {
			return Query{}, fmt.Errorf("parameter %s given %d times; give it once (lists are comma-separated)", name, len(vs))
		}
		v := vs[0]
		switch name {
		case ParamFromHeight:
			h, ok := ParseHeight(v)
			if !ok {
				return Query{}, fmt.Errorf("%s must be a block height (an integer >= 1), got %q", name, v)
			}
			q.FromHeight = h
		case ParamAssetID, ParamPublicKey, ParamOperation:
			if path != PathTransactions {
				return Query{}, fmt.Errorf("filter %s applies to %s only", name, PathTransactions)
			}
			list, err := parseList(name, v)
			if err != nil {
				return Query{}, err
			}
			switch name {
			case ParamAssetID:
				q.AssetIDs = list
			case ParamPublicKey:
				q.PublicKeys = list
			default:
				q.Operations = list
			}
		case ParamQuery:
			if path != PathTxResults {
				return Query{}, fmt.Errorf("%s applies to %s only", name, PathTxResults)
			}
			if _, err := ParseEventQuery(v); err != nil {
				return Query{}, err
			}
			q.Events = v
		case ParamAccessToken:
			// Checked by the server, never kept: a Query is logged and
			// compared, a token must not be.
		default:
			return Query{}, fmt.Errorf("unknown parameter %q; known: %s", name, strings.Join(knownParams, ", "))
		}
	}
	return q, nil
}

// ParseHeight reads a block height: a decimal integer >= 1 that fits an
// int64, digits only (no sign, no spaces).
func ParseHeight(s string) (int64, bool) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	h, err := strconv.ParseInt(s, 10, 64)
	if err != nil || h < 1 {
		return 0, false
	}
	return h, true
}

func parseList(name, v string) ([]string, error) {
	if n := strings.Count(v, ",") + 1; n > MaxFilterValues { // before Split allocates them
		return nil, fmt.Errorf("%s lists %d values; at most %d", name, n, MaxFilterValues)
	}
	items := strings.Split(v, ",")
	for _, item := range items {
		if err := ValidValue(name, item); err != nil {
			return nil, err
		}
	}
	return items, nil
}

// ValidValue checks the form of one value of filter name: an asset_id is
// 64 lower-case hex digits, a public_key a base58 ed25519 key, an
// operation upper-case letters and _.
func ValidValue(name, v string) error {
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
	default:
		return fmt.Errorf("unknown filter %q", name)
	}
	return nil
}
