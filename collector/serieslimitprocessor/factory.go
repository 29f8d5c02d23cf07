// Package serieslimitprocessor bounds the number of distinct series per metric name in a
// metrics pipeline, dropping the data points of new series beyond the limit.
package serieslimitprocessor // import "kansoku.local/collector/serieslimitprocessor"

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"
)

// typeStr is the component's name in collector configuration.
const typeStr = "series_limit"

var componentType = component.MustNewType(typeStr)

// NewFactory returns the factory of the series_limit processor (metrics only).
func NewFactory() processor.Factory {
	return processor.NewFactory(
		componentType,
		func() component.Config { return createDefaultConfig() },
		processor.WithMetrics(createMetrics, component.StabilityLevelAlpha),
	)
}

func createMetrics(
	ctx context.Context,
	set processor.Settings,
	cfg component.Config,
	next consumer.Metrics,
) (processor.Metrics, error) {
	return newMetricsProcessor(ctx, set, cfg, next, time.Now)
}

// newMetricsProcessor is createMetrics with the clock as a parameter, for the tests.
func newMetricsProcessor(
	ctx context.Context,
	set processor.Settings,
	cfg component.Config,
	next consumer.Metrics,
	clock func() time.Time,
) (processor.Metrics, error) {
	pcfg, ok := cfg.(*Config)
	if !ok {
		return nil, fmt.Errorf("series_limit: expected a *serieslimitprocessor.Config, got %T", cfg)
	}
	limiter, err := newSeriesLimiter(pcfg, set.ID, set.TelemetrySettings, clock)
	if err != nil {
		return nil, fmt.Errorf("series_limit: creating its telemetry: %w", err)
	}
	return processorhelper.NewMetrics(
		ctx, set, cfg, next, limiter.processMetrics,
		processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true}),
	)
}
