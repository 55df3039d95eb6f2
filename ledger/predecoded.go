package ledger

import (
	"github.com/cometstream/cometstream/events"
)

// Predecoded hands the stream the transactions FinalizeBlock parsed for
// height (abci.Predecoder), so that the stream's middleware does not parse
// them a second time. It only returns the block's parsed transactions;
// their fields are copied out later, on the stream's goroutine, from
// Transactions nothing changes after parsing.
func (a *App) Predecoded(height int64) events.Predecoded {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.staged == nil || a.staged.height != height {
		return nil
	}
	return predecoded(a.staged.byIndex)
}

// predecoded is a block's valid transactions by their index in the block
// (nil: rejected).
type predecoded []*Transaction

// Decoded is tx i's fields as events.Planetmint reads them from its bytes.
func (p predecoded) Decoded(i int) (events.Decoded, bool) {
	if i < 0 || i >= len(p) || p[i] == nil {
		return events.Decoded{}, false
	}
	tx := p[i]
	d := events.Decoded{ID: tx.ID, AssetIDs: tx.AssetIDs, Operation: tx.Operation}
	for _, in := range tx.Inputs {
		d.OwnersBefore = append(d.OwnersBefore, in.OwnersBefore...)
	}
	for _, out := range tx.Outputs {
		d.PublicKeys = append(d.PublicKeys, out.PublicKeys...)
	}
	return d, true
}
