package canonical_test

import (
	"fmt"

	"github.com/cometstream/cometstream/ledger/canonical"
)

func Example() {
	v, err := canonical.Unmarshal([]byte(`{"text": "Grüße\u001f", "n": 1.50, "a": [1E2, -0]}`))
	if err != nil {
		panic(err)
	}
	b, err := canonical.Marshal(v)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(b))
	// Output: {"a":[100.0,0],"n":1.5,"text":"Grüße\u001F"}
}
