package serieslimitprocessor

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

func attrs(t *testing.T, raw map[string]any) pcommon.Map {
	t.Helper()
	m := pcommon.NewMap()
	require.NoError(t, m.FromRaw(raw))
	return m
}

func TestHashIgnoresKeyOrder(t *testing.T) {
	hs := newHasher()
	a := pcommon.NewMap()
	a.PutStr("route", "/")
	a.PutInt("code", 200)
	b := pcommon.NewMap()
	b.PutInt("code", 200)
	b.PutStr("route", "/")
	assert.Equal(t, hs.series("m", 1, a), hs.series("m", 1, b))
}

func TestHashTellsDifferentSeriesApart(t *testing.T) {
	hs := newHasher()
	base := attrs(t, map[string]any{"k": "v"})
	variants := map[string]uint64{
		"base":              hs.series("m", 1, base),
		"other name":        hs.series("n", 1, base),
		"other resource":    hs.series("m", 2, base),
		"other value":       hs.series("m", 1, attrs(t, map[string]any{"k": "w"})),
		"int not string":    hs.series("m", 1, attrs(t, map[string]any{"k": 1})),
		"string not int":    hs.series("m", 1, attrs(t, map[string]any{"k": "1"})),
		"shifted boundary":  hs.series("m", 1, attrs(t, map[string]any{"kv": ""})),
		"extra key":         hs.series("m", 1, attrs(t, map[string]any{"k": "v", "x": "y"})),
		"no attributes":     hs.series("m", 1, pcommon.NewMap()),
		"nested map":        hs.series("m", 1, attrs(t, map[string]any{"k": map[string]any{"a": 1}})),
		"nested map value":  hs.series("m", 1, attrs(t, map[string]any{"k": map[string]any{"a": 2}})),
		"slice":             hs.series("m", 1, attrs(t, map[string]any{"k": []any{1, 2}})),
		"slice other order": hs.series("m", 1, attrs(t, map[string]any{"k": []any{2, 1}})),
		"bool":              hs.series("m", 1, attrs(t, map[string]any{"k": true})),
		"double":            hs.series("m", 1, attrs(t, map[string]any{"k": 1.5})),
		"bytes":             hs.series("m", 1, attrs(t, map[string]any{"k": []byte("v")})),
	}
	seen := map[uint64]string{}
	for name, h := range variants {
		if other, dup := seen[h]; dup {
			t.Errorf("%q and %q hash alike", name, other)
		}
		seen[h] = name
	}
}
