package main

import (
	"context"
	"errors"
	"io"

	runtimev1alpha1 "cosmossdk.io/api/cosmos/app/runtime/v1alpha1"
	appv1alpha1 "cosmossdk.io/api/cosmos/app/v1alpha1"
	authmodulev1 "cosmossdk.io/api/cosmos/auth/module/v1"
	bankmodulev1 "cosmossdk.io/api/cosmos/bank/module/v1"
	consensusmodulev1 "cosmossdk.io/api/cosmos/consensus/module/v1"
	genutilmodulev1 "cosmossdk.io/api/cosmos/genutil/module/v1"
	stakingmodulev1 "cosmossdk.io/api/cosmos/staking/module/v1"
	txconfigv1 "cosmossdk.io/api/cosmos/tx/config/v1"
	"cosmossdk.io/core/appconfig"
	"cosmossdk.io/depinject"
	"cosmossdk.io/log"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/server"
	"github.com/cosmos/cosmos-sdk/server/config"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	_ "github.com/cosmos/cosmos-sdk/x/auth"           // registers the auth module for depinject
	_ "github.com/cosmos/cosmos-sdk/x/auth/tx/config" // and the tx config
	_ "github.com/cosmos/cosmos-sdk/x/bank"
	_ "github.com/cosmos/cosmos-sdk/x/consensus"
	"github.com/cosmos/cosmos-sdk/x/genutil"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"
	_ "github.com/cosmos/cosmos-sdk/x/staking"

	"github.com/cometstream/cometstream/cosmos"
)

// appConfig is the chain's modules: accounts, bank transfers, a staked
// validator set from genesis transactions, consensus parameters and
// transaction signing; the runtime calls them in simapp's order. genutil's
// basic module is supplied, as simapp does, for the genesis commands.
var appConfig = depinject.Configs(appconfig.Compose(&appv1alpha1.Config{Modules: []*appv1alpha1.ModuleConfig{
	{Name: "runtime", Config: appconfig.WrapAny(&runtimev1alpha1.Module{
		AppName:           "chaind",
		BeginBlockers:     []string{"staking", "auth", "bank", "genutil", "consensus"},
		EndBlockers:       []string{"staking", "auth", "bank", "genutil", "consensus"},
		InitGenesis:       []string{"auth", "bank", "staking", "genutil", "consensus"},
		OverrideStoreKeys: []*runtimev1alpha1.StoreKeyConfig{{ModuleName: "auth", KvStoreKey: "acc"}},
	})},
	{Name: "auth", Config: appconfig.WrapAny(&authmodulev1.Module{
		Bech32Prefix: "cosmos",
		ModuleAccountPermissions: []*authmodulev1.ModuleAccountPermission{
			{Account: "fee_collector"},
			{Account: "bonded_tokens_pool", Permissions: []string{"burner", "staking"}},
			{Account: "not_bonded_tokens_pool", Permissions: []string{"burner", "staking"}},
		},
	})},
	{Name: "bank", Config: appconfig.WrapAny(&bankmodulev1.Module{})},
	{Name: "staking", Config: appconfig.WrapAny(&stakingmodulev1.Module{})},
	{Name: "genutil", Config: appconfig.WrapAny(&genutilmodulev1.Module{})},
	{Name: "consensus", Config: appconfig.WrapAny(&consensusmodulev1.Module{})},
	{Name: "tx", Config: appconfig.WrapAny(&txconfigv1.Config{})},
}}), depinject.Supply(map[string]module.AppModuleBasic{
	genutiltypes.ModuleName: genutil.NewAppModuleBasic(genutiltypes.DefaultMessageValidator),
}))

// App is the chain's app with its event stream: the lines an app.go adds
// are marked "stream".
type App struct {
	*runtime.App
	stream *cosmos.Stream // stream
}

// newApp builds the app on the node's database, as `chaind start` asks.
func newApp(logger log.Logger, db dbm.DB, traceStore io.Writer, appOpts servertypes.AppOptions) servertypes.Application {
	var builder *runtime.AppBuilder
	if err := depinject.Inject(depinject.Configs(appConfig, depinject.Supply(logger, appOpts)), &builder); err != nil {
		panic(err)
	}
	app := &App{App: builder.Build(db, traceStore, server.DefaultBaseappOptions(appOpts)...)}
	// stream: before the app is loaded, so that the blocks CometBFT's
	// handshake replays reach the log.
	stream, err := cosmos.Attach(app, appOpts, nil)
	if err != nil {
		panic(err)
	}
	app.stream = stream
	if err := app.Load(true); err != nil {
		panic(err)
	}
	return app
}

// RegisterNodeService is where the SDK hands the app a client of its
// CometBFT node, once the node runs: the stream records the heights it
// missed through it, then serves.
func (app *App) RegisterNodeService(clientCtx client.Context, cfg config.Config) {
	app.App.RegisterNodeService(clientCtx, cfg)
	if err := app.stream.Start(clientCtx.Client); err != nil { // stream
		app.Logger().Error("the event stream did not start; the chain goes on without it", "err", err)
	}
}

// Close closes the stream after the SDK has stopped CometBFT.
func (app *App) Close() error {
	return errors.Join(app.stream.Close(context.Background()), app.App.Close()) // stream
}

// exportApp is `chaind export`, which this example leaves out.
func exportApp(log.Logger, dbm.DB, io.Writer, int64, bool, []string, servertypes.AppOptions, []string) (servertypes.ExportedApp, error) {
	return servertypes.ExportedApp{}, errors.New("chaind: export is not supported")
}
