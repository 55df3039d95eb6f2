package cometstream

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/jetstream"
	"github.com/cometstream/cometstream/streamsvc"
)

// newMetrics creates the stream's metrics, registered on cfg.Registerer,
// with the log's health beside them.
func newMetrics(cfg Config, log *events.Log, sink *jetstream.Sink) (*streamsvc.Metrics, error) {
	m, err := streamsvc.NewMetrics(cfg.MetricsNamespace, cfg.Registerer, log)
	if err != nil {
		return nil, fmt.Errorf("stream metrics: %w", err)
	}
	if cfg.Registerer == nil {
		return m, nil
	}
	degraded := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: cfg.MetricsNamespace, Subsystem: "stream",
		Name: "log_degraded", Help: "1 while the event log cannot record a committed height (see /healthz for why)."},
		func() float64 {
			if log.Health().Degraded {
				return 1
			}
			return 0
		})
	failed := prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: cfg.MetricsNamespace, Subsystem: "stream",
		Name: "log_failed_writes_total", Help: "Event log writes that failed and were retried."},
		func() float64 { return float64(log.Health().FailedWrites) })
	collectors := []prometheus.Collector{degraded, failed}
	if sink != nil {
		ns := cfg.MetricsNamespace
		collectors = append(collectors,
			prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: ns, Subsystem: "stream", Name: "jetstream_published_total",
				Help: "Messages the JetStream sink published and had acknowledged."},
				func() float64 { return float64(sink.Stats().Published) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: ns, Subsystem: "stream", Name: "jetstream_errors_total",
				Help: "Failed JetStream publishes and stream operations (each retried)."},
				func() float64 { return float64(sink.Stats().Errors) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Subsystem: "stream", Name: "jetstream_lag_heights",
				Help: "Heights of the event log the JetStream stream does not hold yet."},
				func() float64 { return float64(sink.Stats().Lag) }))
	}
	for _, c := range collectors {
		if err := cfg.Registerer.Register(c); err != nil {
			var already prometheus.AlreadyRegisteredError
			if errors.As(err, &already) {
				return nil, fmt.Errorf("stream metrics: already registered (one Stream per registry): %w", err)
			}
			return nil, fmt.Errorf("stream metrics: %w", err)
		}
	}
	return m, nil
}
