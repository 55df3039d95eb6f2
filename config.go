package cometstream

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/streamsvc"
)

// Config configures the stream. The file-backed settings carry the names of
// the node's [stream] section of config.toml (mapstructure tags), which is
// rendered from these fields; DefaultConfig is the one home of their
// defaults. Fields tagged "-" are set in code by the embedder.
type Config struct {
	// DataDir holds the event log, in DataDir/eventlog. Required; the node
	// uses CometBFT's data directory.
	DataDir string `mapstructure:"-"`

	// ListenAddr is the address the stream server listens on.
	ListenAddr string `mapstructure:"laddr"`
	// AdvertisedURL is the base URL the API root advertises ("streams"):
	// reachable by clients, never a bind address such as 0.0.0.0.
	AdvertisedURL string `mapstructure:"advertised_url"`

	// RetainHeights and RetainBytes bound the event log: keep at least the
	// newest RetainHeights heights and at most RetainBytes bytes (whole
	// segments are deleted). 0 keeps everything. Retention is the only
	// thing that ever deletes history.
	RetainHeights int64 `mapstructure:"retain_heights"`
	RetainBytes   int64 `mapstructure:"retain_bytes"`
	// CacheBlocks is how many of the newest blocks stay decoded in memory.
	CacheBlocks int `mapstructure:"cache_blocks"`

	// MaxLagHeights: a subscriber that caught up and then falls this many
	// blocks behind is closed with 1008 and told where to resume.
	MaxLagHeights int64 `mapstructure:"max_lag_heights"`
	// WriteTimeout bounds every write to a subscriber.
	WriteTimeout time.Duration `mapstructure:"write_timeout"`
	// PingInterval and PongTimeout: a subscriber silent for their sum is
	// dropped.
	PingInterval time.Duration `mapstructure:"ping_interval"`
	PongTimeout  time.Duration `mapstructure:"pong_timeout"`
	// ReadLimit is the largest client message read (and ignored).
	ReadLimit int64 `mapstructure:"read_limit"`
	// HandshakeTimeout bounds the HTTP upgrade request.
	HandshakeTimeout time.Duration `mapstructure:"handshake_timeout"`

	// Admission: at most MaxConnections subscribers (503 past it) and
	// MaxConnsPerIP from one address (429); client messages are read at
	// most ClientMsgsPerSec per subscriber.
	MaxConnections   int     `mapstructure:"max_connections"`
	MaxConnsPerIP    int     `mapstructure:"max_connections_per_ip"`
	ClientMsgsPerSec float64 `mapstructure:"client_messages_per_second"`

	// Compression offers permessage-deflate.
	Compression bool `mapstructure:"enable_compression"`
	// TLSCertFile and TLSKeyFile serve wss://; re-read by Reload and when
	// they change.
	TLSCertFile string `mapstructure:"tls_cert_file"`
	TLSKeyFile  string `mapstructure:"tls_key_file"`
	// TokensFile lists bearer tokens, one per line; empty: open.
	TokensFile string `mapstructure:"tokens_file"`
	// AllowedOrigins are the Origin values accepted from browsers; empty
	// accepts every origin.
	AllowedOrigins []string `mapstructure:"allowed_origins"`

	// JetStream publishes the log to a NATS JetStream stream
	// ([stream.jetstream]); off by default.
	JetStream JetStreamConfig `mapstructure:"jetstream"`

	// Decoder names an app's transactions (ids, asset ids, keys,
	// operation, for the filters). Defaults to events.Planetmint{}, which
	// names bytes it does not read by their CometBFT tx hash.
	Decoder events.Decoder `mapstructure:"-"`
	// Logger defaults to discarding.
	Logger hclog.Logger `mapstructure:"-"`
	// Registerer receives the stream's metrics; nil leaves them
	// unregistered. MetricsNamespace defaults to "cometbft", so that they
	// sit beside CometBFT's own.
	Registerer       prometheus.Registerer `mapstructure:"-"`
	MetricsNamespace string                `mapstructure:"-"`
	// Version is reported by the API root.
	Version string `mapstructure:"-"`
}

// DefaultConfig returns the defaults of every setting but DataDir.
func DefaultConfig() Config {
	return Config{
		ListenAddr:       "127.0.0.1:9985",
		AdvertisedURL:    "ws://localhost:9985",
		CacheBlocks:      256,
		MaxLagHeights:    1000,
		MaxConnections:   10000,
		MaxConnsPerIP:    100,
		ClientMsgsPerSec: 20,
		WriteTimeout:     10 * time.Second,
		PingInterval:     20 * time.Second,
		PongTimeout:      10 * time.Second,
		ReadLimit:        64 << 10,
		HandshakeTimeout: 10 * time.Second,
		MetricsNamespace: "cometbft",
		JetStream:        DefaultJetStreamConfig(),
	}
}

// Validate checks c as Open takes it: zero settings are defaults.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("data dir is required"))
	}
	if c.ListenAddr == "" {
		errs = append(errs, errors.New("laddr is empty"))
	}
	if err := streamsvc.ValidateAdvertisedURL(c.AdvertisedURL); err != nil {
		errs = append(errs, fmt.Errorf("advertised_url: %w", err))
	}
	if c.CacheBlocks < 1 {
		errs = append(errs, fmt.Errorf("cache_blocks must be at least 1, got %d", c.CacheBlocks))
	}
	if c.MaxLagHeights < 1 {
		errs = append(errs, fmt.Errorf("max_lag_heights must be at least 1, got %d", c.MaxLagHeights))
	}
	if c.MaxConnections < 1 || c.MaxConnsPerIP < 1 || c.ClientMsgsPerSec <= 0 {
		errs = append(errs, errors.New("max_connections, max_connections_per_ip and client_messages_per_second must be positive"))
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		errs = append(errs, errors.New("tls_cert_file and tls_key_file go together"))
	}
	if c.TLSCertFile != "" && strings.HasPrefix(c.AdvertisedURL, "ws://") {
		errs = append(errs, errors.New("TLS is served, so advertised_url must start with wss://"))
	}
	if c.RetainHeights < 0 || c.RetainBytes < 0 {
		errs = append(errs, errors.New("retain_heights and retain_bytes must not be negative (0 keeps everything)"))
	}
	if c.WriteTimeout < 0 || c.PingInterval < 0 || c.PongTimeout < 0 || c.HandshakeTimeout < 0 || c.ReadLimit < 0 {
		errs = append(errs, errors.New("durations and read_limit must not be negative"))
	}
	if err := c.JetStream.validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// withDefaults fills every zero setting from DefaultConfig, so that
// Config{DataDir: dir} is a working configuration.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	setDefault(&c.ListenAddr, d.ListenAddr)
	setDefault(&c.AdvertisedURL, d.AdvertisedURL)
	setDefault(&c.CacheBlocks, d.CacheBlocks)
	setDefault(&c.MaxLagHeights, d.MaxLagHeights)
	setDefault(&c.MaxConnections, d.MaxConnections)
	setDefault(&c.MaxConnsPerIP, d.MaxConnsPerIP)
	setDefault(&c.ClientMsgsPerSec, d.ClientMsgsPerSec)
	setDefault(&c.WriteTimeout, d.WriteTimeout)
	setDefault(&c.PingInterval, d.PingInterval)
	setDefault(&c.PongTimeout, d.PongTimeout)
	setDefault(&c.ReadLimit, d.ReadLimit)
	setDefault(&c.HandshakeTimeout, d.HandshakeTimeout)
	if c.Decoder == nil {
		c.Decoder = events.Planetmint{}
	}
	if c.Logger == nil {
		c.Logger = hclog.NewNullLogger()
	}
	setDefault(&c.MetricsNamespace, d.MetricsNamespace)
	setDefault(&c.JetStream.Replicas, d.JetStream.Replicas)
	setDefault(&c.JetStream.MaxLagHeights, d.JetStream.MaxLagHeights)
	return c
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}
