package streamsvc_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/streamsvc"
)

// Keys in base58, as Planetmint writes them.
const (
	alice = "4K9sWUMFwTgaDGPfdynrbxWqWS6sWmKbZoTjxLtVUibD"
	bob   = "3yfQPHeWAa1MxTX9Zf9176QqcpcnWcanVZZbaHb8B3h9"
	carol = "3Af3fhhjU6d9WecEM9Uw5hfom9kNEwE7YuDWdqAUssqm"
)

var (
	assetA = strings.Repeat("a", 64)
	assetB = strings.Repeat("b", 64)
)

// filterBlocks is a small chain: alice creates A, transfers it to bob, bob
// to carol; carol creates B; a COMPOSE of A and B owned by carol.
func filterBlocks() []*events.Block {
	tx := func(i uint32, id, op string, assets, keys, owners []string) events.Tx {
		return events.Tx{Index: i, ID: id, Operation: op, AssetIDs: assets, PublicKeys: keys, OwnersBefore: owners}
	}
	id := func(c string) string { return strings.Repeat(c, 64) }
	return []*events.Block{
		{Height: 1, Hash: blockHash(1), Txs: []events.Tx{
			tx(0, assetA, "CREATE", []string{assetA}, []string{alice}, []string{alice}),
		}},
		{Height: 2, Hash: blockHash(2), Txs: []events.Tx{
			tx(0, id("1"), "TRANSFER", []string{assetA}, []string{bob}, []string{alice}),
			tx(2, assetB, "CREATE", []string{assetB}, []string{carol}, []string{carol}),
		}},
		{Height: 3, Hash: blockHash(3)},
		{Height: 4, Hash: blockHash(4), Txs: []events.Tx{
			tx(1, id("2"), "TRANSFER", []string{assetA}, []string{carol}, []string{bob}),
			tx(3, id("3"), "COMPOSE", []string{id("3"), assetA, assetB}, []string{carol}, []string{carol}),
		}},
	}
}

func TestFilters(t *testing.T) {
	id := func(c string) string { return strings.Repeat(c, 64) }
	tests := []struct {
		name  string
		query url.Values
		want  []string // transaction ids, in stream order
	}{
		{"no filter", url.Values{}, []string{assetA, id("1"), assetB, id("2"), id("3")}},
		{"operation", url.Values{"operation": {"CREATE"}}, []string{assetA, assetB}},
		{"operation list", url.Values{"operation": {"COMPOSE,CREATE"}}, []string{assetA, assetB, id("3")}},
		{"asset", url.Values{"asset_id": {assetB}}, []string{assetB, id("3")}},
		{"asset list", url.Values{"asset_id": {assetA + "," + assetB}}, []string{assetA, id("1"), assetB, id("2"), id("3")}},
		{"public key as output", url.Values{"public_key": {bob}}, []string{id("1"), id("2")}},
		{"public key as owner before", url.Values{"public_key": {alice}}, []string{assetA, id("1")}},
		{"asset and operation", url.Values{"asset_id": {assetA}, "operation": {"TRANSFER"}}, []string{id("1"), id("2")}},
		{"asset, key and operation", url.Values{"asset_id": {assetA}, "public_key": {carol}, "operation": {"TRANSFER,COMPOSE"}}, []string{id("2"), id("3")}},
		{"nothing matches", url.Values{"operation": {"VOTE"}}, nil},
		{"with from_height", url.Values{"operation": {"CREATE"}, "from_height": {"2"}}, []string{assetB}},
	}
	ts := startServer(t, streamsvc.Config{}, serverOptions{})
	blocks := filterBlocks()
	ts.append(t, blocks...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := tt.query
			if q.Get("from_height") == "" {
				q.Set("from_height", "1")
			}
			c := dial(t, ts.url+streamsvc.PathTransactions+"?"+q.Encode(), dialOptions{})
			got := decodeAll[txMsg](t, c.collect(t, len(tt.want)))
			c.sync(t) // every message written before the pong has arrived
			c.expectQuiet(t)
			var ids []string
			for _, m := range got {
				ids = append(ids, m.TransactionID)
			}
			if diff := cmp.Diff(tt.want, ids); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}
}

func TestQueryMatchCostIsPerTransaction(t *testing.T) {
	// A filter listing many keys still matches by set lookup.
	var keys []string
	for i := 0; i < 1000; i++ {
		keys = append(keys, strings.Repeat("1", 31)+string("23456789ABCDEFGHJKLMNPQRSTUVWXYZ"[i%32]))
	}
	keys = append(keys, bob)
	q, err := streamsvc.ParseQuery(streamsvc.PathTransactions, "public_key="+strings.Join(keys, ","))
	if err != nil {
		t.Fatal(err)
	}
	if len(q.PublicKeys) != 33 { // 32 distinct generated keys + bob
		t.Fatalf("set has %d keys", len(q.PublicKeys))
	}
	tx := events.Tx{PublicKeys: []string{carol}, OwnersBefore: []string{bob}}
	if !q.Match(&tx) {
		t.Error("owner before bob not matched")
	}
}

func TestParseQuery(t *testing.T) {
	tests := []struct {
		name, path, raw string
		want            streamsvc.Query
		wantErr         string
	}{
		{"empty", streamsvc.PathTransactions, "", streamsvc.Query{}, ""},
		{"from height", streamsvc.PathBlocks, "from_height=42", streamsvc.Query{FromHeight: 42}, ""},
		{"max height", streamsvc.PathBlocks, "from_height=9223372036854775807", streamsvc.Query{FromHeight: 1<<63 - 1}, ""},
		{"overflow", streamsvc.PathBlocks, "from_height=9223372036854775808", streamsvc.Query{}, "integer >= 1"},
		{"operations", streamsvc.PathTransactions, "operation=CREATE,TRANSFER,CREATE",
			streamsvc.Query{Operations: map[string]struct{}{"CREATE": {}, "TRANSFER": {}}}, ""},
		{"unknown", streamsvc.PathTransactions, "height=1", streamsvc.Query{}, "unknown parameter"},
		{"repeated", streamsvc.PathTransactions, "operation=CREATE&operation=TRANSFER", streamsvc.Query{}, "given 2 times"},
		{"blocks filter", streamsvc.PathBlocks, "asset_id=" + assetA, streamsvc.Query{}, "applies to"},
		{"too many", streamsvc.PathTransactions, "operation=" + strings.Repeat("CREATE,", 1024) + "CREATE", streamsvc.Query{}, "at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := streamsvc.ParseQuery(tt.path, tt.raw)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzParseQuery: never panics; an accepted query re-encodes to one that
// parses to the same result.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"", "from_height=1", "asset_id=" + assetA + "," + assetB, "public_key=" + alice,
		"operation=CREATE,TRANSFER&from_height=7", "x=%zz", "from_height=1&from_height=1", "operation=,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := streamsvc.ParseQuery(streamsvc.PathTransactions, raw)
		if err != nil {
			return
		}
		if q.FromHeight < 0 {
			t.Fatalf("negative height from %q", raw)
		}
		v := url.Values{}
		if q.FromHeight > 0 {
			v.Set("from_height", strconv.FormatInt(q.FromHeight, 10))
		}
		for name, set := range map[string]map[string]struct{}{"asset_id": q.AssetIDs, "public_key": q.PublicKeys, "operation": q.Operations} {
			if set == nil {
				continue
			}
			var items []string
			for k := range set {
				items = append(items, k)
			}
			v.Set(name, strings.Join(items, ","))
		}
		again, err := streamsvc.ParseQuery(streamsvc.PathTransactions, v.Encode())
		if err != nil {
			t.Fatalf("re-encoded %q of %q refused: %v", v.Encode(), raw, err)
		}
		if diff := cmp.Diff(q, again); diff != "" {
			t.Fatalf("round trip of %q (-first +again):\n%s", raw, diff)
		}
	})
}

// TestFilteredReplayWithoutMatches replays thousands of blocks none of
// which match, then gets the one that does: the writer works through them
// in bounded batches and stays responsive.
func TestFilteredReplayWithoutMatches(t *testing.T) {
	ts := startServer(t, streamsvc.Config{}, serverOptions{capacity: 4096})
	ts.append(t, makeBlocks(1, 3000, func(int64) int { return 2 })...)
	c := dial(t, ts.url+streamsvc.PathTransactions+"?from_height=1&operation=VOTE", dialOptions{})
	vote := makeBlock(3001, 1)
	vote.Txs[0].Operation = "VOTE"
	ts.append(t, vote)
	got := decodeAll[txMsg](t, c.collect(t, 1))
	if got[0].Height != 3001 {
		t.Fatalf("got %+v, want the VOTE at 3001", got[0])
	}
	c.sync(t)
	c.expectQuiet(t)
}
