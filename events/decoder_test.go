package events_test

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/internal/fixtures"
)

// fixtureTx is the part of a fixture the tests read independently of the
// decoder under test, to derive what it must return.
type fixtureTx struct {
	ID        string `json:"id"`
	Operation string `json:"operation"`
	Inputs    []struct {
		OwnersBefore []string `json:"owners_before"`
	} `json:"inputs"`
	Outputs []struct {
		PublicKeys []string `json:"public_keys"`
	} `json:"outputs"`
}

func readFixtureTx(t *testing.T, name string) fixtureTx {
	t.Helper()
	var tx fixtureTx
	if err := json.Unmarshal(fixtures.Read(name), &tx); err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	return tx
}

func txFixtureNames() []string {
	var names []string
	for _, n := range fixtures.Names() {
		if strings.HasPrefix(n, "planetmint-v3.0-") || strings.HasPrefix(n, "bigchaindb-v2.0-") {
			names = append(names, n)
		}
	}
	return names
}

func TestPlanetmintDecodeFixtures(t *testing.T) {
	covered := map[string]bool{}
	for chain, names := range fixtures.Chains {
		create := readFixtureTx(t, names[0])
		for _, name := range names {
			covered[name] = true
			t.Run(chain+"/"+name, func(t *testing.T) {
				fx := readFixtureTx(t, name)
				want := events.Decoded{
					ID:        fx.ID,
					AssetIDs:  []string{create.ID},
					Operation: fx.Operation,
				}
				for _, in := range fx.Inputs {
					want.OwnersBefore = append(want.OwnersBefore, in.OwnersBefore...)
				}
				for _, out := range fx.Outputs {
					want.PublicKeys = append(want.PublicKeys, out.PublicKeys...)
				}

				got, err := events.Planetmint{}.Decode(fixtures.Read(name))
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("Decode mismatch (-want +got):\n%s", diff)
				}
			})
		}
	}
	// The expectations above are derived from the fixtures; pin the chain
	// shape they rely on, so that a fixture change cannot make them vacuous.
	for chain, names := range fixtures.Chains {
		wantOps := []string{"CREATE", "TRANSFER", "TRANSFER"}
		var gotOps []string
		for _, n := range names {
			gotOps = append(gotOps, readFixtureTx(t, n).Operation)
		}
		if diff := cmp.Diff(wantOps, gotOps); diff != "" {
			t.Errorf("chain %s operations (-want +got):\n%s", chain, diff)
		}
	}
	all := txFixtureNames()
	if len(all) == 0 {
		t.Fatal("no transaction fixtures found")
	}
	for _, n := range all {
		if !covered[n] {
			t.Errorf("fixture %s is in no chain and was not decoded", n)
		}
	}
}

// Ids for hand-written transactions: 64 lower-case hex digits each.
var (
	ownID      = events.RawID([]byte("own"))
	assetA     = events.RawID([]byte("asset A"))
	assetB     = events.RawID([]byte("asset B"))
	electionID = events.RawID([]byte("election"))
)

// synthTx builds a transaction body around the given id, operation, version
// and asset member ("" for none), with two inputs and two outputs.
func synthTx(id, op, version, asset string) string {
	if asset != "" {
		asset = "," + asset
	}
	return fmt.Sprintf(`{"id":%q,"operation":%q,"version":%q%s,
		"inputs":[{"owners_before":["In1"],"fulfillment":"pGSA","fulfills":null},
		          {"owners_before":["In2","In3"],"fulfillment":null,"fulfills":{"transaction_id":%q,"output_index":0}}],
		"outputs":[{"public_keys":["Out1"],"amount":"1"},{"public_keys":["Out2","Out3"],"amount":"2"}],
		"metadata":null}`, id, op, version, asset, assetA)
}

func TestPlanetmintDecodeSynthetic(t *testing.T) {
	keys := func(d events.Decoded) events.Decoded {
		d.OwnersBefore = []string{"In1", "In2", "In3"}
		d.PublicKeys = []string{"Out1", "Out2", "Out3"}
		return d
	}
	tests := []struct {
		name string
		tx   string
		want events.Decoded
	}{
		{
			name: "v2.0 VALIDATOR_ELECTION creates its asset",
			tx: synthTx(ownID, "VALIDATOR_ELECTION", "2.0",
				`"asset":{"data":{"type":"upsert-validator","public_key":{"value":"x","type":"ed25519-base16"},"power":10,"node_id":"n"}}`),
			want: keys(events.Decoded{ID: ownID, AssetIDs: []string{ownID}, Operation: "VALIDATOR_ELECTION"}),
		},
		{
			name: "v2.0 CHAIN_MIGRATION_ELECTION creates its asset",
			tx:   synthTx(ownID, "CHAIN_MIGRATION_ELECTION", "2.0", `"asset":{"data":{"migration_height":42}}`),
			want: keys(events.Decoded{ID: ownID, AssetIDs: []string{ownID}, Operation: "CHAIN_MIGRATION_ELECTION"}),
		},
		{
			name: "v2.0 VOTE names the election",
			tx:   synthTx(ownID, "VOTE", "2.0", fmt.Sprintf(`"asset":{"id":%q}`, electionID)),
			want: keys(events.Decoded{ID: ownID, AssetIDs: []string{electionID}, Operation: "VOTE"}),
		},
		{
			name: "v3.0 COMPOSE lists the new asset then the consumed ones",
			tx: synthTx(ownID, "COMPOSE", "3.0",
				fmt.Sprintf(`"assets":[{"data":"QmNew"},{"id":%q},{"id":%q}]`, assetA, assetB)),
			want: keys(events.Decoded{ID: ownID, AssetIDs: []string{ownID, assetA, assetB}, Operation: "COMPOSE"}),
		},
		{
			name: "v3.0 DECOMPOSE lists the consumed asset then the new one once",
			tx: synthTx(ownID, "DECOMPOSE", "3.0",
				fmt.Sprintf(`"assets":[{"id":%q},{"data":"QmPart1"},{"data":"QmPart2"}]`, assetA)),
			want: keys(events.Decoded{ID: ownID, AssetIDs: []string{assetA, ownID}, Operation: "DECOMPOSE"}),
		},
		{
			name: "repeated asset ids are listed once, in first-seen order",
			tx: synthTx(ownID, "COMPOSE", "3.0",
				fmt.Sprintf(`"assets":[{"id":%q},{"data":"Qm"},{"id":%q},{"id":%q}]`, assetB, assetA, assetB)),
			want: keys(events.Decoded{ID: ownID, AssetIDs: []string{assetB, ownID, assetA}, Operation: "COMPOSE"}),
		},
		{
			name: "v3.0 TRANSFER",
			tx:   synthTx(ownID, "TRANSFER", "3.0", fmt.Sprintf(`"assets":[{"id":%q}]`, assetA)),
			want: keys(events.Decoded{ID: ownID, AssetIDs: []string{assetA}, Operation: "TRANSFER"}),
		},
		{
			name: "assets null",
			tx:   synthTx(ownID, "CREATE", "3.0", `"assets":null`),
			want: keys(events.Decoded{ID: ownID, AssetIDs: []string{ownID}, Operation: "CREATE"}),
		},
		{
			name: "assets and asset missing",
			tx:   synthTx(ownID, "CREATE", "3.0", ""),
			want: keys(events.Decoded{ID: ownID, AssetIDs: []string{ownID}, Operation: "CREATE"}),
		},
		{
			name: "assets empty list",
			tx:   synthTx(ownID, "CREATE", "3.0", `"assets":[]`),
			want: keys(events.Decoded{ID: ownID, AssetIDs: []string{ownID}, Operation: "CREATE"}),
		},
		{
			name: "assets list holding null",
			tx:   synthTx(ownID, "CREATE", "3.0", `"assets":[null]`),
			want: keys(events.Decoded{ID: ownID, AssetIDs: []string{ownID}, Operation: "CREATE"}),
		},
		{
			name: "v2.0 asset null",
			tx:   synthTx(ownID, "CREATE", "2.0", `"asset":null`),
			want: keys(events.Decoded{ID: ownID, AssetIDs: []string{ownID}, Operation: "CREATE"}),
		},
		{
			name: "v2.0 asset with data null",
			tx:   synthTx(ownID, "CREATE", "2.0", `"asset":{"data":null}`),
			want: keys(events.Decoded{ID: ownID, AssetIDs: []string{ownID}, Operation: "CREATE"}),
		},
		{
			name: "asset id null or empty means own id",
			tx:   synthTx(ownID, "CREATE", "3.0", `"assets":[{"id":null},{"id":""}]`),
			want: keys(events.Decoded{ID: ownID, AssetIDs: []string{ownID}, Operation: "CREATE"}),
		},
		{
			name: "unknown operation is still decoded",
			tx:   synthTx(ownID, "FROBNICATE", "9.9", fmt.Sprintf(`"assets":[{"id":%q}]`, assetA)),
			want: keys(events.Decoded{ID: ownID, AssetIDs: []string{assetA}, Operation: "FROBNICATE"}),
		},
		{
			name: "operation missing",
			tx:   fmt.Sprintf(`{"id":%q}`, ownID),
			want: events.Decoded{ID: ownID, AssetIDs: []string{ownID}},
		},
		{
			name: "surrounding white space",
			tx:   " \n\t" + fmt.Sprintf(`{"id":%q,"operation":"CREATE"}`, ownID) + "\r\n ",
			want: events.Decoded{ID: ownID, AssetIDs: []string{ownID}, Operation: "CREATE"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := events.Planetmint{}.Decode([]byte(tt.tx))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Decode mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlanetmintDecodeGarbage(t *testing.T) {
	create := fixtures.Read("planetmint-v3.0-create.json")
	tests := []struct {
		name string
		tx   string
	}{
		{name: "empty", tx: ""},
		{name: "white space only", tx: " \n"},
		{name: "not JSON", tx: "hello, chain"},
		{name: "binary", tx: "\x00\x01\xff\xfe"},
		{name: "JSON null", tx: "null"},
		{name: "JSON string", tx: `"` + ownID + `"`},
		{name: "JSON number", tx: "42"},
		{name: "JSON array", tx: "[]"},
		{name: "JSON array of a transaction", tx: "[" + string(create) + "]"},
		{name: "truncated fixture", tx: string(create[:len(create)/2])},
		{name: "trailing data", tx: string(create) + "{}"},
		{name: "id missing", tx: `{"operation":"CREATE","assets":[{"data":"Qm"}]}`},
		{name: "id null", tx: `{"id":null,"operation":"CREATE"}`},
		{name: "id empty", tx: `{"id":"","operation":"CREATE"}`},
		{name: "id a number", tx: `{"id":12,"operation":"CREATE"}`},
		{name: "id upper-case", tx: fmt.Sprintf(`{"id":%q}`, strings.ToUpper(ownID))},
		{name: "id one upper-case digit", tx: fmt.Sprintf(`{"id":%q}`, "A"+ownID[1:])},
		{name: "id 63 digits", tx: fmt.Sprintf(`{"id":%q}`, ownID[:63])},
		{name: "id 65 digits", tx: fmt.Sprintf(`{"id":%q}`, ownID+"0")},
		{name: "id not hex", tx: fmt.Sprintf(`{"id":%q}`, "g"+ownID[1:])},
		{name: "id with 0x prefix", tx: fmt.Sprintf(`{"id":%q}`, "0x"+ownID[2:])},
		{name: "id with spaces", tx: fmt.Sprintf(`{"id":%q}`, " "+ownID[1:])},
		{name: "assets an object", tx: fmt.Sprintf(`{"id":%q,"assets":{"id":%q}}`, ownID, assetA)},
		{name: "assets element a string", tx: fmt.Sprintf(`{"id":%q,"assets":[%q]}`, ownID, assetA)},
		{name: "asset a list", tx: fmt.Sprintf(`{"id":%q,"asset":[{"id":%q}]}`, ownID, assetA)},
		{name: "asset id a number", tx: fmt.Sprintf(`{"id":%q,"asset":{"id":7}}`, ownID)},
		{name: "inputs an object", tx: fmt.Sprintf(`{"id":%q,"inputs":{}}`, ownID)},
		{name: "public_keys not strings", tx: fmt.Sprintf(`{"id":%q,"outputs":[{"public_keys":[1]}]}`, ownID)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := events.Planetmint{}.Decode([]byte(tt.tx))
			if !errors.Is(err, events.ErrUndecodable) {
				t.Fatalf("Decode error = %v, want one wrapping ErrUndecodable (decoded %+v)", err, got)
			}
			if diff := cmp.Diff(events.Decoded{}, got); diff != "" {
				t.Errorf("Decode returned data with its error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRawID(t *testing.T) {
	tests := []struct {
		name string
		tx   []byte
		want string
	}{
		// FIPS 180-2 SHA-256 test vectors: CometBFT's tx hash.
		{name: "nil", tx: nil, want: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{name: "empty", tx: []byte{}, want: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{name: "abc", tx: []byte("abc"), want: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, events.RawID(tt.tx)); diff != "" {
				t.Errorf("RawID mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewTx(t *testing.T) {
	const emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	garbage := []byte("not a transaction")
	garbageID := events.RawID(garbage)
	create := fixtures.Read("bigchaindb-v2.0-create.json")
	createID := readFixtureTx(t, "bigchaindb-v2.0-create.json").ID
	const key = "4K9sWUMFwTgaDGPfdynrbxWqWS6sWmKbZoTjxLtVUibD"
	errHalf := errors.New("half decoded")

	tests := []struct {
		name    string
		decoder events.Decoder
		index   uint32
		tx      []byte
		want    events.Tx
		wantErr error // nil: decoded; else the fallback was used and err wraps this
	}{
		{
			name:    "decoded fixture",
			decoder: events.Planetmint{},
			index:   3,
			tx:      create,
			want: events.Tx{Index: 3, ID: createID, AssetIDs: []string{createID}, Operation: "CREATE",
				PublicKeys: []string{key}, OwnersBefore: []string{key}},
		},
		{
			name:    "garbage falls back to RawID",
			decoder: events.Planetmint{},
			index:   1,
			tx:      garbage,
			want:    events.Tx{Index: 1, ID: garbageID, AssetIDs: []string{garbageID}},
			wantErr: events.ErrUndecodable,
		},
		{
			name:    "empty bytes fall back to the tx hash of nothing",
			decoder: events.Planetmint{},
			tx:      []byte{},
			want:    events.Tx{ID: emptyHash, AssetIDs: []string{emptyHash}},
			wantErr: events.ErrUndecodable,
		},
		{
			name:    "nil decoder",
			decoder: nil,
			index:   7,
			tx:      create,
			want:    events.Tx{Index: 7, ID: events.RawID(create), AssetIDs: []string{events.RawID(create)}},
			wantErr: events.ErrUndecodable,
		},
		{
			name:    "nil DecoderFunc panics and falls back",
			decoder: events.DecoderFunc(nil),
			tx:      garbage,
			want:    events.Tx{ID: garbageID, AssetIDs: []string{garbageID}},
			wantErr: events.ErrUndecodable,
		},
		{
			name: "panicking decoder",
			decoder: events.DecoderFunc(func([]byte) (events.Decoded, error) {
				panic("decoder bug")
			}),
			index:   2,
			tx:      garbage,
			want:    events.Tx{Index: 2, ID: garbageID, AssetIDs: []string{garbageID}},
			wantErr: events.ErrUndecodable,
		},
		{
			name: "decoder panicking with nil",
			decoder: events.DecoderFunc(func([]byte) (events.Decoded, error) {
				panic(nil)
			}),
			tx:      garbage,
			want:    events.Tx{ID: garbageID, AssetIDs: []string{garbageID}},
			wantErr: events.ErrUndecodable,
		},
		{
			name: "decoder returning an empty id",
			decoder: events.DecoderFunc(func([]byte) (events.Decoded, error) {
				return events.Decoded{AssetIDs: []string{assetA}, Operation: "CREATE", PublicKeys: []string{"k"}}, nil
			}),
			tx:      garbage,
			want:    events.Tx{ID: garbageID, AssetIDs: []string{garbageID}},
			wantErr: events.ErrUndecodable,
		},
		{
			name: "decoder returning data with an error",
			decoder: events.DecoderFunc(func([]byte) (events.Decoded, error) {
				return events.Decoded{ID: ownID, Operation: "CREATE"}, errHalf
			}),
			tx:      garbage,
			want:    events.Tx{ID: garbageID, AssetIDs: []string{garbageID}},
			wantErr: errHalf,
		},
		{
			name: "decoder without asset ids gets its own id",
			decoder: events.DecoderFunc(func([]byte) (events.Decoded, error) {
				return events.Decoded{ID: ownID, Operation: "X"}, nil
			}),
			index: 9,
			tx:    garbage,
			want:  events.Tx{Index: 9, ID: ownID, AssetIDs: []string{ownID}, Operation: "X"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := events.NewTx(tt.decoder, tt.index, tt.tx)
			switch {
			case tt.wantErr == nil && err != nil:
				t.Errorf("NewTx error = %v, want nil", err)
			case !errors.Is(err, tt.wantErr):
				t.Errorf("NewTx error = %v, want one wrapping %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("NewTx mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// NewTxHashed names an undecodable tx by the hash it is given, which for
// CometBFT's tx hash is RawID's; a decoded tx keeps its decoder's id.
func TestNewTxHashed(t *testing.T) {
	raw := []byte("key=value")
	got, err := events.NewTxHashed(events.Planetmint{}, 3, raw, sha256.Sum256(raw))
	if err == nil || got.ID != events.RawID(raw) || got.Index != 3 || len(got.AssetIDs) != 1 || got.AssetIDs[0] != got.ID {
		t.Errorf("undecodable: %+v, %v; want RawID %s as id and asset, and the fallback's error", got, err, events.RawID(raw))
	}
	dec := events.DecoderFunc(func([]byte) (events.Decoded, error) { return events.Decoded{ID: "own"}, nil })
	if got, err := events.NewTxHashed(dec, 0, raw, [32]byte{}); err != nil || got.ID != "own" {
		t.Errorf("decoded: %+v, %v; want the decoder's id", got, err)
	}
}
