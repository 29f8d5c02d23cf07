package serieslimitprocessor

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// harness is one processor with a sink behind it, its telemetry, its logs and its clock.
type harness struct {
	t         *testing.T
	proc      processor.Metrics
	sink      *consumertest.MetricsSink
	telemetry *componenttest.Telemetry
	logs      *observer.ObservedLogs
	clock     *fakeClock
}

func newHarness(t *testing.T, cfg *Config) *harness {
	t.Helper()
	h := &harness{
		t:         t,
		sink:      new(consumertest.MetricsSink),
		telemetry: componenttest.NewTelemetry(),
		clock:     &fakeClock{now: time.Unix(1_700_000_000, 0)},
	}
	core, logs := observer.New(zapcore.InfoLevel)
	h.logs = logs
	set := processortest.NewNopSettings(componentType)
	set.TelemetrySettings = h.telemetry.NewTelemetrySettings()
	set.Logger = zap.New(core)
	proc, err := newMetricsProcessor(context.Background(), set, cfg, h.sink, h.clock.Now)
	require.NoError(t, err)
	require.NoError(t, proc.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() {
		require.NoError(t, proc.Shutdown(context.Background()))
		require.NoError(t, h.telemetry.Shutdown(context.Background()))
	})
	h.proc = proc
	return h
}

func (h *harness) send(md pmetric.Metrics) {
	h.t.Helper()
	require.NoError(h.t, h.proc.ConsumeMetrics(context.Background(), md))
}

// passed is every data point the sink received, as "metric{attrs}" strings.
func (h *harness) passed() []string {
	var out []string
	for _, md := range h.sink.AllMetrics() {
		out = append(out, seriesOf(md)...)
	}
	return out
}

// dropped reads the dropped counter, by reason.
func (h *harness) dropped() map[string]int64 {
	h.t.Helper()
	out := map[string]int64{}
	m, err := h.telemetry.GetMetric(droppedMetricName)
	if err != nil {
		return out
	}
	assert.Equal(h.t, "{datapoint}", m.Unit)
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(h.t, ok, "the dropped counter is an int64 sum")
	assert.True(h.t, sum.IsMonotonic)
	for _, dp := range sum.DataPoints {
		id, _ := dp.Attributes.Value(attribute.Key("processor"))
		assert.Equal(h.t, "series_limit", id.AsString())
		reason, _ := dp.Attributes.Value(attribute.Key("reason"))
		out[reason.AsString()] += dp.Value
	}
	return out
}

func testConfig(maxSeries int) *Config {
	return &Config{MaxSeriesPerMetric: maxSeries, StaleAfter: 10 * time.Minute, MaxMetrics: 100}
}

// gauge builds one resource/scope/gauge with a point per attribute value of "id".
func gauge(name string, ids ...int) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "shop")
	m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName(name)
	points := m.SetEmptyGauge().DataPoints()
	for _, id := range ids {
		dp := points.AppendEmpty()
		dp.Attributes().PutInt("id", int64(id))
		dp.SetIntValue(int64(id))
	}
	return md
}

func seriesOf(md pmetric.Metrics) []string {
	var out []string
	for _, rm := range md.ResourceMetrics().All() {
		for _, sm := range rm.ScopeMetrics().All() {
			for _, m := range sm.Metrics().All() {
				forEachAttributes(m, func(attrs pcommon.Map) {
					out = append(out, m.Name()+render(attrs))
				})
			}
		}
	}
	return out
}

// render writes attributes as {k:v,...} in key order.
func render(attrs pcommon.Map) string {
	keys := make([]string, 0, attrs.Len())
	for k := range attrs.All() {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		v, _ := attrs.Get(k)
		parts[i] = k + ":" + v.AsString()
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func forEachAttributes(m pmetric.Metric, f func(pcommon.Map)) {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		for _, dp := range m.Gauge().DataPoints().All() {
			f(dp.Attributes())
		}
	case pmetric.MetricTypeSum:
		for _, dp := range m.Sum().DataPoints().All() {
			f(dp.Attributes())
		}
	case pmetric.MetricTypeHistogram:
		for _, dp := range m.Histogram().DataPoints().All() {
			f(dp.Attributes())
		}
	case pmetric.MetricTypeExponentialHistogram:
		for _, dp := range m.ExponentialHistogram().DataPoints().All() {
			f(dp.Attributes())
		}
	case pmetric.MetricTypeSummary:
		for _, dp := range m.Summary().DataPoints().All() {
			f(dp.Attributes())
		}
	case pmetric.MetricTypeEmpty:
	}
}

func TestProcessorLetsThroughAtMostTheLimitPerMetric(t *testing.T) {
	h := newHarness(t, testConfig(3))
	h.send(gauge("requests", 1, 2, 3, 4, 5, 6))
	h.send(gauge("latency", 1, 2))
	assert.Equal(t, []string{
		"requests{id:1}", "requests{id:2}", "requests{id:3}",
		"latency{id:1}", "latency{id:2}",
	}, h.passed())
	assert.Equal(t, map[string]int64{reasonSeriesLimit: 3}, h.dropped())
}

func TestProcessorKeepsAdmittedSeriesFlowingAfterTheLimit(t *testing.T) {
	h := newHarness(t, testConfig(2))
	h.send(gauge("requests", 1, 2, 3))
	for range 5 {
		h.clock.Advance(time.Minute)
		h.send(gauge("requests", 4, 2, 5, 1))
	}
	passed := h.passed()
	assert.Len(t, passed, 2+5*2)
	assert.NotContains(t, passed, "requests{id:3}")
	assert.NotContains(t, passed, "requests{id:4}")
	assert.NotContains(t, passed, "requests{id:5}")
	assert.Equal(t, map[string]int64{reasonSeriesLimit: 1 + 5*2}, h.dropped())
}

func TestProcessorSeriesIncludeResourceAndIgnoreAttributeOrder(t *testing.T) {
	h := newHarness(t, testConfig(2))
	md := pmetric.NewMetrics()
	for _, svc := range []string{"frontend", "backend"} {
		rm := md.ResourceMetrics().AppendEmpty()
		rm.Resource().Attributes().PutStr("service.name", svc)
		dp := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
		dp.SetName("requests")
		point := dp.SetEmptySum().DataPoints().AppendEmpty()
		point.Attributes().PutStr("route", "/")
		point.Attributes().PutInt("code", 200)
	}
	h.send(md)
	require.Len(t, h.passed(), 2, "the same attributes under two resources are two series")

	// Same series as the backend's, attributes inserted in the other order: still admitted.
	again := pmetric.NewMetrics()
	rm := again.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "backend")
	m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("requests")
	point := m.SetEmptySum().DataPoints().AppendEmpty()
	point.Attributes().PutInt("code", 200)
	point.Attributes().PutStr("route", "/")
	h.send(again)
	assert.Len(t, h.passed(), 3)
	assert.Empty(t, h.dropped())
}

func TestProcessorLimitsEachServiceApart(t *testing.T) {
	h := newHarness(t, testConfig(2))
	flood := gauge("requests", 1, 2, 3, 4, 5)
	h.send(flood)
	// Another service's series of the same metric name have their own slots.
	other := gauge("requests", 1, 2, 3)
	other.ResourceMetrics().At(0).Resource().Attributes().PutStr("service.name", "cart")
	h.send(other)
	assert.Len(t, h.passed(), 2+2)
	assert.Equal(t, map[string]int64{reasonSeriesLimit: 3 + 1}, h.dropped())
	warned := h.logs.FilterMessageSnippet("max_series_per_metric").All()
	require.Len(t, warned, 2)
	services := []string{}
	for _, entry := range warned {
		services = append(services, entry.ContextMap()["service"].(string))
	}
	assert.ElementsMatch(t, []string{"shop", "cart"}, services)
}

func TestProcessorLimitsEveryMetricType(t *testing.T) {
	types := map[string]func(pmetric.Metric) pcommon.Map{
		"gauge": func(m pmetric.Metric) pcommon.Map { return m.SetEmptyGauge().DataPoints().AppendEmpty().Attributes() },
		"sum":   func(m pmetric.Metric) pcommon.Map { return m.SetEmptySum().DataPoints().AppendEmpty().Attributes() },
		"histogram": func(m pmetric.Metric) pcommon.Map {
			return m.SetEmptyHistogram().DataPoints().AppendEmpty().Attributes()
		},
		"exponential_histogram": func(m pmetric.Metric) pcommon.Map {
			return m.SetEmptyExponentialHistogram().DataPoints().AppendEmpty().Attributes()
		},
		"summary": func(m pmetric.Metric) pcommon.Map { return m.SetEmptySummary().DataPoints().AppendEmpty().Attributes() },
	}
	for name, addPoint := range types {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, testConfig(2))
			md := pmetric.NewMetrics()
			m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
			m.SetName(name)
			addPoint(m).PutInt("id", 1)
			// The second point must be added to the same metric, not by resetting its type.
			for id := 2; id <= 4; id++ {
				appendPointLike(m).PutInt("id", int64(id))
			}
			require.Equal(t, 4, pointCount(m))
			h.send(md)
			assert.Equal(t, []string{name + "{id:1}", name + "{id:2}"}, h.passed())
			assert.Equal(t, map[string]int64{reasonSeriesLimit: 2}, h.dropped())
		})
	}
}

// appendPointLike adds a point of the metric's existing type.
func appendPointLike(m pmetric.Metric) pcommon.Map {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		return m.Gauge().DataPoints().AppendEmpty().Attributes()
	case pmetric.MetricTypeSum:
		return m.Sum().DataPoints().AppendEmpty().Attributes()
	case pmetric.MetricTypeHistogram:
		return m.Histogram().DataPoints().AppendEmpty().Attributes()
	case pmetric.MetricTypeExponentialHistogram:
		return m.ExponentialHistogram().DataPoints().AppendEmpty().Attributes()
	case pmetric.MetricTypeSummary:
		return m.Summary().DataPoints().AppendEmpty().Attributes()
	default:
		panic("metric without a type")
	}
}

func TestProcessorRemovesMetricsScopesAndResourcesLeftEmpty(t *testing.T) {
	h := newHarness(t, testConfig(1))
	h.send(gauge("full", 1))
	h.send(gauge("kept", 1))

	md := pmetric.NewMetrics()
	// Resource 1: one scope with only points of a full metric; one scope with a kept point.
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "shop")
	doomed := rm.ScopeMetrics().AppendEmpty()
	doomed.Scope().SetName("doomed")
	m := doomed.Metrics().AppendEmpty()
	m.SetName("full")
	m.SetEmptyGauge().DataPoints().AppendEmpty().Attributes().PutInt("id", 2)
	kept := rm.ScopeMetrics().AppendEmpty()
	kept.Scope().SetName("kept")
	full := kept.Metrics().AppendEmpty()
	full.SetName("full")
	full.SetEmptyGauge().DataPoints().AppendEmpty().Attributes().PutInt("id", 3)
	k := kept.Metrics().AppendEmpty()
	k.SetName("kept")
	k.SetEmptyGauge().DataPoints().AppendEmpty().Attributes().PutInt("id", 1)
	// Resource 2, another instance of the same service: nothing of it passes.
	rm2 := md.ResourceMetrics().AppendEmpty()
	rm2.Resource().Attributes().PutStr("service.name", "shop")
	rm2.Resource().Attributes().PutStr("service.instance.id", "2")
	m2 := rm2.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m2.SetName("full")
	m2.SetEmptyGauge().DataPoints().AppendEmpty().Attributes().PutInt("id", 1)

	h.send(md)
	all := h.sink.AllMetrics()
	require.Len(t, all, 3)
	out := all[2]
	require.Equal(t, 1, out.ResourceMetrics().Len(), "the emptied resource is removed")
	scopes := out.ResourceMetrics().At(0).ScopeMetrics()
	require.Equal(t, 1, scopes.Len(), "the emptied scope is removed")
	assert.Equal(t, "kept", scopes.At(0).Scope().Name())
	metrics := scopes.At(0).Metrics()
	require.Equal(t, 1, metrics.Len(), "the emptied metric is removed")
	assert.Equal(t, "kept", metrics.At(0).Name())
	assert.Equal(t, map[string]int64{reasonSeriesLimit: 3}, h.dropped())
}

func TestProcessorSendsNothingWhenEveryPointIsDropped(t *testing.T) {
	h := newHarness(t, testConfig(1))
	h.send(gauge("requests", 1))
	h.send(gauge("requests", 2, 3))
	assert.Len(t, h.sink.AllMetrics(), 1, "an empty batch is not passed on")
	assert.Equal(t, 1, h.sink.DataPointCount())
}

func TestProcessorStaleSeriesFreeTheirSlots(t *testing.T) {
	h := newHarness(t, testConfig(2))
	h.send(gauge("requests", 1, 2))
	h.clock.Advance(9 * time.Minute)
	h.send(gauge("requests", 2, 3))
	assert.NotContains(t, h.passed(), "requests{id:3}", "no slot is free yet")
	h.clock.Advance(time.Minute)
	h.send(gauge("requests", 3))
	assert.Contains(t, h.passed(), "requests{id:3}", "series 1 went stale and freed its slot")
	h.send(gauge("requests", 1))
	assert.Equal(t, 1, countOf(h.passed(), "requests{id:1}"), "series 1 lost its slot")
}

func TestProcessorWarnsOncePerMetricPerStaleWindow(t *testing.T) {
	h := newHarness(t, testConfig(1))
	for range 5 {
		h.send(gauge("requests", 1, 2, 3, 4))
		h.clock.Advance(time.Minute)
	}
	warnings := h.logs.FilterLevelExact(zapcore.WarnLevel).All()
	require.Len(t, warnings, 1)
	assert.Contains(t, warnings[0].Message, "max_series_per_metric")
	assert.Equal(t, "requests", warnings[0].ContextMap()["metric"])
	assert.Equal(t, int64(1), warnings[0].ContextMap()["max_series_per_metric"])
	assert.Equal(t, "10m0s", warnings[0].ContextMap()["stale_after"])

	h.clock.Advance(10 * time.Minute)
	h.send(gauge("requests", 1, 99))
	assert.Len(t, h.logs.FilterLevelExact(zapcore.WarnLevel).All(), 2)
}

func TestProcessorDropsNewMetricNamesBeyondMaxMetrics(t *testing.T) {
	cfg := testConfig(10)
	cfg.MaxMetrics = 2
	h := newHarness(t, cfg)
	h.send(gauge("a", 1))
	h.send(gauge("b", 1))
	h.send(gauge("c", 1, 2))
	h.send(gauge("a", 2))
	assert.Equal(t, []string{"a{id:1}", "b{id:1}", "a{id:2}"}, h.passed())
	assert.Equal(t, map[string]int64{reasonMetricLimit: 2}, h.dropped())
	warnings := h.logs.FilterLevelExact(zapcore.WarnLevel).All()
	require.Len(t, warnings, 1)
	assert.Contains(t, warnings[0].Message, "max_metrics")
	assert.Equal(t, "c", warnings[0].ContextMap()["metric"])
}

func TestProcessorIsSafeUnderConcurrentBatches(t *testing.T) {
	const (
		workers   = 8
		batches   = 50
		perBatch  = 20
		limit     = 100
		perWorker = batches * perBatch
	)
	h := newHarness(t, testConfig(limit))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				ids := make([]int, perBatch)
				for i := range ids {
					// Half the points repeat series 0..9 (shared by all workers), half are new.
					if i%2 == 0 {
						ids[i] = i / 2
					} else {
						ids[i] = 1000 + w*perWorker + b*perBatch + i
					}
				}
				h.send(gauge("requests", ids...))
			}
		}()
	}
	wg.Wait()

	distinct := map[string]bool{}
	passed := h.passed()
	for _, s := range passed {
		distinct[s] = true
	}
	assert.Len(t, distinct, limit, "exactly the limit of distinct series got through")
	for i := range 10 {
		assert.Equal(t, workers*batches, countOf(passed, fmt.Sprintf("requests{id:%d}", i)),
			"every point of a series admitted early passes")
	}
	total := int64(workers * batches * perBatch)
	assert.Equal(t, total, int64(len(passed))+h.dropped()[reasonSeriesLimit])
}

func countOf(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}
