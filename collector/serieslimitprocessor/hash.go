package serieslimitprocessor // import "kansoku.local/collector/serieslimitprocessor"

import (
	"encoding/binary"
	"hash/maphash"
	"math"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// hasher turns a series (metric name, resource attributes, data point attributes) into a
// 64-bit hash; only hashes are kept, never the attribute strings.
//
// A map's hash does not depend on the order of its keys: each key/value pair is hashed on
// its own and the pair hashes are summed, so {a,b} and {b,a} are the same series without
// sorting or allocating.
type hasher struct {
	seed maphash.Seed
}

func newHasher() hasher {
	return hasher{seed: maphash.MakeSeed()}
}

// series hashes one data point's series, given its resource's hash (see attributes).
func (hs hasher) series(name string, resource uint64, attrs pcommon.Map) uint64 {
	var h maphash.Hash
	h.SetSeed(hs.seed)
	writeString(&h, name)
	writeUint64(&h, resource)
	writeUint64(&h, hs.attributes(attrs))
	return h.Sum64()
}

// attributes hashes a map independently of its key order.
func (hs hasher) attributes(m pcommon.Map) uint64 {
	var sum uint64
	m.Range(func(k string, v pcommon.Value) bool {
		var h maphash.Hash
		h.SetSeed(hs.seed)
		writeString(&h, k)
		hs.writeValue(&h, v)
		sum += h.Sum64()
		return true
	})
	var h maphash.Hash
	h.SetSeed(hs.seed)
	writeUint64(&h, uint64(m.Len()))
	writeUint64(&h, sum)
	return h.Sum64()
}

// writeValue writes a type tag and a self-delimiting encoding of v, so that no two
// different values write the same bytes.
func (hs hasher) writeValue(h *maphash.Hash, v pcommon.Value) {
	_ = h.WriteByte(byte(v.Type()))
	switch v.Type() {
	case pcommon.ValueTypeStr:
		writeString(h, v.Str())
	case pcommon.ValueTypeInt:
		writeUint64(h, uint64(v.Int()))
	case pcommon.ValueTypeDouble:
		writeUint64(h, math.Float64bits(v.Double()))
	case pcommon.ValueTypeBool:
		if v.Bool() {
			_ = h.WriteByte(1)
		} else {
			_ = h.WriteByte(0)
		}
	case pcommon.ValueTypeBytes:
		b := v.Bytes().AsRaw()
		writeUint64(h, uint64(len(b)))
		_, _ = h.Write(b)
	case pcommon.ValueTypeMap:
		writeUint64(h, hs.attributes(v.Map()))
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		writeUint64(h, uint64(s.Len()))
		for i := range s.Len() {
			hs.writeValue(h, s.At(i))
		}
	case pcommon.ValueTypeEmpty:
	}
}

func writeString(h *maphash.Hash, s string) {
	writeUint64(h, uint64(len(s)))
	_, _ = h.WriteString(s)
}

func writeUint64(h *maphash.Hash, n uint64) {
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], n)
	_, _ = h.Write(buf[:])
}
