package streamsvc

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/wire"
)

// TestTxMessageMatchesMarshal holds the hand-written encoder to
// json.Marshal's bytes, for plain ids and for strings that need escaping.
func TestTxMessageMatchesMarshal(t *testing.T) {
	hex := "0fdeb547670bbea980389df53cf5a91e60159339084c6b0b5cc0b5494a679530"
	tests := []events.Tx{
		{ID: hex, AssetIDs: []string{hex}},
		{ID: hex, AssetIDs: []string{hex, "4957744b3ac54434b8270f2c854cc1040228c82ea4e72d66d2887a4d3e30b317"}},
		{ID: hex}, // no asset ids: the fallback
		{ID: `a<b>&"c\`, AssetIDs: []string{"é\n", "\u2028"}},
		{ID: "\x7f\x00", AssetIDs: []string{"x"}},
	}
	for _, height := range []int64{1, 9223372036854775807} {
		for _, tx := range tests {
			assets := tx.AssetIDs
			if len(assets) == 0 {
				assets = []string{tx.ID}
			}
			want, _ := json.Marshal(wire.TxMessage{TransactionID: tx.ID, AssetID: assets[0], AssetIDs: assets, Height: height})
			if got := appendTxMessage(nil, &tx, height); !bytes.Equal(got, want) {
				t.Errorf("tx %q height %d:\n got %s\nwant %s", tx.ID, height, got, want)
			}
		}
	}
}
