package node

import (
	"strings"
	"testing"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/hashicorp/go-hclog"

	"github.com/cometstream/cometstream"
)

func TestEvaluate(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	live := healthInputs{now: t0.Add(time.Second), lastCommit: t0, stallAfter: 30 * time.Second,
		height: 100, peerHeight: 100, maxBehind: 2, stream: &cometstream.Health{OldestHeight: 1, LatestHeight: 100}}
	with := func(f func(*healthInputs)) healthInputs { in := live; f(&in); return in }
	tests := []struct {
		name       string
		in         healthInputs
		wantCode   int
		wantStatus string
		wantReason string
	}{
		{"live", live, 200, "ok", ""},
		{"stream off", with(func(in *healthInputs) { in.stream = nil }), 200, "ok", ""},
		{"no peers", with(func(in *healthInputs) { in.peerHeight = 0 }), 200, "ok", ""},
		{"a peer 2 ahead is normal", with(func(in *healthInputs) { in.peerHeight = 102 }), 200, "ok", ""},
		{"a peer 3 ahead", with(func(in *healthInputs) { in.peerHeight = 103 }), 503, "catching_up", "3 heights behind a peer at height 103"},
		{"10 behind after block sync", with(func(in *healthInputs) { in.height, in.peerHeight = 90, 100 }), 503, "catching_up", "10 heights behind"},
		{"block sync", with(func(in *healthInputs) { in.waitSync = true }), 503, "catching_up", "block sync or state sync in progress"},
		{"at stall_after", with(func(in *healthInputs) { in.now = t0.Add(30 * time.Second) }), 200, "ok", ""},
		{"past stall_after", with(func(in *healthInputs) { in.now = t0.Add(31 * time.Second) }), 503, "stalled", "no block committed for 31s (stall_after 30s)"},
		{"stall check off", with(func(in *healthInputs) { in.now, in.stallAfter = t0.Add(time.Hour), 0 }), 200, "ok", ""},
		{"consensus failed", with(func(in *healthInputs) { in.consensusFailure = "failed to apply block; error commit failed" }),
			503, "consensus_failed", "CometBFT's consensus halted: failed to apply block"},
		{"jetstream sink keeping up", with(func(in *healthInputs) {
			in.stream = &cometstream.Health{LatestHeight: 100, JetStream: &cometstream.JetStreamHealth{Height: 99, Lag: 1}}
		}), 200, "ok", ""},
		{"jetstream sink lagging", with(func(in *healthInputs) {
			in.stream = &cometstream.Health{LatestHeight: 400, JetStream: &cometstream.JetStreamHealth{Height: 150, Lag: 250, Lagging: true, Errors: 7}}
		}), 503, "jetstream_lagging", "the JetStream sink is 250 heights behind the event log (7 errors)"},
		{"degraded log", with(func(in *healthInputs) {
			in.stream = &cometstream.Health{LatestHeight: 69, Degraded: true, Reason: "append height 70: no space left on device", MissingFrom: 70}
		}), 503, "degraded", "the event log cannot record every committed height: append height 70"},
		{"consensus failure comes first", with(func(in *healthInputs) {
			in.consensusFailure, in.waitSync, in.now = "x", true, t0.Add(time.Hour)
			in.stream = &cometstream.Health{Degraded: true, Reason: "y"}
		}), 503, "consensus_failed", "halted: x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, code := evaluate(tt.in)
			if code != tt.wantCode || h.Status != tt.wantStatus || !strings.Contains(h.Reason, tt.wantReason) {
				t.Errorf("evaluate = %d %q %q, want %d %q with a reason containing %q", code, h.Status, h.Reason, tt.wantCode, tt.wantStatus, tt.wantReason)
			}
			if (tt.wantStatus == "ok") != (h.Reason == "") {
				t.Errorf("status %q with reason %q", h.Status, h.Reason)
			}
		})
	}
	// The degraded answer keeps its fields.
	h, _ := evaluate(tests[len(tests)-2].in)
	if !h.Degraded || h.DegradedReason != "append height 70: no space left on device" || h.MissingFrom != 70 || h.LatestHeight != 69 {
		t.Errorf("degraded document %+v", h)
	}
}

func TestDefaultStallAfter(t *testing.T) {
	def := cmtcfg.DefaultConsensusConfig()
	tests := []struct {
		name string
		edit func(*cmtcfg.ConsensusConfig)
		want time.Duration
	}{
		{"CometBFT's defaults", func(*cmtcfg.ConsensusConfig) {}, 5 * (def.TimeoutPropose + def.TimeoutPrevote + def.TimeoutPrecommit + def.TimeoutCommit)},
		{"fast blocks", func(c *cmtcfg.ConsensusConfig) {
			c.TimeoutPropose, c.TimeoutPrevote, c.TimeoutPrecommit, c.TimeoutCommit = 200*time.Millisecond, 100*time.Millisecond, 100*time.Millisecond, 100*time.Millisecond
		}, 2500 * time.Millisecond},
		{"empty blocks every minute", func(c *cmtcfg.ConsensusConfig) {
			c.CreateEmptyBlocks, c.CreateEmptyBlocksInterval = false, time.Minute
		}, time.Minute + 5*(def.TimeoutPropose+def.TimeoutPrevote+def.TimeoutPrecommit+def.TimeoutCommit)},
		{"no empty blocks: off", func(c *cmtcfg.ConsensusConfig) { c.CreateEmptyBlocks = false }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cmtcfg.DefaultConsensusConfig()
			tt.edit(c)
			if got := DefaultStallAfter(c); got != tt.want {
				t.Errorf("DefaultStallAfter = %v, want %v", got, tt.want)
			}
		})
	}
	cfg := DefaultConfig(t.TempDir())
	for _, tt := range []struct {
		set  time.Duration
		want time.Duration
	}{{0, DefaultStallAfter(cfg.Comet.Consensus)}, {time.Minute, time.Minute}, {-1, 0}} {
		cfg.Health.StallAfter = tt.set
		if got := cfg.stallAfter(); got != tt.want {
			t.Errorf("stall_after %v: threshold %v, want %v", tt.set, got, tt.want)
		}
	}
}

// TestConsensusFailureFromTheLog: CometBFT's halting log line, and only
// it, marks consensus as failed, whatever CometBFT's log level.
func TestConsensusFailureFromTheLog(t *testing.T) {
	w := newWatch()
	l := newCometLogger(hclog.NewNullLogger(), "none", w).With("module", "consensus")
	l.Error("failed to apply block", "err", "disk full")
	l.Info(consensusFailureMsg, "err", "not at error level")
	if got := w.consensusFailure(); got != "" {
		t.Fatalf("failure %q before CometBFT's line", got)
	}
	l.Error(consensusFailureMsg, "err", "failed to apply block; error commit: no space left on device", "stack", "goroutine 1 ...")
	l.Error(consensusFailureMsg, "err", "a later one")
	if got := w.consensusFailure(); got != "failed to apply block; error commit: no space left on device" {
		t.Errorf("failure %q", got)
	}
}
