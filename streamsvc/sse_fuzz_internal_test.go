package streamsvc

import (
	"fmt"
	"testing"
)

// Last-Event-ID comes from the client: any value parses to a position
// that prints back as the same id, or is an error.
func FuzzParseLastEventID(f *testing.F) {
	for _, s := range []string{"1", "12:0", "12:7", "0", "-1", "1:", ":1", "1:2:3", "9223372036854775807:1", "1:-1", " 1"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, blocks bool) {
		id, err := parseLastEventID(s, blocks)
		if err != nil {
			return
		}
		if id.height < 1 || id.index < -1 || (blocks && id.index != -1) {
			t.Fatalf("%q: %+v", s, id)
		}
		back := fmt.Sprint(id.height)
		if id.index >= 0 {
			back = fmt.Sprintf("%d:%d", id.height, id.index)
		}
		if again, err := parseLastEventID(back, blocks); err != nil || again != id {
			t.Fatalf("%q parsed as %+v, whose id %q parses as %+v, %v", s, id, back, again, err)
		}
	})
}
