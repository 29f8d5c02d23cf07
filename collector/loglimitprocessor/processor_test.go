package loglimitprocessor

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
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
	proc      processor.Logs
	sink      *consumertest.LogsSink
	telemetry *componenttest.Telemetry
	logs      *observer.ObservedLogs
	clock     *fakeClock
}

func newHarness(t *testing.T, cfg *Config) *harness {
	t.Helper()
	h := &harness{
		t:         t,
		sink:      new(consumertest.LogsSink),
		telemetry: componenttest.NewTelemetry(),
		clock:     &fakeClock{now: time.Unix(1_700_000_000, 0)},
	}
	core, logs := observer.New(zapcore.InfoLevel)
	h.logs = logs
	set := processortest.NewNopSettings(componentType)
	set.TelemetrySettings = h.telemetry.NewTelemetrySettings()
	set.Logger = zap.New(core)
	proc, err := newLogsProcessor(context.Background(), set, cfg, h.sink, h.clock.Now)
	require.NoError(t, err)
	require.NoError(t, proc.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() {
		require.NoError(t, proc.Shutdown(context.Background()))
		require.NoError(t, h.telemetry.Shutdown(context.Background()))
	})
	h.proc = proc
	return h
}

func smallConfig() *Config { return &Config{MaxBodyBytes: 100, MaxAttributeValueBytes: 80} }

// records builds one resource of the given service with one record per body setter.
func records(service string, bodies ...func(plog.LogRecord)) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", service)
	sl := rl.ScopeLogs().AppendEmpty()
	for _, set := range bodies {
		set(sl.LogRecords().AppendEmpty())
	}
	return ld
}

func strBody(s string) func(plog.LogRecord) {
	return func(lr plog.LogRecord) { lr.Body().SetStr(s) }
}

// passed is every record the sink received, in order.
func (h *harness) passed() []plog.LogRecord {
	var out []plog.LogRecord
	for _, ld := range h.sink.AllLogs() {
		for i := range ld.ResourceLogs().Len() {
			scopes := ld.ResourceLogs().At(i).ScopeLogs()
			for j := range scopes.Len() {
				lrs := scopes.At(j).LogRecords()
				for k := range lrs.Len() {
					out = append(out, lrs.At(k))
				}
			}
		}
	}
	return out
}

// counter is a counter's value per `field`, checking its unit and the processor attribute.
func (h *harness) counter(name, unit string) map[string]int64 {
	h.t.Helper()
	out := map[string]int64{}
	m, err := h.telemetry.GetMetric(name)
	if err != nil {
		return out
	}
	assert.Equal(h.t, unit, m.Unit)
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(h.t, ok, "%s is an int64 sum", name)
	assert.True(h.t, sum.IsMonotonic)
	for _, dp := range sum.DataPoints {
		id, _ := dp.Attributes.Value(attribute.Key("processor"))
		assert.Equal(h.t, "log_limit", id.AsString())
		field, _ := dp.Attributes.Value(attribute.Key("field"))
		out[field.AsString()] += dp.Value
	}
	return out
}

func (h *harness) truncated() map[string]int64 {
	return h.counter(truncatedRecordsMetricName, "{record}")
}

func (h *harness) removed() map[string]int64 {
	return h.counter(removedBytesMetricName, "By")
}

func TestABodyOverTheLimitIsCutMarkedAndCounted(t *testing.T) {
	h := newHarness(t, smallConfig())
	require.NoError(t, h.proc.ConsumeLogs(context.Background(),
		records("svc", strBody(strings.Repeat("x", 1000)), strBody("short"))))

	got := h.passed()
	require.Len(t, got, 2, "no record is dropped")
	assert.Equal(t, strings.Repeat("x", 100), got[0].Body().Str())
	original, ok := got[0].Attributes().Get(BodyOriginalBytesKey)
	require.True(t, ok)
	assert.Equal(t, int64(1000), original.Int())

	assert.Equal(t, "short", got[1].Body().Str())
	assert.Equal(t, 0, got[1].Attributes().Len(), "a record within the limits is not marked")

	assert.Equal(t, map[string]int64{"body": 1}, h.truncated())
	assert.Equal(t, map[string]int64{"body": 900}, h.removed())
}

func TestARecordWithinTheLimitsIsLeftAloneAndNothingIsCounted(t *testing.T) {
	h := newHarness(t, smallConfig())
	require.NoError(t, h.proc.ConsumeLogs(context.Background(), records("svc",
		strBody(strings.Repeat("x", 100)),
		func(lr plog.LogRecord) {
			lr.Body().SetStr("ok")
			lr.Attributes().PutStr("a", strings.Repeat("y", 80))
			lr.Attributes().PutInt("n", 7)
		})))
	got := h.passed()
	require.Len(t, got, 2)
	assert.Len(t, got[0].Body().Str(), 100)
	assert.Equal(t, 2, got[1].Attributes().Len())
	assert.Empty(t, h.truncated())
	assert.Empty(t, h.removed())
	assert.Equal(t, 0, h.logs.Len())
}

func TestTheCutNeverSplitsAUTF8Sequence(t *testing.T) {
	h := newHarness(t, smallConfig())
	// "é" is 2 bytes and "€" 3: a cut at byte 100 falls inside a sequence either way.
	body := "a" + strings.Repeat("é", 30) + strings.Repeat("€", 30)
	require.NoError(t, h.proc.ConsumeLogs(context.Background(), records("svc", strBody(body))))
	cut := h.passed()[0].Body().Str()
	assert.True(t, utf8.ValidString(cut))
	assert.LessOrEqual(t, len(cut), 100)
	assert.GreaterOrEqual(t, len(cut), 100-utf8.UTFMax+1)
	assert.True(t, strings.HasPrefix(body, cut))
	assert.Equal(t, map[string]int64{"body": int64(len(body) - len(cut))}, h.removed())
}

func TestABytesBodyIsCutToTheLimit(t *testing.T) {
	h := newHarness(t, smallConfig())
	require.NoError(t, h.proc.ConsumeLogs(context.Background(), records("svc", func(lr plog.LogRecord) {
		lr.Body().SetEmptyBytes().FromRaw(make([]byte, 300))
	})))
	got := h.passed()[0]
	assert.Equal(t, 100, got.Body().Bytes().Len())
	original, _ := got.Attributes().Get(BodyOriginalBytesKey)
	assert.Equal(t, int64(300), original.Int())
	assert.Equal(t, map[string]int64{"body": 200}, h.removed())
}

func TestAMapBodyOverTheLimitBecomesItsJSONFormCut(t *testing.T) {
	h := newHarness(t, smallConfig())
	require.NoError(t, h.proc.ConsumeLogs(context.Background(), records("svc",
		func(lr plog.LogRecord) {
			m := lr.Body().SetEmptyMap()
			m.PutStr("message", strings.Repeat("m", 500))
			m.PutEmptySlice("items").AppendEmpty().SetInt(1)
		},
		func(lr plog.LogRecord) {
			lr.Body().SetEmptyMap().PutStr("message", "small")
		})))
	got := h.passed()
	require.Equal(t, pcommon.ValueTypeStr, got[0].Body().Type())
	assert.Len(t, got[0].Body().Str(), 100)
	assert.True(t, strings.HasPrefix(got[0].Body().Str(), `{"`))
	original, _ := got[0].Attributes().Get(BodyOriginalBytesKey)
	assert.Greater(t, original.Int(), int64(500))

	require.Equal(t, pcommon.ValueTypeMap, got[1].Body().Type(), "a small map body stays a map")
	assert.Equal(t, map[string]int64{"body": 1}, h.truncated())
}

func TestAttributeValuesOverTheLimitAreCutAndNamedOnTheRecord(t *testing.T) {
	h := newHarness(t, smallConfig())
	require.NoError(t, h.proc.ConsumeLogs(context.Background(), records("svc", func(lr plog.LogRecord) {
		lr.Body().SetStr(strings.Repeat("b", 150))
		lr.Attributes().PutStr("zeta", strings.Repeat("z", 90))
		lr.Attributes().PutStr("alpha", strings.Repeat("a", 200))
		lr.Attributes().PutStr("fine", "ok")
		lr.Attributes().PutDouble("ratio", 0.5)
	})))
	got := h.passed()[0]
	attrs := got.Attributes()
	alpha, _ := attrs.Get("alpha")
	zeta, _ := attrs.Get("zeta")
	fine, _ := attrs.Get("fine")
	assert.Len(t, alpha.Str(), 80)
	assert.Len(t, zeta.Str(), 80)
	assert.Equal(t, "ok", fine.Str())
	keys, ok := attrs.Get(TruncatedAttributesKey)
	require.True(t, ok)
	assert.Equal(t, []any{"alpha", "zeta"}, keys.Slice().AsRaw())
	assert.Len(t, got.Body().Str(), 100)

	assert.Equal(t, map[string]int64{"body": 1, "attribute": 1}, h.truncated())
	assert.Equal(t, map[string]int64{"body": 50, "attribute": 120 + 10}, h.removed())
}

func TestTheWarningIsLoggedAtMostOncePerMinute(t *testing.T) {
	h := newHarness(t, smallConfig())
	send := func() {
		require.NoError(t, h.proc.ConsumeLogs(context.Background(),
			records("checkout", strBody(strings.Repeat("x", 1000)))))
	}
	send()
	send()
	require.Equal(t, 1, h.logs.Len())
	entry := h.logs.All()[0]
	assert.Equal(t, zapcore.WarnLevel, entry.Level)
	assert.Contains(t, entry.Message, "log_limit")
	fields := entry.ContextMap()
	assert.Equal(t, "checkout", fields["service"])
	assert.Equal(t, "body", fields["field"])
	assert.Equal(t, int64(1000), fields["original_bytes"])
	assert.Equal(t, int64(100), fields["limit_bytes"])

	h.clock.Advance(61 * time.Second)
	send()
	assert.Equal(t, 2, h.logs.Len())
	assert.Equal(t, map[string]int64{"body": 3}, h.truncated())
}

func TestConcurrentBatchesAreCountedExactly(t *testing.T) {
	h := newHarness(t, smallConfig())
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				assert.NoError(t, h.proc.ConsumeLogs(context.Background(),
					records("svc", strBody(strings.Repeat("x", 101)), strBody("ok"))))
			}
		}()
	}
	wg.Wait()
	assert.Len(t, h.passed(), 800)
	assert.Equal(t, map[string]int64{"body": 400}, h.truncated())
	assert.Equal(t, map[string]int64{"body": 400}, h.removed())
}
