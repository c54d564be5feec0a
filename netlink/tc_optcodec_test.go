package netlink

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"slices"
	"testing"
)

// tcOptGolden is one golden case of a kind's options: the payload of
// TCA_OPTIONS, written by hand from the uapi layout, and the options it
// stands for. A dump case (request false) must decode to opts and encode
// back to the same bytes; a request case is what tc sends for opts and
// must encode to exactly those bytes (and decode to opts unless
// noDecode: tc sends things the kernel's form drops).
type tcOptGolden struct {
	name     string
	request  bool
	noDecode bool
	data     []byte
	opts     TCOptions
}

// tcOptNew returns empty options of the same type as o.
func tcOptNew(o TCOptions) TCOptions {
	return reflect.New(reflect.TypeOf(o).Elem()).Interface().(TCOptions)
}

func runTCOptGolden(t *testing.T, cases []tcOptGolden) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.opts.encodeOptions(tc.request)
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			if !bytes.Equal(got, tc.data) {
				t.Errorf("encode(request=%v)\n got %x\nwant %x", tc.request, got, tc.data)
			}
			if tc.noDecode {
				return
			}
			o := tcOptNew(tc.opts)
			if err := o.decodeOptions(tc.data); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(o, tc.opts) {
				t.Errorf("decode\n got %+v\nwant %+v", o, tc.opts)
			}
			if s, ok := o.(interface{ String() string }); ok {
				_ = s.String()
			}
		})
	}
}

// tcOptMalformed: each payload must fail to decode with ErrMalformed.
func runTCOptMalformed(t *testing.T, newOpts func() TCOptions, cases map[string][]byte) {
	t.Helper()
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			err := newOpts().decodeOptions(b)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("decode(%x) = %v, want ErrMalformed", b, err)
			}
		})
	}
}

// runTCOptInvalid: each options value must be refused for an Add.
func runTCOptInvalid(t *testing.T, cases map[string]TCOptions) {
	t.Helper()
	for name, o := range cases {
		t.Run(name, func(t *testing.T) {
			err := o.validateOptions(Add)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("validate(%+v) = %v, want ErrInvalid", o, err)
			}
		})
	}
}

// Little builders of golden payloads; each attribute is written with
// nhTestAttr (struct nlattr: __u16 nla_len, __u16 nla_type, payload,
// padding to 4).
func tcU8(v uint8) []byte   { return []byte{v} }
func tcU16(v uint16) []byte { return binary.NativeEndian.AppendUint16(nil, v) }
func tcU32s(vs ...uint32) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.NativeEndian.AppendUint32(b, v)
	}
	return b
}

// FuzzTCOptions feeds any payload to every kind this package decodes
// (qdisc, class, filter and action tables): decoding fails with
// ErrMalformed or succeeds, never panics, and what decodes encodes (in
// the kernel's form) and decodes again to the same bytes.
func FuzzTCOptions(f *testing.F) {
	var kinds []func() TCOptions
	for _, k := range sortedKeys(qdiscOptionTypes) {
		kinds = append(kinds, func() TCOptions { return qdiscOptionTypes[k]() })
	}
	for _, k := range sortedKeys(classOptionTypes) {
		kinds = append(kinds, func() TCOptions { return classOptionTypes[k]() })
	}
	for _, k := range sortedKeys(filterOptionTypes) {
		kinds = append(kinds, func() TCOptions { return filterOptionTypes[k]() })
	}
	for _, k := range sortedKeys(actionOptionTypes) {
		kinds = append(kinds, func() TCOptions { return actionOptionTypes[k]() })
	}
	for _, cases := range tcOptGoldenAll() {
		for _, c := range cases {
			for i := range kinds {
				f.Add(uint8(i), c.data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, b []byte) {
		o := kinds[int(which)%len(kinds)]()
		if err := o.decodeOptions(b); err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("%s: error not ErrMalformed: %v", o.TCKind(), err)
			}
			return
		}
		if s, ok := o.(interface{ String() string }); ok {
			_ = s.String()
		}
		_ = o.validateOptions(Add)
		enc, err := o.encodeOptions(false)
		if err != nil {
			return
		}
		again := kinds[int(which)%len(kinds)]()
		if err := again.decodeOptions(enc); err != nil {
			t.Fatalf("%s: decode(encode(x)): %v\n%x", o.TCKind(), err, enc)
		}
		enc2, err := again.encodeOptions(false)
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("%s: encode not stable: %v\n%x\n%x", o.TCKind(), err, enc, enc2)
		}
		if _, err := o.encodeOptions(true); err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatalf("%s: request encode: %v", o.TCKind(), err)
		}
	})
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// tcOptGoldenAll lists every kind's golden cases, the fuzz seeds.
func tcOptGoldenAll() [][]tcOptGolden {
	return [][]tcOptGolden{fqCodelGolden, fqGolden, cakeGolden, prioGolden, sfqGolden, netemGolden,
		gactGolden, mirredGolden, policeGolden, actBPFGolden, flowerGolden, matchallGolden, basicGolden, u32ActionsGolden, bpfActionsGolden}
}

// TestTCOptionTables checks that every row's type reports the kind it is
// filed under, and that the kinds of this phase all have a row.
func TestTCOptionTables(t *testing.T) {
	check := func(table string, kind string, got string) {
		if got != kind {
			t.Errorf("%s row %q makes options of kind %q", table, kind, got)
		}
	}
	for k, f := range qdiscOptionTypes {
		check("qdisc", k, f().TCKind())
	}
	for k, f := range classOptionTypes {
		check("class", k, f().TCKind())
	}
	for k, f := range filterOptionTypes {
		check("filter", k, f().TCKind())
	}
	for k, f := range actionOptionTypes {
		check("action", k, f().TCKind())
	}
	for _, k := range []string{"fq_codel", "fq", "netem", "prio", "sfq", "cake"} {
		if qdiscOptionTypes[k] == nil {
			t.Errorf("qdisc kind %q has no row", k)
		}
	}
	for _, k := range []string{"flower", "matchall", "basic"} {
		if filterOptionTypes[k] == nil {
			t.Errorf("filter kind %q has no row", k)
		}
	}
	for _, k := range []string{"gact", "mirred", "police", "bpf"} {
		if actionOptionTypes[k] == nil {
			t.Errorf("action kind %q has no row", k)
		}
	}
}
