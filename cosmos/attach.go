package cosmos

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	storetypes "cosmossdk.io/store/types"
	"github.com/cosmos/cosmos-sdk/baseapp"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	"github.com/hashicorp/go-hclog"
	"github.com/spf13/cast"
	"github.com/spf13/viper"

	"github.com/cometstream/cometstream"
)

// Stream is a chain's event stream. A nil *Stream (the stream is not
// enabled in app.toml) is valid: its methods do nothing.
type Stream struct {
	*cometstream.Stream
	once    sync.Once
	started error
}

// App is what Attach needs of the chain's app: BaseApp's streaming
// manager. *baseapp.BaseApp has it, and so has every app embedding it
// (runtime.App, the SDK's app.go templates).
type App interface {
	StreamingManager() storetypes.StreamingManager
	SetStreamingManager(storetypes.StreamingManager)
}

var _ App = (*baseapp.BaseApp)(nil)

// Attach reads [stream] from app.toml (appOpts, as the SDK hands them to
// the app's constructor), and when enable = true opens the stream's
// durable log under the home's data directory and adds its listener to
// app's streaming manager, keeping the listeners already there. Call it
// in the app's constructor, before the app is loaded: the blocks
// CometBFT's handshake replays then reach the log. logger nil logs to
// stderr at info.
func Attach(app App, appOpts servertypes.AppOptions, logger hclog.Logger) (*Stream, error) {
	enable, cfg, err := Config(appOpts)
	if err != nil || !enable {
		return nil, err
	}
	if logger == nil {
		logger = hclog.New(&hclog.LoggerOptions{Name: "cometstream", Level: hclog.Info, Output: os.Stderr})
	}
	cfg.Logger = logger
	s, err := cometstream.Open(cfg)
	if err != nil {
		return nil, err
	}
	rec, err := s.Recorder()
	if err != nil {
		return nil, errors.Join(err, s.Close(context.Background()))
	}
	sm := app.StreamingManager()
	sm.ABCIListeners = append(sm.ABCIListeners, NewListener(rec))
	app.SetStreamingManager(sm)
	return &Stream{Stream: s}, nil
}

// Start reconciles the log with the chain through CometBFT's RPC (the
// clientCtx.Client the SDK hands to RegisterNodeService, or an HTTP client
// of the node's own RPC), then serves. Later calls return the first's
// result.
func (s *Stream) Start(client cometstream.RPCClient) error {
	if s == nil {
		return nil
	}
	if client == nil {
		return errors.New("cometstream: Start needs CometBFT's RPC client (is the API or gRPC server enabled?)")
	}
	s.once.Do(func() { s.started = s.Stream.Start(cometstream.RPCBlocks(client)) })
	return s.started
}

// Close closes the stream; call it from the app's Close, which the SDK
// calls after CometBFT has stopped.
func (s *Stream) Close(ctx context.Context) error {
	if s == nil {
		return nil
	}
	return s.Stream.Close(ctx)
}

// Config reads app.toml's [stream]: enable, and the keys of
// cometstream.Config (the names of the node's config.toml). The data
// directory is the home's data/ (the log goes to data/eventlog).
func Config(appOpts servertypes.AppOptions) (enable bool, cfg cometstream.Config, err error) {
	raw, _ := appOpts.Get("stream").(map[string]any)
	if raw == nil {
		return false, cfg, nil
	}
	var section struct {
		Enable             bool `mapstructure:"enable"`
		cometstream.Config `mapstructure:",squash"`
	}
	v := viper.New()
	if err := v.MergeConfigMap(raw); err != nil {
		return false, cfg, fmt.Errorf("app.toml [stream]: %w", err)
	}
	if err := v.Unmarshal(&section); err != nil {
		return false, cfg, fmt.Errorf("app.toml [stream]: %w", err)
	}
	home := cast.ToString(appOpts.Get("home"))
	if home == "" {
		return false, cfg, errors.New("app.toml [stream]: the app options name no home directory")
	}
	section.Config.DataDir = filepath.Join(home, "data")
	if err := section.Config.Validate(); err != nil {
		return false, cfg, fmt.Errorf("app.toml [stream]: %w", err)
	}
	return section.Enable, section.Config, nil
}
