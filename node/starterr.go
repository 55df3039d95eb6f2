package node

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
)

// withHint adds what the operator can do to a start-up error (of New or
// Start) whose cause is known. LevelDB takes an exclusive, non-blocking flock on each
// database (the ledger's and CometBFT's), so a second node on one home
// fails with EAGAIN; some callers on the way wrap with %v rather than %w,
// hence the look at the text as well.
func withHint(home string, err error) error {
	if errors.Is(err, syscall.EAGAIN) || strings.Contains(err.Error(), syscall.EAGAIN.Error()) {
		return fmt.Errorf("%w (a database of %s is locked: is another node running on this home?)", err, home)
	}
	if errors.Is(err, syscall.ENOSPC) || strings.Contains(err.Error(), syscall.ENOSPC.Error()) {
		return fmt.Errorf("%w (free space on the disk of %s, then start again)", err, home)
	}
	if errors.Is(err, syscall.EADDRINUSE) || strings.Contains(err.Error(), syscall.EADDRINUSE.Error()) {
		return fmt.Errorf("%w (another process listens there: another node? Change the address in %s or with its flag)", err, ConfigFile(home))
	}
	return err
}
