package loglimitprocessor

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
)

func TestDefaultConfigIsValidWithDocumentedDefaults(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	require.NoError(t, componenttest.CheckConfigStruct(cfg))
	assert.Equal(t, 65536, cfg.MaxBodyBytes)
	assert.Equal(t, 16384, cfg.MaxAttributeValueBytes)
	assert.NoError(t, confmap.Validate(cfg))
}

func TestConfigUnmarshalsItsKeys(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	conf := confmap.NewFromStringMap(map[string]any{
		"max_body_bytes":            1000,
		"max_attribute_value_bytes": 200,
	})
	require.NoError(t, conf.Unmarshal(cfg))
	assert.Equal(t, 1000, cfg.MaxBodyBytes)
	assert.Equal(t, 200, cfg.MaxAttributeValueBytes)
}

func TestConfigRejectsUnknownKey(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	err := confmap.NewFromStringMap(map[string]any{"max_body": 5}).Unmarshal(cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "max_body")
}

func TestValidateNamesEachWrongFieldAndWhatWasExpected(t *testing.T) {
	cfg := &Config{MaxBodyBytes: 10, MaxAttributeValueBytes: -1}
	err := cfg.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "max_body_bytes: expected an integer of at least 64, got 10")
	assert.Contains(t, err.Error(), "max_attribute_value_bytes: expected an integer of at least 64, got -1")
}
