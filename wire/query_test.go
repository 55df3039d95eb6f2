package wire_test

import (
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cometstream/cometstream/wire"
)

var (
	assetA = strings.Repeat("ab", 32)
	assetB = strings.Repeat("0f", 32)
	alice  = "4K9sWUMFwTgaDGPfdynrbxWqWS6sWmKbZoTjxLtVUibD"
	bob    = "Gm5iDmyc9sYqJgaT5EqJhTBtHxmM4dHhHsNQSk2wcN8m"
)

const recipientQuery = "tm.event='Tx' AND transfer.recipient='cosmos1qy352eufqy352eufqy352eufqy35qqqptw34ca'"

func TestParseQuery(t *testing.T) {
	tx, blocks, res := wire.PathTransactions, wire.PathBlocks, wire.PathTxResults
	tests := []struct {
		name    string
		path    string
		raw     string
		want    wire.Query
		wantErr string // "" when accepted
	}{
		{"empty", tx, "", wire.Query{}, ""},
		{"empty on blocks", blocks, "", wire.Query{}, ""},
		{"from height", blocks, "from_height=42", wire.Query{FromHeight: 42}, ""},
		{"max height", blocks, "from_height=9223372036854775807", wire.Query{FromHeight: 1<<63 - 1}, ""},
		{"asset ids in order", tx, "asset_id=" + assetB + "," + assetA, wire.Query{AssetIDs: []string{assetB, assetA}}, ""},
		{"public keys", tx, "public_key=" + alice + "," + bob, wire.Query{PublicKeys: []string{alice, bob}}, ""},
		{"operations, duplicates kept", tx, "operation=CREATE,TRANSFER,CREATE",
			wire.Query{Operations: []string{"CREATE", "TRANSFER", "CREATE"}}, ""},
		{"any upper-case operation", tx, "operation=CHAIN_MIGRATION_ELECTION", wire.Query{Operations: []string{"CHAIN_MIGRATION_ELECTION"}}, ""},
		{"everything", tx, "operation=VOTE&from_height=3&public_key=" + alice + "&asset_id=" + assetA,
			wire.Query{FromHeight: 3, AssetIDs: []string{assetA}, PublicKeys: []string{alice}, Operations: []string{"VOTE"}}, ""},
		{"escaped comma is a separator", tx, "operation=CREATE%2CVOTE", wire.Query{Operations: []string{"CREATE", "VOTE"}}, ""},
		{"max list", tx, "operation=" + strings.Repeat("CREATE,", wire.MaxFilterValues-1) + "CREATE",
			wire.Query{Operations: strings.Split(strings.Repeat("CREATE,", wire.MaxFilterValues-1)+"CREATE", ",")}, ""},

		{"from_height zero", tx, "from_height=0", wire.Query{}, "integer >= 1"},
		{"from_height negative", tx, "from_height=-4", wire.Query{}, "integer >= 1"},
		{"from_height plus sign", tx, "from_height=%2B4", wire.Query{}, "integer >= 1"},
		{"from_height empty", tx, "from_height=", wire.Query{}, "integer >= 1"},
		{"from_height not a number", blocks, "from_height=ten", wire.Query{}, "integer >= 1"},
		{"from_height float", blocks, "from_height=1e3", wire.Query{}, "integer >= 1"},
		{"from_height overflow", blocks, "from_height=9223372036854775808", wire.Query{}, "integer >= 1"},
		{"from_height twice", tx, "from_height=1&from_height=2", wire.Query{}, "given 2 times"},
		{"operation twice", tx, "operation=CREATE&operation=TRANSFER", wire.Query{}, "given 2 times"},
		{"unknown parameter", tx, "from=1", wire.Query{}, `unknown parameter "from"`},
		{"access_token is accepted, not kept", tx, "access_token=secret-token-0123456789&from_height=2", wire.Query{FromHeight: 2}, ""},
		{"unknown transaction_id", tx, "transaction_id=" + assetA, wire.Query{}, "unknown parameter"},
		{"name case matters", tx, "From_Height=1", wire.Query{}, "unknown parameter"},
		{"asset id upper-case", tx, "asset_id=" + strings.ToUpper(assetA), wire.Query{}, "not a transaction id"},
		{"asset id short", tx, "asset_id=abc", wire.Query{}, "not a transaction id"},
		{"asset id empty", tx, "asset_id=", wire.Query{}, "not a transaction id"},
		{"empty list item", tx, "asset_id=" + assetA + ",,", wire.Query{}, "not a transaction id"},
		{"public key not base58", tx, "public_key=0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl", wire.Query{}, "not a base58"},
		{"public key short", tx, "public_key=4K9s", wire.Query{}, "not a base58"},
		{"operation lower-case", tx, "operation=create", wire.Query{}, "not an operation name"},
		{"operation empty", tx, "operation=", wire.Query{}, "not an operation name"},
		{"filter on valid_blocks", blocks, "operation=CREATE", wire.Query{}, "applies to " + tx + " only"},
		{"too many values", tx, "operation=" + strings.Repeat("CREATE,", wire.MaxFilterValues) + "CREATE", wire.Query{}, "at most"},
		{"bad escape", tx, "operation=%zz", wire.Query{}, "malformed query string"},
		{"semicolon", tx, "from_height=1;operation=CREATE", wire.Query{}, "malformed query string"},

		{"event query", res, "from_height=2&query=" + url.QueryEscape(recipientQuery), wire.Query{FromHeight: 2, Events: recipientQuery}, ""},
		{"event query with every operator", res, "query=" + url.QueryEscape("tx.height>=5 AND tx.height<10 AND a.b CONTAINS 'x' AND c.d EXISTS AND e.f=3.5"),
			wire.Query{Events: "tx.height>=5 AND tx.height<10 AND a.b CONTAINS 'x' AND c.d EXISTS AND e.f=3.5"}, ""},
		{"event query malformed, with its offset", res, "query=" + url.QueryEscape("tm.event='Tx' AND"), wire.Query{}, "query: offset"},
		{"event query unquoted value", res, "query=" + url.QueryEscape("transfer.recipient=cosmos1x"), wire.Query{}, "query: offset"},
		{"event query empty", res, "query=", wire.Query{}, "query is empty"},
		{"event query too long", res, "query=" + url.QueryEscape("a.b='"+strings.Repeat("x", wire.MaxEventQueryBytes)+"'"), wire.Query{}, "bytes; at most"},
		{"event query too many conditions", res, "query=" + url.QueryEscape(strings.Repeat("a.b EXISTS AND ", wire.MaxEventQueryConditions)+"a.b EXISTS"),
			wire.Query{}, "conditions; at most"},
		{"event query on valid_transactions", tx, "query=" + url.QueryEscape(recipientQuery), wire.Query{}, "applies to " + res + " only"},
		{"asset filter on tx_results", res, "asset_id=" + assetA, wire.Query{}, "applies to " + tx + " only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := wire.ParseQuery(tt.path, tt.raw)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseQuery(%q) = %+v, %v; want an error with %q", tt.raw, got, err, tt.wantErr)
				}
				if diff := cmp.Diff(wire.Query{}, got); diff != "" {
					t.Errorf("refused query not zero (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseQuery(%q): %v", tt.raw, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseQuery(%q) (-want +got):\n%s", tt.raw, diff)
			}
		})
	}
}

// TestQueryEncodeRoundTrip: what Encode writes (the client's request),
// ParseQuery reads back as the same Query.
func TestQueryEncodeRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		q    wire.Query
		want string
	}{
		{"live", wire.Query{}, ""},
		{"from height", wire.Query{FromHeight: 7}, "from_height=7"},
		{"everything, in a fixed order", wire.Query{
			FromHeight: 3, Operations: []string{"TRANSFER"}, PublicKeys: []string{alice, bob}, AssetIDs: []string{assetA},
		}, "from_height=3&asset_id=" + assetA + "&public_key=" + alice + "," + bob + "&operation=TRANSFER"},
		{"duplicates", wire.Query{Operations: []string{"CREATE", "CREATE"}}, "operation=CREATE,CREATE"},
		{"event query, escaped", wire.Query{FromHeight: 1, Events: "a.b='x&y' AND c.d>=2"}, "from_height=1&query=a.b%3D%27x%26y%27+AND+c.d%3E%3D2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc := tt.q.Encode()
			if enc != tt.want {
				t.Errorf("Encode = %q, want %q", enc, tt.want)
			}
			path := wire.PathTransactions
			if tt.q.Events != "" {
				path = wire.PathTxResults
			}
			got, err := wire.ParseQuery(path, enc)
			if err != nil {
				t.Fatalf("ParseQuery(%q): %v", enc, err)
			}
			if diff := cmp.Diff(tt.q, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestQueryURL(t *testing.T) {
	base := "ws://node:9985/prefix"
	if got, want := (wire.Query{}).URL(base, wire.PathBlocks), base+wire.PathBlocks; got != want {
		t.Errorf("URL = %q, want %q", got, want)
	}
	q := wire.Query{FromHeight: 2, Operations: []string{"a b", "c&d"}}
	if got, want := q.URL(base, wire.PathTransactions), base+wire.PathTransactions+"?from_height=2&operation=a+b,c%26d"; got != want {
		t.Errorf("URL = %q, want %q", got, want)
	}
}

// FuzzParseQuery: ParseQuery never panics; what it accepts encodes to a
// query string it parses back to the same Query, and a refusal returns
// the zero Query.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"", "from_height=1", "asset_id=" + assetA + "," + assetB, "public_key=" + alice,
		"operation=CREATE,TRANSFER&from_height=7", "x=%zz", "from_height=1&from_height=1", "operation=,",
		"from_height=%2B1", "operation=CREATE%2CVOTE"} {
		f.Add(false, s)
		f.Add(true, s)
	}
	f.Fuzz(func(t *testing.T, blocks bool, raw string) {
		path := wire.PathTransactions
		if blocks {
			path = wire.PathBlocks
		}
		q, err := wire.ParseQuery(path, raw)
		if err != nil {
			if diff := cmp.Diff(wire.Query{}, q); diff != "" {
				t.Fatalf("refused %q but returned (-zero +got):\n%s", raw, diff)
			}
			return
		}
		if q.FromHeight < 0 || (blocks && q.Filtered()) {
			t.Fatalf("accepted %q on %s as %+v", raw, path, q)
		}
		again, err := wire.ParseQuery(path, q.Encode())
		if err != nil {
			t.Fatalf("%q parsed, its encoding %q did not: %v", raw, q.Encode(), err)
		}
		if diff := cmp.Diff(q, again); diff != "" {
			t.Fatalf("%q: round trip through %q (-first +again):\n%s", raw, q.Encode(), diff)
		}
	})
}

// TestParseQueryCountsFirst checks that the counts the caps are about are
// taken before parsing allocates what they count: a stream's query may be
// up to 1 MiB (net/http's limit), and a million commas or a hundred
// thousand parameters must cost the server no more than the query itself.
func TestParseQueryCountsFirst(t *testing.T) {
	var params strings.Builder
	for i := range 100000 {
		fmt.Fprintf(&params, "p%d&", i)
	}
	tests := []struct {
		name, raw, wantErr string
	}{
		{"a million commas", "operation=" + strings.Repeat(",", 1e6), "operation lists 1000001 values; at most 1024"},
		{"a hundred thousand parameters", params.String(), "query has 100001 parameters; streams take at most 6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := wire.ParseQuery(wire.PathTransactions, tt.raw)
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
				t.Errorf("parsing a %d-byte query allocated %d KiB", len(tt.raw), n>>10)
			}
		})
	}
}
