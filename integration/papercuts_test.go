package integration_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cometstream/cometstream/node"
)

// TestHealthzRefusesOtherMethods: /healthz answers a method it does not
// serve as every other route does, 405 with Allow and a JSON body.
func TestHealthzRefusesOtherMethods(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	n := startNode(t, testConfig(t, t.TempDir()))
	url := "http://" + n.WebAddr() + node.HealthPath
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		t.Run(method, func(t *testing.T) {
			req, err := http.NewRequest(method, url, strings.NewReader("{}"))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
			var msg struct {
				Message string `json:"message"`
				Status  int    `json:"status"`
			}
			if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" ||
				json.Unmarshal(body, &msg) != nil || msg.Status != http.StatusMethodNotAllowed {
				t.Errorf("%s /healthz: %d, Allow %q, body %s; want 405, Allow \"GET, HEAD\", JSON",
					method, resp.StatusCode, resp.Header.Get("Allow"), body)
			}
		})
	}
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		req, _ := http.NewRequest(method, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusMethodNotAllowed || resp.StatusCode == http.StatusNotFound {
			t.Errorf("%s /healthz: %d", method, resp.StatusCode)
		}
	}
}

// TestNotFoundMessages: every 404 of the node, on both ports, says "Not
// found" the same way (Planetmint's word), never "not found" in one place
// and "Not found" in another.
func TestNotFoundMessages(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	n := startNode(t, testConfig(t, t.TempDir()))
	web := "http://" + n.WebAddr()
	stream := "http://" + strings.TrimPrefix(n.cfg.Stream.AdvertisedURL, "ws://")
	for _, url := range []string{
		web + "/api/v1/transactions/" + strings.Repeat("0", 64),
		web + "/api/v1/blocks/999999999",
		web + "/api/v1/nothing-here",
		stream + "/api/v1/streams/nothing-here",
	} {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		var msg struct {
			Message string `json:"message"`
			Status  int    `json:"status"`
		}
		err = json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&msg)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound || err != nil || msg.Status != 404 || !strings.HasPrefix(msg.Message, "Not found: ") {
			t.Errorf("GET %s: %d %+v (%v), want 404 with a message starting \"Not found: \"", url, resp.StatusCode, msg, err)
		}
	}
}

// TestLedgerDatabasePath: a new home keeps the ledger's database at
// data/ledger.db; a home laid out by older versions
// (data/ledger.db/ledger.db) is opened where it is, with its state.
func TestLedgerDatabasePath(t *testing.T) {
	if testing.Short() {
		t.Skip("runs node processes")
	}
	n := newBinaryNode(t)
	n.startWithEnv(t)
	waitFor(t, "3 blocks", 60*time.Second, func() bool { return n.height() >= 3 })
	if err := n.proc.stop(t, syscall.SIGTERM); err != nil {
		t.Fatalf("node exit: %v", err)
	}
	data := filepath.Join(n.home, "data")
	db := filepath.Join(data, "ledger.db")
	if !exists(filepath.Join(db, "CURRENT")) || exists(filepath.Join(db, "ledger.db")) {
		t.Fatalf("the ledger database is not at %s", db)
	}

	// Lay it out as older versions did, then start again.
	if err := os.Rename(db, db+".tmp"); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(db, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(db+".tmp", filepath.Join(db, "ledger.db")); err != nil {
		t.Fatal(err)
	}
	n.startWithEnv(t)
	h := n.height()
	waitFor(t, "blocks on the old layout", 60*time.Second, func() bool { return n.height() > max(h, 3) })
	if err := n.proc.stop(t, syscall.SIGTERM); err != nil {
		t.Fatalf("node exit: %v", err)
	}
	logs := n.proc.logs.tail(1000)
	if !strings.Contains(logs, "ledger database at the path of older versions") {
		t.Errorf("the old path was not used:\n%s", logs)
	}
	// The old database was resumed, not replaced by a new one replaying
	// the chain from height 1.
	if strings.Contains(logs, "ledger opened: dir="+db+" height=0") || !strings.Contains(logs, "ledger opened: dir="+db+" height=") {
		t.Errorf("the old database did not resume:\n%s", logs)
	}
	if exists(filepath.Join(db, "CURRENT")) {
		t.Errorf("a second database was made at %s", db)
	}
}

// TestHelpExitsZero: "start --help" prints the flags and exits 0.
func TestHelpExitsZero(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	out, err := exec.Command(buildBinary(t), "start", "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "-home") {
		t.Errorf("start --help: %v\n%s", err, out)
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
