package netlink

import (
	"strconv"
	"strings"
)

// A Handle names a qdisc, a class or a filter parent in traffic control
// (include/uapi/linux/pkt_sched.h): a 16-bit major number in the upper half
// and a 16-bit minor number in the lower half, written by tc as hexadecimal
// "major:minor". A qdisc's handle has minor 0 ("1:"); its classes share its
// major ("1:10"). A few values are reserved: HandleRoot, HandleIngress and
// the clsact minors HandleMinIngress and HandleMinEgress.
//
// A filter's own handle is not a Handle in this sense: its meaning belongs
// to the filter's kind (u32 writes it "800::800"); Filter.Handle is a plain
// uint32.
type Handle uint32

// Reserved handles.
const (
	// HandleNone is TC_H_UNSPEC: no handle, or "let the kernel choose" in
	// a request. tc prints it "none".
	HandleNone Handle = 0
	// HandleRoot is TC_H_ROOT, the parent of a link's root qdisc. tc
	// prints it "root".
	HandleRoot Handle = 0xffffffff
	// HandleIngress is TC_H_INGRESS (also TC_H_CLSACT), ffff:fff1, the
	// parent of the ingress and clsact qdiscs; their own handle is ffff:.
	HandleIngress Handle = 0xfffffff1
	// HandleClsact is TC_H_CLSACT, the same value as HandleIngress.
	HandleClsact = HandleIngress
	// HandleMinIngress and HandleMinEgress are TC_H_MIN_INGRESS and
	// TC_H_MIN_EGRESS, the minors of clsact's two filter blocks:
	// ffff:fff2 is the parent of ingress filters (tc filter's word
	// "ingress"), ffff:fff3 that of egress ones ("egress"). The ingress
	// qdisc has the ingress block only.
	HandleMinIngress uint16 = 0xfff2
	HandleMinEgress  uint16 = 0xfff3
	// HandleIngressBlock and HandleEgressBlock are the filter parents
	// ffff:fff2 and ffff:fff3 (TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS)
	// and ..._EGRESS), as tc sends for `tc filter add dev X ingress|egress`.
	HandleIngressBlock Handle = 0xfffffff2
	HandleEgressBlock  Handle = 0xfffffff3
)

// NewHandle returns the handle major:minor (TC_H_MAKE).
func NewHandle(major, minor uint16) Handle { return Handle(uint32(major)<<16 | uint32(minor)) }

// Major returns the upper 16 bits (TC_H_MAJ shifted down).
func (h Handle) Major() uint16 { return uint16(h >> 16) }

// Minor returns the lower 16 bits (TC_H_MIN).
func (h Handle) Minor() uint16 { return uint16(h) }

// String writes h as tc does (print_tc_classid in iproute2's tc/tc_util.c):
// "root", "none", "1:10", "1:" for minor 0, ":10" for major 0, and
// "ffff:fff1" for HandleIngress.
func (h Handle) String() string {
	switch {
	case h == HandleRoot:
		return "root"
	case h == HandleNone:
		return "none"
	case h.Major() == 0:
		return ":" + strconv.FormatUint(uint64(h.Minor()), 16)
	case h.Minor() == 0:
		return strconv.FormatUint(uint64(h.Major()), 16) + ":"
	}
	return strconv.FormatUint(uint64(h.Major()), 16) + ":" + strconv.FormatUint(uint64(h.Minor()), 16)
}

// MarshalText implements encoding.TextMarshaler with String's notation.
func (h Handle) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with ParseHandle.
func (h *Handle) UnmarshalText(b []byte) error {
	v, err := ParseHandle(string(b))
	if err != nil {
		return err
	}
	*h = v
	return nil
}

// ParseHandle reads a handle in tc's notation (get_tc_classid in
// iproute2's tc/tc_util.c): "root" (HandleRoot), "none" (HandleNone),
// "ingress" or "clsact" (HandleIngress, ffff:fff1), or hexadecimal
// "major:minor", "major:" (minor 0), ":minor" (major 0), each part at most
// ffff; a number without a colon is the whole 32-bit value, as for tc.
// Anything else is an ErrInvalid error. Note that tc filter's words
// "ingress" and "egress" mean HandleIngressBlock and HandleEgressBlock
// instead; pass those constants for filter parents.
func ParseHandle(s string) (Handle, error) {
	switch s {
	case "root":
		return HandleRoot, nil
	case "none":
		return HandleNone, nil
	case "ingress", "clsact":
		return HandleIngress, nil
	case "":
		return 0, invalidf("empty tc handle")
	}
	maj, min, colon := strings.Cut(s, ":")
	if !colon {
		v, err := parseHex(s, 32)
		if err != nil {
			return 0, invalidf("tc handle %q: want major:minor in hexadecimal, root, none, ingress or clsact", s)
		}
		return Handle(v), nil
	}
	if maj == "" && min == "" {
		return 0, invalidf("tc handle %q: want major:minor in hexadecimal", s)
	}
	var hi, lo uint64
	var err error
	if maj != "" {
		if hi, err = parseHex(maj, 16); err != nil {
			return 0, invalidf("tc handle %q: major %q is not a hexadecimal number up to ffff", s, maj)
		}
	}
	if min != "" {
		if lo, err = parseHex(min, 16); err != nil {
			return 0, invalidf("tc handle %q: minor %q is not a hexadecimal number up to ffff", s, min)
		}
	}
	return NewHandle(uint16(hi), uint16(lo)), nil
}

// parseHex parses unsigned hexadecimal digits only (no sign, prefix or
// underscore) of at most bits bits.
func parseHex(s string, bits int) (uint64, error) {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return 0, strconv.ErrSyntax
		}
	}
	return strconv.ParseUint(s, 16, bits)
}
