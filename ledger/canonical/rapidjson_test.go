package canonical_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/cometstream/cometstream/ledger/canonical"
)

// TestRapidJSONVectors compares against output recorded from the reference
// servers' own serialiser (see testdata/gen_rapidjson.py), so a mistake in
// our reading of its rules cannot hide in both the code and the test.
func TestRapidJSONVectors(t *testing.T) {
	b, err := os.ReadFile("testdata/rapidjson.json")
	if err != nil {
		t.Fatal(err)
	}
	var vectors []struct{ In, Out string }
	if err := json.Unmarshal(b, &vectors); err != nil {
		t.Fatal(err)
	}
	if len(vectors) == 0 {
		t.Fatal("no vectors")
	}
	for _, v := range vectors {
		t.Run(v.In, func(t *testing.T) {
			val, err := canonical.Unmarshal([]byte(v.In))
			if err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			got, err := canonical.Marshal(val)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if string(got) != v.Out {
				t.Errorf("got  %s\nwant %s", got, v.Out)
			}
		})
	}
}
