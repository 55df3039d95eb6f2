package streamsvc_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/libs/pubsub/query"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/websocket"

	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/streamsvc"
	"github.com/cometstream/cometstream/wire"
)

// resultTx is one transaction of resultChain: its bytes and ABCI result.
type resultTx struct {
	height int64
	index  uint32
	tx     []byte
	res    abcitypes.ExecTxResult
}

// resultChain is a small bank-like chain: transfers with events (one
// failed), an event without a type and an attribute without a key (which
// CometBFT leaves out of matching), an event type with a dot in it.
func resultChain() []resultTx {
	transfer := func(to, amount string) abcitypes.Event {
		return abcitypes.Event{Type: "transfer", Attributes: []abcitypes.EventAttribute{
			{Key: "recipient", Value: to, Index: true}, {Key: "amount", Value: amount, Index: true},
		}}
	}
	msg := func(action string) abcitypes.Event {
		return abcitypes.Event{Type: "message", Attributes: []abcitypes.EventAttribute{{Key: "action", Value: action}}}
	}
	return []resultTx{
		{1, 0, []byte("send 1"), abcitypes.ExecTxResult{GasWanted: 200, GasUsed: 120,
			Events: []abcitypes.Event{msg("send"), transfer("cosmos1bob", "10stake")}}},
		{1, 1, []byte("send 2"), abcitypes.ExecTxResult{Code: 5, Codespace: "bank", GasWanted: 200, GasUsed: 80}},
		{2, 0, []byte("send 3"), abcitypes.ExecTxResult{GasWanted: 300, GasUsed: 150,
			Events: []abcitypes.Event{msg("send"), transfer("cosmos1carol", "7stake"), transfer("cosmos1bob", "3atom")}}},
		{3, 0, []byte("wasm"), abcitypes.ExecTxResult{Events: []abcitypes.Event{
			{Type: "wasm.contract", Attributes: []abcitypes.EventAttribute{{Key: "action", Value: "mint"}, {Key: "", Value: "keyless"}}},
			{Type: "", Attributes: []abcitypes.EventAttribute{{Key: "hidden", Value: "x"}}},
			{Type: "coin", Attributes: []abcitypes.EventAttribute{{Key: "amount", Value: "42"}}},
		}}},
		{4, 2, []byte("send 4"), abcitypes.ExecTxResult{Events: []abcitypes.Event{transfer("cosmos1bob", "1stake")}}},
	}
}

// resultBlocks turns the chain into the log's blocks, as the middleware
// records them (abci.BlockEvent's results).
func resultBlocks(txs []resultTx) []*events.Block {
	var blocks []*events.Block
	for _, tx := range txs {
		if len(blocks) == 0 || blocks[len(blocks)-1].Height != tx.height {
			blocks = append(blocks, &events.Block{Height: tx.height, Hash: blockHash(tx.height), HasResults: true})
		}
		b := blocks[len(blocks)-1]
		sum := sha256.Sum256(tx.tx)
		r := events.TxResult{Index: tx.index, Hash: sum[:], Code: tx.res.Code, Codespace: tx.res.Codespace,
			GasWanted: tx.res.GasWanted, GasUsed: tx.res.GasUsed}
		for _, e := range tx.res.Events {
			ev := events.ABCIEvent{Type: e.Type}
			for _, a := range e.Attributes {
				ev.Attributes = append(ev.Attributes, events.ABCIAttribute{Key: a.Key, Value: a.Value, Index: a.Index})
			}
			r.Events = append(r.Events, ev)
		}
		b.Results = append(b.Results, r)
		if tx.res.Code == 0 {
			id := events.RawID(tx.tx)
			b.Txs = append(b.Txs, events.Tx{Index: tx.index, ID: id, AssetIDs: []string{id}})
		}
	}
	return blocks
}

func hashOf(tx []byte) string {
	sum := sha256.Sum256(tx)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// Unfiltered, tx_results carries every transaction of every block, failed
// ones included, in block order, as CometBFT's RPC prints their results.
func TestTxResultsStream(t *testing.T) {
	chain := resultChain()
	ts := startServer(t, streamsvc.Config{}, serverOptions{})
	ts.append(t, resultBlocks(chain)...)
	c := dial(t, ts.url+streamsvc.PathTxResults+"?from_height=1", dialOptions{})
	got := decodeAll[wire.TxResultMessage](t, c.collect(t, len(chain)))
	var want []wire.TxResultMessage
	for _, tx := range chain {
		m := wire.TxResultMessage{Height: tx.height, Index: tx.index, Hash: hashOf(tx.tx), Code: tx.res.Code,
			Codespace: tx.res.Codespace, GasWanted: fmt.Sprint(tx.res.GasWanted), GasUsed: fmt.Sprint(tx.res.GasUsed),
			Events: []wire.EventJSON{}}
		for _, e := range tx.res.Events {
			ev := wire.EventJSON{Type: e.Type, Attributes: []wire.AttributeJSON{}}
			for _, a := range e.Attributes {
				ev.Attributes = append(ev.Attributes, wire.AttributeJSON{Key: a.Key, Value: a.Value, Index: a.Index})
			}
			m.Events = append(m.Events, ev)
		}
		want = append(want, m)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tx_results (-want +got):\n%s", diff)
	}
	c.sync(t)
	c.expectQuiet(t)
}

// A block recorded before the log kept results yields a message per valid
// transaction, marked as lacking its result.
func TestTxResultsOfABlockLackingResults(t *testing.T) {
	ts := startServer(t, streamsvc.Config{}, serverOptions{})
	old := &events.Block{Height: 1, Hash: blockHash(1), Txs: []events.Tx{{Index: 2, ID: txID(1, 2), AssetIDs: []string{txID(1, 2)}}}}
	ts.append(t, old)
	c := dial(t, ts.url+streamsvc.PathTxResults+"?from_height=1", dialOptions{})
	got := decodeAll[wire.TxResultMessage](t, c.collect(t, 1))
	want := []wire.TxResultMessage{{Height: 1, Index: 2, TransactionID: txID(1, 2), GasWanted: "0", GasUsed: "0",
		Events: []wire.EventJSON{}, ResultsMissing: true}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tx_results (-want +got):\n%s", diff)
	}
}

// The query decides as CometBFT's own /websocket subscription does on the
// same transactions: each query is subscribed on a real CometBFT EventBus,
// the chain's transactions are published on it as CometBFT's consensus
// publishes them, and what the bus delivers must be what tx_results sends.
func TestTxResultsQueryMatchesCometBFT(t *testing.T) {
	chain := resultChain()
	queries := []string{
		"tm.event='Tx'",
		"tm.event='NewBlock'",
		"transfer.recipient='cosmos1bob'",
		"tm.event='Tx' AND transfer.recipient='cosmos1carol'",
		"transfer.recipient='cosmos1bob' AND transfer.amount='3atom'",
		"transfer.amount CONTAINS 'stake'",
		"message.action EXISTS",
		"message.action='send' AND tx.height>1",
		"tx.height=2",
		"tx.height>=2 AND tx.height<4",
		"tx.hash='" + hashOf([]byte("send 3")) + "'",
		"wasm.contract.action='mint'",
		"coin.amount>40",
		"coin.amount<40",
		"hidden EXISTS",
		"wasm.contract. EXISTS",
		"transfer.recipient='nobody'",
	}
	bus := cmttypes.NewEventBus()
	if err := bus.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = bus.Stop() }()
	ctx := context.Background()
	subs := make([]cmttypes.Subscription, len(queries))
	for i, q := range queries {
		var err error
		if subs[i], err = bus.Subscribe(ctx, fmt.Sprint("q", i), query.MustCompile(q), len(chain)+1); err != nil {
			t.Fatal(err)
		}
	}
	// The bus handles publications one at a time, in order: once the
	// sentinel reaches its subscriber, every earlier delivery is buffered.
	sentinel, err := bus.Subscribe(ctx, "sentinel", query.MustCompile("sentinel.done EXISTS"), 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, tx := range chain {
		err := bus.PublishEventTx(cmttypes.EventDataTx{TxResult: abcitypes.TxResult{Height: tx.height, Index: tx.index, Tx: tx.tx, Result: tx.res}})
		if err != nil {
			t.Fatal(err)
		}
	}
	done := abcitypes.ExecTxResult{Events: []abcitypes.Event{{Type: "sentinel", Attributes: []abcitypes.EventAttribute{{Key: "done", Value: "1"}}}}}
	if err := bus.PublishEventTx(cmttypes.EventDataTx{TxResult: abcitypes.TxResult{Height: 99, Tx: []byte("end"), Result: done}}); err != nil {
		t.Fatal(err)
	}
	<-sentinel.Out()

	ts := startServer(t, streamsvc.Config{}, serverOptions{})
	ts.append(t, resultBlocks(chain)...)
	for i, q := range queries {
		t.Run(q, func(t *testing.T) {
			var want []string
			for len(subs[i].Out()) > 0 {
				ev := (<-subs[i].Out()).Data().(cmttypes.EventDataTx)
				if ev.Height != 99 { // the sentinel
					want = append(want, fmt.Sprintf("%d/%d", ev.Height, ev.Index))
				}
			}
			c := dial(t, ts.url+streamsvc.PathTxResults+"?from_height=1&query="+url.QueryEscape(q), dialOptions{})
			got := decodeAll[wire.TxResultMessage](t, c.collect(t, len(want)))
			var gotPos []string
			for _, m := range got {
				gotPos = append(gotPos, fmt.Sprintf("%d/%d", m.Height, m.Index))
			}
			t.Logf("CometBFT's bus delivered %v", want)
			if diff := cmp.Diff(want, gotPos); diff != "" {
				t.Errorf("matched transactions (-CometBFT's EventBus +tx_results):\n%s", diff)
			}
			c.sync(t)
			c.expectQuiet(t) // nothing CometBFT left out comes after
		})
	}
}

func TestTxResultsRefusesBadQueries(t *testing.T) {
	ts := startServer(t, streamsvc.Config{}, serverOptions{})
	for _, tt := range []struct{ name, path, raw, want string }{
		{"malformed", streamsvc.PathTxResults, "query=" + url.QueryEscape("tm.event='Tx' AND"), "query: offset"},
		{"empty", streamsvc.PathTxResults, "query=", "query is empty"},
		{"too long", streamsvc.PathTxResults, "query=" + url.QueryEscape("a.b='"+strings.Repeat("x", wire.MaxEventQueryBytes)+"'"), "at most"},
		{"on valid_transactions", streamsvc.PathTransactions, "query=" + url.QueryEscape("tm.event='Tx'"), "applies to " + streamsvc.PathTxResults + " only"},
		{"asset filter on tx_results", streamsvc.PathTxResults, "asset_id=" + assetA, "applies to " + streamsvc.PathTransactions + " only"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, resp, err := websocket.DefaultDialer.Dial(ts.url+tt.path+"?"+tt.raw, nil)
			if err == nil || resp == nil {
				t.Fatalf("dial: %v, want a refusal", err)
			}
			defer resp.Body.Close()
			var body wire.Error
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body.Message, tt.want) {
				t.Errorf("%d %q, want 400 with %q", resp.StatusCode, body.Message, tt.want)
			}
		})
	}
}
