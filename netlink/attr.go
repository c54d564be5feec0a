package netlink

import (
	"encoding/binary"
	"net/netip"
)

// attrDecoder iterates over netlink attributes without allocating. It has
// the shape of github.com/mdlayher/netlink's AttributeDecoder (Next, Type,
// Uint32, ..., Err, Nested), but it is a value that lives on the caller's
// stack and its Data aliases the input instead of copying every attribute:
// mdlayher's decoder is heap-allocated per message and copies each
// attribute's payload, which costs about 150 B and 8 allocations per route
// and so rules out decoding a million routes within budget. Route and Rule
// decoding use it; Bytes still copies for values that are kept.
//
// Decoding methods that meet a payload of the wrong size record an
// ErrMalformed error and stop the iteration, like mdlayher's.
type attrDecoder struct {
	b    []byte // attributes not yet visited
	typ  uint16 // current attribute's type, flags included
	data []byte // current attribute's payload (aliases the input)
	err  error
}

const (
	attrHeaderLen = 4
	attrTypeMask  = 0x3fff // without NLA_F_NESTED and NLA_F_NET_BYTEORDER
	attrNested    = 0x8000 // NLA_F_NESTED
)

func newAttrDecoder(b []byte) attrDecoder { return attrDecoder{b: b} }

// Next advances to the next attribute. It returns false at the end or on a
// malformed attribute (see Err).
func (d *attrDecoder) Next() bool {
	if d.err != nil || len(d.b) == 0 {
		return false
	}
	if len(d.b) < attrHeaderLen {
		d.err = malformedf("%d trailing bytes after attributes", len(d.b))
		return false
	}
	n := int(binary.NativeEndian.Uint16(d.b))
	if n < attrHeaderLen || n > len(d.b) {
		d.err = malformedf("attribute length %d with %d bytes left", n, len(d.b))
		return false
	}
	d.typ = binary.NativeEndian.Uint16(d.b[2:])
	d.data = d.b[attrHeaderLen:n:n]
	if a := align4(n); a < len(d.b) {
		d.b = d.b[a:]
	} else {
		d.b = nil
	}
	return true
}

// Type returns the current attribute's type without flags.
func (d *attrDecoder) Type() uint16 { return d.typ & attrTypeMask }

// RawType returns the current attribute's type with its flags.
func (d *attrDecoder) RawType() uint16 { return d.typ }

// Data returns the current payload. It aliases the input: copy what is kept.
func (d *attrDecoder) Data() []byte { return d.data }

// Bytes returns a copy of the current payload.
func (d *attrDecoder) Bytes() []byte { return append([]byte(nil), d.data...) }

// Attribute returns a copy of the current attribute, for Unknown lists.
func (d *attrDecoder) Attribute() Attribute { return Attribute{Type: d.typ, Data: d.Bytes()} }

// Err returns the first error met.
func (d *attrDecoder) Err() error { return d.err }

// fail records err (wrapping ErrMalformed) if none was recorded yet and ends
// the iteration.
func (d *attrDecoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.b = nil
}

func (d *attrDecoder) badSize(want int) {
	d.fail(malformedf("attribute %d: %d bytes, want %d", d.Type(), len(d.data), want))
}

// Uint8 returns the current payload as a uint8.
func (d *attrDecoder) Uint8() uint8 {
	if len(d.data) != 1 {
		d.badSize(1)
		return 0
	}
	return d.data[0]
}

// Uint16 returns the current payload as a native-endian uint16.
func (d *attrDecoder) Uint16() uint16 {
	if len(d.data) != 2 {
		d.badSize(2)
		return 0
	}
	return binary.NativeEndian.Uint16(d.data)
}

// Uint16BE returns the current payload as a big-endian uint16.
func (d *attrDecoder) Uint16BE() uint16 {
	if len(d.data) != 2 {
		d.badSize(2)
		return 0
	}
	return binary.BigEndian.Uint16(d.data)
}

// Uint32 returns the current payload as a native-endian uint32.
func (d *attrDecoder) Uint32() uint32 {
	if len(d.data) != 4 {
		d.badSize(4)
		return 0
	}
	return binary.NativeEndian.Uint32(d.data)
}

// Uint64BE returns the current payload as a big-endian uint64.
func (d *attrDecoder) Uint64BE() uint64 {
	if len(d.data) != 8 {
		d.badSize(8)
		return 0
	}
	return binary.BigEndian.Uint64(d.data)
}

// String returns the current payload as a string, without the trailing NUL.
func (d *attrDecoder) String() string {
	b := d.data
	for i, c := range b {
		if c == 0 {
			b = b[:i]
			break
		}
	}
	return string(b)
}

// Addr returns the current payload as an address of size n (4 or 16).
func (d *attrDecoder) Addr(n int) netip.Addr {
	if len(d.data) != n {
		d.badSize(n)
		return netip.Addr{}
	}
	return addrFromSlice(d.data)
}

// Nested returns a decoder over the current payload.
func (d *attrDecoder) Nested() attrDecoder { return attrDecoder{b: d.data} }

// addrFromSlice converts 4 or 16 bytes into an Addr without allocating.
func addrFromSlice(b []byte) netip.Addr {
	switch len(b) {
	case 4:
		return netip.AddrFrom4([4]byte(b))
	case 16:
		return netip.AddrFrom16([16]byte(b))
	}
	return netip.Addr{}
}

// attrEncoder appends netlink attributes to a buffer that may already hold
// a fixed header. Unlike mdlayher's AttributeEncoder it builds the message
// in place, so a request costs one allocation.
type attrEncoder struct {
	b   []byte
	err error // an attribute longer than 64 KiB
}

func (e *attrEncoder) put(typ uint16, data []byte) {
	n := attrHeaderLen + len(data)
	if n > 0xffff {
		e.tooLong(typ, n)
		return
	}
	e.b = binary.NativeEndian.AppendUint16(e.b, uint16(n))
	e.b = binary.NativeEndian.AppendUint16(e.b, typ)
	e.b = append(e.b, data...)
	e.pad()
}

func (e *attrEncoder) pad() {
	for len(e.b)%4 != 0 {
		e.b = append(e.b, 0)
	}
}

// Uint8 appends a one-byte attribute.
func (e *attrEncoder) Uint8(typ uint16, v uint8) { e.put(typ, []byte{v}) }

// Uint16 appends a native-endian uint16 attribute.
func (e *attrEncoder) Uint16(typ uint16, v uint16) {
	e.put(typ, binary.NativeEndian.AppendUint16(make([]byte, 0, 2), v))
}

// Uint16BE appends a big-endian uint16 attribute.
func (e *attrEncoder) Uint16BE(typ uint16, v uint16) {
	e.put(typ, binary.BigEndian.AppendUint16(make([]byte, 0, 2), v))
}

// Uint32 appends a native-endian uint32 attribute.
func (e *attrEncoder) Uint32(typ uint16, v uint32) {
	e.put(typ, binary.NativeEndian.AppendUint32(make([]byte, 0, 4), v))
}

// Uint64BE appends a big-endian uint64 attribute.
func (e *attrEncoder) Uint64BE(typ uint16, v uint64) {
	e.put(typ, binary.BigEndian.AppendUint64(make([]byte, 0, 8), v))
}

// Bytes appends a raw attribute.
func (e *attrEncoder) Bytes(typ uint16, b []byte) { e.put(typ, b) }

// String appends a NUL-terminated string attribute.
func (e *attrEncoder) String(typ uint16, s string) {
	n := attrHeaderLen + len(s) + 1
	if n > 0xffff {
		e.tooLong(typ, n)
		return
	}
	e.b = binary.NativeEndian.AppendUint16(e.b, uint16(n))
	e.b = binary.NativeEndian.AppendUint16(e.b, typ)
	e.b = append(e.b, s...)
	e.b = append(e.b, 0)
	e.pad()
}

// Addr appends an address attribute (4 or 16 bytes).
func (e *attrEncoder) Addr(typ uint16, a netip.Addr) { e.put(typ, a.AsSlice()) }

// Nest starts a nested attribute and returns its offset for End.
func (e *attrEncoder) Nest(typ uint16) int {
	off := len(e.b)
	e.b = binary.NativeEndian.AppendUint16(e.b, 0)
	e.b = binary.NativeEndian.AppendUint16(e.b, typ)
	return off
}

// End closes the nested attribute started at off.
func (e *attrEncoder) End(off int) {
	n := len(e.b) - off
	if n > 0xffff {
		e.tooLong(binary.NativeEndian.Uint16(e.b[off+2:]), n)
		return
	}
	binary.NativeEndian.PutUint16(e.b[off:], uint16(n))
}

func (e *attrEncoder) tooLong(typ uint16, n int) {
	if e.err == nil {
		e.err = invalidf("attribute %d of %d bytes exceeds the netlink limit of 65535", typ&attrTypeMask, n)
	}
}

// Len reports the encoded size so far.
func (e *attrEncoder) Len() int { return len(e.b) }
