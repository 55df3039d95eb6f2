package client

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hashicorp/go-hclog"

	"github.com/cometstream/cometstream/wire"
)

// Config configures a Client. Zero values take the documented defaults.
type Config struct {
	// URLs are the nodes' stream base URLs, such as ws://127.0.0.1:9985 or
	// wss://node.example/prefix. Required. With several, a failed or lost
	// connection moves on to the next one, round robin; every node must
	// serve the same chain.
	URLs []string
	// Blocks subscribes to valid_blocks instead of valid_transactions.
	Blocks bool
	// TxResults subscribes to tx_results instead: every transaction of
	// each block with its result and ABCI events. Not with Blocks.
	TxResults bool
	// Query filters tx_results with a query in CometBFT's event query
	// language (e.g. "transfer.recipient='cosmos1...'"); "" delivers every
	// transaction. Only with TxResults.
	Query string
	// FromHeight is the first height to deliver, replayed from the node's
	// log. Defaults to 0: start at the live edge.
	FromHeight int64
	// AssetIDs, PublicKeys and Operations filter valid_transactions: a
	// transaction is delivered when it matches one value of every non-empty
	// list. Values may not contain commas. Not allowed with Blocks.
	AssetIDs   []string
	PublicKeys []string
	Operations []string
	// MinBackoff is the wait before the first reconnection attempt; each
	// further failure doubles it, up to MaxBackoff. Each wait is drawn at
	// random from its upper half. Defaults to 100ms and 10s.
	MinBackoff time.Duration
	MaxBackoff time.Duration
	// ReadTimeout is how long a connection may stay silent, server pings
	// included, before it is dropped and replaced. The server pings every
	// 20s. Defaults to 60s.
	ReadTimeout time.Duration
	// WriteTimeout bounds each control frame the client writes (pongs and
	// the closing handshake). Defaults to 5s.
	WriteTimeout time.Duration
	// ReadLimit is the largest message accepted; a larger one closes the
	// connection with 1009 and counts as a failure. Defaults to 32 MiB,
	// room for the valid_blocks message of a full block.
	ReadLimit int64
	// Header is sent with every subscription request, for example
	// Authorization: Bearer <token> for a node with [stream] tokens_file.
	// The WebSocket handshake's own headers are not allowed.
	Header http.Header
	// Dialer opens the connections. Defaults to a websocket.Dialer with a
	// 10s handshake timeout and the proxy from the environment.
	Dialer *websocket.Dialer
	// Logger defaults to a null logger.
	Logger hclog.Logger
}

func (c *Config) setDefaults() error {
	if len(c.URLs) == 0 {
		return errors.New("client: no URL")
	}
	for _, u := range c.URLs {
		if _, err := parseBase(u); err != nil {
			return err
		}
	}
	if c.FromHeight < 0 {
		return fmt.Errorf("client: negative FromHeight %d", c.FromHeight)
	}
	filters := []struct {
		name   string
		values []string
	}{{wire.ParamAssetID, c.AssetIDs}, {wire.ParamPublicKey, c.PublicKeys}, {wire.ParamOperation, c.Operations}}
	if c.Blocks && c.TxResults {
		return errors.New("client: Blocks and TxResults are two streams: choose one")
	}
	if c.Query != "" && !c.TxResults {
		return errors.New("client: Query filters tx_results: set TxResults")
	}
	if c.Query != "" {
		if _, err := wire.ParseEventQuery(c.Query); err != nil {
			return fmt.Errorf("client: %w", err)
		}
	}
	for _, f := range filters {
		if len(f.values) > 0 && c.Blocks {
			return fmt.Errorf("client: %s filter given for valid_blocks, which has no filters", f.name)
		}
		if len(f.values) > 0 && c.TxResults {
			return fmt.Errorf("client: %s filter given for tx_results, which takes Query", f.name)
		}
		for _, v := range f.values {
			if v == "" || strings.Contains(v, ",") {
				return fmt.Errorf("client: %s filter value %q is empty or contains a comma", f.name, v)
			}
		}
	}
	durations := []struct {
		name string
		d    *time.Duration
		def  time.Duration
	}{
		{"MinBackoff", &c.MinBackoff, 100 * time.Millisecond},
		{"MaxBackoff", &c.MaxBackoff, 10 * time.Second},
		{"ReadTimeout", &c.ReadTimeout, 60 * time.Second},
		{"WriteTimeout", &c.WriteTimeout, 5 * time.Second},
	}
	for _, d := range durations {
		if *d.d < 0 {
			return fmt.Errorf("client: negative %s %v", d.name, *d.d)
		}
		if *d.d == 0 {
			*d.d = d.def
		}
	}
	if c.MinBackoff > c.MaxBackoff {
		return fmt.Errorf("client: MinBackoff %v above MaxBackoff %v", c.MinBackoff, c.MaxBackoff)
	}
	if c.ReadLimit < 0 {
		return fmt.Errorf("client: negative ReadLimit %d", c.ReadLimit)
	}
	if c.ReadLimit == 0 {
		c.ReadLimit = 32 << 20
	}
	for name := range c.Header {
		switch http.CanonicalHeaderKey(name) {
		case "Upgrade", "Connection", "Sec-Websocket-Key", "Sec-Websocket-Version", "Sec-Websocket-Extensions", "Sec-Websocket-Protocol":
			return fmt.Errorf("client: header %s belongs to the WebSocket handshake", name)
		}
	}
	if c.Dialer == nil {
		c.Dialer = &websocket.Dialer{
			Proxy:            websocket.DefaultDialer.Proxy,
			HandshakeTimeout: 10 * time.Second,
		}
	}
	if c.Logger == nil {
		c.Logger = hclog.NewNullLogger()
	}
	return nil
}

// parseBase checks a base URL and returns it without a trailing slash.
func parseBase(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("client: URL %q: %w", raw, err)
	}
	if u.Scheme != "ws" && u.Scheme != "wss" {
		return "", fmt.Errorf("client: URL %q: scheme must be ws or wss", raw)
	}
	if u.Host == "" {
		return "", fmt.Errorf("client: URL %q has no host", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("client: URL %q: a base URL has no query, fragment or user info", raw)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// streamURL is the URL to dial on base, resuming at from (0: live edge),
// encoded by wire.Query.Encode.
func (c *Config) streamURL(base string, from int64) string {
	path := wire.PathTransactions
	switch {
	case c.Blocks:
		path = wire.PathBlocks
	case c.TxResults:
		path = wire.PathTxResults
	}
	return c.query(from).URL(base, path)
}

// query is the subscription's parameters when resuming at from.
func (c *Config) query(from int64) wire.Query {
	return wire.Query{FromHeight: from, AssetIDs: c.AssetIDs, PublicKeys: c.PublicKeys, Operations: c.Operations, Events: c.Query}
}
