package netlink

import (
	"errors"
	"strings"
)

// Sentinel errors. Every error returned by this package is an *OpError whose
// Err is one of these (possibly wrapped with detail) or a kernel errno as a
// unix.Errno, so errors.Is works for both.
var (
	// ErrInvalid reports input that was rejected before anything was sent:
	// a bad prefix, an unknown kind, an over-long name, a missing field.
	ErrInvalid = errors.New("invalid argument")

	// ErrMalformed reports a message from the kernel that could not be
	// decoded. The message is skipped; nothing panics.
	ErrMalformed = errors.New("malformed message")

	// ErrDumpInterrupted reports a dump that was still interrupted
	// (NLM_F_DUMP_INTR) after the allowed number of retries.
	ErrDumpInterrupted = errors.New("dump interrupted by concurrent changes")

	// ErrNotSupported reports an operation this platform or kernel lacks.
	ErrNotSupported = errors.New("not supported")

	// ErrClosed reports use of a closed Conn.
	ErrClosed = errors.New("use of closed connection")

	// ErrNotFound reports a get request that matched nothing in the cache or
	// a lookup that had no answer. Kernel lookups that fail keep the errno
	// (for example unix.ENODEV or unix.ESRCH).
	ErrNotFound = errors.New("not found")
)

// An OpError is the error of one netlink operation.
type OpError struct {
	// Op is what was attempted: "dial", "dump", "get", "add", "replace",
	// "append", "set", "del", "receive", "decode".
	Op string

	// Object describes what the operation was about, for example
	// "link br0" or "route 192.0.2.0/24 table 300". It may be empty.
	Object string

	// Err is the underlying error: a unix.Errno from the kernel, or one of
	// this package's sentinels (wrapped with detail).
	Err error

	// Message is the kernel's extended acknowledgement text, if any.
	Message string
}

// Error implements error.
func (e *OpError) Error() string {
	if e == nil {
		return "<nil>"
	}
	var b strings.Builder
	b.WriteString("netlink: ")
	b.WriteString(e.Op)
	if e.Object != "" {
		b.WriteByte(' ')
		b.WriteString(e.Object)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.Message != "" {
		b.WriteString(" (")
		b.WriteString(e.Message)
		b.WriteByte(')')
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *OpError) Unwrap() error { return e.Err }
