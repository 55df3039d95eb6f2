package streamsvc

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cometstream/cometstream/events"
)

// Metrics are the stream's Prometheus metrics, under CometBFT's namespace
// and the "stream" subsystem, so they sit beside CometBFT's own on its
// instrumentation listener.
type Metrics struct {
	Connections *prometheus.GaugeVec   // open subscribers, by stream
	Refused     *prometheus.CounterVec // refused before the upgrade, by reason
	Closed      *prometheus.CounterVec // subscribers ended, by reason
	Events      prometheus.Counter     // messages written to subscribers
	Bytes       prometheus.Counter     // bytes of messages written
	Lag         prometheus.Histogram   // blocks a subscriber is behind, at each write
	Delivery    prometheus.Histogram   // seconds from Commit to a subscriber's write of a block
	HandOff     prometheus.Histogram   // seconds the Commit hand-off (log append) takes
}

// NewMetrics creates the metrics and registers them, with gauges of the
// log's size and oldest height, on reg. A nil reg leaves them unregistered
// (tests, or instrumentation off).
func NewMetrics(namespace string, reg prometheus.Registerer, log *events.Log) (*Metrics, error) {
	const sub = "stream"
	m := &Metrics{
		Connections: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Subsystem: sub,
			Name: "connections", Help: "Open stream subscribers."}, []string{"stream"}),
		Refused: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Subsystem: sub,
			Name: "connections_refused_total", Help: "Stream requests refused before the upgrade."}, []string{"reason"}),
		Closed: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Subsystem: sub,
			Name: "subscribers_closed_total", Help: "Stream subscribers ended."}, []string{"reason"}),
		Events: prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Subsystem: sub,
			Name: "events_sent_total", Help: "Event messages written to subscribers."}),
		Bytes: prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Subsystem: sub,
			Name: "bytes_sent_total", Help: "Bytes of event messages written to subscribers."}),
		Lag: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: namespace, Subsystem: sub,
			Name: "subscriber_lag_heights", Help: "Blocks a subscriber had yet to receive, at each write.",
			Buckets: []float64{0, 1, 2, 5, 10, 50, 100, 500, 1000, 10000}}),
		Delivery: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: namespace, Subsystem: sub,
			Name: "delivery_seconds", Help: "Time from Commit's hand-off of a block to a subscriber's write of it.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10)}),
		HandOff: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: namespace, Subsystem: sub,
			Name: "commit_handoff_seconds", Help: "Time Commit spends handing a block to the event log.",
			Buckets: prometheus.ExponentialBuckets(0.000001, 4, 10)}),
	}
	if reg == nil {
		return m, nil
	}
	collectors := []prometheus.Collector{m.Connections, m.Refused, m.Closed, m.Events, m.Bytes, m.Lag, m.Delivery, m.HandOff,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Subsystem: sub,
			Name: "log_oldest_height", Help: "Oldest height the event log keeps."},
			func() float64 { o, _ := log.Bounds(); return float64(o) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Subsystem: sub,
			Name: "log_newest_height", Help: "Newest height in the event log (the latest streamed)."},
			func() float64 { _, n := log.Bounds(); return float64(n) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Subsystem: sub,
			Name: "log_bytes", Help: "Size of the event log on disk (-1: in memory)."},
			func() float64 { return float64(log.SizeBytes()) }),
	}
	for _, c := range collectors {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// observeBlocks records a subscriber's write of blocks.
func (m *Metrics) observeWrite(blocks []*events.Block, msgs, bytes int, lag int64) {
	m.Events.Add(float64(msgs))
	m.Bytes.Add(float64(bytes))
	m.Lag.Observe(float64(lag))
	now := time.Now()
	for _, b := range blocks {
		if !b.Appended.IsZero() {
			m.Delivery.Observe(now.Sub(b.Appended).Seconds())
		}
	}
}
