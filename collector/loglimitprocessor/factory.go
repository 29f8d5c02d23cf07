// Package loglimitprocessor bounds the size of log records in a logs pipeline: a body or an
// attribute value over its limit is cut to the limit, marked on the record and counted.
package loglimitprocessor // import "kansoku.local/collector/loglimitprocessor"

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
const typeStr = "log_limit"

var componentType = component.MustNewType(typeStr)

// NewFactory returns the factory of the log_limit processor (logs only).
func NewFactory() processor.Factory {
	return processor.NewFactory(
		componentType,
		func() component.Config { return createDefaultConfig() },
		processor.WithLogs(createLogs, component.StabilityLevelAlpha),
	)
}

func createLogs(
	ctx context.Context,
	set processor.Settings,
	cfg component.Config,
	next consumer.Logs,
) (processor.Logs, error) {
	return newLogsProcessor(ctx, set, cfg, next, time.Now)
}

// newLogsProcessor is createLogs with the clock as a parameter, for the tests.
func newLogsProcessor(
	ctx context.Context,
	set processor.Settings,
	cfg component.Config,
	next consumer.Logs,
	clock func() time.Time,
) (processor.Logs, error) {
	pcfg, ok := cfg.(*Config)
	if !ok {
		return nil, fmt.Errorf("log_limit: expected a *loglimitprocessor.Config, got %T", cfg)
	}
	limiter, err := newLogLimiter(pcfg, set.ID, set.TelemetrySettings, clock)
	if err != nil {
		return nil, fmt.Errorf("log_limit: creating its telemetry: %w", err)
	}
	return processorhelper.NewLogs(
		ctx, set, cfg, next, limiter.processLogs,
		processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true}),
	)
}
