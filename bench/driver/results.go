package driver

import (
	"math"
	"time"

	"github.com/cometstream/cometstream/bench"
)

// Results is everything a run measured; the report is written from it.
type Results struct {
	Machine  Machine       `json:"machine"`
	Command  string        `json:"command"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration"`
	Smoke    bool          `json:"smoke"`

	GoBench []GoBenchRun `json:"go_bench,omitempty"`
	// FanOut: synthetic blocks, cometstream (WebSocket and SSE) and the
	// floor.
	FanOut []Trial `json:"fan_out,omitempty"`
	// IdleMemory: the node process's memory per idle subscriber.
	IdleMemory []Memory `json:"idle_memory,omitempty"`
	// Real: real transactions through consensus, cometstream and
	// CometBFT's /websocket.
	Real []Trial `json:"real,omitempty"`
	// CPUPerTx: the node process's CPU per committed transaction and the
	// chain's tx/s, stream off and on.
	CPUPerTx []CPUTrial `json:"cpu_per_tx,omitempty"`
	// CommitFlood: concurrent Web API posts, mode=async then mode=commit.
	CommitFlood []FloodTrial `json:"commit_flood,omitempty"`
	Notes       []string     `json:"notes,omitempty"`
}

// Machine is where and on what the run happened.
type Machine struct {
	CPU        string  `json:"cpu"`
	Cores      int     `json:"cores"`
	MemGiB     float64 `json:"mem_gib"`
	Kernel     string  `json:"kernel"`
	Go         string  `json:"go"`
	Commit     string  `json:"commit"`
	Dirty      bool    `json:"dirty"`
	FDLimit    uint64  `json:"fd_limit"`
	LoadBefore string  `json:"load_before"`
	LoadAfter  string  `json:"load_after"`
}

// Targets of a trial.
const (
	TargetStream          = "cometstream"
	TargetSSE             = "cometstream SSE"
	TargetFloor           = "floor"
	TargetCometBFT        = "cometbft /websocket (default limits)"
	TargetCometBFTRaised  = "cometbft /websocket (limits raised)"
	TargetTxResults       = "cometstream tx_results (query)"
	TargetCometBFTQuery   = "cometbft /websocket (same query)"
	KindBurst             = "burst"
	KindPaced             = "paced"
	KindReal              = "real txs"
	pacedIntervalMinimum  = 20 * time.Millisecond
	pacedIntervalHeadroom = 2
)

// BenchQuery is the CometBFT query of the tx_results trials and of their
// CometBFT control: every transaction, through the query matcher (the
// ledger emits no ABCI events, so only CometBFT's own keys can be asked).
const BenchQuery = "tm.event='Tx' AND tx.height>=1"

// Trial is one measured delivery of blocks to a set of subscribers.
type Trial struct {
	Target   string        `json:"target"`
	Kind     string        `json:"kind"`
	Subs     int           `json:"subs"` // asked for
	Rep      int           `json:"rep,omitempty"`
	Served   int           `json:"served"` // connected and subscribed
	Txs      int           `json:"txs"`    // per block (synthetic); 0 for real txs
	Blocks   int           `json:"blocks"` // blocks holding events
	Interval time.Duration `json:"interval,omitempty"`

	Events       int64   `json:"events"`    // wanted by the served subscribers
	Delivered    int64   `json:"delivered"` // received by them
	Lost         int64   `json:"lost"`      // Events - Delivered
	Seconds      float64 `json:"seconds"`   // first commit to last receipt
	EventsPerSec float64 `json:"events_per_sec"`
	// Latency, ms: Commit (Log.Append, or the floor's Publish) to a
	// subscriber's receipt of a block's last message, over every complete
	// (subscriber, block) pair; Max is the last subscriber's of the worst
	// block.
	LatP50 float64 `json:"lat_p50_ms"`
	LatP99 float64 `json:"lat_p99_ms"`
	LatMax float64 `json:"lat_max_ms"`
	// CPU per delivered event, ns: the node's process (the driver's, with
	// the node in it) and the client processes'.
	ServerCPUPerEvent float64 `json:"server_cpu_ns_per_event"`
	ClientCPUPerEvent float64 `json:"client_cpu_ns_per_event"`
	// HandoffP50 and HandoffMax, µs: how long Log.Append (or the floor's
	// Publish) took for the trial's blocks, in the caller.
	HandoffP50 float64 `json:"handoff_p50_us,omitempty"`
	HandoffMax float64 `json:"handoff_max_us,omitempty"`
	// TxPerSec is the chain's rate in a real-txs trial.
	TxPerSec float64 `json:"tx_per_sec,omitempty"`
	// Ends counts subscriptions the server ended, by reason; SetupErrors
	// the subscribers that never got a subscription.
	Ends        map[string]int `json:"ends,omitempty"`
	SetupErrors map[string]int `json:"setup_errors,omitempty"`
	// Load is /proc/loadavg's 1-minute figure when the trial started.
	Load string `json:"load,omitempty"`
}

// Memory is the node process's memory per subscriber.
type Memory struct {
	Subs        int     `json:"subs"`
	BytesPerSub float64 `json:"bytes_per_sub"`
	// Mode is the subscribers' client mode: bench.ModeStream (WebSocket;
	// also when empty, in results written before SSE) or bench.ModeSSE.
	Mode string `json:"mode,omitempty"`
}

// GoBenchRun is one go test -bench command and its results.
type GoBenchRun struct {
	Command string         `json:"command"`
	Results []GoBenchLine  `json:"results"`
	Raw     string         `json:"raw"`
	Err     string         `json:"error,omitempty"`
	Extra   map[string]any `json:"extra,omitempty"`
}

// GoBenchLine is one benchmark's line.
type GoBenchLine struct {
	Name    string             `json:"name"`
	N       int64              `json:"n"`
	Metrics map[string]float64 `json:"metrics"`
}

// delivery is what a trial's analysis needs: when each height was
// committed, how many events of it each subscriber should get, and what
// the client processes reported.
type delivery struct {
	commits  map[int64]int64 // height -> Unix ns of the commit
	want     map[int64]int   // height -> events per subscriber
	served   int
	reports  []bench.Report
	cpuStart []int64 // client processes' CPU at the start
}

// analyze fills t's delivery figures.
func (d delivery) analyze(t *Trial) {
	var perSub int64
	first := int64(math.MaxInt64)
	for h, n := range d.want {
		perSub += int64(n)
		first = min(first, d.commits[h])
	}
	t.Blocks = len(d.want)
	t.Events = perSub * int64(d.served)
	var lats []float64
	var last int64
	for i, r := range d.reports {
		if i < len(d.cpuStart) {
			t.ClientCPUPerEvent += float64(r.CPUNanos - d.cpuStart[i])
		}
		for _, hr := range r.Heights {
			want, ok := d.want[hr.Height]
			if !ok {
				continue
			}
			for c, n := range hr.Counts {
				t.Delivered += int64(n)
				last = max(last, hr.Last[c])
				if int(n) >= want {
					lats = append(lats, float64(hr.Last[c]-d.commits[hr.Height])/1e6)
				}
			}
		}
		for k, v := range r.Ends {
			if t.Ends == nil {
				t.Ends = map[string]int{}
			}
			t.Ends[k] += v
		}
	}
	t.Lost = t.Events - t.Delivered
	if last > first {
		t.Seconds = float64(last-first) / 1e9
		t.EventsPerSec = float64(t.Delivered) / t.Seconds
	}
	if t.Delivered > 0 {
		t.ClientCPUPerEvent /= float64(t.Delivered)
	} else {
		t.ClientCPUPerEvent = 0
	}
	if len(lats) > 0 {
		t.LatP50 = bench.Percentile(lats, 50)
		t.LatP99 = bench.Percentile(lats, 99)
		t.LatMax = bench.Percentile(lats, 100)
	}
}
