package node

import (
	"fmt"
	"os"

	cmtcfg "github.com/cometbft/cometbft/config"
	cmtrand "github.com/cometbft/cometbft/libs/rand"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/types"
	cmttime "github.com/cometbft/cometbft/types/time"
)

// Init creates a single-validator home from c: config.toml (CometBFT's
// settings plus [stream] and [webapi]), the validator and node keys, and a
// genesis file. Files that exist are kept, so Init on an initialised home
// changes nothing and a restart continues the same chain.
func Init(c Config) error {
	if err := c.Validate(); err != nil {
		return err
	}
	// EnsureRoot writes CometBFT's default config.toml when there is none,
	// which would hide ours: look before it does.
	fresh := !fileExists(ConfigFile(c.Home))
	cmtcfg.EnsureRoot(c.Home)
	if fresh {
		if err := WriteConfig(c); err != nil {
			return err
		}
	}
	keyFile, stateFile := c.Comet.PrivValidatorKeyFile(), c.Comet.PrivValidatorStateFile()
	var pv *privval.FilePV
	if fileExists(keyFile) {
		if !fileExists(stateFile) {
			return fmt.Errorf("init: %s exists but %s does not", keyFile, stateFile)
		}
		pv = privval.LoadFilePV(keyFile, stateFile)
	} else {
		pv = privval.GenFilePV(keyFile, stateFile)
		pv.Save()
	}
	if _, err := p2p.LoadOrGenNodeKey(c.Comet.NodeKeyFile()); err != nil {
		return fmt.Errorf("init: node key: %w", err)
	}
	genFile := c.Comet.GenesisFile()
	if fileExists(genFile) {
		return nil
	}
	pub, err := pv.GetPubKey()
	if err != nil {
		return fmt.Errorf("init: validator public key: %w", err)
	}
	gen := types.GenesisDoc{
		ChainID:         "cometstream-" + cmtrand.Str(6),
		GenesisTime:     cmttime.Now(),
		ConsensusParams: types.DefaultConsensusParams(),
		Validators:      []types.GenesisValidator{{Address: pub.Address(), PubKey: pub, Power: 10}},
	}
	if err := gen.SaveAs(genFile); err != nil {
		return fmt.Errorf("init: genesis: %w", err)
	}
	return nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
