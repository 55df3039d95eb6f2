package cometstream

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/cometstream/cometstream/jetstream"
)

// JetStreamConfig is the [stream.jetstream] section: publishing the event
// log to a NATS JetStream stream (package jetstream), off by default.
type JetStreamConfig struct {
	// Enable starts the sink with the stream.
	Enable bool `mapstructure:"enable"`
	// Servers are the NATS URLs, e.g. ["nats://10.0.0.1:4222", ...].
	Servers []string `mapstructure:"servers"`
	// Token, or User and Password, or CredsFile authenticate; at most one.
	Token     string `mapstructure:"token"`
	User      string `mapstructure:"user"`
	Password  string `mapstructure:"password"`
	CredsFile string `mapstructure:"creds_file"`
	// TLSCAFile, when set, is the CA bundle the servers' certificates
	// are checked against (tls:// URLs otherwise use the system's);
	// TLSCertFile and TLSKeyFile are a client certificate, for servers
	// that verify clients.
	TLSCAFile   string `mapstructure:"tls_ca_file"`
	TLSCertFile string `mapstructure:"tls_cert_file"`
	TLSKeyFile  string `mapstructure:"tls_key_file"`
	// Stream names the JetStream stream; empty: COMETSTREAM_<chain id>.
	Stream string `mapstructure:"stream"`
	// Replicas of the stream (1 to 5).
	Replicas int `mapstructure:"replicas"`
	// MaxAge and MaxBytes bound what the stream keeps; 0: no bound.
	MaxAge   time.Duration `mapstructure:"max_age"`
	MaxBytes int64         `mapstructure:"max_bytes"`
	// MaxLagHeights: /healthz reports the sink lagging when it is this
	// many heights behind the log.
	MaxLagHeights int64 `mapstructure:"max_lag_heights"`
	// ChainID names the subjects (cometstream.<chain id>.<stream>); the
	// node sets it from its genesis, an embedder from its own.
	ChainID string `mapstructure:"-"`
}

// DefaultJetStreamConfig is the section's defaults: off.
func DefaultJetStreamConfig() JetStreamConfig {
	return JetStreamConfig{Replicas: 1, MaxLagHeights: 100}
}

func (c JetStreamConfig) validate() error {
	if !c.Enable {
		return nil
	}
	var errs []error
	if len(c.Servers) == 0 {
		errs = append(errs, errors.New("jetstream: servers is empty"))
	}
	if c.Replicas < 1 || c.Replicas > 5 {
		errs = append(errs, fmt.Errorf("jetstream: replicas must be 1 to 5, got %d", c.Replicas))
	}
	if c.MaxAge < 0 || c.MaxBytes < 0 || c.MaxLagHeights < 1 {
		errs = append(errs, errors.New("jetstream: max_age and max_bytes must not be negative, max_lag_heights must be at least 1"))
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		errs = append(errs, errors.New("jetstream: tls_cert_file and tls_key_file go together"))
	}
	return errors.Join(errs...)
}

// sinkConfig is the package jetstream configuration of c.
func (c JetStreamConfig) sinkConfig(s *Stream) (jetstream.Config, error) {
	cfg := jetstream.Config{
		Log: s.log, ChainID: c.ChainID,
		Conn:   jetstream.Conn{Servers: c.Servers, Token: c.Token, User: c.User, Password: c.Password, CredsFile: c.CredsFile},
		Stream: c.Stream, Replicas: c.Replicas, MaxAge: c.MaxAge, MaxBytes: c.MaxBytes,
		Logger: s.logger,
	}
	if c.TLSCAFile == "" && c.TLSCertFile == "" {
		return cfg, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.TLSCAFile != "" {
		pem, err := os.ReadFile(c.TLSCAFile)
		if err != nil {
			return cfg, fmt.Errorf("jetstream tls_ca_file: %w", err)
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(pem) {
			return cfg, fmt.Errorf("jetstream tls_ca_file %s: no PEM certificate", c.TLSCAFile)
		}
	}
	if c.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.TLSCertFile, c.TLSKeyFile)
		if err != nil {
			return cfg, fmt.Errorf("jetstream client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	cfg.TLS = tc
	return cfg, nil
}
