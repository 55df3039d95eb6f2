package node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/spf13/viper"

	"github.com/cometstream/cometstream"
)

// StreamConfig is the [stream] section of config.toml: the library's
// cometstream.Config (every setting and default lives there) and the
// node's switch.
type StreamConfig struct {
	Enable             bool `mapstructure:"enable"`
	cometstream.Config `mapstructure:",squash"`
}

// WebAPIConfig is the [webapi] section of config.toml.
type WebAPIConfig struct {
	ListenAddr  string `mapstructure:"laddr"`
	TLSCertFile string `mapstructure:"tls_cert_file"`
	TLSKeyFile  string `mapstructure:"tls_key_file"`
	// MaxCommitWaiters caps the mode=commit posts waiting at once (503
	// past it); 0 is webapi.DefaultMaxCommitWaiters.
	MaxCommitWaiters int `mapstructure:"max_commit_waiters"`
}

// Config is a node's whole configuration.
type Config struct {
	Home   string
	Comet  *cmtcfg.Config
	Stream StreamConfig
	WebAPI WebAPIConfig
	Health HealthConfig
}

// DefaultStreamConfig returns the [stream] defaults: the library's, off.
func DefaultStreamConfig() StreamConfig {
	return StreamConfig{Config: cometstream.DefaultConfig()}
}

// DefaultConfig returns the configuration of a node whose home is home.
func DefaultConfig(home string) Config {
	c := cmtcfg.DefaultConfig()
	c.SetRoot(home)
	c.Moniker = "cometstream"
	c.LogLevel = "warn"
	c.RPC.ListenAddress = "tcp://127.0.0.1:26657"
	// Loopback like every other port: a single-validator home has no
	// peers. A network opens it with --p2p.laddr or [p2p] laddr (testnet
	// homes bind their --hostname).
	c.P2P.ListenAddress = "tcp://127.0.0.1:26656"
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
	if c.Health.MaxBehindHeights < 0 {
		return fmt.Errorf("config: [health] max_behind_heights %d is negative", c.Health.MaxBehindHeights)
	}
	if c.WebAPI.MaxCommitWaiters < 0 {
		return errors.New("config: [webapi] max_commit_waiters must not be negative")
	}
	if !c.Stream.Enable {
		return nil
	}
	// DataDir is CometBFT's; set here so the library's check passes.
	sc := c.Stream.Config
	sc.DataDir = c.Comet.DBDir()
	if err := sc.Validate(); err != nil {
		return fmt.Errorf("config: [stream]: %w", err)
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
	if sub := v.Sub("health"); sub != nil {
		if err := sub.Unmarshal(&cfg.Health); err != nil {
			return Config{}, fmt.Errorf("decode [health] in %s: %w", path, err)
		}
	}
	return cfg, nil
}

// streamTemplate renders the [stream] and [webapi] sections appended to
// CometBFT's config.toml (which CometBFT ignores) from the named fields of
// Config: the file is a view of cometstream.Config and WebAPIConfig.
var streamTemplate = template.Must(template.New("stream").Funcs(template.FuncMap{
	"q": func(v any) string { return strconv.Quote(fmt.Sprint(v)) },
	"list": func(vs []string) string {
		quoted := make([]string, len(vs))
		for i, v := range vs {
			quoted[i] = strconv.Quote(v)
		}
		return strings.Join(quoted, ", ")
	},
}).Parse(`
#######################################################
###       cometstream: WebSocket event stream       ###
#######################################################
[stream]

# Serve the Planetmint Event Stream API (valid_transactions, valid_blocks).
# The --stream.enable flag overrides this.
enable = {{.Stream.Enable}}

# Address the stream server listens on.
laddr = {{q .Stream.ListenAddr}}

# Base URL advertised in the Web API root ("streams"). It must be reachable
# by clients: never a bind address such as 0.0.0.0.
advertised_url = {{q .Stream.AdvertisedURL}}

# Every committed block's events are kept in a durable log under
# data/eventlog, so clients can resume with ?from_height=N. Retention: keep
# at least the newest retain_heights heights and at most retain_bytes bytes
# of log (whole segments are deleted); 0 keeps everything.
retain_heights = {{.Stream.RetainHeights}}
retain_bytes = {{.Stream.RetainBytes}}

# Newest blocks kept decoded in memory, shared by live subscribers.
cache_blocks = {{.Stream.CacheBlocks}}

# A subscriber that has caught up and then falls this many blocks behind is
# closed with 1008 and told the height to resume from.
max_lag_heights = {{.Stream.MaxLagHeights}}

# Every write to a subscriber must finish within this time.
write_timeout = {{q .Stream.WriteTimeout}}

# The server pings every subscriber this often and drops one that stays
# silent for ping_interval + pong_timeout.
ping_interval = {{q .Stream.PingInterval}}
pong_timeout = {{q .Stream.PongTimeout}}

# Largest client message read (and ignored); a larger one closes with 1009.
read_limit = {{.Stream.ReadLimit}}

# Time allowed for the HTTP upgrade request.
handshake_timeout = {{q .Stream.HandshakeTimeout}}

# Admission: at most max_connections subscribers (503 past it) and
# max_connections_per_ip from one address (429 past it). Client messages
# (ignored) are read at most client_messages_per_second per subscriber.
max_connections = {{.Stream.MaxConnections}}
max_connections_per_ip = {{.Stream.MaxConnsPerIP}}
client_messages_per_second = {{.Stream.ClientMsgsPerSec}}

# Offer permessage-deflate to clients that ask for it.
enable_compression = {{.Stream.Compression}}

# TLS for the stream (wss://; then advertised_url must be wss://). The
# files are re-read on SIGHUP and when they change. Empty: plain ws://.
tls_cert_file = {{q .Stream.TLSCertFile}}
tls_key_file = {{q .Stream.TLSKeyFile}}

# Bearer tokens, one per line ("#" comments), required as
# "Authorization: Bearer <token>" when set; re-read on SIGHUP. Empty: open.
tokens_file = {{q .Stream.TokensFile}}

# Origin header values accepted from browsers. Empty accepts every origin,
# as Planetmint does; requests without an Origin are always accepted.
allowed_origins = [{{list .Stream.AllowedOrigins}}]

# Publish the event log to a NATS JetStream stream, for readers beyond this
# node: each block's valid_blocks, valid_transactions and tx_results
# messages on cometstream.<chain_id>.<stream>, exactly once, in order. The
# sink follows the log (never consensus) and resumes from the stream's last
# message after any outage. Off unless enable = true.
[stream.jetstream]
enable = {{.Stream.JetStream.Enable}}

# NATS server URLs, e.g. ["nats://10.0.0.1:4222", "tls://nats.example:4222"].
servers = [{{list .Stream.JetStream.Servers}}]

# Authentication: a token, a user and password, or a .creds file (at most
# one kind). Empty: none.
token = {{q .Stream.JetStream.Token}}
user = {{q .Stream.JetStream.User}}
password = {{q .Stream.JetStream.Password}}
creds_file = {{q .Stream.JetStream.CredsFile}}

# TLS: the CA bundle the servers' certificates are checked against (empty:
# the system's), and a client certificate for servers that verify clients.
tls_ca_file = {{q .Stream.JetStream.TLSCAFile}}
tls_cert_file = {{q .Stream.JetStream.TLSCertFile}}
tls_key_file = {{q .Stream.JetStream.TLSKeyFile}}

# The JetStream stream: its name (empty: COMETSTREAM_<CHAIN_ID>), replicas
# (1 to 5), and what it keeps (max_age, e.g. "720h", and max_bytes; 0: no
# bound).
stream = {{q .Stream.JetStream.Stream}}
replicas = {{.Stream.JetStream.Replicas}}
max_age = {{q .Stream.JetStream.MaxAge}}
max_bytes = {{.Stream.JetStream.MaxBytes}}

# /healthz reports the sink lagging (503) when it is this many heights
# behind the event log.
max_lag_heights = {{.Stream.JetStream.MaxLagHeights}}

#######################################################
###            cometstream: Web API                 ###
#######################################################
[webapi]

# Address of the Web API (API root, transactions, blocks, /healthz).
laddr = {{q .WebAPI.ListenAddr}}

# TLS for the Web API (https://); re-read on SIGHUP and when changed.
tls_cert_file = {{q .WebAPI.TLSCertFile}}
tls_key_file = {{q .WebAPI.TLSKeyFile}}

# POST /api/v1/transactions?mode=commit posts waiting at once for their
# block; past it they get 503 with Retry-After. 0: the default (5000).
max_commit_waiters = {{.WebAPI.MaxCommitWaiters}}

#######################################################
###            cometstream: /healthz                ###
#######################################################
[health]

# /healthz answers 503 "stalled" when no block has been committed for this
# long. "0s" derives it from the [consensus] timeouts: five rounds that run
# every timeout (30s with CometBFT's defaults); a negative value turns the
# check off (it is off by default when create_empty_blocks = false and
# create_empty_blocks_interval = "0s", since an idle chain commits nothing).
stall_after = {{q .Health.StallAfter}}

# Out of block sync, the node is still "catching_up" (503) while a peer has
# committed more than this many heights past it. 0 means 2.
max_behind_heights = {{.Health.MaxBehindHeights}}
`))

func streamSection(c Config) (string, error) {
	var b strings.Builder
	if err := streamTemplate.Execute(&b, c); err != nil {
		return "", fmt.Errorf("render [stream]: %w", err)
	}
	return b.String(), nil
}

// WriteConfig writes c as home/config/config.toml.
func WriteConfig(c Config) error {
	path := ConfigFile(c.Home)
	cmtcfg.WriteConfigFile(path, c.Comet)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("append stream settings to %s: %w", path, err)
	}
	section, err := streamSection(c)
	if err != nil {
		_ = f.Close()
		return err
	}
	if _, err := f.WriteString(section); err != nil {
		_ = f.Close()
		return fmt.Errorf("append stream settings to %s: %w", path, err)
	}
	return f.Close()
}
