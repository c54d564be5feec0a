package main

import (
	"io"
	"strconv"
)

// jsonOut writes JSON the way iproute2's json_writer does (compact, keys
// in the order they are written, strings escaped as ip escapes them) into
// a buffer that it hands to an io.Writer in large pieces. It is the one
// JSON encoder of show, serve and monitor: no maps, no reflection, a few
// bytes appended per value.
//
// Write errors are sticky: the first one is kept, later writes are
// dropped, and err returns it.
type jsonOut struct {
	w     io.Writer
	b     []byte
	comma bool // the next key or element needs a comma before it
	werr  error

	// depth is how many objects and arrays are open. With tagDepth > 0,
	// every object opened at that depth (a row of a table: --all-netns)
	// starts with the key "netns": netns (allnetns.go).
	depth    int
	tagDepth int
	netns    string
}

// jsonFlushAt is the buffer size at which jsonOut writes to w.
const jsonFlushAt = 32 << 10

func newJSONOut(w io.Writer) *jsonOut {
	return &jsonOut{w: w, b: make([]byte, 0, jsonFlushAt+4096)}
}

// maybeFlush writes the buffer out once it is large.
func (j *jsonOut) maybeFlush() {
	if len(j.b) >= jsonFlushAt {
		j.flush()
	}
}

// flush writes what is buffered.
func (j *jsonOut) flush() error {
	if len(j.b) > 0 && j.werr == nil && j.w != nil {
		_, j.werr = j.w.Write(j.b)
	}
	j.b = j.b[:0]
	return j.werr
}

func (j *jsonOut) err() error { return j.werr }

// key starts a member of an object ("" starts an element of an array).
func (j *jsonOut) key(k string) {
	if j.comma {
		j.b = append(j.b, ',')
	}
	if k != "" {
		j.b = appendJSONString(j.b, k)
		j.b = append(j.b, ':')
	}
	j.comma = true
}

func (j *jsonOut) str(k, v string) {
	j.key(k)
	j.b = appendJSONString(j.b, v)
}

func (j *jsonOut) uint(k string, v uint64) {
	j.key(k)
	j.b = strconv.AppendUint(j.b, v, 10)
}

func (j *jsonOut) int(k string, v int64) {
	j.key(k)
	j.b = strconv.AppendInt(j.b, v, 10)
}

func (j *jsonOut) boolean(k string, v bool) {
	j.key(k)
	j.b = strconv.AppendBool(j.b, v)
}

func (j *jsonOut) null(k string) {
	j.key(k)
	j.b = append(j.b, "null"...)
}

// hex writes v as ip's print_0xhex does: a string "%#x" ("0" for zero).
func (j *jsonOut) hex(k string, v uint64) {
	j.key(k)
	j.b = append(j.b, '"')
	if v != 0 {
		j.b = append(j.b, "0x"...)
	}
	j.b = strconv.AppendUint(j.b, v, 16)
	j.b = append(j.b, '"')
}

// raw writes a literal JSON value.
func (j *jsonOut) raw(k string, v []byte) {
	j.key(k)
	j.b = append(j.b, v...)
}

func (j *jsonOut) openObject(k string) {
	j.key(k)
	j.b = append(j.b, '{')
	j.comma = false
	j.depth++
	if j.depth == j.tagDepth {
		j.str(netnsKey, j.netns)
	}
}

func (j *jsonOut) closeObject() {
	j.b = append(j.b, '}')
	j.comma = true
	j.depth--
}

func (j *jsonOut) openArray(k string) {
	j.key(k)
	j.b = append(j.b, '[')
	j.comma = false
	j.depth++
}

func (j *jsonOut) closeArray() {
	j.b = append(j.b, ']')
	j.comma = true
	j.depth--
}

// newline ends a top-level value (as encoding/json's Encoder does).
func (j *jsonOut) newline() {
	j.b = append(j.b, '\n')
	j.comma = false
}

// appendJSONString appends s quoted and escaped like iproute2's
// jsonw_puts, except that other control characters, which ip copies
// verbatim (making invalid JSON), are written as \u00XX.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '\t':
			b = append(b, '\\', 't')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\f':
			b = append(b, '\\', 'f')
		case '\b':
			b = append(b, '\\', 'b')
		case '\\', '"':
			b = append(b, '\\', c)
		default:
			const hexDigits = "0123456789abcdef"
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
