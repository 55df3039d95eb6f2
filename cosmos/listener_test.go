package cosmos_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"cosmossdk.io/log"
	storetypes "cosmossdk.io/store/types"
	abcitypes "github.com/cometbft/cometbft/abci/types"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/cosmos/cosmos-sdk/baseapp"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/spf13/viper"

	"github.com/cometstream/cometstream/cosmos"
)

// appOptions is app.toml as the SDK hands it to an app: a viper.
func appOptions(t *testing.T, stream map[string]any) *viper.Viper {
	v := viper.New()
	v.Set("home", t.TempDir())
	if stream != nil {
		v.Set("stream", stream)
	}
	return v
}

// A real BaseApp, with the stream attached as its ABCIListener, runs
// blocks through FinalizeBlock and Commit: each committed block reaches the
// stream's durable log with BaseApp's result of every transaction (here
// transactions it cannot decode: code 2 in the sdk codespace), named by
// CometBFT's tx hash; the listeners already registered are kept.
func TestAttachedToBaseApp(t *testing.T) {
	undecodable := func([]byte) (sdk.Tx, error) { return nil, errors.New("not a transaction of this chain") }
	app := baseapp.NewBaseApp("cometstream-test", log.NewNopLogger(), dbm.NewMemDB(), undecodable, baseapp.SetChainID("test"))
	app.MountStores(storetypes.NewKVStoreKey("main"))
	if err := app.LoadLatestVersion(); err != nil {
		t.Fatal(err)
	}
	other := &countingListener{}
	app.SetStreamingManager(storetypes.StreamingManager{ABCIListeners: []storetypes.ABCIListener{other}})

	s, err := cosmos.Attach(app, appOptions(t, map[string]any{"enable": true, "laddr": "127.0.0.1:0"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	if n := len(app.StreamingManager().ABCIListeners); n != 2 {
		t.Fatalf("%d listeners, want the app's and the stream's", n)
	}
	if _, err := app.InitChain(&abcitypes.RequestInitChain{ChainId: "test", InitialHeight: 1}); err != nil {
		t.Fatal(err)
	}
	txs := [][]byte{[]byte("tx one"), []byte("tx two")}
	for h := int64(1); h <= 3; h++ {
		req := &abcitypes.RequestFinalizeBlock{Height: h, Time: time.Unix(h, 0), Hash: []byte{byte(h)}}
		if h == 2 {
			req.Txs = txs
		}
		if _, err := app.FinalizeBlock(req); err != nil {
			t.Fatalf("FinalizeBlock(%d): %v", h, err)
		}
		if _, err := app.Commit(); err != nil {
			t.Fatalf("Commit(%d): %v", h, err)
		}
	}
	if other.commits != 3 {
		t.Errorf("the app's own listener saw %d commits, want 3", other.commits)
	}
	// Committed blocks reach the log on the stream's own goroutine.
	if err := s.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, newest := s.Log().Bounds(); newest != 3 {
		t.Fatalf("log's newest height %d, want 3", newest)
	}
	b, err := s.Log().Get(2)
	if err != nil {
		t.Fatal(err)
	}
	if !b.HasResults || len(b.Results) != 2 || len(b.Txs) != 0 {
		t.Fatalf("height 2: %d results (HasResults %v), %d valid txs; want 2 results, none valid", len(b.Results), b.HasResults, len(b.Txs))
	}
	for i, r := range b.Results {
		sum := sha256.Sum256(txs[i])
		if string(r.Hash) != string(sum[:]) || r.Code != 2 || r.Codespace != "sdk" {
			t.Errorf("result %d: hash %x code %d codespace %q; want the tx hash, code 2, sdk", i, r.Hash, r.Code, r.Codespace)
		}
	}
}

// Without enable = true in [stream], Attach attaches nothing, and the nil
// stream's methods do nothing; a bad [stream] is an error.
func TestAttachConfig(t *testing.T) {
	app := baseapp.NewBaseApp("cometstream-test", log.NewNopLogger(), dbm.NewMemDB(), nil)
	for _, opts := range []map[string]any{nil, {"enable": false}} {
		s, err := cosmos.Attach(app, appOptions(t, opts), nil)
		if s != nil || err != nil {
			t.Errorf("[stream] %v: Attach = %v, %v; want nothing", opts, s, err)
		}
		if err := s.Start(nil); err != nil {
			t.Error(err)
		}
		if err := s.Close(context.Background()); err != nil {
			t.Error(err)
		}
	}
	if len(app.StreamingManager().ABCIListeners) != 0 {
		t.Error("a listener was added with the stream disabled")
	}
	if _, err := cosmos.Attach(app, appOptions(t, map[string]any{"enable": true, "max_lag_heights": -5}), nil); err == nil {
		t.Error("Attach with max_lag_heights = -5: error = nil")
	}
}

type countingListener struct{ commits int }

func (*countingListener) ListenFinalizeBlock(context.Context, abcitypes.RequestFinalizeBlock, abcitypes.ResponseFinalizeBlock) error {
	return nil
}

func (c *countingListener) ListenCommit(context.Context, abcitypes.ResponseCommit, []*storetypes.StoreKVPair) error {
	c.commits++
	return nil
}
