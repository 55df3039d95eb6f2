package integration_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cometstream/cometstream/ledger/txbuild"
)

// readmePython finds the README's Python snippets: sh blocks that are one
// `/usr/bin/python3 -c '...'` command.
var readmePython = regexp.MustCompile("(?s)```sh\n/usr/bin/python3 -c '\n(.*?)'\n```")

// TestReadmePythonSnippets runs each of the README's Python snippets as
// written (Debian's python3 and python3-websockets), its URL pointed at a
// test node, then commits transactions: every snippet must print a
// message naming one of them. The snippets read forever, so each is
// stopped once it has.
func TestReadmePythonSnippets(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	const python = "/usr/bin/python3"
	needDep(t, python+" with python3-websockets", exec.Command(python, "-c", "import websockets").Run())
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	snippets := readmePython.FindAllSubmatch(readme, -1)
	if len(snippets) < 2 {
		t.Fatalf("README.md has %d Python snippets, want the stream's and tx_results'", len(snippets))
	}
	n := startNode(t, testConfig(t, t.TempDir()))
	const readmeURL = "ws://localhost:9985"
	type run struct {
		lines chan string
		code  string
	}
	var runs []run
	for _, m := range snippets {
		code := string(m[1])
		if !strings.Contains(code, readmeURL) {
			t.Fatalf("a README Python snippet no longer uses %s:\n%s", readmeURL, code)
		}
		code = strings.Replace(code, readmeURL, n.cfg.Stream.AdvertisedURL, 1)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		cmd := exec.CommandContext(ctx, python, "-c", code)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(out)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				lines <- sc.Text()
			}
		}()
		// Stop the snippet (it reads forever), then drain what it wrote.
		t.Cleanup(func() {
			cancel()
			for range lines {
			}
			_ = cmd.Wait()
		})
		runs = append(runs, run{lines: lines, code: code})
	}
	// A snippet without from_height starts at the first block committed
	// after its handshake, which this test cannot see: so transactions
	// are committed one after another until every snippet has printed
	// one of them (valid_transactions names it by id, tx_results by its
	// CometBFT hash).
	var mu sync.Mutex
	posted := map[string]bool{}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		api := n.webAPI()
		key := txbuild.NewKeyPair()
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			tx := txbuild.Create("3.0", key, fmt.Sprintf("QmReadmePython%d", i), nil, txbuild.To("1", key)).MustSign()
			sum := sha256.Sum256(tx.Raw)
			mu.Lock()
			posted[tx.ID], posted[hex.EncodeToString(sum[:])] = true, true
			mu.Unlock()
			req, err := http.NewRequest(http.MethodPost, api.base+"/transactions?mode=commit", bytes.NewReader(tx.Raw))
			if err != nil {
				return
			}
			if resp, err := api.hc.Do(req); err == nil {
				_ = resp.Body.Close()
			}
		}
	}()
	defer func() {
		close(done)
		wg.Wait()
	}()
	for _, r := range runs {
		var got string
		for line := range r.lines {
			var m struct {
				TransactionID string `json:"transaction_id"`
				Hash          string `json:"hash"`
			}
			if json.Unmarshal([]byte(line), &m) != nil {
				t.Errorf("the snippet printed %q, not a stream message", line)
				break
			}
			mu.Lock()
			ok := posted[m.TransactionID] || posted[strings.ToLower(m.Hash)]
			mu.Unlock()
			if ok {
				got = line
				break
			}
		}
		if got == "" {
			t.Errorf("the snippet ended without printing a transaction this test committed:\n%s", r.code)
		}
	}
}
