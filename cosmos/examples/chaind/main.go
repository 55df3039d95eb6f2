// Command chaind is a Cosmos SDK chain (v0.53: auth, bank, staking,
// genutil, consensus and tx) with the cometstream event stream
// attached, the few lines app.go adds marked "stream" in app.go. It has the
// commands of simapp's simd that a chain's life needs: init, keys,
// genesis (add-genesis-account, gentx, collect-gentxs), start, tx bank
// send and query tx; the stream is on when app.toml has
//
//	[stream]
//	enable = true
//	laddr = "127.0.0.1:9985"
//
// It is the chain that the cosmos module's process tests run, and an
// example to read: simapp itself is not served by the Go module proxy.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"cosmossdk.io/depinject"
	"cosmossdk.io/log"
	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/config"
	"github.com/cosmos/cosmos-sdk/client/keys"
	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/server"
	svrcmd "github.com/cosmos/cosmos-sdk/server/cmd"
	"github.com/cosmos/cosmos-sdk/types/module"
	authcli "github.com/cosmos/cosmos-sdk/x/auth/client/cli"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	bankcli "github.com/cosmos/cosmos-sdk/x/bank/client/cli"
	genutilcli "github.com/cosmos/cosmos-sdk/x/genutil/client/cli"
	"github.com/spf13/cobra"
)

func main() {
	home, err := os.UserHomeDir()
	if err != nil {
		home = "."
	}
	home = filepath.Join(home, ".chaind")
	root, err := newRootCmd(home)
	if err == nil {
		err = svrcmd.Execute(root, "CHAIND", home)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// newRootCmd is chaind's command tree, its codecs taken from the same
// module configuration as the app's.
func newRootCmd(home string) (*cobra.Command, error) {
	var (
		txConfig client.TxConfig
		basics   module.BasicManager
		cdc      codec.Codec
		amino    *codec.LegacyAmino
		registry codectypes.InterfaceRegistry
	)
	if err := depinject.Inject(depinject.Configs(appConfig, depinject.Supply(log.NewNopLogger())),
		&txConfig, &basics, &cdc, &amino, &registry); err != nil {
		return nil, err
	}
	clientCtx := client.Context{}.
		WithCodec(cdc).
		WithInterfaceRegistry(registry).
		WithTxConfig(txConfig).
		WithLegacyAmino(amino).
		WithInput(os.Stdin).
		WithAccountRetriever(authtypes.AccountRetriever{}).
		WithHomeDir(home).
		WithViper("CHAIND")

	root := &cobra.Command{
		Use:           "chaind",
		Short:         "A Cosmos SDK chain with the cometstream event stream",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			ctx := clientCtx.WithCmdContext(cmd.Context())
			ctx, err := client.ReadPersistentCommandFlags(ctx, cmd.Flags())
			if err != nil {
				return err
			}
			if ctx, err = config.ReadFromClientConfig(ctx); err != nil {
				return err
			}
			if err := client.SetCmdClientContextHandler(ctx, cmd); err != nil {
				return err
			}
			return server.InterceptConfigsPreRunHandler(cmd, "", nil, cmtcfg.DefaultConfig())
		},
	}

	query := &cobra.Command{Use: "query", Aliases: []string{"q"}, Short: "Queries", RunE: client.ValidateCmd}
	query.AddCommand(authcli.QueryTxCmd())
	tx := &cobra.Command{Use: "tx", Short: "Transactions", RunE: client.ValidateCmd}
	tx.AddCommand(bankcli.NewTxCmd(txConfig.SigningContext().AddressCodec()))

	root.AddCommand(
		genutilcli.InitCmd(basics, home),
		genutilcli.Commands(txConfig, basics, home),
		keys.Commands(),
		query,
		tx,
	)
	server.AddCommands(root, home, newApp, exportApp, func(*cobra.Command) {})
	return root, nil
}
