package serieslimitprocessor

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const minute = int64(time.Minute)

func testTracker(maxSeries, maxMetrics int) *tracker {
	return newTracker(&Config{
		MaxSeriesPerMetric: maxSeries,
		StaleAfter:         10 * time.Minute,
		MaxMetrics:         maxMetrics,
	})
}

// admitAll runs admit and returns the outcome and which series passed.
func admitAll(tr *tracker, name string, now int64, series ...uint64) (outcome, []bool) {
	keep := make([]bool, len(series))
	out := tr.admit(name, series, now, keep)
	return out, keep
}

func TestTrackerAdmitsUpToTheLimitPerMetric(t *testing.T) {
	tr := testTracker(3, 10)
	out, keep := admitAll(tr, "m", 0, 1, 2, 3, 4, 5)
	assert.Equal(t, []bool{true, true, true, false, false}, keep)
	assert.Equal(t, 2, out.dropped)
	assert.Equal(t, reasonSeriesLimit, out.reason)
	assert.Equal(t, 3, out.tracked)

	// Another metric has its own budget.
	out, keep = admitAll(tr, "other", 0, 4, 5, 6)
	assert.Equal(t, []bool{true, true, true}, keep)
	assert.Zero(t, out.dropped)
}

func TestTrackerKeepsAdmittedSeriesFlowingAfterTheLimit(t *testing.T) {
	tr := testTracker(2, 10)
	admitAll(tr, "m", 0, 1, 2, 3)
	out, keep := admitAll(tr, "m", minute, 3, 1, 9, 2)
	assert.Equal(t, []bool{false, true, false, true}, keep)
	assert.Equal(t, 2, out.dropped)
}

func TestTrackerFreesTheSlotOfAStaleSeries(t *testing.T) {
	tr := testTracker(2, 10)
	admitAll(tr, "m", 0, 1, 2)
	// Series 2 stays fresh; series 1 is last seen at 0.
	admitAll(tr, "m", 5*minute, 2)
	_, keep := admitAll(tr, "m", 10*minute-1, 3)
	assert.Equal(t, []bool{false}, keep, "series 1 is not stale yet")
	_, keep = admitAll(tr, "m", 10*minute, 3, 4)
	assert.Equal(t, []bool{true, false}, keep, "series 1's slot went to 3; 2 is still live")
	metrics, series := tr.size()
	assert.Equal(t, 1, metrics)
	assert.Equal(t, 2, series)
}

func TestTrackerNeverHoldsMoreThanTheLimit(t *testing.T) {
	tr := testTracker(5, 3)
	for i := range uint64(1000) {
		admitAll(tr, "m", int64(i)*minute, i)
		admitAll(tr, string(rune('a'+i%26)), int64(i)*minute, i)
	}
	metrics, series := tr.size()
	assert.LessOrEqual(t, metrics, 3)
	assert.LessOrEqual(t, series, 3*5)
	for _, ms := range tr.metrics {
		assert.LessOrEqual(t, len(ms.lastSeen), 5)
	}
}

func TestTrackerDropsNewMetricNamesBeyondMaxMetrics(t *testing.T) {
	tr := testTracker(10, 2)
	admitAll(tr, "a", 0, 1)
	admitAll(tr, "b", 0, 1)
	out, keep := admitAll(tr, "c", minute, 1, 2)
	assert.Equal(t, []bool{false, false}, keep)
	assert.Equal(t, 2, out.dropped)
	assert.Equal(t, reasonMetricLimit, out.reason)
	assert.True(t, out.warn)

	// "a" keeps flowing; "b" goes stale, so "c" gets its slot.
	admitAll(tr, "a", 9*minute, 1)
	out, keep = admitAll(tr, "c", 10*minute, 1)
	assert.Equal(t, []bool{true}, keep)
	assert.Zero(t, out.dropped)
	_, ok := tr.metrics["b"]
	assert.False(t, ok, "the stale metric is forgotten")
	_, ok = tr.metrics["a"]
	assert.True(t, ok)
}

func TestTrackerWarnsOncePerMetricPerStaleWindow(t *testing.T) {
	tr := testTracker(1, 10)
	admitAll(tr, "m", 0, 1)
	warnings := 0
	for now := int64(0); now < 10*minute; now += minute {
		out, _ := admitAll(tr, "m", now, 1, 100+uint64(now)) // series 1 keeps its slot
		require.Equal(t, 1, out.dropped)
		if out.warn {
			warnings++
		}
	}
	assert.Equal(t, 1, warnings)
	out, _ := admitAll(tr, "m", 10*minute, 1, 999)
	assert.True(t, out.warn, "a new window may warn again")
	out, _ = admitAll(tr, "other", 10*minute, 1, 2)
	assert.True(t, out.warn, "each metric has its own rate limit")
}
