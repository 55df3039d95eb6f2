package node

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cometstream/cometstream/streamsvc"
	"github.com/cometstream/cometstream/tlsreload"
)

type streamSecurity struct {
	tls     *tls.Config
	tokens  *streamsvc.Tokens
	metrics *streamsvc.Metrics
}

// streamSecurity loads the stream's certificate and tokens, and its
// metrics, registered with CometBFT's own when its Prometheus listener is
// on (same registry and namespace, so one scrape gets both).
func (n *Node) streamSecurity() (streamSecurity, error) {
	var sc streamSecurity
	s := n.cfg.Stream
	if s.TLSCertFile != "" {
		cert, err := tlsreload.Load(s.TLSCertFile, s.TLSKeyFile, n.logger.Named("stream"))
		if err != nil {
			return sc, fmt.Errorf("[stream] TLS: %w", err)
		}
		n.certs = append(n.certs, cert)
		sc.tls = cert.Config()
	}
	if s.TokensFile != "" {
		tokens, err := streamsvc.LoadTokens(s.TokensFile)
		if err != nil {
			return sc, fmt.Errorf("[stream] tokens_file: %w", err)
		}
		n.tokens, sc.tokens = tokens, tokens
	}
	var reg prometheus.Registerer
	if n.cfg.Comet.Instrumentation.Prometheus {
		reg = prometheus.DefaultRegisterer
	}
	m, err := streamsvc.NewMetrics(n.cfg.Comet.Instrumentation.Namespace, reg, n.log)
	if err != nil {
		var already prometheus.AlreadyRegisteredError
		if !errors.As(err, &already) {
			return sc, fmt.Errorf("stream metrics: %w", err)
		}
		// A second node in one process (tests): keep its metrics private.
		if m, err = streamsvc.NewMetrics(n.cfg.Comet.Instrumentation.Namespace, nil, n.log); err != nil {
			return sc, err
		}
	}
	sc.metrics = m
	return sc, nil
}

func (n *Node) webTLS() (*tls.Config, error) {
	w := n.cfg.WebAPI
	if w.TLSCertFile == "" {
		return nil, nil
	}
	cert, err := tlsreload.Load(w.TLSCertFile, w.TLSKeyFile, n.logger.Named("webapi"))
	if err != nil {
		return nil, fmt.Errorf("[webapi] TLS: %w", err)
	}
	n.certs = append(n.certs, cert)
	return cert.Config(), nil
}

// Reload re-reads the TLS certificates and the token file (SIGHUP). What
// fails to load is reported and the previous one stays in force.
func (n *Node) Reload() error {
	var errs []error
	for _, c := range n.certs {
		errs = append(errs, c.Reload())
	}
	if n.tokens != nil {
		errs = append(errs, n.tokens.Reload())
	}
	err := errors.Join(errs...)
	if err != nil {
		n.logger.Error("reload failed; previous certificates and tokens stay in force", "error", err)
	} else {
		n.logger.Info("certificates and tokens reloaded")
	}
	return err
}

// health is the /healthz document.
type health struct {
	Status         string `json:"status"`
	LatestHeight   int64  `json:"latest_streamed_height"`
	OldestHeight   int64  `json:"oldest_streamed_height"`
	CatchingUp     bool   `json:"catching_up"`
	StreamEnabled  bool   `json:"stream_enabled"`
	CometBFTHeight int64  `json:"cometbft_height"`
}

// healthHandler reports the latest streamed height and whether the node is
// catching up (blocksync/statesync): 200 when serving live, 503 while
// catching up, so a load balancer sends clients to nodes at the tip.
func (n *Node) healthHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		h := health{Status: "ok", StreamEnabled: n.log != nil}
		if n.log != nil {
			h.OldestHeight, h.LatestHeight = n.log.Bounds()
		}
		h.CometBFTHeight = n.comet.BlockStore().Height()
		h.CatchingUp = n.comet.ConsensusReactor().WaitSync()
		status := http.StatusOK
		if h.CatchingUp {
			h.Status, status = "catching_up", http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(h)
	})
}
