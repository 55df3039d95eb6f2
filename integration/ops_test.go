package integration_test

import (
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/cometstream/cometstream/internal/testcert"
	"github.com/cometstream/cometstream/streamsvc"
)

var prometheusNodeRan atomic.Bool

// TestSecuredNodeHealthAndMetrics runs a node with wss, bearer tokens and
// HTTPS on the Web API, and CometBFT's Prometheus listener on: the stream
// needs the token over TLS, /healthz reports the streamed height, and the
// stream's metrics are served beside CometBFT's.
func TestSecuredNodeHealthAndMetrics(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	// CometBFT registers its Prometheus metrics in the default registry and
	// panics on a second registration: once per test process (-count=N).
	if prometheusNodeRan.Swap(true) {
		t.Skip("a node with Prometheus on already ran in this process")
	}
	dir := t.TempDir()
	cert := testcert.New(t, "127.0.0.1")
	certFile, keyFile := cert.Write(t, dir)
	pool := cert.Pool
	tokens := filepath.Join(dir, "tokens")
	if err := os.WriteFile(tokens, []byte("ops-token-0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, t.TempDir())
	cfg.Stream.AdvertisedURL = strings.Replace(cfg.Stream.AdvertisedURL, "ws://", "wss://", 1)
	cfg.Stream.TLSCertFile, cfg.Stream.TLSKeyFile, cfg.Stream.TokensFile = certFile, keyFile, tokens
	cfg.WebAPI.TLSCertFile, cfg.WebAPI.TLSKeyFile = certFile, keyFile
	promAddr := "127.0.0.1:" + freePort(t)
	cfg.Comet.Instrumentation.Prometheus = true
	cfg.Comet.Instrumentation.PrometheusListenAddr = promAddr
	n := startNode(t, cfg)

	tlsConf := &tls.Config{RootCAs: pool}
	https := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConf}, Timeout: 10 * time.Second}
	d := websocket.Dialer{TLSClientConfig: tlsConf, HandshakeTimeout: 10 * time.Second}
	url := cfg.Stream.AdvertisedURL + streamsvc.PathBlocks
	if _, resp, err := d.Dial(url, nil); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no token: err %v, want 401", err)
	}
	c, _, err := d.Dial(url, http.Header{"Authorization": {"Bearer ops-token-0123456789abcdef"}})
	if err != nil {
		t.Fatalf("wss with the token: %v", err)
	}
	defer c.Close()
	var blk blockMsg
	if err := readJSON(c, &blk, 30*time.Second); err != nil {
		t.Fatalf("first block over wss: %v", err)
	}

	var health struct {
		Status       string `json:"status"`
		LatestHeight int64  `json:"latest_streamed_height"`
		CatchingUp   bool   `json:"catching_up"`
	}
	resp, err := https.Get("https://" + n.WebAddr() + "/healthz")
	if err != nil {
		t.Fatalf("healthz over https: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %d %s", resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, &health); err != nil || health.Status != "ok" || health.LatestHeight < blk.Height || health.CatchingUp {
		t.Errorf("healthz %s (err %v), want ok with latest_streamed_height >= %d", body, err, blk.Height)
	}

	var metrics string
	waitFor(t, "stream metrics on CometBFT's listener", 30*time.Second, func() bool {
		resp, err := http.Get("http://" + promAddr + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		metrics = string(b)
		return strings.Contains(metrics, `cometbft_stream_connections{stream="valid_blocks"} 1`)
	})
	for _, want := range []string{"cometbft_stream_events_sent_total", "cometbft_stream_commit_handoff_seconds_count",
		`cometbft_stream_connections_refused_total{reason="unauthorized"} 1`, "cometbft_stream_log_newest_height",
		"cometbft_consensus_height"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
