package events_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/internal/fixtures"
)

// FuzzPlanetmintDecode feeds the decoder arbitrary bytes, as a chain carrying
// any application's transactions does. The seed corpus is the fixtures here
// plus testdata/fuzz/FuzzPlanetmintDecode. The fixtures are large seeds, and
// the fuzzer minimizes each new input derived from them for up to
// -fuzzminimizetime (60s by default) with no execs counted meanwhile; for
// short runs pass -fuzzminimizetime=1s.
func FuzzPlanetmintDecode(f *testing.F) {
	for _, name := range txFixtureNames() {
		f.Add(fixtures.Read(name))
	}
	f.Add([]byte(synthTx(ownID, "COMPOSE", "3.0",
		fmt.Sprintf(`"assets":[{"data":"Qm"},{"id":%q},{"id":%q}]`, assetA, assetB))))
	f.Add([]byte(synthTx(ownID, "VOTE", "2.0", fmt.Sprintf(`"asset":{"id":%q}`, electionID))))

	f.Fuzz(func(t *testing.T, tx []byte) {
		got, err := events.Planetmint{}.Decode(tx)
		if err != nil {
			if !errors.Is(err, events.ErrUndecodable) {
				t.Fatalf("Decode error %v does not wrap ErrUndecodable", err)
			}
		} else {
			if !isLowerHex64(got.ID) {
				t.Fatalf("Decode accepted id %q, want 64 lower-case hex digits", got.ID)
			}
			if len(got.AssetIDs) == 0 {
				t.Fatal("Decode returned no asset ids")
			}
			seen := map[string]bool{}
			for _, id := range got.AssetIDs {
				if id == "" || seen[id] {
					t.Fatalf("Decode returned empty or repeated asset id in %q", got.AssetIDs)
				}
				seen[id] = true
			}
			again, err := events.Planetmint{}.Decode(tx)
			if err != nil {
				t.Fatalf("second Decode failed: %v", err)
			}
			if diff := cmp.Diff(got, again); diff != "" {
				t.Fatalf("Decode is not deterministic (-first +second):\n%s", diff)
			}
		}

		// Whatever the bytes, the middleware's path yields a usable event.
		ev, _ := events.NewTx(events.Planetmint{}, 0, tx)
		if !isLowerHex64(ev.ID) || len(ev.AssetIDs) == 0 {
			t.Fatalf("NewTx event has id %q and asset ids %q", ev.ID, ev.AssetIDs)
		}
	})
}

func isLowerHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
