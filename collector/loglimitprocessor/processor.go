package loglimitprocessor // import "kansoku.local/collector/loglimitprocessor"

import (
	"context"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
)

const (
	scopeName = "kansoku.local/collector/loglimitprocessor"
	// The counters' instrument names; the collector's own metrics endpoint shows them as is,
	// remote write through prometheus/self adds _total.
	truncatedRecordsMetricName = "otelcol_processor_log_limit_truncated_log_records"
	removedBytesMetricName     = "otelcol_processor_log_limit_removed_bytes"

	// What was cut: the counters' `field` attribute.
	fieldBody      = "body"
	fieldAttribute = "attribute"

	// The record attributes that say what was cut.
	// BodyOriginalBytesKey is set to the body's size in bytes before it was cut.
	BodyOriginalBytesKey = "kansoku.log.body_original_bytes"
	// TruncatedAttributesKey is set to the keys of the attribute values that were cut, sorted.
	TruncatedAttributesKey = "kansoku.log.truncated_attributes"

	// serviceNameKey is the resource attribute the warning names.
	serviceNameKey = "service.name"
	// warnEvery bounds the warning to one per interval, never one per record.
	warnEvery = time.Minute
)

// logLimiter cuts log bodies and attribute values that are over the configured limits.
type logLimiter struct {
	cfg       *Config
	logger    *zap.Logger
	truncated metric.Int64Counter
	removed   metric.Int64Counter
	// byField holds the counters' attribute sets: the processor's ID (as processorhelper's
	// own metrics carry it) and what was cut.
	byField map[string]metric.AddOption
	clock   func() time.Time

	mu       sync.Mutex
	lastWarn time.Time
}

func newLogLimiter(
	cfg *Config, id component.ID, set component.TelemetrySettings, clock func() time.Time,
) (*logLimiter, error) {
	meter := set.MeterProvider.Meter(scopeName)
	truncated, err := meter.Int64Counter(
		truncatedRecordsMetricName,
		metric.WithDescription("Log records with a body or attribute value cut to a log_limit limit."),
		metric.WithUnit("{record}"),
	)
	if err != nil {
		return nil, err
	}
	removed, err := meter.Int64Counter(
		removedBytesMetricName,
		metric.WithDescription("Bytes cut from log bodies and attribute values by log_limit."),
		metric.WithUnit("By"),
	)
	if err != nil {
		return nil, err
	}
	byField := map[string]metric.AddOption{}
	for _, field := range []string{fieldBody, fieldAttribute} {
		byField[field] = metric.WithAttributeSet(attribute.NewSet(
			attribute.String("processor", id.String()),
			attribute.String("field", field),
		))
	}
	return &logLimiter{
		cfg: cfg, logger: set.Logger, truncated: truncated, removed: removed,
		byField: byField, clock: clock,
	}, nil
}

// cut is what one batch lost, by field.
type cut struct {
	records map[string]int64
	bytes   map[string]int64
	// first is the first record cut in the batch, for the warning.
	first *firstCut
}

type firstCut struct {
	service  string
	field    string
	original int
	limit    int
}

// processLogs is the processorhelper callback; the pipeline may call it concurrently.
func (p *logLimiter) processLogs(ctx context.Context, ld plog.Logs) (plog.Logs, error) {
	c := cut{records: map[string]int64{}, bytes: map[string]int64{}}
	resources := ld.ResourceLogs()
	for i := range resources.Len() {
		rl := resources.At(i)
		service := ""
		if v, ok := rl.Resource().Attributes().Get(serviceNameKey); ok {
			service = v.AsString()
		}
		scopes := rl.ScopeLogs()
		for j := range scopes.Len() {
			records := scopes.At(j).LogRecords()
			for k := range records.Len() {
				p.limitRecord(records.At(k), service, &c)
			}
		}
	}
	for field, n := range c.records {
		p.truncated.Add(ctx, n, p.byField[field])
		p.removed.Add(ctx, c.bytes[field], p.byField[field])
	}
	if c.first != nil {
		p.warn(c.first)
	}
	return ld, nil
}

// limitRecord cuts one record's body and attribute values to the limits and marks it.
func (p *logLimiter) limitRecord(lr plog.LogRecord, service string, c *cut) {
	if original, removed := limitValue(lr.Body(), p.cfg.MaxBodyBytes); removed > 0 {
		c.records[fieldBody]++
		c.bytes[fieldBody] += int64(removed)
		if c.first == nil {
			c.first = &firstCut{service, fieldBody, original, p.cfg.MaxBodyBytes}
		}
		lr.Attributes().PutInt(BodyOriginalBytesKey, int64(original))
	}
	var keys []string
	var removedTotal int
	lr.Attributes().Range(func(k string, v pcommon.Value) bool {
		if k == TruncatedAttributesKey {
			return true
		}
		if original, removed := limitScalar(v, p.cfg.MaxAttributeValueBytes); removed > 0 {
			keys = append(keys, k)
			removedTotal += removed
			if c.first == nil {
				c.first = &firstCut{service, fieldAttribute + " " + k, original, p.cfg.MaxAttributeValueBytes}
			}
		}
		return true
	})
	if len(keys) == 0 {
		return
	}
	c.records[fieldAttribute]++
	c.bytes[fieldAttribute] += int64(removedTotal)
	slices.Sort(keys)
	list := lr.Attributes().PutEmptySlice(TruncatedAttributesKey)
	for _, k := range keys {
		list.AppendEmpty().SetStr(k)
	}
}

func (p *logLimiter) warn(f *firstCut) {
	now := p.clock()
	p.mu.Lock()
	if !p.lastWarn.IsZero() && now.Sub(p.lastWarn) < warnEvery {
		p.mu.Unlock()
		return
	}
	p.lastWarn = now
	p.mu.Unlock()
	p.logger.Warn("log_limit: a log record was over its limit and was cut to it",
		zap.String("service", f.service),
		zap.String("field", f.field),
		zap.Int("original_bytes", f.original),
		zap.Int("limit_bytes", f.limit),
		zap.Stringer("next_warning_after", warnEvery))
}

// limitValue cuts a body to limit bytes. A string or bytes body is cut as it is; a map or
// slice body whose content is over the limit is replaced by its JSON form, cut. It returns
// the size before and how many bytes were removed (0 when the value was within the limit).
func limitValue(v pcommon.Value, limit int) (original, removed int) {
	switch v.Type() {
	case pcommon.ValueTypeMap, pcommon.ValueTypeSlice:
		if sizeAtMost(v, limit) {
			return 0, 0
		}
		text := v.AsString()
		cutText := truncateUTF8(text, limit)
		v.SetStr(cutText)
		return len(text), len(text) - len(cutText)
	default:
		return limitScalar(v, limit)
	}
}

// limitScalar cuts a string or bytes value to limit bytes; other values are left as they are.
func limitScalar(v pcommon.Value, limit int) (original, removed int) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		text := v.Str()
		if len(text) <= limit {
			return 0, 0
		}
		cutText := truncateUTF8(text, limit)
		v.SetStr(cutText)
		return len(text), len(text) - len(cutText)
	case pcommon.ValueTypeBytes:
		raw := v.Bytes()
		if raw.Len() <= limit {
			return 0, 0
		}
		original = raw.Len()
		kept := slices.Clone(raw.AsRaw()[:limit])
		raw.FromRaw(kept)
		return original, original - limit
	default:
		return 0, 0
	}
}

// truncateUTF8 cuts s to at most limit bytes without splitting a UTF-8 sequence.
func truncateUTF8(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	end := limit
	for end > 0 && end > limit-utf8.UTFMax && !utf8.RuneStart(s[end]) {
		end--
	}
	return s[:end]
}

// sizeAtMost tells whether a map or slice value's keys and scalar contents come to at most
// limit bytes, without rendering it; it stops counting once over.
func sizeAtMost(v pcommon.Value, limit int) bool {
	budget := limit
	var walk func(v pcommon.Value) bool
	walk = func(v pcommon.Value) bool {
		switch v.Type() {
		case pcommon.ValueTypeStr:
			budget -= len(v.Str())
		case pcommon.ValueTypeBytes:
			budget -= v.Bytes().Len()
		case pcommon.ValueTypeMap:
			v.Map().Range(func(k string, item pcommon.Value) bool {
				budget -= len(k)
				return budget >= 0 && walk(item)
			})
		case pcommon.ValueTypeSlice:
			items := v.Slice()
			for i := 0; i < items.Len() && budget >= 0; i++ {
				walk(items.At(i))
			}
		default:
			budget -= 8
		}
		return budget >= 0
	}
	return walk(v)
}
