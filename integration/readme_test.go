package integration_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// readmeJS is the README's JavaScript snippet: the first js block after
// the "With the JavaScript driver" heading.
var readmeJS = regexp.MustCompile("(?s)### With the JavaScript driver\n.*?```js\n(.*?)```")

// TestReadmeJavaScriptSnippet runs the README's driver snippet as written,
// saved as the README says (an .mjs file beside the installed driver), its
// URL pointed at a test node: it must commit and print the transaction.
func TestReadmeJavaScriptSnippet(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	if _, err := os.Stat("js/node_modules/bigchaindb-driver/package.json"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("bigchaindb-driver is not installed in integration/js: %v", err)
		}
		t.Skipf("bigchaindb-driver is not installed in integration/js (make test installs it): %v", err)
	}
	nodeJS, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("node (Node.js) is not installed")
		}
		t.Skip("node (Node.js) is not installed (make test installs it)")
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := readmeJS.FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md has no js block under \"### With the JavaScript driver\"")
	}
	const readmeURL = "'http://localhost:9984/api/v1/'"
	if !bytes.Contains(m[1], []byte(readmeURL)) {
		t.Fatalf("the README's snippet no longer uses %s:\n%s", readmeURL, m[1])
	}
	n := startNode(t, testConfig(t, t.TempDir()))
	snippet := bytes.Replace(m[1], []byte(readmeURL), []byte("'http://"+n.WebAddr()+"/api/v1/'"), 1)
	// Beside node_modules, where "npm install" put the driver.
	f, err := os.CreateTemp("js", "readme-*.mjs")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Remove(f.Name()) })
	if _, err := f.Write(snippet); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, nodeJS, filepath.Base(f.Name()))
	cmd.Dir = "js"
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node %s: %v\n%s\nsnippet:\n%s", f.Name(), err, out, snippet)
	}
	id, ok := strings.CutPrefix(strings.TrimSpace(string(out)), "committed ")
	if !ok || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(id) {
		t.Fatalf("snippet printed %q, want \"committed <id>\"", out)
	}
	var tx struct {
		ID        string `json:"id"`
		Operation string `json:"operation"`
	}
	if err := getJSON("http://"+n.WebAddr()+"/api/v1/transactions/"+id, &tx); err != nil || tx.ID != id || tx.Operation != "CREATE" {
		t.Errorf("GET the snippet's transaction: %+v, %v", tx, err)
	}
}
