package driver

import (
	"errors"
	"time"
)

// Config says what the driver runs and where it writes. Zero values take
// the defaults of a full run (`make bench`); Smoke returns a tiny one.
type Config struct {
	// Repo is the module's root directory, where go test runs and git is
	// asked for the commit. Required.
	Repo string
	// Doc, SVGThroughput, SVGLatency and Results are the files written:
	// the report, its two plots, and the raw results (JSON), from which
	// the report can be written again without a run. Empty skips a file.
	Doc, SVGThroughput, SVGLatency, Results string
	// Findings is a Markdown file copied into the report under
	// "Findings"; empty or missing leaves the section out.
	Findings string
	// Command is the command line the report names for reproducing it.
	Command string
	// WorkDir holds the nodes' homes and logs. Defaults to a temp dir,
	// removed at the end.
	WorkDir string

	// GoBench runs the Go benchmarks (go test -bench) first.
	GoBench bool
	// GoBenchScale multiplies their iteration counts (1 in a full run).
	GoBenchScale float64

	// Subscribers and TxsPerBlock are the fan-out grid (synthetic blocks).
	// Defaults: 1, 100, 1,000, 10,000 and 1, 100, 1,000.
	Subscribers []int
	TxsPerBlock []int
	// TargetEvents sizes a burst trial: as many blocks as make about this
	// many events, within [MinBlocks, MaxBlocks]. A paced trial takes half
	// as many events, within [MinBlocks, MaxPacedBlocks]. Defaults: 4e6,
	// 2, 50, 20.
	TargetEvents                         int64
	MinBlocks, MaxBlocks, MaxPacedBlocks int
	// SSESubscribers are the subscriber counts of Subscribers whose
	// trials run over Server-Sent Events too, on the same node, blocks and
	// pace. Defaults to 1, 100, 1,000.
	SSESubscribers []int
	// MaxConnsPerProcess caps the connections of one client process; a
	// trial uses up to len(Sources) processes. Defaults to 2,500.
	MaxConnsPerProcess int
	// Sources are the client processes' source addresses. Defaults to
	// 127.0.0.2 to 127.0.0.5.
	Sources []string
	// Floor runs each fan-out trial against the raw-socket floor too.
	// Defaults to true (see NoFloor).
	NoFloor bool

	// RealTxs is how many signed transactions each real-consensus trial
	// broadcasts; RealSubscribers the subscriber counts compared with
	// CometBFT's /websocket. Defaults: 2,000 and 1, 100, 1,000. RealTxs < 0
	// skips the real-consensus part.
	RealTxs         int
	RealSubscribers []int
	// RealRepeats is how many times each real-consensus trial runs (their
	// outcome, CometBFT's losses above all, varies from run to run).
	// Defaults to 3.
	RealRepeats int
	// CPUTxs is how many fresh transactions each CPU-per-transaction trial
	// broadcasts to a fresh node process; CPURepeats how many rounds of
	// its configurations (stream off, on, on with each of CPUSubscribers
	// subscribers) run, interleaved. Defaults: 6,000 (three to five blocks), 5,
	// and 1, 1,000. CPUTxs < 0 skips the part.
	CPUTxs         int
	CPURepeats     int
	CPUSubscribers []int
	// BroadcastWorkers is how many broadcast_tx_sync calls are in flight.
	// Defaults to 8.
	BroadcastWorkers int
	// FastBlocks uses 200 ms/100 ms propose/commit timeouts instead of
	// CometBFT's defaults (3 s/1 s) for the real-consensus nodes.
	FastBlocks bool

	// CommitPosts is how many Web API posts each commit-flood trial makes
	// at once, with mode=commit and with the mode=async control. Defaults
	// to 2,000; < 0 skips the commit flood.
	CommitPosts int
	// CommitFloodRepeats is how many times each flood runs (alternating
	// async and commit). Defaults to 5.
	CommitFloodRepeats int
	// NoFanOut skips the fan-out with synthetic blocks.
	NoFanOut bool

	// StallTimeout ends the wait for a trial's messages once none has
	// arrived for this long: what has not arrived is lost. Defaults to 30s;
	// CometBFT trials, where a cancelled subscription never resumes, use
	// a third of it.
	StallTimeout time.Duration

	// Log receives progress lines. Defaults to discarding.
	Log func(format string, args ...any)
}

// Smoke is a tiny configuration that runs every part once: 10 subscribers,
// blocks of 1 and 10 transactions, 5 blocks, 20 real transactions, one
// round of CPU-per-transaction trials of 30 transactions.
func Smoke() Config {
	return Config{
		Subscribers:        []int{10},
		SSESubscribers:     []int{10},
		TxsPerBlock:        []int{1, 10},
		TargetEvents:       50,
		MinBlocks:          5,
		MaxBlocks:          5,
		MaxPacedBlocks:     5,
		Sources:            []string{"127.0.0.2"},
		RealTxs:            20,
		CPUTxs:             30,
		CPURepeats:         1,
		CPUSubscribers:     []int{1, 10},
		RealRepeats:        1,
		RealSubscribers:    []int{10},
		CommitPosts:        20,
		CommitFloodRepeats: 1,
		FastBlocks:         true,
		StallTimeout:       5 * time.Second,
	}
}

func (c *Config) setDefaults() error {
	if c.Repo == "" {
		return errors.New("driver: Repo is required")
	}
	if c.GoBenchScale <= 0 {
		c.GoBenchScale = 1
	}
	if len(c.Subscribers) == 0 {
		c.Subscribers = []int{1, 100, 1000, 10000}
	}
	if len(c.TxsPerBlock) == 0 {
		c.TxsPerBlock = []int{1, 100, 1000}
	}
	if len(c.SSESubscribers) == 0 {
		c.SSESubscribers = []int{1, 100, 1000}
	}
	if c.TargetEvents <= 0 {
		c.TargetEvents = 4_000_000
	}
	if c.MinBlocks <= 0 {
		c.MinBlocks = 2
	}
	if c.MaxBlocks <= 0 {
		c.MaxBlocks = 50
	}
	if c.MaxPacedBlocks <= 0 {
		c.MaxPacedBlocks = 20
	}
	if c.MaxConnsPerProcess <= 0 {
		c.MaxConnsPerProcess = 2500
	}
	if len(c.Sources) == 0 {
		c.Sources = []string{"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"}
	}
	if c.RealTxs == 0 {
		c.RealTxs = 2000
	}
	if c.RealRepeats <= 0 {
		c.RealRepeats = 3
	}
	if c.CPUTxs == 0 {
		c.CPUTxs = 6000
	}
	if c.CPURepeats <= 0 {
		c.CPURepeats = 5
	}
	if len(c.CPUSubscribers) == 0 {
		c.CPUSubscribers = []int{1, 1000}
	}
	if len(c.RealSubscribers) == 0 {
		c.RealSubscribers = []int{1, 100, 1000}
	}
	if c.CommitPosts == 0 {
		c.CommitPosts = 2000
	}
	if c.CommitFloodRepeats <= 0 {
		c.CommitFloodRepeats = 5
	}
	if c.BroadcastWorkers <= 0 {
		c.BroadcastWorkers = 8
	}
	if c.StallTimeout <= 0 {
		c.StallTimeout = 30 * time.Second
	}
	if c.Log == nil {
		c.Log = func(string, ...any) {}
	}
	for _, n := range c.Subscribers {
		if n > c.MaxConnsPerProcess*len(c.Sources) {
			return errors.New("driver: more subscribers than the client processes may open")
		}
	}
	return nil
}
