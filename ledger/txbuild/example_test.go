package txbuild_test

import (
	"fmt"

	"github.com/cometstream/cometstream/ledger"
	"github.com/cometstream/cometstream/ledger/txbuild"
)

// Alice creates 10 of an asset, then gives 4 to Bob and keeps 6 in an
// output that she and Bob can only spend together.
func Example() {
	alice, bob := txbuild.NewKeyPair(), txbuild.NewKeyPair()
	create := txbuild.Create("2.0", alice, map[string]any{"name": "bike"}, nil, txbuild.To("10", alice)).MustSign()
	give := txbuild.Transfer("2.0", create.ID, map[string]any{"note": "for Bob"},
		[]txbuild.Input{create.Spend(0, alice)},
		txbuild.To("4", bob), txbuild.ToAll("6", 2, alice, bob)).MustSign()

	for _, tx := range []*txbuild.Signed{create, give} {
		parsed, err := ledger.ParseTransaction(tx.Raw)
		fmt.Println(err, parsed.Operation, parsed.AssetIDs[0] == create.ID, len(parsed.Outputs))
	}
	// Output:
	// <nil> CREATE true 1
	// <nil> TRANSFER true 2
}
