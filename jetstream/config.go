package jetstream

import (
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/nats-io/nats.go"

	"github.com/cometstream/cometstream/events"
)

// Config configures a Sink. Zero values take the documented defaults.
type Config struct {
	// Log is the event log published. Required.
	Log *events.Log
	// ChainID names the subjects: cometstream.<ChainID>.<stream>.
	// Required; dots and wildcards are replaced by underscores.
	ChainID string
	// Conn is how to reach NATS. Servers is required.
	Conn
	// Stream names the JetStream stream; defaults to COMETSTREAM_<ChainID>
	// (upper-cased, non-alphanumerics as underscores).
	Stream string
	// Replicas of the stream (1 to 5). Defaults to 1.
	Replicas int
	// MaxAge and MaxBytes bound what the stream keeps (0: no bound).
	MaxAge   time.Duration
	MaxBytes int64
	// DuplicateWindow is how long JetStream remembers message ids. It must
	// cover a publish's retries; resuming after a restart does not depend
	// on it (the position comes from the stream). Defaults to 2 minutes.
	DuplicateWindow time.Duration
	// PublishTimeout bounds waiting for one block's acknowledgements.
	// Defaults to 10s.
	PublishTimeout time.Duration
	// Logger defaults to a null logger.
	Logger hclog.Logger
}

func (c *Config) setDefaults() error {
	switch {
	case c.Log == nil:
		return errors.New("jetstream sink: Log is required")
	case c.ChainID == "":
		return errors.New("jetstream sink: ChainID is required")
	case len(c.Servers) == 0:
		return errors.New("jetstream sink: Servers is required")
	case c.Conn.kinds() > 1:
		return errors.New("jetstream sink: give a token, a user and password, or a creds file, not several")
	case c.Replicas < 0 || c.Replicas > 5:
		return fmt.Errorf("jetstream sink: Replicas %d: JetStream allows 1 to 5", c.Replicas)
	case c.MaxAge < 0 || c.MaxBytes < 0 || c.DuplicateWindow < 0 || c.PublishTimeout < 0:
		return errors.New("jetstream sink: negative limit")
	}
	if c.Stream == "" {
		c.Stream = "COMETSTREAM_" + strings.ToUpper(subjectToken(c.ChainID))
	}
	if strings.ContainsAny(c.Stream, ". *>\t") {
		return fmt.Errorf("jetstream sink: stream name %q has a dot, a space or a wildcard", c.Stream)
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.DuplicateWindow == 0 {
		c.DuplicateWindow = 2 * time.Minute
	}
	if c.MaxAge > 0 && c.DuplicateWindow > c.MaxAge {
		c.DuplicateWindow = c.MaxAge // JetStream refuses a window past MaxAge
	}
	if c.PublishTimeout == 0 {
		c.PublishTimeout = 10 * time.Second
	}
	if c.Logger == nil {
		c.Logger = hclog.NewNullLogger()
	}
	return nil
}

// subjectToken makes s one subject token: NATS splits subjects at dots
// and gives '*' and '>' meaning.
func subjectToken(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '.' || r == '*' || r == '>' || r <= ' ' || r == 0x7f:
			return '_'
		}
		return r
	}, s)
}

// Conn is how the Sink and Read reach NATS.
type Conn struct {
	// Servers are the NATS URLs (nats://host:4222, tls://...).
	Servers []string
	// Token, or User and Password, or CredsFile (a .creds file of NATS's
	// decentralised auth) authenticate the connection; at most one kind.
	Token, User, Password, CredsFile string
	// TLS, when set, is the connection's TLS configuration.
	TLS *tls.Config
}

func (c Conn) kinds() int {
	n := 0
	for _, set := range []bool{c.Token != "", c.User != "" || c.Password != "", c.CredsFile != ""} {
		if set {
			n++
		}
	}
	return n
}

// connect opens a connection that waits for NATS when it is down and
// reconnects for ever: the Sink and Read ride out outages.
func (c Conn) connect(name string, logger hclog.Logger) (*nats.Conn, error) {
	opts := []nats.Option{
		nats.Name(name),
		nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			logger.Warn("disconnected from NATS", "error", err)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { logger.Info("reconnected to NATS", "server", nc.ConnectedUrlRedacted()) }),
	}
	switch {
	case c.Token != "":
		opts = append(opts, nats.Token(c.Token))
	case c.User != "" || c.Password != "":
		opts = append(opts, nats.UserInfo(c.User, c.Password))
	case c.CredsFile != "":
		opts = append(opts, nats.UserCredentials(c.CredsFile))
	}
	if c.TLS != nil {
		opts = append(opts, nats.Secure(c.TLS))
	}
	return nats.Connect(strings.Join(c.Servers, ","), opts...)
}
