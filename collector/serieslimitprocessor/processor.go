package serieslimitprocessor // import "kansoku.local/collector/serieslimitprocessor"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor/processorhelper"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
)

const (
	scopeName = "kansoku.local/collector/serieslimitprocessor"
	// droppedMetricName is the counter's instrument name; the collector's Prometheus endpoint
	// shows it with a _total suffix.
	droppedMetricName = "otelcol_processor_series_limit_dropped_data_points"
)

// seriesLimiter drops the data points of series beyond the configured limits.
type seriesLimiter struct {
	cfg     *Config
	logger  *zap.Logger
	dropped metric.Int64Counter
	// byReason holds the counter's attribute sets: the processor's ID (as processorhelper's
	// own metrics carry it) and why the points were dropped.
	byReason map[string]metric.AddOption
	tracker  *tracker
	hasher   hasher
	clock    func() time.Time
	start    time.Time
}

func newSeriesLimiter(
	cfg *Config, id component.ID, set component.TelemetrySettings, clock func() time.Time,
) (*seriesLimiter, error) {
	dropped, err := set.MeterProvider.Meter(scopeName).Int64Counter(
		droppedMetricName,
		metric.WithDescription("Data points dropped because their series was over a series_limit limit."),
		metric.WithUnit("{datapoint}"),
	)
	if err != nil {
		return nil, err
	}
	byReason := map[string]metric.AddOption{}
	for _, reason := range []string{reasonSeriesLimit, reasonMetricLimit} {
		byReason[reason] = metric.WithAttributeSet(attribute.NewSet(
			attribute.String("processor", id.String()),
			attribute.String("reason", reason),
		))
	}
	return &seriesLimiter{
		cfg:      cfg,
		logger:   set.Logger,
		dropped:  dropped,
		byReason: byReason,
		tracker:  newTracker(cfg),
		hasher:   newHasher(),
		clock:    clock,
		start:    clock(),
	}, nil
}

// drops counts the points dropped in one batch, by reason.
type drops map[string]int64

// processMetrics is the processorhelper callback; the pipeline may call it concurrently.
func (p *seriesLimiter) processMetrics(ctx context.Context, md pmetric.Metrics) (pmetric.Metrics, error) {
	now := p.clock().Sub(p.start).Nanoseconds()
	counts := drops{}
	resources := md.ResourceMetrics()
	before := resources.Len()
	resources.RemoveIf(func(rm pmetric.ResourceMetrics) bool {
		return p.limitResource(rm, now, counts)
	})
	for reason, n := range counts {
		p.dropped.Add(ctx, n, p.byReason[reason])
	}
	if before > 0 && resources.Len() == 0 {
		return md, processorhelper.ErrSkipProcessingData
	}
	return md, nil
}

// limitResource filters one resource's points; true when it was left empty.
func (p *seriesLimiter) limitResource(rm pmetric.ResourceMetrics, now int64, counts drops) bool {
	resource := p.hasher.attributes(rm.Resource().Attributes())
	service := ""
	if v, ok := rm.Resource().Attributes().Get(serviceNameKey); ok {
		service = v.AsString()
	}
	scopes := rm.ScopeMetrics()
	before := scopes.Len()
	scopes.RemoveIf(func(sm pmetric.ScopeMetrics) bool {
		metrics := sm.Metrics()
		had := metrics.Len()
		metrics.RemoveIf(func(m pmetric.Metric) bool {
			return p.limitMetric(m, service, resource, now, counts)
		})
		return had > 0 && metrics.Len() == 0
	})
	return before > 0 && scopes.Len() == 0
}

// limitMetric filters one metric's points; true when it was left without any. The limits
// apply to a metric name within one service, so a service that floods a metric cannot take
// the slots of another service's series of the same name.
func (p *seriesLimiter) limitMetric(m pmetric.Metric, service string, resource uint64, now int64, counts drops) bool {
	var out outcome
	key := limitKey{service: service, metric: m.Name()}
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		out = limitPoints(p, key, resource, now, m.Gauge().DataPoints())
	case pmetric.MetricTypeSum:
		out = limitPoints(p, key, resource, now, m.Sum().DataPoints())
	case pmetric.MetricTypeHistogram:
		out = limitPoints(p, key, resource, now, m.Histogram().DataPoints())
	case pmetric.MetricTypeExponentialHistogram:
		out = limitPoints(p, key, resource, now, m.ExponentialHistogram().DataPoints())
	case pmetric.MetricTypeSummary:
		out = limitPoints(p, key, resource, now, m.Summary().DataPoints())
	case pmetric.MetricTypeEmpty:
		return false
	}
	if out.dropped == 0 {
		return false
	}
	counts[out.reason] += int64(out.dropped)
	if out.warn {
		p.warn(key, out)
	}
	return pointCount(m) == 0
}

func (p *seriesLimiter) warn(key limitKey, out outcome) {
	if out.reason == reasonMetricLimit {
		p.logger.Warn("series_limit: max_metrics reached; dropping the points of new metric names",
			zap.String("metric", key.metric),
			zap.String("service", key.service),
			zap.Int("max_metrics", p.cfg.MaxMetrics),
			zap.Stringer("stale_after", p.cfg.StaleAfter))
		return
	}
	p.logger.Warn("series_limit: metric reached max_series_per_metric; dropping the points of its new series",
		zap.String("metric", key.metric),
		zap.String("service", key.service),
		zap.Int("max_series_per_metric", p.cfg.MaxSeriesPerMetric),
		zap.Int("tracked_series", out.tracked),
		zap.Stringer("stale_after", p.cfg.StaleAfter))
}

// serviceNameKey is the resource attribute whose value scopes the limits.
const serviceNameKey = "service.name"

// limitKey is what the limits count series for: a metric name within one service.
type limitKey struct {
	service string
	metric  string
}

// String is the tracker's key; NUL cannot occur in a metric name.
func (k limitKey) String() string { return k.service + "\x00" + k.metric }

type dataPoint interface {
	Attributes() pcommon.Map
}

// pointSlice is what every pmetric *DataPointSlice has in common.
type pointSlice[P dataPoint] interface {
	Len() int
	At(i int) P
	RemoveIf(f func(P) bool)
}

// limitPoints hashes the points' series outside the tracker's lock, asks the tracker which
// may pass, and removes the others.
func limitPoints[P dataPoint](p *seriesLimiter, key limitKey, resource uint64, now int64, points pointSlice[P]) outcome {
	n := points.Len()
	if n == 0 {
		return outcome{}
	}
	series := make([]uint64, n)
	for i := range n {
		series[i] = p.hasher.series(key.metric, resource, points.At(i).Attributes())
	}
	keep := make([]bool, n)
	out := p.tracker.admit(key.String(), series, now, keep)
	if out.dropped > 0 {
		i := 0
		points.RemoveIf(func(P) bool {
			drop := !keep[i]
			i++
			return drop
		})
	}
	return out
}

func pointCount(m pmetric.Metric) int {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		return m.Gauge().DataPoints().Len()
	case pmetric.MetricTypeSum:
		return m.Sum().DataPoints().Len()
	case pmetric.MetricTypeHistogram:
		return m.Histogram().DataPoints().Len()
	case pmetric.MetricTypeExponentialHistogram:
		return m.ExponentialHistogram().DataPoints().Len()
	case pmetric.MetricTypeSummary:
		return m.Summary().DataPoints().Len()
	default:
		return 0
	}
}
