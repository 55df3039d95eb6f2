package client

import "testing"

// FuzzDecodeMessage: whatever a server sends, decoding neither panics nor
// accepts a message without the fields resuming depends on.
func FuzzDecodeMessage(f *testing.F) {
	f.Add([]byte(`{"transaction_id":"ab","asset_id":"ab","asset_ids":["ab"],"height":3}`))
	f.Add([]byte(`{"height":3,"hash":"0A1B","transaction_ids":["ab","cd"]}`))
	f.Add([]byte(`{"height":3,"hash":"0A1B","transaction_ids":null}`))
	f.Add([]byte(`{"transaction_id":"ab","height":-1}`))
	f.Add([]byte(`{"height":1e30}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if tx, err := decodeTx(data); err == nil && (tx.TransactionID == "" || tx.Height <= 0) {
			t.Fatalf("accepted transaction message %q as %+v", data, tx)
		}
		if b, err := decodeBlock(data); err == nil && (b.Height <= 0 || b.TransactionIDs == nil) {
			t.Fatalf("accepted block message %q as %+v", data, b)
		}
	})
}
