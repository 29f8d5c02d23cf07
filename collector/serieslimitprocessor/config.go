package serieslimitprocessor // import "kansoku.local/collector/serieslimitprocessor"

import (
	"errors"
	"fmt"
	"time"
)

const (
	defaultMaxSeriesPerMetric = 2000
	defaultStaleAfter         = 10 * time.Minute
	defaultMaxMetrics         = 10000
)

// Config bounds how many series the processor lets through.
type Config struct {
	// MaxSeriesPerMetric is how many distinct series (metric name + resource attributes +
	// data point attributes) one metric name may have at a time.
	MaxSeriesPerMetric int `mapstructure:"max_series_per_metric"`
	// StaleAfter is how long a series may go unseen before it is forgotten and frees its slot.
	StaleAfter time.Duration `mapstructure:"stale_after"`
	// MaxMetrics is how many metric names are tracked at a time; points of further names are
	// dropped.
	MaxMetrics int `mapstructure:"max_metrics"`

	// prevent unkeyed literal initialization
	_ struct{}
}

func createDefaultConfig() *Config {
	return &Config{
		MaxSeriesPerMetric: defaultMaxSeriesPerMetric,
		StaleAfter:         defaultStaleAfter,
		MaxMetrics:         defaultMaxMetrics,
	}
}

// Validate names each wrong field and what was expected of it.
func (cfg *Config) Validate() error {
	var errs []error
	if cfg.MaxSeriesPerMetric <= 0 {
		errs = append(errs, fmt.Errorf(
			"max_series_per_metric: expected a positive integer, got %d", cfg.MaxSeriesPerMetric))
	}
	if cfg.StaleAfter <= 0 {
		errs = append(errs, fmt.Errorf(
			"stale_after: expected a positive duration such as 10m, got %s", cfg.StaleAfter))
	}
	if cfg.MaxMetrics <= 0 {
		errs = append(errs, fmt.Errorf(
			"max_metrics: expected a positive integer, got %d", cfg.MaxMetrics))
	}
	return errors.Join(errs...)
}
