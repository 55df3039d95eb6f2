package node

import (
	"strings"

	cmtlog "github.com/cometbft/cometbft/libs/log"
	"github.com/hashicorp/go-hclog"
)

// cmtLogger bridges CometBFT's logger onto hclog, so the node writes one log
// in one format.
type cmtLogger struct{ l hclog.Logger }

var _ cmtlog.Logger = cmtLogger{}

func (c cmtLogger) Debug(msg string, kv ...any) { c.l.Debug(msg, kv...) }
func (c cmtLogger) Info(msg string, kv ...any)  { c.l.Info(msg, kv...) }
func (c cmtLogger) Warn(msg string, kv ...any)  { c.l.Warn(msg, kv...) }
func (c cmtLogger) Error(msg string, kv ...any) { c.l.Error(msg, kv...) }
func (c cmtLogger) With(kv ...any) cmtlog.Logger {
	return cmtLogger{c.l.With(kv...)}
}

// newCometLogger returns the bridge, at the level CometBFT's log_level
// names: a plain level ("info"), or the "*:" entry of a per-module list
// ("consensus:info,*:error"); per-module entries are not honoured.
func newCometLogger(parent hclog.Logger, logLevel string) cmtlog.Logger {
	level := hclog.Info
	for _, part := range strings.Split(logLevel, ",") {
		part = strings.TrimSpace(part)
		if name, lvl, ok := strings.Cut(part, ":"); ok {
			if name != "*" {
				continue
			}
			part = lvl
		}
		if l := hclog.LevelFromString(part); l != hclog.NoLevel {
			level = l
		}
		if part == "none" {
			level = hclog.Off
		}
	}
	l := parent.Named("comet")
	l.SetLevel(level)
	return cmtLogger{l}
}
