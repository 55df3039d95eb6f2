package abci_test

import (
	"encoding/hex"
	"testing"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/cometstream/cometstream/events"
)

// An app's transactions that no decoder understands are named as CometBFT
// names them: /tx?hash= and /websocket's tx.hash are this hash.
func TestRawIDIsCometBFTTxHash(t *testing.T) {
	for _, tx := range [][]byte{nil, []byte("key=value"), []byte("not a transaction"), make([]byte, 4096)} {
		want := hex.EncodeToString(cmttypes.Tx(tx).Hash())
		if got := events.RawID(tx); got != want {
			t.Errorf("RawID(%q) = %s, CometBFT's tx hash is %s", tx, got, want)
		}
	}
}
