package node

import (
	"encoding/json"
	"net/http"

	"github.com/cometstream/cometstream"
	"github.com/cometstream/cometstream/streamsvc"
)

// HealthPath is the Web API's health route.
const HealthPath = "/healthz"

// health is the /healthz document.
type health struct {
	Status string `json:"status"`
	// Reason says why Status is not "ok".
	Reason         string `json:"reason,omitempty"`
	LatestHeight   int64  `json:"latest_streamed_height"`
	OldestHeight   int64  `json:"oldest_streamed_height"`
	CatchingUp     bool   `json:"catching_up"`
	StreamEnabled  bool   `json:"stream_enabled"`
	CometBFTHeight int64  `json:"cometbft_height"`
	// PeerHeight is the highest height a peer has committed.
	PeerHeight  int64   `json:"peer_height,omitempty"`
	SinceCommit float64 `json:"seconds_since_commit"`
	// Degraded: the event log cannot record a committed height (a full
	// disk, say); subscribers wait at MissingFrom, nothing is lost.
	Degraded       bool   `json:"degraded"`
	DegradedReason string `json:"degraded_reason,omitempty"`
	MissingFrom    int64  `json:"missing_from_height,omitempty"`
	// JetStream is the JetStream sink's state, when it is on.
	JetStream *cometstream.JetStreamHealth `json:"jetstream,omitempty"`
}

// healthHandler answers 200 while the node commits blocks at the tip and
// 503 with the reason otherwise (see evaluate), so that a load balancer
// sends clients to nodes that are live.
func (n *Node) healthHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			streamsvc.WriteError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed")
			return
		}
		h, status := evaluate(n.healthInputs())
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(h)
	})
}
