package integration_test

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// needDep stops a test whose outside dependency (Node.js and npm's
// drivers, Debian's python3-websockets) is missing. `make test` installs
// them (make deps), so under CI a missing one is a failure; a plain
// `go test ./...` on a fresh clone skips, saying how to get them.
func needDep(t testing.TB, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is missing (make deps installs it): %v", what, err)
	}
	t.Skipf("%s is missing: skipped; make test (or make deps) installs it, and CI=1 makes this a failure: %v", what, err)
}

// TestNeedDep runs a test with a missing dependency in a child process:
// it skips without CI and fails with CI set.
func TestNeedDep(t *testing.T) {
	if os.Getenv("NEED_DEP_CHILD") != "" {
		needDep(t, "a tool", errors.New("not installed"))
		return
	}
	for _, tt := range []struct {
		ci, want string
	}{{"", "--- SKIP"}, {"1", "--- FAIL"}} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestNeedDep$", "-test.v")
		cmd.Env = append(os.Environ(), "NEED_DEP_CHILD=1", "CI="+tt.ci)
		out, _ := cmd.CombinedOutput()
		if !strings.Contains(string(out), tt.want) || !strings.Contains(string(out), "make") {
			t.Errorf("CI=%q: want %q and how to install; got:\n%s", tt.ci, tt.want, out)
		}
	}
}
