package streamsvc

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/cometstream/cometstream/events"
)

// Config configures a Server. Zero values take the documented defaults.
type Config struct {
	// Log is the committed-block log the streams follow. Required.
	Log *events.Log
	// Addr is the listen address for Start. Defaults to 127.0.0.1:9985.
	Addr string
	// Logger defaults to a null logger.
	Logger hclog.Logger
	// WriteTimeout bounds every write to a subscriber; a subscriber whose
	// socket takes longer is dropped. Defaults to 10s.
	WriteTimeout time.Duration
	// PingInterval is how often the server pings each subscriber. Defaults
	// to 20s (the reference server never pings, and proxies cut idle
	// streams).
	PingInterval time.Duration
	// PongTimeout is how long a subscriber may stay silent past a ping
	// before it is dropped. Defaults to 10s.
	PongTimeout time.Duration
	// ReadLimit is the largest client message read (and discarded),
	// counted after inflating when it is compressed; a larger one closes
	// the connection with 1009. Defaults to 64 KiB.
	ReadLimit int64
	// HandshakeTimeout bounds the HTTP request and upgrade. Defaults to 10s.
	HandshakeTimeout time.Duration
	// AllowedOrigins lists the Origin header values accepted; empty accepts
	// every origin, as the reference server does. Requests without an
	// Origin (non-browser clients) are always accepted.
	AllowedOrigins []string
	// MaxLagHeights is how many blocks a subscriber that has reached the
	// live edge may fall behind it before it is closed with 1008 and told
	// where to resume. A subscriber replaying from an old height is not
	// held to it until it first catches up. Defaults to 1000.
	MaxLagHeights int64
	// MaxConnections caps open subscribers (and handshakes in progress);
	// past it requests get 503. Defaults to 10,000.
	MaxConnections int
	// MaxConnectionsPerIP caps them per client address; past it requests
	// get 429. Defaults to 100.
	MaxConnectionsPerIP int
	// ClientMessagesPerSecond paces how fast a subscriber's own messages
	// (text, binary, pings) are read and discarded; a flooding client is
	// slowed by TCP flow control, not served. Defaults to 20, with a burst
	// of ClientMessageBurst (default 50).
	ClientMessagesPerSecond float64
	ClientMessageBurst      int
	// EnableCompression offers permessage-deflate to clients that ask for
	// it; their messages are compressed once per block for all of them.
	EnableCompression bool
	// Tokens, when set, requires "Authorization: Bearer <token>" on every
	// stream request (401 otherwise).
	Tokens *Tokens
	// TLS, when set, makes Start serve wss:// with it.
	TLS *tls.Config
	// Metrics defaults to unregistered metrics (see NewMetrics).
	Metrics *Metrics
	// MaxBatchBytes caps the bytes gathered into one socket write when a
	// subscriber has several blocks to catch up on. Defaults to 1 MiB.
	MaxBatchBytes int
}

func (c *Config) setDefaults() error {
	if c.Log == nil {
		return errors.New("stream service: Log is required")
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:9985"
	}
	if c.Logger == nil {
		c.Logger = hclog.NewNullLogger()
	}
	defaults := []struct {
		d   *time.Duration
		def time.Duration
	}{
		{&c.WriteTimeout, 10 * time.Second},
		{&c.PingInterval, 20 * time.Second},
		{&c.PongTimeout, 10 * time.Second},
		{&c.HandshakeTimeout, 10 * time.Second},
	}
	for _, d := range defaults {
		if *d.d < 0 {
			return fmt.Errorf("stream service: negative duration %v", *d.d)
		}
		if *d.d == 0 {
			*d.d = d.def
		}
	}
	if c.ReadLimit <= 0 {
		c.ReadLimit = 64 << 10
	}
	if c.MaxLagHeights <= 0 {
		c.MaxLagHeights = 1000
	}
	if c.MaxConnections <= 0 {
		c.MaxConnections = 10000
	}
	if c.MaxConnectionsPerIP <= 0 {
		c.MaxConnectionsPerIP = 100
	}
	if c.ClientMessagesPerSecond <= 0 {
		c.ClientMessagesPerSecond = 20
	}
	if c.ClientMessageBurst <= 0 {
		c.ClientMessageBurst = 50
	}
	if c.Metrics == nil {
		m, err := NewMetrics("cometbft", nil, c.Log)
		if err != nil {
			return err
		}
		c.Metrics = m
	}
	if c.MaxBatchBytes <= 0 {
		c.MaxBatchBytes = 1 << 20
	}
	for _, o := range c.AllowedOrigins {
		if u, err := url.Parse(o); err != nil || u.Scheme == "" || u.Host == "" {
			return fmt.Errorf("stream service: allowed origin %q is not scheme://host[:port]", o)
		}
	}
	return nil
}
