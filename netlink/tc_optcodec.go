package netlink

import (
	"encoding/binary"
	"fmt"
	"strconv"
)

// A table-driven codec for the tc kinds whose TCA_OPTIONS are a flat list
// of scalar attributes (fq_codel, fq, cake, ...): each row binds one
// attribute type to a pointer field of the options struct, nil meaning
// "not sent" (the kernel's default in a request, as tc leaves out what the
// user did not give). Attributes without a row are kept in Unknown and
// sent again after the known ones, byte for byte.

// tcField binds attribute typ to the field at ptr, one of **uint8,
// **uint16, **uint32, **int32, **uint64 (native endian, the sizes the
// kernel's nla_policy checks) or **bool for a flag attribute (no payload,
// NLA_FLAG).
type tcField struct {
	typ uint16
	ptr any
}

// decodeTCFields decodes attributes b into fields; an attribute with no
// row goes to unknown (copied). A known attribute of the wrong size is an
// ErrMalformed error.
func decodeTCFields(b []byte, fields []tcField, unknown *[]Attribute) error {
	d := newAttrDecoder(b)
next:
	for d.Next() {
		for _, f := range fields {
			if f.typ != d.Type() {
				continue
			}
			if err := decodeTCField(d.Data(), f); err != nil {
				return err
			}
			continue next
		}
		*unknown = append(*unknown, d.Attribute())
	}
	return d.Err()
}

func decodeTCField(p []byte, f tcField) error {
	want := 0
	switch f.ptr.(type) {
	case **uint8:
		want = 1
	case **uint16:
		want = 2
	case **uint32, **int32:
		want = 4
	case **uint64:
		want = 8
	case **bool:
		want = 0
	default:
		panic(fmt.Sprintf("tcField %d: unsupported field type %T", f.typ, f.ptr))
	}
	if len(p) != want {
		return malformedf("attribute %d: %d bytes, want %d", f.typ, len(p), want)
	}
	switch v := f.ptr.(type) {
	case **uint8:
		x := p[0]
		*v = &x
	case **uint16:
		x := binary.NativeEndian.Uint16(p)
		*v = &x
	case **uint32:
		x := binary.NativeEndian.Uint32(p)
		*v = &x
	case **int32:
		x := int32(binary.NativeEndian.Uint32(p))
		*v = &x
	case **uint64:
		x := binary.NativeEndian.Uint64(p)
		*v = &x
	case **bool:
		x := true
		*v = &x
	}
	return nil
}

// encodeTCFields appends the set fields in the order of the rows (the
// kernel's dump order), then unknown. A **bool field is sent as a flag
// when it points to true.
func encodeTCFields(e *attrEncoder, fields []tcField, unknown []Attribute) {
	for _, f := range fields {
		switch v := f.ptr.(type) {
		case **uint8:
			if *v != nil {
				e.Uint8(f.typ, **v)
			}
		case **uint16:
			if *v != nil {
				e.Uint16(f.typ, **v)
			}
		case **uint32:
			if *v != nil {
				e.Uint32(f.typ, **v)
			}
		case **int32:
			if *v != nil {
				e.Uint32(f.typ, uint32(**v))
			}
		case **uint64:
			if *v != nil {
				e.b = binary.NativeEndian.AppendUint16(e.b, 12)
				e.b = binary.NativeEndian.AppendUint16(e.b, f.typ)
				e.b = binary.NativeEndian.AppendUint64(e.b, **v)
			}
		case **bool:
			if *v != nil && **v {
				e.Bytes(f.typ, nil)
			}
		}
	}
	for _, a := range unknown {
		e.Bytes(a.Type, a.Data)
	}
}

// Ptr returns a pointer to a copy of v, for the optional fields of tc
// options (&Fq{Quantum: netlink.Ptr[uint32](3028)}).
func Ptr[T any](v T) *T { return &v }

// tcOptFmt appends " name value" to s when p is set.
func tcOptFmt[T any](s *[]string, name string, p *T) {
	if p != nil {
		*s = append(*s, fmt.Sprintf("%s %v", name, *p))
	}
}

// u32At and friends read fixed structs; callers check the length first.
func u32At(b []byte, off int) uint32 { return binary.NativeEndian.Uint32(b[off:]) }
func u16At(b []byte, off int) uint16 { return binary.NativeEndian.Uint16(b[off:]) }
func u64At(b []byte, off int) uint64 { return binary.NativeEndian.Uint64(b[off:]) }

func itoa[T ~uint8 | ~uint16 | ~uint32 | ~uint64](v T) string {
	return strconv.FormatUint(uint64(v), 10)
}

func u64Bytes(v uint64) []byte { return binary.NativeEndian.AppendUint64(make([]byte, 0, 8), v) }
