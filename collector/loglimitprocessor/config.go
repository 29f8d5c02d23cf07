package loglimitprocessor // import "kansoku.local/collector/loglimitprocessor"

import (
	"errors"
	"fmt"
)

const (
	defaultMaxBodyBytes           = 64 * 1024
	defaultMaxAttributeValueBytes = 16 * 1024
	// minLimit keeps a truncated value long enough to say what it was.
	minLimit = 64
)

// Config bounds the size of what one log record may carry.
type Config struct {
	// MaxBodyBytes is the most bytes a record's body may have; a longer body is cut to it.
	MaxBodyBytes int `mapstructure:"max_body_bytes"`
	// MaxAttributeValueBytes is the most bytes one string or bytes attribute value of a record
	// may have; a longer value is cut to it.
	MaxAttributeValueBytes int `mapstructure:"max_attribute_value_bytes"`

	// prevent unkeyed literal initialization
	_ struct{}
}

func createDefaultConfig() *Config {
	return &Config{
		MaxBodyBytes:           defaultMaxBodyBytes,
		MaxAttributeValueBytes: defaultMaxAttributeValueBytes,
	}
}

// Validate names each wrong field and what was expected of it.
func (cfg *Config) Validate() error {
	var errs []error
	if cfg.MaxBodyBytes < minLimit {
		errs = append(errs, fmt.Errorf(
			"max_body_bytes: expected an integer of at least %d, got %d", minLimit, cfg.MaxBodyBytes))
	}
	if cfg.MaxAttributeValueBytes < minLimit {
		errs = append(errs, fmt.Errorf(
			"max_attribute_value_bytes: expected an integer of at least %d, got %d",
			minLimit, cfg.MaxAttributeValueBytes))
	}
	return errors.Join(errs...)
}
