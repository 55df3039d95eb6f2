package loadclients

import (
	"testing"

	"github.com/cometstream/cometstream/bench"
)

func TestHeight(t *testing.T) {
	for _, c := range []struct {
		name, mode, msg string
		want            int64
		ok              bool
	}{
		{"valid_transactions", bench.ModeStream, `{"transaction_id":"ab","asset_id":"ab","asset_ids":["ab"],"height":1234}`, 1234, true},
		{"valid_blocks", bench.ModeStream, `{"height":7,"hash":"AB","transaction_ids":["ab"]}`, 7, true},
		{"cometbft tx event", bench.ModeCometBFT,
			`{"jsonrpc":"2.0","id":1,"result":{"query":"tm.event='Tx'","data":{"type":"tendermint/event/Tx","value":{"TxResult":{"height":"42","index":0,"tx":"eyJ9","result":{}}}},"events":{"tx.height":["42"]}}}`,
			42, true},
		{"cometbft subscribe answer", bench.ModeCometBFT, `{"jsonrpc":"2.0","id":1,"result":{}}`, 0, false},
		{"no height", bench.ModeStream, `{"x":1}`, 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := height(c.mode, []byte(c.msg))
			if got != c.want || ok != c.ok {
				t.Fatalf("height = %d, %v; want %d, %v", got, ok, c.want, c.ok)
			}
		})
	}
}

func TestRPCErrorText(t *testing.T) {
	msg := `{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"Server error","data":"subscription was canceled (reason: out of capacity)"}}`
	if got, want := rpcErrorText([]byte(msg)), "subscription was canceled (reason: out of capacity)"; got != want {
		t.Fatalf("rpcErrorText = %q, want %q", got, want)
	}
}
