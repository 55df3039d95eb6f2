package node

import (
	"fmt"
	"strings"

	cmtlog "github.com/cometbft/cometbft/libs/log"
	"github.com/hashicorp/go-hclog"
)

// cmtLogger bridges CometBFT's logger onto hclog, so the node writes one log
// in one format. It filters by its own level, because an hclog sub-logger
// shares its level with its parent unless the root was built with
// IndependentLevels.
type cmtLogger struct {
	l     hclog.Logger
	min   hclog.Level
	watch *watch // told of a consensus failure; nil in tests of the bridge
}

var _ cmtlog.Logger = cmtLogger{}

func (c cmtLogger) Debug(msg string, kv ...any) { c.log(hclog.Debug, msg, kv) }
func (c cmtLogger) Info(msg string, kv ...any)  { c.log(hclog.Info, msg, kv) }
func (c cmtLogger) Warn(msg string, kv ...any)  { c.log(hclog.Warn, msg, kv) }
func (c cmtLogger) Error(msg string, kv ...any) { c.log(hclog.Error, msg, kv) }
func (c cmtLogger) With(kv ...any) cmtlog.Logger {
	return cmtLogger{l: c.l.With(kv...), min: c.min, watch: c.watch}
}

func (c cmtLogger) log(level hclog.Level, msg string, kv []any) {
	if level == hclog.Error && msg == consensusFailureMsg && c.watch != nil {
		c.watch.consensusFailed(kv)
	}
	if level == hclog.Error && isShutdownNoise(msg, kv) {
		level = hclog.Debug
	}
	if level < c.min {
		return
	}
	c.l.Log(level, msg, kv...)
}

// isShutdownNoise spots the errors CometBFT logs when its own listeners are
// closed on a clean stop, which are not errors to an operator.
func isShutdownNoise(msg string, kv []any) bool {
	if strings.Contains(msg, "transport is closed") {
		return true
	}
	for _, v := range kv {
		if err, ok := v.(error); ok && strings.Contains(err.Error(), "use of closed network connection") {
			return true
		}
		if s, ok := v.(fmt.Stringer); ok && strings.Contains(s.String(), "use of closed network connection") {
			return true
		}
	}
	return false
}

// newCometLogger returns the bridge, at the level CometBFT's log_level
// names: a plain level ("info"), or the "*:" entry of a per-module list
// ("consensus:info,*:error"); per-module entries are not honoured.
func newCometLogger(parent hclog.Logger, logLevel string, w *watch) cmtlog.Logger {
	level := hclog.Info
	for _, part := range strings.Split(logLevel, ",") {
		part = strings.TrimSpace(part)
		if name, lvl, ok := strings.Cut(part, ":"); ok {
			if name != "*" {
				continue
			}
			part = lvl
		}
		if part == "none" {
			level = hclog.Off
		} else if l := hclog.LevelFromString(part); l != hclog.NoLevel {
			level = l
		}
	}
	return cmtLogger{l: parent.Named("comet"), min: level, watch: w}
}
