package integration_test

import (
	"os"
	"testing"
)

// needDep stops a test whose outside dependency (Node.js and npm's
// drivers, Debian's python3-websockets) is missing. `make test` installs
// them (make deps), so under CI a missing one is a failure; a plain
// `go test ./...` on a fresh clone skips, saying how to get them.
func needDep(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is missing (make deps installs it): %v", what, err)
	}
	t.Skipf("%s is missing: skipped; make test (or make deps) installs it, and CI=1 makes this a failure: %v", what, err)
}
