// Package tlsreload serves a TLS certificate from files that may be
// replaced while the server runs: the files are re-read on Reload (the node
// calls it on SIGHUP) and when their modification time changes, checked at
// most once a second during handshakes. A failed reload keeps the
// certificate in force and is reported, never served half-loaded.
package tlsreload

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

// checkEvery bounds how often handshakes look at the files' mtimes.
const checkEvery = time.Second

// Cert is a reloadable certificate.
type Cert struct {
	certFile, keyFile string
	logger            hclog.Logger

	mu        sync.Mutex
	cert      *tls.Certificate
	modified  time.Time // newest mtime of the two files when loaded
	lastCheck time.Time
}

// Load reads the certificate and key (PEM) files.
func Load(certFile, keyFile string, logger hclog.Logger) (*Cert, error) {
	if certFile == "" || keyFile == "" {
		return nil, errors.New("tls: both a certificate file and a key file are required")
	}
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	c := &Cert{certFile: certFile, keyFile: keyFile, logger: logger.Named("tls")}
	if err := c.Reload(); err != nil {
		return nil, err
	}
	return c, nil
}

// Reload re-reads the files now.
func (c *Cert) Reload() error {
	mod, err := c.mtime()
	if err != nil {
		return err
	}
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("tls: load %s and %s: %w", c.certFile, c.keyFile, err)
	}
	c.mu.Lock()
	c.cert, c.modified, c.lastCheck = &cert, mod, time.Now()
	c.mu.Unlock()
	c.logger.Info("certificate loaded", "cert", c.certFile)
	return nil
}

func (c *Cert) mtime() (time.Time, error) {
	var newest time.Time
	for _, f := range []string{c.certFile, c.keyFile} {
		st, err := os.Stat(f)
		if err != nil {
			return time.Time{}, fmt.Errorf("tls: %w", err)
		}
		if st.ModTime().After(newest) {
			newest = st.ModTime()
		}
	}
	return newest, nil
}

// GetCertificate implements tls.Config.GetCertificate.
func (c *Cert) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	stale := time.Since(c.lastCheck) >= checkEvery
	if stale {
		c.lastCheck = time.Now()
	}
	modified := c.modified
	c.mu.Unlock()
	if stale {
		if mod, err := c.mtime(); err == nil && !mod.Equal(modified) {
			if err := c.Reload(); err != nil {
				c.logger.Error("certificate files changed but do not load; keeping the current one", "error", err)
			}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cert, nil
}

// Config returns a server TLS configuration serving this certificate.
func (c *Cert) Config() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: c.GetCertificate}
}
