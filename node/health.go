package node

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	cmtcfg "github.com/cometbft/cometbft/config"
	cs "github.com/cometbft/cometbft/consensus"
	"github.com/cometbft/cometbft/p2p"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/cometstream/cometstream"
)

// HealthConfig is the [health] section of config.toml: when /healthz
// stops answering 200.
type HealthConfig struct {
	// StallAfter: 503 ("stalled") once no block has been committed for
	// this long. Defaults to 0: derived from the consensus timeouts, five
	// worst-case rounds (see DefaultStallAfter). Negative turns the check
	// off.
	StallAfter time.Duration `mapstructure:"stall_after"`
	// MaxBehindHeights: out of block sync, the node still counts as
	// catching up (503) while a peer has committed more than this many
	// heights past it. Defaults to 0, which means 2: a peer one or two
	// blocks ahead is the normal view around a commit.
	MaxBehindHeights int64 `mapstructure:"max_behind_heights"`
}

const (
	stallRounds             = 5
	defaultMaxBehindHeights = 2
)

// DefaultStallAfter is the stall threshold derived from CometBFT's
// consensus settings: five rounds that each run every timeout
// (propose, prevote, precommit, commit), plus the empty-block interval
// when empty blocks wait for it. 0 (no check) when the chain makes no
// empty blocks at all, since an idle chain then commits nothing.
func DefaultStallAfter(c *cmtcfg.ConsensusConfig) time.Duration {
	if !c.CreateEmptyBlocks && c.CreateEmptyBlocksInterval <= 0 {
		return 0
	}
	round := c.TimeoutPropose + c.TimeoutPrevote + c.TimeoutPrecommit + c.TimeoutCommit
	d := stallRounds * round
	if !c.CreateEmptyBlocks {
		d += c.CreateEmptyBlocksInterval
	}
	return d
}

// stallAfter is the threshold in force, 0 when the check is off.
func (c Config) stallAfter() time.Duration {
	switch {
	case c.Health.StallAfter < 0:
		return 0
	case c.Health.StallAfter > 0:
		return c.Health.StallAfter
	}
	return DefaultStallAfter(c.Comet.Consensus)
}

func (c Config) maxBehindHeights() int64 {
	if c.Health.MaxBehindHeights > 0 {
		return c.Health.MaxBehindHeights
	}
	return defaultMaxBehindHeights
}

// consensusFailureMsg is what CometBFT's consensus state logs, at error
// level, as it recovers a panic in its receive routine and halts for good
// (a failed Commit of the application, a full disk under its WAL). The
// state stays "running" to its service API, so its log line is the one
// in-process sign; the stall check catches any halt that logs nothing.
const consensusFailureMsg = "CONSENSUS FAILURE!!!"

// watch records what /healthz needs from the commit path and from
// CometBFT's log: one atomic store per Commit, nothing else.
type watch struct {
	now     func() time.Time // replaced by tests before Start
	last    atomic.Int64     // unix nanoseconds of the latest Commit, or of Start
	failure atomic.Pointer[string]
}

func newWatch() *watch { return &watch{now: time.Now} }

func (w *watch) mark() { w.last.Store(w.now().UnixNano()) }

func (w *watch) lastCommit() time.Time { return time.Unix(0, w.last.Load()) }

// consensusFailed keeps the first failure: the one that halted consensus.
func (w *watch) consensusFailed(kv []any) {
	reason := "no reason given"
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i] == "err" {
			reason = fmt.Sprint(kv[i+1])
		}
	}
	if len(reason) > 300 {
		reason = reason[:300] + "..."
	}
	w.failure.CompareAndSwap(nil, &reason)
}

func (w *watch) consensusFailure() string {
	if p := w.failure.Load(); p != nil {
		return *p
	}
	return ""
}

// watchedApp notes each successful Commit; every other call goes through.
type watchedApp struct {
	abcitypes.Application
	w *watch
}

func (w *watch) wrap(app abcitypes.Application) abcitypes.Application {
	return watchedApp{Application: app, w: w}
}

func (a watchedApp) Commit(ctx context.Context, req *abcitypes.RequestCommit) (*abcitypes.ResponseCommit, error) {
	res, err := a.Application.Commit(ctx, req)
	if err == nil {
		a.w.mark()
	}
	return res, err
}

// healthInputs is everything /healthz decides on, gathered at once.
type healthInputs struct {
	now, lastCommit  time.Time
	stallAfter       time.Duration // 0: no stall check
	consensusFailure string        // "" while consensus runs
	waitSync         bool          // block or state sync in progress
	height           int64         // CometBFT's newest committed height
	peerHeight       int64         // the highest height a peer has committed, 0 without peers
	maxBehind        int64
	stream           *cometstream.Health // nil with the stream off
}

// Statuses of /healthz; every one but "ok" comes with 503 and a reason.
const (
	statusOK               = "ok"
	statusConsensusFailed  = "consensus_failed"
	statusDegraded         = "degraded"
	statusCatchingUp       = "catching_up"
	statusStalled          = "stalled"
	statusJetStreamLagging = "jetstream_lagging"
)

// evaluate turns the inputs into the /healthz document and its status
// code. The first problem in this order names the status: a halted
// consensus, an event log that cannot write, a sync in progress or a
// peer ahead, no commit for stall_after.
func evaluate(in healthInputs) (health, int) {
	h := health{Status: statusOK, StreamEnabled: in.stream != nil, CometBFTHeight: in.height, PeerHeight: in.peerHeight}
	if s := in.stream; s != nil {
		h.OldestHeight, h.LatestHeight = s.OldestHeight, s.LatestHeight
		h.Degraded, h.DegradedReason, h.MissingFrom = s.Degraded, s.Reason, s.MissingFrom
		h.JetStream = s.JetStream
	}
	age := max(in.now.Sub(in.lastCommit), 0)
	h.SinceCommit = age.Round(time.Millisecond).Seconds()
	behind := in.peerHeight - in.height
	h.CatchingUp = in.waitSync || behind > in.maxBehind
	switch {
	case in.consensusFailure != "":
		h.Status, h.Reason = statusConsensusFailed, "CometBFT's consensus halted: "+in.consensusFailure
	case h.Degraded:
		h.Status, h.Reason = statusDegraded, "the event log cannot record every committed height: "+h.DegradedReason
	case h.JetStream != nil && h.JetStream.Lagging:
		h.Status, h.Reason = statusJetStreamLagging, fmt.Sprintf("the JetStream sink is %d heights behind the event log (%d errors)", h.JetStream.Lag, h.JetStream.Errors)
	case in.waitSync:
		h.Status, h.Reason = statusCatchingUp, "block sync or state sync in progress"
	case h.CatchingUp:
		h.Status, h.Reason = statusCatchingUp, fmt.Sprintf("%d heights behind a peer at height %d", behind, in.peerHeight)
	case in.stallAfter > 0 && age > in.stallAfter:
		h.Status, h.Reason = statusStalled, fmt.Sprintf("no block committed for %s (stall_after %s)", age.Round(time.Second), in.stallAfter)
	}
	if h.Status != statusOK {
		return h, 503
	}
	return h, 200
}

// peerHeight is the highest height a connected peer has committed, from
// the consensus reactor's view of each peer (which works on the height
// after its last commit).
func (n *Node) peerHeight() int64 {
	var top int64
	for _, p := range peerList(n.comet.Switch().Peers()) {
		if ps, ok := p.Get(cmttypes.PeerStateKey).(*cs.PeerState); ok {
			top = max(top, ps.GetHeight()-1)
		}
	}
	return top
}

// peerList copies the switch's peers. The method is List up to CometBFT
// v0.39 and Copy from v0.40, so the node vets and builds on every line.
func peerList(set p2p.IPeerSet) []p2p.Peer {
	switch s := set.(type) {
	case interface{ Copy() []p2p.Peer }:
		return s.Copy()
	case interface{ List() []p2p.Peer }:
		return s.List()
	}
	return nil
}

func (n *Node) healthInputs() healthInputs {
	in := healthInputs{
		now:              n.watch.now(),
		lastCommit:       n.watch.lastCommit(),
		stallAfter:       n.cfg.stallAfter(),
		consensusFailure: n.watch.consensusFailure(),
		waitSync:         n.comet.ConsensusReactor().WaitSync(),
		height:           n.comet.BlockStore().Height(),
		peerHeight:       n.peerHeight(),
		maxBehind:        n.cfg.maxBehindHeights(),
	}
	if n.stream != nil {
		sh := n.stream.Health()
		in.stream = &sh
	}
	return in
}
