package netlink

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"
)

// Object is implemented by *Link, *Addr, *Route, *Neigh, *Rule, *FDB,
// *Nexthop, *Qdisc, *Class and *Filter.
type Object interface {
	// Kind reports the object's kind.
	Kind() Kind
	// String describes the object in the words of ip(8).
	String() string
}

// Attribute is a netlink attribute this package does not decode. It is kept
// so that decoding and encoding again loses nothing. Type includes the
// NLA_F_NESTED and NLA_F_NET_BYTEORDER flags as the kernel sent them.
type Attribute struct {
	Type uint16
	Data []byte
}

// Verb says what a write request does to its object.
type Verb uint8

// Verbs, named after ip(8)'s.
const (
	// Add creates an object and fails with EEXIST if it exists
	// (NLM_F_CREATE|NLM_F_EXCL).
	Add Verb = iota + 1
	// Replace creates an object or replaces the one with the same key
	// (NLM_F_CREATE|NLM_F_REPLACE).
	Replace
	// Append creates an object even if one with the same key exists
	// (NLM_F_CREATE|NLM_F_APPEND), as `ip route append` does.
	Append
	// Change modifies an existing object and fails if there is none
	// (NLM_F_REPLACE), as `ip route change` does.
	Change
	// Set modifies an existing link (RTM_NEWLINK without NLM_F_CREATE), as
	// `ip link set` does.
	Set
	// Delete removes an object.
	Delete
)

var verbNames = [...]string{Add: "add", Replace: "replace", Append: "append", Change: "change", Set: "set", Delete: "del"}

// String returns the ip(8) word for v.
func (v Verb) String() string {
	if int(v) < len(verbNames) && verbNames[v] != "" {
		return verbNames[v]
	}
	return fmt.Sprintf("verb(%d)", uint8(v))
}

func (v Verb) flags() uint16 {
	switch v {
	case Add:
		return unix.NLM_F_CREATE | unix.NLM_F_EXCL
	case Replace:
		return unix.NLM_F_CREATE | unix.NLM_F_REPLACE
	case Append:
		return unix.NLM_F_CREATE | unix.NLM_F_APPEND
	case Change:
		return unix.NLM_F_REPLACE
	}
	return 0
}

// A Request is one prepared write request, built by LinkRequest,
// AddrRequest, RouteRequest, NeighRequest, RuleRequest or FDBRequest and run
// by Conn.Do or Conn.Pipeline. Input is validated when the Request is built;
// an invalid Request is reported by Do and Pipeline without anything being
// sent.
type Request struct {
	// Verb is what the request does.
	Verb Verb
	// Object describes the target, for errors and plans.
	Object string

	typ   uint16 // RTM_* message type
	flags uint16 // NLM_F_* flags besides REQUEST and ACK
	body  []byte // payload after the netlink header
	err   error  // validation error; nothing is sent
}

// Err reports the validation error of a Request, if building it failed.
func (o Request) Err() error { return o.err }

// String returns "add route 192.0.2.0/24 table 254" style text.
func (o Request) String() string { return o.Verb.String() + " " + o.Object }

// newRequest builds a Request about an object of kind k: of k's RTM_NEW*
// type, or its RTM_DEL* type for Delete (from the kind table); encode
// builds the payload and runs only if v is valid.
func newRequest(v Verb, k Kind, object string, encode func() ([]byte, error)) Request {
	row := k.row()
	op := Request{Verb: v, Object: object, typ: row.newType, flags: v.flags()}
	switch v {
	case Add, Replace, Append, Change, Set:
	case Delete:
		op.typ = row.delType
	default:
		op.err = &OpError{Op: v.String(), Object: object, Err: fmt.Errorf("%w: unknown verb %d", ErrInvalid, v)}
		return op
	}
	body, err := encode()
	if err != nil {
		op.err = &OpError{Op: v.String(), Object: object, Err: err}
		return op
	}
	op.body = body
	return op
}

// bitName names one flag bit.
type bitName struct {
	bit  uint32
	name string
}

// appendBitNames appends the names of the bits of v that table names, in
// table order, and returns them with the bits it did not name.
func appendBitNames(names []string, v uint32, table []bitName) ([]string, uint32) {
	for _, f := range table {
		if v&f.bit != 0 {
			names = append(names, f.name)
			v &^= f.bit
		}
	}
	return names, v
}

// invalidf returns an ErrInvalid-wrapped error with detail.
func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// malformedf returns an ErrMalformed-wrapped error with detail.
func malformedf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

// An Update is one change notification from the kernel.
type Update struct {
	// Type is the netlink message type (unix.RTM_NEWLINK, RTM_DELROUTE...).
	Type uint16
	// Flags are the netlink header flags. On RTM_NEWROUTE they carry
	// NLM_F_APPEND / NLM_F_REPLACE / NLM_F_CREATE / NLM_F_EXCL hints that
	// tell whether an IPv6 next hop was appended or a route replaced.
	Flags uint16
	// Object is the decoded *Link, *Addr, *Route, *Neigh, *Rule, *Nexthop,
	// *Qdisc, *Class, *Filter or *FDB
	// (a neighbour message of family AF_BRIDGE).
	Object Object
}

// header is a netlink message header (struct nlmsghdr).
type header struct {
	Len   uint32
	Type  uint16
	Flags uint16
	Seq   uint32
	Pid   uint32
}

const headerLen = 16

func parseHeader(b []byte) header {
	return header{
		Len:   binary.NativeEndian.Uint32(b[0:4]),
		Type:  binary.NativeEndian.Uint16(b[4:6]),
		Flags: binary.NativeEndian.Uint16(b[6:8]),
		Seq:   binary.NativeEndian.Uint32(b[8:12]),
		Pid:   binary.NativeEndian.Uint32(b[12:16]),
	}
}

func putHeader(b []byte, h header) {
	binary.NativeEndian.PutUint32(b[0:4], h.Len)
	binary.NativeEndian.PutUint16(b[4:6], h.Type)
	binary.NativeEndian.PutUint16(b[6:8], h.Flags)
	binary.NativeEndian.PutUint32(b[8:12], h.Seq)
	binary.NativeEndian.PutUint32(b[12:16], h.Pid)
}

func align4(n int) int { return (n + 3) &^ 3 }

// forEachMessage calls fn for each netlink message in a datagram, with its
// header and payload. A truncated message is an ErrMalformed error.
func forEachMessage(b []byte, fn func(h header, payload []byte) error) error {
	for len(b) >= headerLen {
		h := parseHeader(b)
		if h.Len < headerLen || int(h.Len) > len(b) {
			return malformedf("netlink message length %d with %d bytes left", h.Len, len(b))
		}
		if err := fn(h, b[headerLen:h.Len]); err != nil {
			return err
		}
		n := align4(int(h.Len))
		if n > len(b) {
			n = len(b)
		}
		b = b[n:]
	}
	return nil
}
