package serieslimitprocessor

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
)

func TestDefaultConfigIsValidWithDocumentedDefaults(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	require.NoError(t, componenttest.CheckConfigStruct(cfg))
	assert.Equal(t, 2000, cfg.MaxSeriesPerMetric)
	assert.Equal(t, 10*time.Minute, cfg.StaleAfter)
	assert.Equal(t, 10000, cfg.MaxMetrics)
	assert.NoError(t, confmap.Validate(cfg))
}

func TestConfigUnmarshalsItsKeys(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	conf := confmap.NewFromStringMap(map[string]any{
		"max_series_per_metric": 5,
		"stale_after":           "30s",
		"max_metrics":           7,
	})
	require.NoError(t, conf.Unmarshal(cfg))
	assert.Equal(t, 5, cfg.MaxSeriesPerMetric)
	assert.Equal(t, 30*time.Second, cfg.StaleAfter)
	assert.Equal(t, 7, cfg.MaxMetrics)
}

func TestConfigRejectsUnknownKey(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	conf := confmap.NewFromStringMap(map[string]any{"max_series": 5})
	err := conf.Unmarshal(cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "max_series")
}

func TestValidateNamesTheFieldAndWhatWasExpected(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"zero series", func(c *Config) { c.MaxSeriesPerMetric = 0 },
			"max_series_per_metric: expected a positive integer, got 0"},
		{"negative series", func(c *Config) { c.MaxSeriesPerMetric = -3 },
			"max_series_per_metric: expected a positive integer, got -3"},
		{"zero stale_after", func(c *Config) { c.StaleAfter = 0 },
			"stale_after: expected a positive duration such as 10m, got 0s"},
		{"negative stale_after", func(c *Config) { c.StaleAfter = -time.Second },
			"stale_after: expected a positive duration such as 10m, got -1s"},
		{"zero metrics", func(c *Config) { c.MaxMetrics = 0 },
			"max_metrics: expected a positive integer, got 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig()
			tt.edit(cfg)
			err := confmap.Validate(cfg)
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
		})
	}
}

func TestValidateReportsEveryWrongField(t *testing.T) {
	cfg := &Config{}
	err := cfg.Validate()
	require.Error(t, err)
	for _, field := range []string{"max_series_per_metric:", "stale_after:", "max_metrics:"} {
		assert.Contains(t, err.Error(), field)
	}
}
