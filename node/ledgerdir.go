package node

import (
	"os"
	"path/filepath"

	"github.com/hashicorp/go-hclog"
)

// ledgerDir returns the directory to give ledger.Config.Dir, under which
// the ledger keeps its database "ledger.db": CometBFT's data directory, so
// that the database is data/ledger.db beside CometBFT's own. Homes made
// before 0.1.1 hold it at data/ledger.db/ledger.db; that one is opened
// where it is (moving a database on every start-up path is a risk taken
// for nothing), and docs/operations.md says how to move it by hand.
func ledgerDir(dataDir string, logger hclog.Logger) string {
	legacy := filepath.Join(dataDir, "ledger.db")
	if info, err := os.Stat(filepath.Join(legacy, "ledger.db")); err == nil && info.IsDir() {
		logger.Info("ledger database at the path of older versions, opened there",
			"path", filepath.Join(legacy, "ledger.db"), "see", "docs/operations.md")
		return legacy
	}
	return dataDir
}
