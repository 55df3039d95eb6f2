package node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/spf13/viper"

	"github.com/cometstream/cometstream/streamsvc"
)

// StreamConfig is the [stream] section of config.toml.
type StreamConfig struct {
	Enable           bool          `mapstructure:"enable"`
	ListenAddr       string        `mapstructure:"laddr"`
	AdvertisedURL    string        `mapstructure:"advertised_url"`
	CacheBlocks      int           `mapstructure:"cache_blocks"`
	RetainHeights    int64         `mapstructure:"retain_heights"`
	RetainBytes      int64         `mapstructure:"retain_bytes"`
	MaxLagHeights    int64         `mapstructure:"max_lag_heights"`
	MaxConnections   int           `mapstructure:"max_connections"`
	MaxConnsPerIP    int           `mapstructure:"max_connections_per_ip"`
	ClientMsgsPerSec float64       `mapstructure:"client_messages_per_second"`
	Compression      bool          `mapstructure:"enable_compression"`
	TLSCertFile      string        `mapstructure:"tls_cert_file"`
	TLSKeyFile       string        `mapstructure:"tls_key_file"`
	TokensFile       string        `mapstructure:"tokens_file"`
	WriteTimeout     time.Duration `mapstructure:"write_timeout"`
	PingInterval     time.Duration `mapstructure:"ping_interval"`
	PongTimeout      time.Duration `mapstructure:"pong_timeout"`
	ReadLimit        int64         `mapstructure:"read_limit"`
	AllowedOrigins   []string      `mapstructure:"allowed_origins"`
	HandshakeTimeout time.Duration `mapstructure:"handshake_timeout"`
}

// WebAPIConfig is the [webapi] section of config.toml.
type WebAPIConfig struct {
	ListenAddr  string `mapstructure:"laddr"`
	TLSCertFile string `mapstructure:"tls_cert_file"`
	TLSKeyFile  string `mapstructure:"tls_key_file"`
}

// Config is a node's whole configuration.
type Config struct {
	Home   string
	Comet  *cmtcfg.Config
	Stream StreamConfig
	WebAPI WebAPIConfig
}

// DefaultStreamConfig returns the [stream] defaults.
func DefaultStreamConfig() StreamConfig {
	return StreamConfig{
		Enable:           false,
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
	}
}

// DefaultConfig returns the configuration of a node whose home is home.
func DefaultConfig(home string) Config {
	c := cmtcfg.DefaultConfig()
	c.SetRoot(home)
	c.Moniker = "cometstream"
	c.LogLevel = "warn"
	c.RPC.ListenAddress = "tcp://127.0.0.1:26657"
	c.P2P.ListenAddress = "tcp://0.0.0.0:26656"
	return Config{
		Home:   home,
		Comet:  c,
		Stream: DefaultStreamConfig(),
		WebAPI: WebAPIConfig{ListenAddr: "127.0.0.1:9984"},
	}
}

// Validate checks the settings CometBFT does not check itself.
func (c Config) Validate() error {
	if c.Home == "" {
		return errors.New("config: home is required")
	}
	if c.Comet == nil {
		return errors.New("config: CometBFT config is required")
	}
	if err := c.Comet.ValidateBasic(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if c.WebAPI.ListenAddr == "" {
		return errors.New("config: [webapi] laddr is empty")
	}
	if (c.WebAPI.TLSCertFile == "") != (c.WebAPI.TLSKeyFile == "") {
		return errors.New("config: [webapi] tls_cert_file and tls_key_file go together")
	}
	s := c.Stream
	if !s.Enable {
		return nil
	}
	if s.ListenAddr == "" {
		return errors.New("config: [stream] laddr is empty")
	}
	if err := streamsvc.ValidateAdvertisedURL(s.AdvertisedURL); err != nil {
		return fmt.Errorf("config: [stream] advertised_url: %w", err)
	}
	if s.CacheBlocks < 1 {
		return fmt.Errorf("config: [stream] cache_blocks must be at least 1, got %d", s.CacheBlocks)
	}
	if s.MaxLagHeights < 1 {
		return fmt.Errorf("config: [stream] max_lag_heights must be at least 1, got %d", s.MaxLagHeights)
	}
	if s.MaxConnections < 1 || s.MaxConnsPerIP < 1 || s.ClientMsgsPerSec <= 0 {
		return errors.New("config: [stream] max_connections, max_connections_per_ip and client_messages_per_second must be positive")
	}
	if (s.TLSCertFile == "") != (s.TLSKeyFile == "") {
		return errors.New("config: [stream] tls_cert_file and tls_key_file go together")
	}
	if s.TLSCertFile != "" && strings.HasPrefix(s.AdvertisedURL, "ws://") {
		return errors.New("config: [stream] serves TLS, so advertised_url must start with wss://")
	}
	if s.RetainHeights < 0 || s.RetainBytes < 0 {
		return errors.New("config: [stream] retain_heights and retain_bytes must not be negative (0 keeps everything)")
	}
	if s.WriteTimeout < 0 || s.PingInterval < 0 || s.PongTimeout < 0 || s.HandshakeTimeout < 0 || s.ReadLimit < 0 {
		return errors.New("config: [stream] durations and read_limit must not be negative")
	}
	return nil
}

// ConfigFile returns the path of the node's config.toml.
func ConfigFile(home string) string { return filepath.Join(home, "config", "config.toml") }

// LoadConfig reads home/config/config.toml: CometBFT's settings, then the
// [stream] and [webapi] sections over their defaults.
func LoadConfig(home string) (Config, error) {
	cfg := DefaultConfig(home)
	path := ConfigFile(home)
	v := viper.New()
	v.SetConfigFile(path)
	if err := v.ReadInConfig(); err != nil {
		return Config{}, fmt.Errorf("read %s (run 'cometstream init --home %s' first?): %w", path, home, err)
	}
	if err := v.Unmarshal(cfg.Comet); err != nil {
		return Config{}, fmt.Errorf("decode %s: %w", path, err)
	}
	cfg.Comet.SetRoot(home)
	if sub := v.Sub("stream"); sub != nil {
		if err := sub.Unmarshal(&cfg.Stream); err != nil {
			return Config{}, fmt.Errorf("decode [stream] in %s: %w", path, err)
		}
	}
	if sub := v.Sub("webapi"); sub != nil {
		if err := sub.Unmarshal(&cfg.WebAPI); err != nil {
			return Config{}, fmt.Errorf("decode [webapi] in %s: %w", path, err)
		}
	}
	return cfg, nil
}

// streamSection renders the [stream] and [webapi] sections appended to
// CometBFT's config.toml, which CometBFT ignores.
func streamSection(c Config) string {
	s := c.Stream
	quoted := make([]string, len(s.AllowedOrigins))
	for i, o := range s.AllowedOrigins {
		quoted[i] = fmt.Sprintf("%q", o)
	}
	return fmt.Sprintf(`
#######################################################
###       cometstream: WebSocket event stream       ###
#######################################################
[stream]

# Serve the Planetmint Event Stream API (valid_transactions, valid_blocks).
# The --stream.enable flag overrides this.
enable = %t

# Address the stream server listens on.
laddr = %q

# Base URL advertised in the Web API root ("streams"). It must be reachable
# by clients: never a bind address such as 0.0.0.0.
advertised_url = %q

# Every committed block's events are kept in a durable log under
# data/eventlog, so clients can resume with ?from_height=N. Retention: keep
# at least the newest retain_heights heights and at most retain_bytes bytes
# of log (whole segments are deleted); 0 keeps everything.
retain_heights = %d
retain_bytes = %d

# Newest blocks kept decoded in memory, shared by live subscribers.
cache_blocks = %d

# A subscriber that has caught up and then falls this many blocks behind is
# closed with 1008 and told the height to resume from.
max_lag_heights = %d

# Every write to a subscriber must finish within this time.
write_timeout = %q

# The server pings every subscriber this often and drops one that stays
# silent for ping_interval + pong_timeout.
ping_interval = %q
pong_timeout = %q

# Largest client message read (and ignored); a larger one closes with 1009.
read_limit = %d

# Time allowed for the HTTP upgrade request.
handshake_timeout = %q

# Admission: at most max_connections subscribers (503 past it) and
# max_connections_per_ip from one address (429 past it). Client messages
# (ignored) are read at most client_messages_per_second per subscriber.
max_connections = %d
max_connections_per_ip = %d
client_messages_per_second = %v

# Offer permessage-deflate to clients that ask for it.
enable_compression = %t

# TLS for the stream (wss://; then advertised_url must be wss://). The
# files are re-read on SIGHUP and when they change. Empty: plain ws://.
tls_cert_file = %q
tls_key_file = %q

# Bearer tokens, one per line ("#" comments), required as
# "Authorization: Bearer <token>" when set; re-read on SIGHUP. Empty: open.
tokens_file = %q

# Origin header values accepted from browsers. Empty accepts every origin,
# as Planetmint does; requests without an Origin are always accepted.
allowed_origins = [%s]

#######################################################
###            cometstream: Web API                 ###
#######################################################
[webapi]

# Address of the Web API (API root, transactions, blocks, /healthz).
laddr = %q

# TLS for the Web API (https://); re-read on SIGHUP and when changed.
tls_cert_file = %q
tls_key_file = %q
`, s.Enable, s.ListenAddr, s.AdvertisedURL, s.RetainHeights, s.RetainBytes, s.CacheBlocks, s.MaxLagHeights, s.WriteTimeout, s.PingInterval,
		s.PongTimeout, s.ReadLimit, s.HandshakeTimeout, s.MaxConnections, s.MaxConnsPerIP, s.ClientMsgsPerSec,
		s.Compression, s.TLSCertFile, s.TLSKeyFile, s.TokensFile, strings.Join(quoted, ", "),
		c.WebAPI.ListenAddr, c.WebAPI.TLSCertFile, c.WebAPI.TLSKeyFile)
}

// WriteConfig writes c as home/config/config.toml.
func WriteConfig(c Config) error {
	path := ConfigFile(c.Home)
	cmtcfg.WriteConfigFile(path, c.Comet)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("append stream settings to %s: %w", path, err)
	}
	if _, err := f.WriteString(streamSection(c)); err != nil {
		_ = f.Close()
		return fmt.Errorf("append stream settings to %s: %w", path, err)
	}
	return f.Close()
}
