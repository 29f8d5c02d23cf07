package serieslimitprocessor // import "kansoku.local/collector/serieslimitprocessor"

import (
	"math"
	"sync"
)

// Why a data point was dropped; the values of the dropped counter's "reason" attribute.
const (
	reasonSeriesLimit = "max_series_per_metric"
	reasonMetricLimit = "max_metrics"
)

// never is a time no clock reaches: the "sweep at" of an empty set.
const never = int64(math.MaxInt64)

// tracker remembers, per metric name, the hashes of the series it admitted and when each was
// last seen. Times are nanoseconds on the processor's monotonic clock.
//
// Expiry is lazy: a metric's series are swept only when a new series finds the metric full,
// and metric names only when a new name finds the table full. Each set keeps a lower bound
// ("sweepAt") of the moment its oldest entry goes stale, so a sweep never runs before it can
// free something and a flood of refused points costs one map lookup each.
type tracker struct {
	maxSeries  int
	maxMetrics int
	stale      int64

	mu      sync.Mutex
	metrics map[string]*metricSeries
	sweepAt int64 // no metric has a series that goes stale before this
	warnAt  int64 // the max_metrics warning may be logged again from this time
}

type metricSeries struct {
	lastSeen map[uint64]int64
	sweepAt  int64 // no series of this metric goes stale before this
	warnAt   int64 // the limit warning for this metric may be logged again from this time
}

// outcome is what admit decided for one metric's points.
type outcome struct {
	dropped int    // points refused
	reason  string // why, when dropped > 0
	warn    bool   // the first refusal of this metric (or of new names) in a stale window
	tracked int    // series tracked for this metric afterwards
}

func newTracker(cfg *Config) *tracker {
	return &tracker{
		maxSeries:  cfg.MaxSeriesPerMetric,
		maxMetrics: cfg.MaxMetrics,
		stale:      cfg.StaleAfter.Nanoseconds(),
		metrics:    make(map[string]*metricSeries),
		sweepAt:    never,
		warnAt:     math.MinInt64,
	}
}

// admit decides for the points of one metric, given their series hashes, at time now;
// keep[i] is set for each point that may pass.
func (t *tracker) admit(name string, series []uint64, now int64, keep []bool) outcome {
	t.mu.Lock()
	defer t.mu.Unlock()
	ms := t.metrics[name]
	if ms == nil {
		ms = t.addMetric(name, now)
	}
	if ms == nil {
		clear(keep[:len(series)])
		return outcome{dropped: len(series), reason: reasonMetricLimit, warn: t.mayWarn(&t.warnAt, now)}
	}
	out := outcome{}
	for i, h := range series {
		keep[i] = t.admitSeries(ms, h, now)
		if !keep[i] {
			out.dropped++
		}
	}
	if out.dropped > 0 {
		out.reason = reasonSeriesLimit
		out.warn = t.mayWarn(&ms.warnAt, now)
	}
	out.tracked = len(ms.lastSeen)
	return out
}

// admitSeries admits a known series always and a new one while the metric has room.
func (t *tracker) admitSeries(ms *metricSeries, h uint64, now int64) bool {
	if _, ok := ms.lastSeen[h]; ok {
		ms.lastSeen[h] = now
		return true
	}
	if len(ms.lastSeen) >= t.maxSeries && now >= ms.sweepAt {
		t.sweepMetric(ms, now)
	}
	if len(ms.lastSeen) >= t.maxSeries {
		return false
	}
	if len(ms.lastSeen) == 0 {
		ms.sweepAt = now + t.stale
		t.sweepAt = min(t.sweepAt, ms.sweepAt)
	}
	ms.lastSeen[h] = now
	return true
}

// addMetric starts tracking a new metric name; nil when the table is full of live metrics.
func (t *tracker) addMetric(name string, now int64) *metricSeries {
	if len(t.metrics) >= t.maxMetrics && now >= t.sweepAt {
		t.sweepAll(now)
	}
	if len(t.metrics) >= t.maxMetrics {
		return nil
	}
	ms := &metricSeries{lastSeen: make(map[uint64]int64), sweepAt: never, warnAt: math.MinInt64}
	t.metrics[name] = ms
	return ms
}

// sweepMetric forgets the metric's stale series and tightens its sweepAt.
func (t *tracker) sweepMetric(ms *metricSeries, now int64) {
	oldest := never
	for h, seen := range ms.lastSeen {
		if now-seen >= t.stale {
			delete(ms.lastSeen, h)
		} else {
			oldest = min(oldest, seen)
		}
	}
	ms.sweepAt = never
	if oldest != never {
		ms.sweepAt = oldest + t.stale
	}
}

// sweepAll sweeps every metric that may hold stale series and forgets the emptied ones.
func (t *tracker) sweepAll(now int64) {
	t.sweepAt = never
	for name, ms := range t.metrics {
		if now >= ms.sweepAt {
			t.sweepMetric(ms, now)
		}
		if len(ms.lastSeen) == 0 {
			delete(t.metrics, name)
			continue
		}
		t.sweepAt = min(t.sweepAt, ms.sweepAt)
	}
}

// mayWarn is true at most once per stale window of the given rate-limit slot.
func (t *tracker) mayWarn(slot *int64, now int64) bool {
	if now < *slot {
		return false
	}
	*slot = now + t.stale
	return true
}

// size reports the tracked metric names and series, for tests.
func (t *tracker) size() (metrics, series int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, ms := range t.metrics {
		series += len(ms.lastSeen)
	}
	return len(t.metrics), series
}
